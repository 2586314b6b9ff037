import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from inspections.models import DisciplinaryCase, Inspection, Inspector
from offices.demo import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def test_demo_inspections_load_idempotently_over_the_demo_wards(client, django_user_model):
    call_command("load_demo", stdout=io.StringIO())
    call_command("load_demo_inspections", stdout=io.StringIO())
    first = (Inspection.objects.count(), DisciplinaryCase.objects.count())
    call_command("load_demo_inspections", stdout=io.StringIO())
    assert (Inspection.objects.count(), DisciplinaryCase.objects.count()) == first
    assert first[0] >= 12 and first[1] >= 5
    codes = set(Inspection.objects.values_list("unit__code", flat=True))
    assert codes == {"HN-CG-NT", "HN-CG-DV", "HN-NTL-MD1", "00166", "00160", "00004"}
    levels = set(Inspection.objects.values_list("inspecting_level", flat=True))
    assert levels == {"city", "department", "district", "ward"}
    for case in DisciplinaryCase.objects.select_related("inspection"):
        case.full_clean()  # demo cases obey the same rules as entered ones
    inspector = django_user_model.objects.get(username="inspector_hanoi")
    assert Inspector.objects.get(user=inspector).unit.code == "01"
    assert inspector.check_password(DEMO_PASSWORD)
    client.force_login(inspector)
    page = client.get(reverse("inspections:register"))
    assert page.context["page"].paginator.count == first[0]


def test_demo_inspections_need_the_demo_first():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("load_demo_inspections", stdout=io.StringIO())
