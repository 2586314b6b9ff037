"""The kiosk's rating API: stored once, refused whole, misuse flagged, never a 500."""

import json
import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from offices.models import Kiosk
from surveys.models import Answer, AnswerRollup, RefusedSubmission, Response, ResponseRollup
from surveys.submission import MAX_TEXT_CHARS
from tests.factories import DeskFactory, StaffFactory, survey_version
from tests.surveys.conftest import rating_payload

pytestmark = pytest.mark.django_db


def nothing_stored():
    return (
        Response.objects.count(),
        Answer.objects.count(),
        AnswerRollup.objects.count(),
        ResponseRollup.objects.count(),
    ) == (0, 0, 0, 0)


def test_kiosk_rating_is_stored_with_answers_and_rollups(kiosk, kiosk_version, post_rating, tree):
    payload = rating_payload(
        kiosk_version,
        desk=tree.desk_a.pk,
        staff=tree.staff_a.pk,
        answers=[
            {"question": "overall", "value": 2},
            {"question": "reasons", "value": ["slow", "rude"]},
            {"question": "polite", "value": 0},
            {"question": "comment", "value": "  Chờ hơi lâu.  "},
        ],
    )
    reply = post_rating(kiosk.credential, payload)
    assert reply.status_code == 201
    assert reply.json() == {"status": "stored", "id": payload["id"], "flagged": False}
    response = Response.objects.get()
    assert str(response.pk) == payload["id"]
    assert (response.office, response.desk, response.staff) == (
        tree.office_a,
        tree.desk_a,
        tree.staff_a,
    )
    assert response.kiosk == kiosk.kiosk and response.channel == "kiosk"
    assert not response.is_misuse
    assert sorted(
        (a.question.code, a.score, a.choice.code if a.choice else None, a.text)
        for a in response.answers.all()
    ) == [
        ("comment", None, None, "Chờ hơi lâu."),
        ("overall", 2, None, ""),
        ("polite", 0, None, ""),
        ("reasons", None, "rude", ""),
        ("reasons", None, "slow", ""),
    ]
    assert ResponseRollup.objects.get().valid == 1
    assert AnswerRollup.objects.filter(choice__isnull=False).count() == 2


def test_replaying_the_same_uuid_answers_success_and_stores_nothing_new(
    kiosk, kiosk_version, post_rating
):
    payload = rating_payload(kiosk_version)
    assert post_rating(kiosk.credential, payload).status_code == 201
    again = post_rating(kiosk.credential, payload)
    assert again.status_code == 200
    assert again.json() == {"status": "duplicate", "id": payload["id"]}
    assert Response.objects.count() == 1
    assert ResponseRollup.objects.get().valid == 1
    assert sum(AnswerRollup.objects.values_list("count", flat=True)) == 2


def test_offline_rating_keeps_its_original_times(kiosk, kiosk_version, post_rating):
    three_hours_ago = timezone.now() - timedelta(hours=3)
    payload = rating_payload(kiosk_version, when=three_hours_ago)
    assert post_rating(kiosk.credential, payload).status_code == 201
    response = Response.objects.get()
    assert abs(response.submitted_at - three_hours_ago) < timedelta(seconds=1)
    assert response.received_at - response.submitted_at > timedelta(hours=2)
    assert response.submitted_at - response.started_at == timedelta(seconds=20)


@pytest.mark.parametrize("offset", [timedelta(days=3), timedelta(days=-40)])
def test_absurd_times_are_replaced_by_the_arrival_time_keeping_the_duration(
    kiosk, kiosk_version, post_rating, offset
):
    payload = rating_payload(kiosk_version, when=timezone.now() + offset)
    assert post_rating(kiosk.credential, payload).status_code == 201
    response = Response.objects.get()
    assert abs(response.submitted_at - response.received_at) < timedelta(seconds=1)
    assert response.submitted_at - response.started_at == timedelta(seconds=20)


def test_times_at_the_edge_of_the_calendar_do_not_break_anything(kiosk, kiosk_version, post_rating):
    payload = rating_payload(
        kiosk_version, started_at="0001-01-01T00:00:00Z", submitted_at="9999-12-31T23:59:59Z"
    )
    assert post_rating(kiosk.credential, payload).status_code == 201
    response = Response.objects.get()
    assert abs(response.submitted_at - response.received_at) < timedelta(seconds=1)
    assert response.started_at is None


def test_a_rating_completed_implausibly_fast_is_stored_but_flagged(
    kiosk, kiosk_version, post_rating
):
    reply = post_rating(kiosk.credential, rating_payload(kiosk_version, seconds=0.3))
    assert reply.status_code == 201 and reply.json()["flagged"] is True
    response = Response.objects.get()
    assert response.is_misuse and "completed in 0.3 s" in response.misuse_reason
    # Counted apart: flagged in the response roll-up, absent from the answer roll-up.
    assert (ResponseRollup.objects.get().valid, ResponseRollup.objects.get().flagged) == (0, 1)
    assert not AnswerRollup.objects.exists()


def test_ratings_closer_than_the_kiosk_interval_are_flagged_not_deleted(
    kiosk, kiosk_version, post_rating
):
    now = timezone.now()
    first = rating_payload(kiosk_version, when=now - timedelta(seconds=30))
    second = rating_payload(kiosk_version, when=now - timedelta(seconds=27))  # 3 s later
    third = rating_payload(kiosk_version, when=now)  # 27 s later: fine
    for payload in (first, second, third):
        assert post_rating(kiosk.credential, payload).status_code == 201
    flags = dict(Response.objects.values_list("id", "is_misuse"))
    assert flags == {
        uuid.UUID(first["id"]): False,
        uuid.UUID(second["id"]): True,
        uuid.UUID(third["id"]): False,
    }
    reason = Response.objects.get(pk=second["id"]).misuse_reason
    assert "within 8 s" in reason


def test_offline_burst_with_human_spacing_is_not_flagged(kiosk, kiosk_version, post_rating):
    """Three ratings given 20 s apart while offline arrive together: none is misuse."""
    now = timezone.now() - timedelta(hours=1)
    for i in range(3):
        payload = rating_payload(kiosk_version, when=now + timedelta(seconds=20 * i))
        assert post_rating(kiosk.credential, payload).json()["flagged"] is False


def test_extension_questions_follow_the_core(kiosk, kiosk_version, post_rating, tree, bank):
    from tests.factories import QuestionFactory

    local = QuestionFactory(code="parking", kind="yesno", factor="access")
    extension = survey_version(office=tree.office_a, items=[(local, True)])
    payload = rating_payload(
        kiosk_version,
        extension_version=extension.pk,
        answers=[
            {"question": "overall", "value": 5},
            {"question": "polite", "value": True},
            {"question": "parking", "value": False},
        ],
    )
    assert post_rating(kiosk.credential, payload).status_code == 201
    response = Response.objects.get()
    assert response.extension_version == extension
    assert dict(response.answers.values_list("question__code", "score")) == {
        "overall": 5,
        "polite": 1,
        "parking": 0,
    }


# --- Every bad input: a 4xx with a translated message, and nothing stored -------------


def _bad(base_version, **changes):
    payload = rating_payload(base_version)
    payload.update(changes)
    return payload


BAD_ANSWERS = {
    "unknown question": [{"question": "nope", "value": 3}, {"question": "overall", "value": 3}],
    "unknown choice": [
        {"question": "overall", "value": 1},
        {"question": "polite", "value": 1},
        {"question": "reasons", "value": ["slow", "bribe"]},
    ],
    "score above range": [{"question": "overall", "value": 6}, {"question": "polite", "value": 1}],
    "score below range": [{"question": "overall", "value": 0}, {"question": "polite", "value": 1}],
    "score as text": [{"question": "overall", "value": "5"}, {"question": "polite", "value": 1}],
    "score as boolean": [
        {"question": "overall", "value": True},
        {"question": "polite", "value": 1},
    ],
    "score as float": [{"question": "overall", "value": 4.5}, {"question": "polite", "value": 1}],
    "yes/no out of range": [
        {"question": "overall", "value": 4},
        {"question": "polite", "value": 2},
    ],
    "missing required answer": [{"question": "overall", "value": 4}],
    "required answer blank": [
        {"question": "overall", "value": None},
        {"question": "polite", "value": 1},
    ],
    "multi choice not a list": [
        {"question": "overall", "value": 4},
        {"question": "polite", "value": 1},
        {"question": "reasons", "value": "slow"},
    ],
    "repeated choice": [
        {"question": "overall", "value": 1},
        {"question": "polite", "value": 1},
        {"question": "reasons", "value": ["slow", "slow"]},
    ],
    "oversize text": [
        {"question": "overall", "value": 4},
        {"question": "polite", "value": 1},
        {"question": "comment", "value": "x" * (MAX_TEXT_CHARS + 1)},
    ],
    "text with a NUL character": [
        {"question": "overall", "value": 4},
        {"question": "polite", "value": 1},
        {"question": "comment", "value": "a\x00b"},
    ],
    "text as a number": [
        {"question": "overall", "value": 4},
        {"question": "polite", "value": 1},
        {"question": "comment", "value": 12},
    ],
    "question answered twice": [
        {"question": "overall", "value": 4},
        {"question": "overall", "value": 5},
        {"question": "polite", "value": 1},
    ],
    "answer without value": [{"question": "overall"}, {"question": "polite", "value": 1}],
    "answer not an object": ["overall", {"question": "polite", "value": 1}],
    "answers not a list": {"overall": 4},
    "text with a lone surrogate": [
        {"question": "overall", "value": 4},
        {"question": "polite", "value": 1},
        {"question": "comment", "value": "\ud800"},
    ],
}


@pytest.mark.parametrize("case", sorted(BAD_ANSWERS))
def test_bad_answers_are_refused_whole(kiosk, kiosk_version, post_rating, case):
    reply = post_rating(kiosk.credential, _bad(kiosk_version, answers=BAD_ANSWERS[case]))
    assert reply.status_code == 422, case
    body = reply.json()
    assert body["final"] is True and body["code"] == "invalid" and body["error"] == body["message"]
    assert nothing_stored()


BAD_FIELDS = {
    "id not a UUID": {"id": "rating-1"},
    "id missing": {"id": None},
    "id as a number": {"id": 12},
    "version missing": {"version": None},
    "version as text": {"version": "1"},
    "version unknown": {"version": 999999},
    "language unknown": {"language": "de"},
    "submitted_at not a time": {"submitted_at": "yesterday"},
    "submitted_at impossible date": {"submitted_at": "2025-02-30T10:00:00Z"},
    "started_at missing": {"started_at": None},
    "desk as text": {"desk": "01"},
    "desk negative": {"desk": -1},
    "version beyond bigint": {"version": 10**30},
    "staff beyond bigint": {"staff": 2**63},
}


@pytest.mark.parametrize("case", sorted(BAD_FIELDS))
def test_bad_fields_are_refused_whole(kiosk, kiosk_version, post_rating, case):
    reply = post_rating(kiosk.credential, _bad(kiosk_version, **BAD_FIELDS[case]))
    assert reply.status_code == 422, case
    assert reply.json()["code"] == "invalid" and reply.json()["final"] is True
    assert nothing_stored()


def test_a_version_that_does_not_apply_to_the_office_is_refused(kiosk, post_rating, tree, bank):
    elsewhere = survey_version(tree.district_b, [(bank.overall, True)], code="ntl")
    extension_of_b = survey_version(office=tree.office_b, items=[(bank.polite, True)])
    for version in (elsewhere, extension_of_b):
        payload = rating_payload(version, answers=[{"question": "overall", "value": 5}])
        reply = post_rating(kiosk.credential, payload)
        assert reply.status_code == 422
        assert reply.json()["field"] == "version"
    assert nothing_stored()


def test_desk_or_staff_of_another_office_is_refused(kiosk, kiosk_version, post_rating, tree):
    other_desk = DeskFactory(office=tree.office_b)
    other_staff = StaffFactory(office=tree.office_b)
    for field, value in (("desk", other_desk.pk), ("staff", other_staff.pk)):
        reply = post_rating(kiosk.credential, _bad(kiosk_version, **{field: value}))
        assert reply.status_code == 422 and reply.json()["field"] == field
    assert nothing_stored()


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"", b"[1, 2]", b'"text"', b"\xff\xfe", b"null", b"1e999999", b"[" * 50_000],
)
def test_malformed_bodies_are_refused(kiosk, post_rating, kiosk_version, body):
    reply = post_rating(kiosk.credential, body)
    assert reply.status_code == 422
    assert reply.json()["code"] in {"malformed", "invalid"} and reply.json()["final"] is True
    assert nothing_stored()


def test_an_oversize_body_is_refused_for_good_and_kept(kiosk, kiosk_version, post_rating):
    payload = _bad(kiosk_version, padding="x" * 70_000)
    reply = post_rating(kiosk.credential, payload)
    assert reply.status_code == 422
    assert (reply.json()["code"], reply.json()["final"]) == ("too_large", True)
    assert nothing_stored()
    refusal = RefusedSubmission.objects.get()
    assert (refusal.kiosk, str(refusal.rating_id), refusal.code) == (
        kiosk.kiosk,
        payload["id"],
        "too_large",
    )
    assert len(refusal.body) == 64 * 1024 and refusal.body.startswith("{")


def test_messages_are_translated_for_the_kiosk(kiosk, kiosk_version, post_rating):
    payload = _bad(kiosk_version, answers=[{"question": "overall", "value": 4}])
    vietnamese = post_rating(kiosk.credential, payload, HTTP_ACCEPT_LANGUAGE="vi").json()
    english = post_rating(kiosk.credential, payload, HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["message"].startswith("Please answer")
    assert vietnamese["message"] != english["message"]


# --- The credential ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer abc",
        "Kiosk ",
        "Kiosk not-a-credential",
        "Kiosk 1.forged:signature",
    ],
)
def test_submissions_without_a_valid_credential_are_refused(client, kiosk, kiosk_version, header):
    extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    reply = client.post(
        reverse("surveys:kiosk_api_rating"),
        data=json.dumps(rating_payload(kiosk_version)),
        content_type="application/json",
        **extra,
    )
    assert reply.status_code == 401
    assert reply["WWW-Authenticate"] == "Kiosk"
    assert "not enrolled" in reply.json()["message"] or reply.json()["message"]
    assert nothing_stored()


def test_a_well_signed_credential_that_is_not_the_current_one_is_refused(
    kiosk, kiosk_version, post_rating
):
    from django.core import signing

    fake = signing.Signer(salt=Kiosk.CREDENTIAL_SALT).sign(f"{kiosk.kiosk.pk}.guessed-secret")
    assert post_rating(fake, rating_payload(kiosk_version)).status_code == 401
    assert nothing_stored()


def test_a_revoked_kiosk_is_refused_with_403(kiosk, kiosk_version, post_rating):
    kiosk.kiosk.revoke()
    reply = post_rating(kiosk.credential, rating_payload(kiosk_version))
    assert reply.status_code == 403
    assert (reply.json()["code"], reply.json()["final"]) == ("revoked", False)
    assert nothing_stored()


def test_a_rotated_credential_is_refused_and_the_new_one_works(kiosk, kiosk_version, post_rating):
    token = kiosk.kiosk.rotate()
    assert post_rating(kiosk.credential, rating_payload(kiosk_version)).status_code == 401
    _kiosk, new_credential = Kiosk.enrol(token)
    assert post_rating(new_credential, rating_payload(kiosk_version)).status_code == 201


def test_a_kiosk_of_an_inactive_office_is_refused(kiosk, kiosk_version, post_rating, tree):
    tree.office_a.is_active = False
    tree.office_a.save()
    assert post_rating(kiosk.credential, rating_payload(kiosk_version)).status_code == 403
    assert nothing_stored()


def test_the_api_accepts_only_post(client, kiosk):
    reply = client.get(
        reverse("surveys:kiosk_api_rating"), HTTP_AUTHORIZATION=f"Kiosk {kiosk.credential}"
    )
    assert reply.status_code == 405
    assert (reply.json()["code"], reply.json()["final"]) == ("method", False)


def test_the_api_needs_no_csrf_token_but_the_credential(kiosk, kiosk_version):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    reply = strict.post(
        reverse("surveys:kiosk_api_rating"),
        data=json.dumps(rating_payload(kiosk_version)),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Kiosk {kiosk.credential}",
    )
    assert reply.status_code == 201


def test_a_kiosk_rating_takes_four_queries_and_a_fifth_only_when_the_misuse_window_can_match(
    kiosk, kiosk_version, post_rating, django_assert_num_queries, tree
):
    earlier = timezone.now() - timedelta(minutes=1)
    post_rating(kiosk.credential, rating_payload(kiosk_version, when=earlier))  # now frozen
    # 13 before (kiosk, officer, surveys, lock, window, arming, savepoint, 2 inserts, the
    # roll-ups unseen, release, kiosk update, release). Now, with an officer named:
    # 1. SAVEPOINT (BEGIN in production: the view's transaction);
    # 2. SELECT … FOR UPDATE OF the kiosk: authentication, its misuse state, and in the
    #    same read whether the officer is the office's, whether the desk is armed for a
    #    dossier, and the surveys that may apply (surveys.submission.lock_kiosk);
    # 3. one statement: the rating, its answers, the seven roll-up upserts and the kiosk's
    #    new state (ResponseQuerySet.record_unguarded);
    # 4. RELEASE SAVEPOINT (COMMIT).
    # The misuse window's neighbour query is skipped: this rating was given after every
    # rating the kiosk delivered, which the locked row says.
    with django_assert_num_queries(4):
        reply = post_rating(kiosk.credential, rating_payload(kiosk_version, staff=tree.staff_a.pk))
    assert reply.status_code == 201 and not reply.json()["flagged"]
    # Given 3 s before the previous one (a queue sending out of order): the window could
    # hold a neighbour, so it is looked for (5), and found.
    replayed_late = rating_payload(kiosk_version, when=timezone.now() - timedelta(seconds=3))
    with django_assert_num_queries(5):
        reply = post_rating(kiosk.credential, replayed_late)
    assert reply.status_code == 201 and reply.json()["flagged"]
    stored = Response.objects.get(pk=replayed_late["id"])
    assert "within 8 s" in stored.misuse_reason
    assert Response.objects.filter(staff=tree.staff_a).count() == 1


def test_a_replayed_rating_is_acknowledged_once_and_leaves_the_kiosk_state_alone(
    kiosk, kiosk_version, post_rating
):
    payload = rating_payload(kiosk_version)
    assert post_rating(kiosk.credential, payload).status_code == 201
    kiosk.kiosk.refresh_from_db()
    state = (kiosk.kiosk.last_fresh_rating_at, kiosk.kiosk.live_window_count)
    again = post_rating(kiosk.credential, payload)
    assert (again.status_code, again.json()["status"]) == (200, "duplicate")
    kiosk.kiosk.refresh_from_db()
    assert (kiosk.kiosk.last_fresh_rating_at, kiosk.kiosk.live_window_count) == state
    assert Response.objects.filter(pk=payload["id"]).count() == 1
    assert ResponseRollup.objects.get().valid == 1


def test_an_officer_or_desk_of_another_office_is_refused_by_the_locking_read(
    kiosk, kiosk_version, post_rating, tree
):
    elsewhere = StaffFactory(office=tree.office_b)
    reply = post_rating(kiosk.credential, rating_payload(kiosk_version, staff=elsewhere.pk))
    assert (reply.status_code, reply.json()["field"]) == (422, "staff")
    other_desk = DeskFactory(office=tree.office_b)
    reply = post_rating(kiosk.credential, rating_payload(kiosk_version, desk=other_desk.pk))
    assert (reply.status_code, reply.json()["field"]) == (422, "desk")
    reply = post_rating(kiosk.credential, rating_payload(kiosk_version, desk=tree.desk_a.pk))
    assert reply.status_code == 201
    assert Response.objects.count() == 1


# --- Heartbeat ----------------------------------------------------------------------------


def test_heartbeat_updates_last_seen_and_tells_the_page_what_to_show(client, kiosk, kiosk_version):
    url = reverse("surveys:kiosk_api_heartbeat")
    auth = {"HTTP_AUTHORIZATION": f"Kiosk {kiosk.credential}"}
    first = client.post(url, data="{}", content_type="application/json", **auth)
    assert first.status_code == 200
    kiosk.kiosk.refresh_from_db()
    assert timezone.now() - kiosk.kiosk.last_seen_at < timedelta(seconds=5)
    # A draft changes nothing; publishing it changes the fingerprint, so the kiosk
    # reloads at its next start screen.
    draft = kiosk_version.new_version()
    second = client.post(url, data="{}", content_type="application/json", **auth)
    assert second.json()["config"] == first.json()["config"]
    draft.publish()
    third = client.post(url, data="{}", content_type="application/json", **auth)
    assert third.json()["config"] != first.json()["config"]


def test_heartbeat_without_credential_is_refused(client, kiosk):
    reply = client.post(reverse("surveys:kiosk_api_heartbeat"))
    assert reply.status_code == 401
    kiosk.kiosk.refresh_from_db()
    assert kiosk.kiosk.last_seen_at is None


# --- Final refusals and the heartbeat's report -----------------------------------------


def test_a_final_refusal_is_stored_per_kiosk_with_the_body_and_code(
    kiosk, kiosk_version, post_rating
):
    payload = _bad(
        kiosk_version,
        answers=[{"question": "overall", "value": 9}, {"question": "polite", "value": 1}],
    )
    reply = post_rating(kiosk.credential, payload)
    assert reply.status_code == 422
    body = reply.json()
    assert body["final"] is True and body["code"] == "invalid" and body["field"] == "overall"
    refusal = RefusedSubmission.objects.get()
    assert refusal.kiosk == kiosk.kiosk and str(refusal.rating_id) == payload["id"]
    assert json.loads(refusal.body) == payload and refusal.field == "overall"
    assert refusal.reported_at is None
    # Sent again (a kiosk that never got the answer): still one row.
    assert post_rating(kiosk.credential, payload).status_code == 422
    assert RefusedSubmission.objects.count() == 1
    assert nothing_stored()


def test_refusals_that_are_not_final_say_so_and_store_nothing(kiosk, client, kiosk_version):
    reply = client.post(
        reverse("surveys:kiosk_api_rating"),
        data=json.dumps(rating_payload(kiosk_version)),
        content_type="application/json",
    )
    assert reply.status_code == 401 and reply.json()["final"] is False
    assert not RefusedSubmission.objects.exists() and nothing_stored()


def test_heartbeat_stores_the_queue_length_and_the_refused_ratings_it_reports(
    client, kiosk, kiosk_version, post_rating
):
    refused = _bad(
        kiosk_version,
        answers=[{"question": "overall", "value": 9}, {"question": "polite", "value": 1}],
    )
    post_rating(kiosk.credential, refused)
    never_arrived = str(uuid.uuid4())  # refused, but the server's answer was the last we saw
    report = {
        "pending": 7,
        "refused": [
            {"id": refused["id"], "code": "invalid"},
            {"id": never_arrived, "code": "invalid"},
            {"id": "not-a-uuid", "code": "x"},
        ],
    }
    reply = client.post(
        reverse("surveys:kiosk_api_heartbeat"),
        data=json.dumps(report),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Kiosk {kiosk.credential}",
    )
    assert reply.status_code == 200
    assert sorted(reply.json()["refused_ack"]) == sorted([refused["id"], never_arrived])
    device = Kiosk.objects.get(pk=kiosk.kiosk.pk)
    assert device.queue_length == 7
    assert timezone.now() - device.last_heard_at < timedelta(seconds=5)
    assert device.queue_reported_at == device.last_heard_at == device.last_seen_at
    rows = dict(RefusedSubmission.objects.values_list("rating_id", "body"))
    assert set(map(str, rows)) == {refused["id"], never_arrived}
    assert json.loads(rows[uuid.UUID(refused["id"])]) == refused
    assert rows[uuid.UUID(never_arrived)] == ""
    assert RefusedSubmission.objects.filter(reported_at__isnull=False).count() == 2


@pytest.mark.parametrize("body", [b"", b"[]", b"{bad", b'{"pending": -1}', b'{"pending": "3"}'])
def test_a_heartbeat_with_an_odd_body_still_counts_and_keeps_no_queue_figure(client, kiosk, body):
    reply = client.post(
        reverse("surveys:kiosk_api_heartbeat"),
        data=body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Kiosk {kiosk.credential}",
    )
    assert reply.status_code == 200 and reply.json()["refused_ack"] == []
    device = Kiosk.objects.get(pk=kiosk.kiosk.pk)
    assert device.last_heard_at is not None and device.queue_length is None


# --- Ratings the citizen left before the end ---------------------------------------------


def test_a_rating_left_before_the_end_needs_only_the_headline(kiosk, kiosk_version, post_rating):
    partial = rating_payload(
        kiosk_version, completed=False, answers=[{"question": "overall", "value": 2}]
    )
    reply = post_rating(kiosk.credential, partial)
    assert reply.status_code == 201
    response = Response.objects.get()
    assert response.completed is False
    assert list(response.answers.values_list("question__code", "score")) == [("overall", 2)]
    # A complete rating still needs every required answer.
    full = rating_payload(kiosk_version, answers=[{"question": "overall", "value": 2}])
    assert post_rating(kiosk.credential, full).json()["field"] == "polite"
    assert Response.objects.count() == 1


@pytest.mark.parametrize(
    "fields",
    [
        {"completed": False, "answers": [{"question": "polite", "value": 1}]},  # no headline
        {"completed": "no"},
        {"completed": 0},
    ],
)
def test_a_partial_rating_without_its_headline_or_with_an_odd_flag_is_refused(
    kiosk, kiosk_version, post_rating, fields
):
    reply = post_rating(kiosk.credential, _bad(kiosk_version, **fields))
    assert reply.status_code == 422 and reply.json()["final"] is True
    assert nothing_stored()
