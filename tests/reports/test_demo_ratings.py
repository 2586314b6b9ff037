"""load_demo_ratings: plausible, idempotent, and polite when the surveys are missing."""

import io

import pytest
from django.core.management import call_command

from offices.models import DossierCount
from surveys.models import AnswerRollup, Response

pytestmark = pytest.mark.django_db


def test_demo_ratings_wait_for_surveys_then_are_plausible_and_idempotent():
    call_command("load_demo", stdout=io.StringIO())
    out = io.StringIO()
    call_command("load_demo_ratings", stdout=out)  # no survey yet: says so, exits cleanly
    assert "load_demo_surveys" in out.getvalue()
    assert not Response.objects.exists()
    call_command("load_demo_surveys", stdout=io.StringIO())
    call_command("load_demo_ratings", months=3, volume=0.08, stdout=io.StringIO())
    stored = Response.objects.count()
    assert stored > 50
    assert Response.objects.filter(is_misuse=True).exists()
    assert Response.objects.values("office").distinct().count() == 6
    assert set(Response.objects.values_list("channel", flat=True)) >= {"kiosk"}
    assert AnswerRollup.objects.filter(choice__isnull=False).exists()  # reasons
    assert DossierCount.objects.exists()
    key = ("day", "question_id", "score", "count")
    rollups = sorted(AnswerRollup.objects.values_list(*key))
    out = io.StringIO()
    call_command("load_demo_ratings", months=3, volume=0.08, stdout=out)
    assert Response.objects.count() == stored
    assert "0 stored" in out.getvalue()
    assert sorted(AnswerRollup.objects.values_list(*key)) == rollups
