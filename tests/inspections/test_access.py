"""Who reads and who records: officials read in their scope, only inspectors record."""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from inspections.models import DisciplinaryCase, Inspection, Inspector
from offices.models import AuditEvent
from tests.inspections.conftest import make_case

pytestmark = pytest.mark.django_db


def inspection_post(office=None, unit=None, **overrides):
    data = {
        "office": office.pk if office else "",
        "unit": unit.pk if unit else "",
        "inspecting_body": "  Thanh tra   quận Cầu Giấy ",
        "inspecting_level": "district",
        "kind": "surprise",
        "date": "2025-06-03",
        "scope": "Giờ giấc làm việc",
        "findings": "Một công chức đến muộn",
        "outcome": "Nhắc nhở",
    }
    data.update(overrides)
    return data


def case_post(**overrides):
    data = {
        "staff": "",
        "person": "Trần Văn C, hợp đồng",
        "breach": "Đến muộn",
        "measure": "warning",
        "date": "2025-06-10",
    }
    data.update(overrides)
    return data


# --- Reading ------------------------------------------------------------------------


def test_official_reads_own_ward_inspection_and_gets_404_for_another_ward(
    client_for, alice, inspection_a, inspection_b
):
    client = client_for(alice)
    assert client.get(reverse("inspections:detail", args=[inspection_a.pk])).status_code == 200
    assert client.get(reverse("inspections:detail", args=[inspection_b.pk])).status_code == 404


def test_register_lists_only_inspections_in_scope(
    client_for, alice, carol, inspection_a, inspection_b
):
    page = client_for(alice).get(reverse("inspections:register"))
    assert [i.pk for i in page.context["page"]] == [inspection_a.pk]
    page = client_for(carol).get(reverse("inspections:register"))
    assert {i.pk for i in page.context["page"]} == {inspection_a.pk, inspection_b.pk}


def test_inspector_without_membership_reads_only_their_subtree(
    client_for, ivan, inspection_a, inspection_b
):
    client = client_for(ivan)
    assert client.get(reverse("inspections:detail", args=[inspection_a.pk])).status_code == 200
    assert client.get(reverse("inspections:detail", args=[inspection_b.pk])).status_code == 404
    page = client.get(reverse("inspections:register"))
    assert [i.pk for i in page.context["page"]] == [inspection_a.pk]


def test_anonymous_is_sent_to_log_in(client, inspection_a):
    response = client.get(reverse("inspections:detail", args=[inspection_a.pk]))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_user_without_any_role_sees_an_empty_register(client_for, tree, inspection_a):
    from tests.factories import UserFactory

    page = client_for(UserFactory(username="nobody")).get(reverse("inspections:register"))
    assert page.status_code == 200 and page.context["page"].paginator.count == 0


# --- Recording ------------------------------------------------------------------------


def test_official_who_is_not_an_inspector_gets_403_creating(client_for, alice, tree):
    client = client_for(alice)
    assert client.get(reverse("inspections:create")).status_code == 403
    response = client.post(reverse("inspections:create"), inspection_post(tree.office_a))
    assert response.status_code == 403
    assert not Inspection.objects.exists()


def test_official_who_reads_gets_403_editing_and_404_outside_scope(
    client_for, alice, inspection_a, inspection_b
):
    client = client_for(alice)
    assert client.get(reverse("inspections:edit", args=[inspection_a.pk])).status_code == 403
    assert client.get(reverse("inspections:edit", args=[inspection_b.pk])).status_code == 404
    url = reverse("inspections:case_create", args=[inspection_a.pk])
    assert client.post(url, case_post()).status_code == 403
    assert not DisciplinaryCase.objects.exists()


def test_district_inspector_records_an_inspection_for_ward_a(client_for, ivan, tree):
    response = client_for(ivan).post(reverse("inspections:create"), inspection_post(tree.office_a))
    inspection = Inspection.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("inspections:detail", args=[inspection.pk])
    assert (inspection.unit, inspection.office, inspection.created_by) == (
        tree.ward_a,
        tree.office_a,
        ivan,
    )
    assert inspection.inspecting_body == "Thanh tra quận Cầu Giấy"
    event = AuditEvent.objects.get(action="inspection.create")
    assert (event.username, event.detail["inspection"]) == ("ivan", inspection.pk)


def test_unit_level_inspection_needs_no_office(client_for, ivan, tree):
    response = client_for(ivan).post(
        reverse("inspections:create"), inspection_post(unit=tree.ward_a)
    )
    assert response.status_code == 302
    assert Inspection.objects.get().office is None


def test_district_inspector_cannot_record_for_another_district(client_for, ivan, tree):
    client = client_for(ivan)
    for data in (inspection_post(tree.office_b), inspection_post(unit=tree.ward_b)):
        response = client.post(reverse("inspections:create"), data)
        assert response.status_code == 400
    assert not Inspection.objects.exists()


def test_inspector_over_an_ancestor_records_for_ward_a_even_as_a_reader_elsewhere(
    client_for, alice, tree
):
    Inspector.objects.create(user=alice, unit=tree.city)
    response = client_for(alice).post(reverse("inspections:create"), inspection_post(tree.office_b))
    assert response.status_code == 302


def test_inspector_edits_and_the_change_is_audited(client_for, ivan, inspection_a):
    data = inspection_post(inspection_a.office, outcome="Yêu cầu khắc phục")
    response = client_for(ivan).post(reverse("inspections:edit", args=[inspection_a.pk]), data)
    assert response.status_code == 302
    inspection_a.refresh_from_db()
    assert inspection_a.outcome == "Yêu cầu khắc phục"
    event = AuditEvent.objects.get(action="inspection.update")
    assert "outcome" in event.detail["fields"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"date": (timezone.localdate() + timedelta(days=2)).isoformat()}, "date"),
        ({"date": "1999-12-31"}, "date"),
        ({"date": "not a date"}, "date"),
        ({"inspecting_level": "galaxy"}, "inspecting_level"),
        ({"scope": ""}, "scope"),
        ({"office": "", "unit": ""}, "__all__"),
        ({"office": "abc"}, "office"),
    ],
)
def test_bad_inspection_input_is_refused_with_a_message(client_for, ivan, tree, overrides, field):
    data = {**inspection_post(tree.office_a), **overrides}
    response = client_for(ivan).post(reverse("inspections:create"), data)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Inspection.objects.exists()


def test_attachment_is_downloaded_in_scope_only(client_for, ivan, bob, tree, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    data = inspection_post(tree.office_a)
    data["attachment"] = SimpleUploadedFile("ket-luan.pdf", b"%PDF-1.4 test", "application/pdf")
    assert client_for(ivan).post(reverse("inspections:create"), data).status_code == 302
    inspection = Inspection.objects.get()
    url = reverse("inspections:attachment", args=[inspection.pk])
    response = client_for(ivan).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 test"
    assert "ket-luan.pdf" in response["Content-Disposition"]
    assert client_for(bob).get(url).status_code == 404


def test_attachment_of_a_forbidden_type_is_refused(client_for, ivan, tree, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    data = inspection_post(tree.office_a)
    data["attachment"] = SimpleUploadedFile("virus.exe", b"MZ", "application/octet-stream")
    response = client_for(ivan).post(reverse("inspections:create"), data)
    assert response.status_code == 400 and "attachment" in response.context["form"].errors


def test_missing_attachment_file_is_a_404_not_a_crash(client_for, ivan, inspection_a):
    inspection_a.attachment.name = "inspections/2025/01/gone/lost.pdf"
    inspection_a.save()
    response = client_for(ivan).get(reverse("inspections:attachment", args=[inspection_a.pk]))
    assert response.status_code == 404


# --- Disciplinary cases --------------------------------------------------------------------


def test_inspector_adds_a_case_for_a_staff_member_and_the_name_is_kept(
    client_for, ivan, tree, inspection_a
):
    url = reverse("inspections:case_create", args=[inspection_a.pk])
    data = case_post(staff=tree.staff_a.pk, person="ignored when a staff member is chosen")
    response = client_for(ivan).post(url, data)
    assert response.status_code == 302
    case = DisciplinaryCase.objects.get()
    assert case.staff == tree.staff_a
    assert case.person == "Nguyễn Thị Lan, Công chức"
    tree.staff_a.delete()
    case.refresh_from_db()
    assert case.staff is None and case.person_name == "Nguyễn Thị Lan, Công chức"
    assert AuditEvent.objects.filter(action="inspection.case.create").count() == 1


def test_case_for_staff_outside_the_inspected_unit_is_refused(client_for, ivan, tree, inspection_a):
    from tests.factories import StaffFactory

    stranger = StaffFactory(office=tree.office_b)
    url = reverse("inspections:case_create", args=[inspection_a.pk])
    response = client_for(ivan).post(url, case_post(staff=stranger.pk))
    assert response.status_code == 400
    assert not DisciplinaryCase.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"person": "", "staff": ""}, "person"),
        ({"date": "2025-03-01"}, "date"),  # before the inspection (12 March)
        ({"date": (date.today() + timedelta(days=3)).isoformat()}, "date"),
        ({"measure": "exile"}, "measure"),
        ({"breach": ""}, "breach"),
    ],
)
def test_bad_case_input_is_refused(client_for, ivan, inspection_a, overrides, field):
    url = reverse("inspections:case_create", args=[inspection_a.pk])
    response = client_for(ivan).post(url, case_post(**overrides))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not DisciplinaryCase.objects.exists()


def test_inspector_edits_and_removes_a_case_with_audit(client_for, ivan, inspection_a):
    case = make_case(inspection_a)
    client = client_for(ivan)
    edit = reverse("inspections:case_edit", args=[inspection_a.pk, case.pk])
    assert client.post(edit, case_post(measure="demotion")).status_code == 302
    case.refresh_from_db()
    assert case.measure == "demotion"
    delete = reverse("inspections:case_delete", args=[inspection_a.pk, case.pk])
    assert client.get(delete).status_code == 405
    assert client.post(delete).status_code == 302
    assert not DisciplinaryCase.objects.exists()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"inspection.case.update", "inspection.case.delete"} <= actions


def test_case_of_another_inspection_is_not_reachable_through_this_one(
    client_for, carol, tree, inspection_a, inspection_b
):
    Inspector.objects.create(user=carol, unit=tree.city)
    case_b = make_case(inspection_b)
    url = reverse("inspections:case_edit", args=[inspection_a.pk, case_b.pk])
    assert client_for(carol).get(url).status_code == 404
