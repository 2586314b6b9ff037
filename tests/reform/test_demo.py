import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from reform.models import Appraiser, Assessment, CriteriaSet, Criterion, Score, Status

pytestmark = pytest.mark.django_db


def snapshot():
    scores = Score.objects.order_by("pk").values_list(
        "pk", "self_value", "appraised_value", "appraisal_reason", "evidence_note"
    )
    return (
        list(CriteriaSet.objects.order_by("pk").values_list("pk", "year", "frozen_at")),
        list(Assessment.objects.order_by("pk").values_list("pk", "status", "submitted_at")),
        list(scores),
    )


def test_demo_par_index_loads_idempotently_with_two_years(client, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    call_command("load_demo", stdout=io.StringIO())
    call_command("load_demo_reform", stdout=io.StringIO())
    first = snapshot()
    call_command("load_demo_reform", stdout=io.StringIO())
    assert snapshot() == first
    sets = CriteriaSet.objects.order_by("year")
    assert len(sets) == 2 and sets[1].copied_from == sets[0]
    for criteria_set in sets:
        assert criteria_set.is_frozen and criteria_set.max_points == 100
        for criterion in Criterion.objects.filter(area__criteria_set=criteria_set):
            criterion.clean()  # the demo obeys the same rules as an imported set
    assert Criterion.objects.get(area__criteria_set=sets[1], code="7.1").target == 90
    wards = {"HN-CG-NT", "HN-CG-DV", "HN-NTL-MD1", "00166", "00160", "00004"}
    for criteria_set in sets:
        assessed = criteria_set.assessments.values_list("unit__code", flat=True)
        assert set(assessed) == wards
    assert set(sets[0].assessments.values_list("status", flat=True)) == {Status.APPRAISED}
    cuts = Score.objects.filter(appraised_value__isnull=False)
    assert cuts.exists() and not cuts.filter(appraisal_reason="").exists()
    appraiser = Appraiser.objects.get(user__username="appraiser_caugiay")
    client.force_login(appraiser.user)
    ranking = client.get(reverse("reports:reform_ranking"))
    codes = {r.unit.code for r in ranking.context["ranking"].results}
    assert codes == {"HN-CG-NT", "HN-CG-DV"}  # the wards of Cầu Giấy only


def test_demo_par_index_needs_the_demo_first():
    with pytest.raises(CommandError):
        call_command("load_demo_reform", stdout=io.StringIO())
