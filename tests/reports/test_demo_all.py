"""load_demo_all: the six demo commands in one process, as `make demo` and `make run` run it."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from inspections.models import Inspection
from offices.models import AdministrativeUnit, Kiosk, Office
from reform.models import Score
from suggestions.models import Suggestion
from surveys.models import Question, Response

pytestmark = pytest.mark.django_db

LIGHT = {"months": 1, "volume": 0.05}


def _counts():
    return (
        Office.objects.count(),
        Kiosk.objects.count(),
        Question.objects.count(),
        Response.objects.count(),
        Suggestion.objects.count(),
        Inspection.objects.count(),
        Score.objects.count(),
    )


def test_the_whole_demo_loads_in_order_then_again_the_same_with_the_addresses_and_a_link():
    out = io.StringIO()
    call_command("load_demo_all", **LIGHT, stdout=out)
    text = out.getvalue()
    steps = [
        "Demo data ready: 6 offices.",
        "Demo surveys ready: 16 questions, 6 kiosks.",
        "Demo ratings:",
        "Demo suggestions ready: 12 new, 12 in total.",
        "Demo inspections ready:",
        "Demo PAR INDEX ready: 288 scores.",
    ]
    positions = [text.find(line) for line in steps]
    assert -1 not in positions, text
    assert positions == sorted(positions), text  # in the order of the Makefile's steps
    assert "The demo is ready" not in text and "/kiosk/enrol/" not in text  # no --base-url
    loaded = _counts()
    offices, kiosks, questions, _ratings, suggestions, inspections, scores = loaded
    assert (offices, kiosks, questions, suggestions, scores) == (6, 6, 16, 12, 288)
    assert inspections > 0
    # The ratings options reach load_demo_ratings: one month at 5 %, not 13 months.
    assert Response.objects.dates("submitted_at", "month").count() <= 2

    out = io.StringIO()
    call_command("load_demo_all", base_url="http://demo.example:8123", **LIGHT, stdout=out)
    text = out.getvalue()
    assert _counts() == loaded  # idempotent, as `make run` after `make run` needs
    assert "Demo suggestions ready: 0 new, 12 in total." in text
    addresses = text.find("Rate on a phone   http://demo.example:8123/r/")
    link = text.find("Demo kiosk (Nghĩa Tân): http://demo.example:8123/kiosk/enrol/")
    assert text.find("Demo PAR INDEX ready") < addresses < link, text
    assert text.count("/kiosk/enrol/") == 1  # once, last (load_demo_surveys --no-link before)


def test_refused_in_production_before_anything_is_loaded(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="never loaded in production"):
        call_command("load_demo_all", **LIGHT, stdout=io.StringIO())
    assert not AdministrativeUnit.objects.exists()
