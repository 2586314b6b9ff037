"""Who the kiosk shows and credits: counter sessions, the citizen's choice, the PIN corner."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from offices.models import CounterSession, Kiosk, SessionEnd
from surveys.models import Response
from surveys.views import KIOSK_COOKIE
from tests.factories import StaffFactory
from tests.surveys.conftest import enrol, rating_payload


@pytest.fixture
def minh(tree):
    return StaffFactory(office=tree.office_a, desk=tree.desk_a, full_name="Trần Văn Minh")


def kiosk_page(client, kiosk):
    client.cookies[KIOSK_COOKIE] = kiosk.credential
    page = client.get(reverse("surveys:kiosk"))
    assert page.status_code == 200
    return page


def api(client, name, credential, body):
    return client.post(
        reverse(name),
        data=json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Kiosk {credential}",
    )


def test_with_two_officers_the_kiosk_offers_both_and_credits_nobody_by_default(
    client, kiosk, tree, minh
):
    tree.desk_a.start_serving(minh, how="web")
    page = kiosk_page(client, kiosk)
    config = page.context["screen"].config
    assert config["staff"] is None  # no guess between two
    assert [o["name"] for o in config["serving"]] == ["Nguyễn Thị Lan", "Trần Văn Minh"]
    assert f'data-action="start" data-staff="{minh.pk}"' in page.text
    assert f'data-action="start" data-staff="{tree.staff_a.pk}"' in page.text


def test_a_rating_where_the_citizen_chose_the_second_officer_credits_the_second(
    client, kiosk, tree, minh, post_rating, kiosk_version
):
    tree.desk_a.start_serving(minh, how="web")
    payload = rating_payload(kiosk_version, desk=tree.desk_a.pk, staff=minh.pk)
    assert post_rating(kiosk.credential, payload).status_code == 201
    assert Response.objects.get().staff == minh


def test_with_nobody_signed_in_the_kiosk_shows_nobody_and_stores_no_officer(
    client, kiosk, tree, post_rating, kiosk_version
):
    tree.desk_a.stop_serving(tree.staff_a, how=SessionEnd.STOPPED)
    page = kiosk_page(client, kiosk)
    config = page.context["screen"].config
    assert config["staff"] is None and config["serving"] == []
    assert "Nguyễn Thị Lan" not in page.text
    payload = rating_payload(kiosk_version, desk=tree.desk_a.pk, staff=None)
    assert post_rating(kiosk.credential, payload).status_code == 201
    assert Response.objects.get().staff is None


def test_a_session_that_ended_at_closing_time_is_not_shown_the_next_morning(client, tree, kiosk):
    CounterSession.objects.all().delete()
    yesterday = timezone.now() - timedelta(days=1)
    session = tree.desk_a.start_serving(tree.staff_a, how="web", at=yesterday)
    assert session.closes_at <= timezone.now()  # closing time (or midnight) has passed
    page = kiosk_page(client, kiosk)
    assert page.context["screen"].config["serving"] == []
    assert "Nguyễn Thị Lan" not in page.text


def test_each_officer_card_carries_its_closing_deadline(client, kiosk, tree):
    page = kiosk_page(client, kiosk)
    (card,) = page.context["screen"].config["serving"]
    session = CounterSession.objects.get(staff=tree.staff_a)
    assert card["until"] == session.closes_at.isoformat()
    assert f'data-until="{card["until"]}"' in page.text


def test_the_heartbeat_says_who_serves_and_its_fingerprint_follows_sessions(
    client, kiosk, tree, minh
):
    first = api(client, "surveys:kiosk_api_heartbeat", kiosk.credential, {}).json()
    assert [o["id"] for o in first["serving"]] == [tree.staff_a.pk]
    tree.desk_a.start_serving(minh, how="web", alone=True)
    second = api(client, "surveys:kiosk_api_heartbeat", kiosk.credential, {}).json()
    assert [o["id"] for o in second["serving"]] == [minh.pk]
    assert second["config"] != first["config"]  # the start screen reloads at its next idle


# --- The staff corner: PIN -------------------------------------------------------------


def test_an_officer_signs_in_and_out_at_the_kiosk_with_a_pin(client, kiosk, tree, minh):
    minh.set_pin("4321")
    page = kiosk_page(client, kiosk)
    assert page.context["screen"].config["pin_officers"] == [
        {"id": minh.pk, "name": minh.full_name}
    ]
    assert 'data-action="staff-open"' in page.text

    started = api(
        client,
        "surveys:kiosk_api_session",
        kiosk.credential,
        {"staff": minh.pk, "pin": "4321", "action": "alone"},
    )
    assert started.status_code == 200 and started.json()["status"] == "serving"
    assert tree.desk_a.serving_now() == [minh]
    session = CounterSession.objects.get(staff=minh)
    assert session.started_how == "kiosk_pin"

    stopped = api(
        client,
        "surveys:kiosk_api_session",
        kiosk.credential,
        {"staff": minh.pk, "pin": "4321", "action": "stop"},
    )
    assert stopped.json()["status"] == "stopped"
    assert tree.desk_a.serving_now() == []


def test_a_wrong_pin_changes_nothing_and_repeated_failures_are_refused(client, kiosk, tree, minh):
    minh.set_pin("4321")
    body = {"staff": minh.pk, "pin": "0000", "action": "start"}
    for _ in range(5):
        reply = api(client, "surveys:kiosk_api_session", kiosk.credential, body)
        assert reply.status_code == 403 and reply.json()["code"] == "wrong_pin"
    right = {**body, "pin": "4321"}
    limited = api(client, "surveys:kiosk_api_session", kiosk.credential, right)
    assert limited.status_code == 429
    assert tree.desk_a.serving_now() == [tree.staff_a]


def test_the_pin_corner_refuses_another_offices_officer_and_a_kiosk_without_desk(
    client, kiosk, tree
):
    stranger = StaffFactory(office=tree.office_b, full_name="Người lạ")
    stranger.set_pin("1111")
    body = {"staff": stranger.pk, "pin": "1111", "action": "start"}
    assert api(client, "surveys:kiosk_api_session", kiosk.credential, body).status_code == 403
    lobby = enrol(Kiosk.objects.create(office=tree.office_a, name="Sảnh"))
    tree.staff_a.set_pin("2222")
    body = {"staff": tree.staff_a.pk, "pin": "2222", "action": "start"}
    assert api(client, "surveys:kiosk_api_session", lobby.credential, body).status_code == 409
    bad = api(client, "surveys:kiosk_api_session", kiosk.credential, {"staff": "x"})
    assert bad.status_code == 400
    assert api(client, "surveys:kiosk_api_session", "", body).status_code == 401
