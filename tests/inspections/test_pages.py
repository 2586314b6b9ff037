"""Every page renders (and the admin manages inspections and inspectors)."""

import pytest
from django.urls import reverse

from inspections.models import Inspector
from tests.inspections.conftest import make_case

pytestmark = pytest.mark.django_db


def test_every_page_renders_for_an_inspector(client_for, ivan, tree, inspection_a):
    case = make_case(inspection_a, staff=tree.staff_a, person="")
    client = client_for(ivan)
    pages = {
        reverse("inspections:register"): "Inspections register",
        reverse("inspections:create"): "Record an inspection",
        reverse("inspections:detail", args=[inspection_a.pk]): "Nguyễn Thị Lan",
        reverse("inspections:edit", args=[inspection_a.pk]): "Edit the inspection",
        reverse("inspections:case_create", args=[inspection_a.pk]): "Add a disciplinary case",
        reverse("inspections:case_edit", args=[inspection_a.pk, case.pk]): "Edit the disciplinary",
        reverse("inspections:report"): "Inspections: counts",
    }
    for url, text in pages.items():
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200, url
        assert text in response.text, url


def test_reader_sees_no_recording_buttons(client_for, alice, inspection_a):
    client = client_for(alice)
    html = client.get(reverse("inspections:register")).text
    assert reverse("inspections:create") not in html
    html = client.get(reverse("inspections:detail", args=[inspection_a.pk])).text
    assert reverse("inspections:edit", args=[inspection_a.pk]) not in html


def test_pages_render_in_persian_right_to_left(client, ivan, inspection_a):
    client.force_login(ivan)
    client.post(reverse("set_language"), {"language": "fa", "next": "/"})
    for url in (reverse("inspections:register"), reverse("inspections:report")):
        html = client.get(url).text
        assert 'dir="rtl"' in html


def test_admin_lists_and_adds_inspections_and_inspectors(client_for, admin_user, inspection_a):
    client = client_for(admin_user)
    for name in ("inspection", "inspector"):
        for view in ("changelist", "add"):
            url = reverse(f"admin:inspections_{name}_{view}")
            assert client.get(url).status_code == 200, url
    url = reverse("admin:inspections_inspection_change", args=[inspection_a.pk])
    assert client.get(url).status_code == 200


def test_admin_grants_the_inspector_capability(client_for, admin_user, tree):
    from tests.factories import UserFactory

    user = UserFactory(username="thanhtra")
    response = client_for(admin_user).post(
        reverse("admin:inspections_inspector_add"),
        {"user": user.pk, "unit": tree.district_b.pk, "note": "Thanh tra quận"},
    )
    assert response.status_code == 302
    assert Inspector.objects.filter(user=user, unit=tree.district_b).exists()
