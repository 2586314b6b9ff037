"""Misuse judged on the server: what a credential holder cannot fake with the kiosk's times."""

import json
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from offices.models import Kiosk
from surveys.models import Response
from tests.surveys.conftest import rating_payload


def heartbeat(client, credential, pending):
    return client.post(
        reverse("surveys:kiosk_api_heartbeat"),
        data=json.dumps({"pending": pending}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Kiosk {credential}",
    )


@pytest.mark.django_db
def test_a_burst_of_backdated_ratings_from_a_live_kiosk_is_flagged(
    client, kiosk, kiosk_version, post_rating
):
    """Someone with the credential posts ratings 'given' 30 s apart over the last two
    weeks, from a kiosk whose heartbeat just said its queue was empty: all flagged."""
    assert heartbeat(client, kiosk.credential, 0).status_code == 200
    start = timezone.now() - timedelta(days=13)
    for i in range(12):
        payload = rating_payload(kiosk_version, when=start + timedelta(hours=i * 24, seconds=30))
        reply = post_rating(kiosk.credential, payload)
        assert reply.status_code == 201 and reply.json()["flagged"] is True, i
    reasons = set(Response.objects.values_list("misuse_reason", flat=True))
    assert all("empty queue" in reason for reason in reasons), reasons
    assert Response.objects.valid().count() == 0


@pytest.mark.django_db
def test_a_backlog_older_than_what_the_kiosk_already_delivered_is_flagged(
    kiosk, kiosk_version, post_rating
):
    """No heartbeat this time: a live rating, then 'last week's' ratings — a real queue
    would have sent those first."""
    assert post_rating(kiosk.credential, rating_payload(kiosk_version)).json()["flagged"] is False
    week_ago = timezone.now() - timedelta(days=7)
    for i in range(3):
        payload = rating_payload(kiosk_version, when=week_ago + timedelta(minutes=i))
        assert post_rating(kiosk.credential, payload).json()["flagged"] is True
    assert Response.objects.filter(misuse_reason__contains="sends in order").count() == 3


@pytest.mark.django_db
def test_a_real_backlog_after_an_outage_is_accepted(client, kiosk, kiosk_version, post_rating):
    """The kiosk said it held three ratings; they arrive oldest first, spaced as given."""
    given = timezone.now() - timedelta(hours=2)
    assert heartbeat(client, kiosk.credential, 3).status_code == 200
    for i in range(3):
        payload = rating_payload(kiosk_version, when=given + timedelta(minutes=5 * i))
        assert post_rating(kiosk.credential, payload).json()["flagged"] is False
    live = rating_payload(kiosk_version)  # and the next citizen, right after
    assert post_rating(kiosk.credential, live).json()["flagged"] is False
    assert Response.objects.valid().count() == 4


@pytest.mark.django_db
def test_live_ratings_are_judged_on_arrival_times_and_capped_per_minute(
    kiosk, kiosk_version, post_rating, settings
):
    # Claimed 30 s apart, but both were given "now" and arrived a moment apart.
    now = timezone.now()
    first = rating_payload(kiosk_version, when=now - timedelta(seconds=1))
    second = rating_payload(kiosk_version, when=now + timedelta(seconds=30))
    assert post_rating(kiosk.credential, first).json()["flagged"] is False
    reply = post_rating(kiosk.credential, second)
    assert reply.json()["flagged"] is True
    assert "arrived" in Response.objects.get(pk=second["id"]).misuse_reason

    # The per-minute cap, with the spacing out of the way.
    settings.SURVEY = {**settings.SURVEY, "KIOSK_LIVE_PER_MINUTE": 3}
    Kiosk.objects.filter(pk=kiosk.kiosk.pk).update(min_seconds_between_ratings=0)
    Response.objects.all().delete()
    flags = [
        post_rating(
            kiosk.credential, rating_payload(kiosk_version, when=now + timedelta(seconds=i))
        ).json()["flagged"]
        for i in range(5)
    ]
    # The minute already counts the two above: one more passes, then the cap flags.
    assert flags == [False, True, True, True, True]


@pytest.mark.django_db
def test_a_backlog_over_the_hourly_cap_is_flagged(kiosk, kiosk_version, post_rating, settings):
    settings.SURVEY = {**settings.SURVEY, "KIOSK_BACKLOG_PER_HOUR": 3}
    hour = (timezone.now() - timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    flags = [
        post_rating(
            kiosk.credential, rating_payload(kiosk_version, when=hour + timedelta(minutes=10 * i))
        ).json()["flagged"]
        for i in range(5)
    ]
    assert flags == [False, False, False, True, True]


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_posts_within_the_spacing_window_cannot_both_pass(kiosk, kiosk_version):
    """Both arrive at once, 'given' 3 s apart: the kiosk row lock orders them, so the
    second sees the first whichever wins."""
    now = timezone.now()
    payloads = [
        rating_payload(kiosk_version, when=now - timedelta(seconds=40)),
        rating_payload(kiosk_version, when=now - timedelta(seconds=37)),
    ]
    barrier = threading.Barrier(2)
    statuses = []

    def send(payload):
        try:
            barrier.wait(5)
            reply = Client().post(
                reverse("surveys:kiosk_api_rating"),
                data=json.dumps(payload),
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Kiosk {kiosk.credential}",
            )
            statuses.append(reply.status_code)
        finally:
            connection.close()

    for _round in range(3):
        threads = [threading.Thread(target=send, args=(p,)) for p in payloads]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert statuses[-2:] == [201, 201]
        flags = sorted(Response.objects.values_list("is_misuse", "misuse_reason"))
        assert [flag for flag, _reason in flags] == [False, True], flags
        Response.objects.all().delete()
        Kiosk.objects.filter(pk=kiosk.kiosk.pk).update(live_window_count=0)  # a new minute
        payloads = [
            rating_payload(kiosk_version, when=p_when)
            for p_when in (now - timedelta(seconds=40), now - timedelta(seconds=37))
        ]
