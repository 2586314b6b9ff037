"""Ingest through the integration API: "dossier returned" arms the desk's kiosk, and
ratings from other systems obey the kiosk's rules, messages and idempotency."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone, translation

from offices.models import AuditEvent
from surveys.models import DossierArming, Response, ResponseRollup
from tests.api.conftest import Caller, make_api_client
from tests.surveys.conftest import rating_payload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _default_language():
    yield
    translation.activate(settings.LANGUAGE_CODE)  # requests activate their own language


@pytest.fixture
def system(tree, client):
    """The dossier system of ward A: may send data."""
    _record, token = make_api_client(tree.ward_a, name="Một cửa điện tử", ingest=True)
    return Caller(client, token)


@pytest.fixture
def reader(tree, client):
    _record, token = make_api_client(tree.ward_a, name="BI")
    return Caller(client, token)


def returned(system, desk, code="HS-2026-0001", **fields):
    return system.post(
        "/api/v1/events/dossier-returned/", {"desk": desk.pk, "dossier_code": code, **fields}
    )


# --- Arming the kiosk ----------------------------------------------------------------


def test_armed_kiosk_rating_carries_the_dossier_and_officer(
    system, kiosk, kiosk_version, post_rating, tree, settings
):
    settings.API = {**settings.API, "ARMING_SECONDS": 120}
    event = returned(system, tree.desk_a, officer=tree.staff_a.pk)
    assert event.status_code == 201, event.json()
    assert event.json()["dossier_code"] == "HS-2026-0001"
    armed = DossierArming.objects.get()
    assert armed.expires_at - armed.armed_at == timedelta(seconds=120)
    # The kiosk shows nobody (or another officer): the arming's officer is credited.
    reply = post_rating(kiosk.credential, rating_payload(kiosk_version, staff=None))
    assert reply.status_code == 201
    rating = Response.objects.get()
    assert (rating.dossier_code, rating.staff, rating.desk) == (
        "HS-2026-0001",
        tree.staff_a,
        tree.desk_a,
    )
    armed.refresh_from_db()
    assert armed.response == rating and armed.used_at is not None
    # The arming is used: the next citizen's rating is an ordinary one.
    assert post_rating(kiosk.credential, rating_payload(kiosk_version)).status_code == 201
    assert Response.objects.exclude(dossier_code="").count() == 1
    assert AuditEvent.objects.filter(action="api.dossier_returned").count() == 1


def test_a_second_rating_for_the_same_dossier_is_refused(
    system, kiosk, kiosk_version, post_rating, tree
):
    assert returned(system, tree.desk_a).status_code == 201
    assert post_rating(kiosk.credential, rating_payload(kiosk_version)).status_code == 201
    again = returned(system, tree.desk_a)
    assert again.status_code == 409
    assert again.json() == {
        "error": "dossier_rated",
        "message": "This dossier has already been rated. Each dossier can be rated once.",
        "field": "dossier_code",
    }
    # Rated meanwhile through another channel: the kiosk's rating for it is refused clearly.
    assert returned(system, tree.desk_a, code="HS-2026-0002").status_code == 201
    tablet = system.post(
        "/api/v1/ratings/",
        rating_payload(kiosk_version, office=tree.office_a.pk, dossier_code="HS-2026-0002"),
    )
    assert tablet.status_code == 201
    DossierArming.objects.filter(dossier_code="HS-2026-0002").update(used_at=None)  # a race
    refused = post_rating(
        kiosk.credential, rating_payload(kiosk_version, seconds=30), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert refused.status_code in (400, 422)
    assert refused.json()["message"] == (
        "This dossier has already been rated. Each dossier can be rated once."
    )
    assert Response.objects.filter(dossier_code="HS-2026-0002").count() == 1


def test_unarmed_kiosk_works_as_today(kiosk, kiosk_version, post_rating, tree):
    reply = post_rating(kiosk.credential, rating_payload(kiosk_version, staff=tree.staff_a.pk))
    assert reply.status_code == 201
    rating = Response.objects.get()
    assert rating.dossier_code == "" and rating.staff == tree.staff_a


def test_arming_expires_and_is_replaced(system, kiosk, kiosk_version, post_rating, tree):
    past = timezone.now() - timedelta(hours=1)
    assert returned(system, tree.desk_a, code="OLD", at=past.isoformat()).status_code == 201
    assert post_rating(kiosk.credential, rating_payload(kiosk_version)).status_code == 201
    assert Response.objects.get().dossier_code == ""  # expired long ago
    assert returned(system, tree.desk_a, code="FIRST").status_code == 201
    assert returned(system, tree.desk_a, code="SECOND").status_code == 201
    later = timezone.now() + timedelta(seconds=1)
    assert post_rating(kiosk.credential, rating_payload(kiosk_version, when=later)).status_code
    assert Response.objects.filter(dossier_code="SECOND").count() == 1
    assert not Response.objects.filter(dossier_code="FIRST").exists()


def test_events_are_scoped_and_need_the_send_ability(system, reader, tree):
    from tests.factories import DeskFactory

    desk_b = DeskFactory(office=tree.office_b)
    outside = returned(system, desk_b)
    assert outside.status_code == 404 and outside.json()["field"] == "desk"
    assert returned(reader, tree.desk_a).status_code == 403
    other_officer = returned(system, tree.desk_a, officer=999999)
    assert other_officer.status_code == 404 and other_officer.json()["field"] == "officer"
    assert not DossierArming.objects.exists()


# --- Ratings from other systems --------------------------------------------------------


def test_rating_ingest_is_idempotent(system, kiosk_version, tree):
    payload = rating_payload(
        kiosk_version,
        office=tree.office_a.pk,
        desk=tree.desk_a.pk,
        staff=tree.staff_a.pk,
        dossier_code="HS-9",
    )
    first = system.post("/api/v1/ratings/", payload)
    assert first.status_code == 201, first.json()
    assert first.json() == {
        "status": "stored",
        "id": payload["id"],
        "flagged": False,
        "dossier_code": "HS-9",
        "staff": tree.staff_a.pk,
    }
    again = system.post("/api/v1/ratings/", payload)
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    rating = Response.objects.get()
    assert rating.channel == "api" and rating.kiosk is None
    assert ResponseRollup.objects.get().valid == 1
    other = system.post("/api/v1/ratings/", {**payload, "id": str(uuid.uuid4())})
    assert other.status_code == 409 and other.json()["error"] == "dossier_rated"
    assert Response.objects.count() == 1


REFUSALS = [
    ("unknown question", {"answers": [{"question": "nope", "value": 1}]}),
    ("scale out of range", {"answers": [{"question": "overall", "value": 9}]}),
    ("required missing", {"answers": [{"question": "overall", "value": 4}]}),
    ("bad id", {"id": "not-a-uuid"}),
    ("bad language", {"language": "de"}),
    ("bad time", {"submitted_at": "yesterday"}),
    ("unknown version", {"version": 999999}),
]


@pytest.mark.parametrize(("case", "change"), REFUSALS, ids=[c for c, _ in REFUSALS])
def test_rating_ingest_refuses_what_the_kiosk_refuses_with_the_same_message(
    case, change, system, kiosk, kiosk_version, post_rating, tree
):
    payload = {**rating_payload(kiosk_version), **change}
    at_kiosk = post_rating(kiosk.credential, payload, HTTP_ACCEPT_LANGUAGE="en")
    through_api = system.post("/api/v1/ratings/", {**payload, "office": tree.office_a.pk})
    assert at_kiosk.status_code >= 400
    assert through_api.status_code == at_kiosk.status_code
    kiosk_body, api_body = at_kiosk.json(), through_api.json()
    assert api_body["message"] == kiosk_body["message"]
    assert api_body["field"] == kiosk_body.get("field")
    assert not Response.objects.exists()


def test_rating_ingest_is_scoped(system, reader, kiosk_version, tree):
    outside = system.post(
        "/api/v1/ratings/", rating_payload(kiosk_version, office=tree.office_b.pk)
    )
    assert outside.status_code == 404
    read_only = reader.post(
        "/api/v1/ratings/", rating_payload(kiosk_version, office=tree.office_a.pk)
    )
    assert read_only.status_code == 403
    broken = system.client.post(
        "/api/v1/ratings/",
        "{not json",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {system.token}",
    )
    assert broken.status_code == 422 and broken.json()["error"] == "malformed"
    assert not Response.objects.exists()
    assert json.loads(broken.content)["field"] is None


# --- Service events: counter sessions ----------------------------------------------------


def test_service_started_and_stopped_go_through_counter_sessions(system, tree):
    from offices.models import CounterSession

    tree.office_a.opens_at, tree.office_a.closes_at = "00:00", "23:59"
    tree.office_a.open_days = "1234567"
    tree.office_a.save()
    started = system.post(
        "/api/v1/events/service-started/", {"desk": tree.desk_a.pk, "officer": tree.staff_a.pk}
    )
    assert started.status_code == 201, started.json()
    session = CounterSession.objects.get()
    assert started.json()["id"] == session.pk and started.json()["open"] is True
    assert session.started_how == "api"
    assert tree.desk_a.serving_now() == [tree.staff_a]
    again = system.post(
        "/api/v1/events/service-started/", {"desk": tree.desk_a.pk, "officer": tree.staff_a.pk}
    )
    assert again.json()["id"] == session.pk  # already serving: the same session
    stopped = system.post("/api/v1/events/service-stopped/", {"officer": tree.staff_a.pk})
    assert stopped.status_code == 200 and stopped.json()["session"]["id"] == session.pk
    session.refresh_from_db()
    assert session.ended_how == "api" and tree.desk_a.serving_now() == []
    nobody = system.post("/api/v1/events/service-stopped/", {"officer": tree.staff_a.pk})
    assert nobody.json() == {"session": None}
    assert AuditEvent.objects.filter(action__startswith="api.service_").count() == 3


def test_service_events_are_scoped(system, reader, tree):
    from offices.models import CounterSession
    from tests.factories import DeskFactory, StaffFactory

    desk_b = DeskFactory(office=tree.office_b)
    officer_b = StaffFactory(office=tree.office_b, desk=desk_b)
    outside = system.post(
        "/api/v1/events/service-started/", {"desk": desk_b.pk, "officer": officer_b.pk}
    )
    assert outside.status_code == 404 and outside.json()["field"] == "desk"
    mixed = system.post(
        "/api/v1/events/service-started/", {"desk": tree.desk_a.pk, "officer": officer_b.pk}
    )
    assert mixed.status_code == 404 and mixed.json()["field"] == "officer"
    stop_b = system.post("/api/v1/events/service-stopped/", {"officer": officer_b.pk})
    assert stop_b.status_code == 404
    read_only = reader.post(
        "/api/v1/events/service-started/", {"desk": tree.desk_a.pk, "officer": tree.staff_a.pk}
    )
    assert read_only.status_code == 403
    assert not CounterSession.objects.exists()
