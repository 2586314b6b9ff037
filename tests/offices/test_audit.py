import io
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from offices.models import AuditEvent, Office

pytestmark = pytest.mark.django_db


def test_logins_and_failures_are_audited_with_address(client, alice):
    client.post(reverse("login"), {"username": "alice", "password": "nope"}, REMOTE_ADDR="10.1.2.3")
    client.post(
        reverse("login"),
        {"username": "alice", "password": "correct horse battery"},
        REMOTE_ADDR="10.1.2.3",
    )
    actions = list(
        AuditEvent.objects.order_by("at").values_list("action", "username", "ip_address")
    )
    assert actions == [("login.failed", "alice", "10.1.2.3"), ("login", "alice", "10.1.2.3")]


def test_admin_configuration_changes_are_audited(client, admin_user, tree):
    client.force_login(admin_user)
    url = reverse("admin:offices_office_change", args=[tree.office_a.pk])
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(
        name="Một cửa Nghĩa Tân (mới)",
        unit=tree.ward_a.pk,
        **{
            "desks-TOTAL_FORMS": "0",
            "desks-INITIAL_FORMS": "0",
            "staff-TOTAL_FORMS": "0",
            "staff-INITIAL_FORMS": "0",
        },
    )
    data = {k: v for k, v in data.items() if v is not False}
    response = client.post(url, data, REMOTE_ADDR="10.9.8.7")
    assert response.status_code == 302, (
        response.context["adminform"].form.errors if response.context else ""
    )
    assert Office.objects.get(pk=tree.office_a.pk).name == "Một cửa Nghĩa Tân (mới)"
    event = AuditEvent.objects.get(action="config.change")
    assert event.username == "admin"
    assert event.ip_address == "10.9.8.7"  # admin edits carry the address
    assert "Một cửa Nghĩa Tân (mới)" in event.object_repr


def test_audit_events_cannot_be_changed_or_deleted(alice):
    event = AuditEvent.record(alice, "export", None, what="report")
    event.action = "something else"
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE offices_auditevent SET action = 'nothing happened' WHERE id = %s",
        "UPDATE offices_auditevent SET ip_address = NULL WHERE id = %s",
        "UPDATE offices_auditevent SET unit_id = 1 WHERE id = %s",
        "DELETE FROM offices_auditevent WHERE id = %s",
    ],
)
def test_deleting_or_updating_an_audit_event_in_sql_fails(alice, statement):
    event = AuditEvent.record(alice, "export", None, what="report")
    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement, [event.pk])
    stored = AuditEvent.objects.values("action", "ip_address", "username").get(pk=event.pk)
    assert stored == {"action": "export", "ip_address": None, "username": "alice"}
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_deleting_a_user_keeps_their_audit_events(alice):
    event = AuditEvent.record(alice, "export", None, what="report")
    alice.delete()
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.user_id, stored.username, stored.action) == (None, "alice", "export")


def test_audit_log_is_read_only_in_the_admin(client, admin_user, alice):
    event = AuditEvent.record(alice, "export", None)
    client.force_login(admin_user)
    assert client.get(reverse("admin:offices_auditevent_changelist")).status_code == 200
    assert client.get(reverse("admin:offices_auditevent_add")).status_code == 403
    assert (
        client.post(
            reverse("admin:offices_auditevent_delete", args=[event.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_officials_without_admin_rights_cannot_read_the_audit_log(client, alice):
    client.force_login(alice)
    response = client.get(reverse("admin:offices_auditevent_changelist"))
    assert response.status_code == 302  # the admin sends non-staff users to its login


def failed_login(username: str, address: str, days_ago: int = 0) -> AccessAttempt:
    attempt = AccessAttempt.objects.create(
        username=username,
        ip_address=address,
        user_agent="x",
        failures_since_start=1,
        get_data="",
        post_data="",
        http_accept="",
        path_info="/",
    )
    moment = timezone.now() - timedelta(days=days_ago)
    AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=moment)
    return attempt


def test_purge_removes_old_lockout_addresses_and_records_it(alice):
    failed_login("alice", "10.0.0.9", days_ago=400)
    recent = failed_login("bob", "10.0.0.8")
    out = io.StringIO()
    call_command("purge_personal_data", "--days", "180", stdout=out)
    assert list(AccessAttempt.objects.values_list("pk", flat=True)) == [recent.pk]
    event = AuditEvent.objects.get(action="purge_personal_data")
    assert event.detail["axes.AccessAttempt"] == 1
    assert "axes.AccessAttempt: 1" in out.getvalue()


def test_purge_clears_old_rating_addresses_and_keeps_the_scores(tree):
    from surveys.models import AnswerRollup, Response
    from tests.factories import QuestionFactory, make_response, survey_version

    version = survey_version(tree.city, [QuestionFactory(code="overall")])
    question = version.ordered_items()[0].question
    old = make_response(version, tree.office_a, {question: 5}, ip_address="203.0.113.7")
    Response.objects.filter(pk=old.pk).update(received_at=timezone.now() - timedelta(days=200))
    recent = make_response(version, tree.office_a, {question: 4}, ip_address="203.0.113.8")
    call_command("purge_personal_data", "--days", "180", stdout=io.StringIO())
    addresses = dict(Response.objects.values_list("pk", "ip_address"))
    assert addresses == {old.pk: None, recent.pk: "203.0.113.8"}
    assert sum(AnswerRollup.objects.values_list("count", flat=True)) == 2
    event = AuditEvent.objects.get(action="purge_personal_data")
    assert event.detail["surveys.Response.ip_address"] == 1
