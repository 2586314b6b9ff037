"""What a unit's admin tunes and reads beyond offices and surveys: alert thresholds,
alerts and report deliveries, the reform index's appraisers and sets, and the audit log
of their subtree (read-only). Each granted in scope, refused (404) outside it."""

from datetime import date

import pytest
from django.urls import reverse

from offices.models import AuditEvent
from reform.models import Appraiser
from reports.models import Alert, AlertSettings, ReportDelivery

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def test_events_name_the_unit_of_their_object(tree, alice):
    assert AuditEvent.record(alice, "x", tree.desk_a).unit == tree.ward_a
    assert AuditEvent.record(alice, "x", tree.staff_a).unit == tree.ward_a
    assert AuditEvent.record(alice, "x", tree.district_b).unit == tree.district_b
    assert AuditEvent.record(alice, "x", alice).unit is None  # a user belongs to no unit
    assert AuditEvent.record(alice, "x", None).unit is None
    assert AuditEvent.record(alice, "x", None, unit=tree.ward_c).unit == tree.ward_c


def test_an_admin_reads_their_subtrees_audit_events_and_changes_none(
    client, tree, alice, admin_a, admin_district
):
    own = AuditEvent.record(alice, "receipt.minted", tree.office_a)
    other = AuditEvent.record(alice, "receipt.minted", tree.office_b)
    national = AuditEvent.record(alice, "export", None)
    changelist = reverse("admin:offices_auditevent_changelist")
    for user in (admin_a, admin_district):
        client.force_login(user)
        page = client.get(changelist).text
        assert tree.office_a.name in page and tree.office_b.name not in page
        assert (
            client.get(reverse("admin:offices_auditevent_change", args=[own.pk])).status_code == 200
        )
        for hidden in (other, national):
            url = reverse("admin:offices_auditevent_change", args=[hidden.pk])
            assert client.get(url).status_code == 404
        change = reverse("admin:offices_auditevent_change", args=[own.pk])
        assert client.post(change, {"action": "nothing"}).status_code == 403
        delete = reverse("admin:offices_auditevent_delete", args=[own.pk])
        assert client.post(delete, {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.get(pk=own.pk).action == "receipt.minted"


def test_an_admins_own_changes_are_events_of_their_unit(client, tree, admin_a):
    client.force_login(admin_a)
    reply = client.post(
        reverse("admin:reports_alertsettings_add"), {"unit": tree.ward_a.pk, "low_streak": 4}
    )
    assert reply.status_code == 302
    event = AuditEvent.objects.get(action="config.add")
    assert (event.unit, event.username) == (tree.ward_a, "admin_a")
    page = client.get(reverse("admin:offices_auditevent_changelist")).text
    assert "config.add" in page


def test_an_admin_sets_alert_thresholds_only_in_the_subtree(client, tree, admin_a):
    client.force_login(admin_a)
    add = reverse("admin:reports_alertsettings_add")
    refused = client.post(add, {"unit": tree.ward_b.pk, "low_streak": 2})
    assert refused.status_code == 200 and "inside your area of administration" in refused.text
    assert not AlertSettings.objects.exists()
    assert client.post(add, {"unit": tree.ward_a.pk, "low_streak": 2}).status_code == 302
    assert AlertSettings.objects.get().unit == tree.ward_a

    other = AlertSettings.objects.create(unit=tree.ward_b, low_streak=9)
    change = reverse("admin:reports_alertsettings_change", args=[other.pk])
    assert client.get(change).status_code == 404
    assert client.post(change, {"unit": tree.ward_b.pk, "low_streak": 0}).status_code == 404
    assert AlertSettings.objects.get(pk=other.pk).low_streak == 9


def test_an_admin_reads_their_alerts_and_deliveries_not_another_wards(client, tree, admin_a):
    own = Alert.objects.create(rule="kiosk_silent", office=tree.office_a, subject_key="a")
    other = Alert.objects.create(rule="kiosk_silent", office=tree.office_b, subject_key="b")
    delivery = ReportDelivery.objects.create(
        unit=tree.ward_b, month=date(2026, 1, 1), recipient="head-b@example.vn"
    )
    ReportDelivery.objects.create(
        office=tree.office_a, month=date(2026, 1, 1), recipient="head-a@example.vn"
    )
    client.force_login(admin_a)
    assert client.get(reverse("admin:reports_alert_change", args=[own.pk])).status_code == 200
    assert client.get(reverse("admin:reports_alert_change", args=[other.pk])).status_code == 404
    deliveries = client.get(reverse("admin:reports_reportdelivery_changelist")).text
    assert "head-a@example.vn" in deliveries and "head-b@example.vn" not in deliveries
    url = reverse("admin:reports_reportdelivery_change", args=[delivery.pk])
    assert client.get(url).status_code == 404


def test_a_district_admin_names_appraisers_below_it_but_never_themselves(
    client, tree, admin_district, alice
):
    client.force_login(admin_district)
    add = reverse("admin:reform_appraiser_add")
    assert client.post(add, {"user": alice.pk, "unit": tree.district_a.pk}).status_code == 302
    assert Appraiser.objects.get().user == alice
    assert (
        client.post(add, {"user": admin_district.pk, "unit": tree.district_a.pk}).status_code == 403
    )
    outside = client.post(add, {"user": alice.pk, "unit": tree.district_b.pk})
    assert outside.status_code == 200 and "inside your area of administration" in outside.text
    assert Appraiser.objects.count() == 1
