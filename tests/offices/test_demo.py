import io

import pytest
from django.core.management import call_command

from offices.models import AdministrativeUnit, Desk, Membership, Office, StaffMember

pytestmark = pytest.mark.django_db


def counts():
    return [m.objects.count() for m in (AdministrativeUnit, Office, Desk, StaffMember, Membership)]


def test_demo_data_loads_and_is_idempotent(django_user_model):
    call_command("load_demo", stdout=io.StringIO())
    first = counts()
    call_command("load_demo", stdout=io.StringIO())
    assert counts() == first
    ward = AdministrativeUnit.objects.get(code="HN-CG-NT")
    assert [u.name for u in ward.lineage()] == [
        "Thành phố Hà Nội",
        "Quận Cầu Giấy (trước 2025)",
        "Phường Nghĩa Tân",
    ]
    official = django_user_model.objects.get(username="ward_nghiatan")
    assert list(Office.objects.visible_to(official).values_list("unit__code", flat=True)) == [
        "HN-CG-NT"
    ]
    assert AdministrativeUnit.objects.get(code="01").subtree().count() == 127 + 5


def test_demo_info_prints_urls_and_logins():
    out = io.StringIO()
    call_command("demo_info", "--base-url", "http://127.0.0.1:8000", stdout=out)
    text = out.getvalue()
    assert "http://127.0.0.1:8000/accounts/login/" in text
    assert "ward_nghiatan" in text and "district_caugiay" in text
