"""Phone and QR misuse: bursts from one device cookie or one address at one office are
stored flagged (kept, excluded, counted); two concurrent posts cannot both pass."""

import threading
import time
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from surveys.models import PhoneSource, Response
from surveys.phone_misuse import DEVICE_COOKIE
from surveys.tokens import FormToken

pytestmark = pytest.mark.django_db


def token_for(version, seconds_ago=60):
    return FormToken(uuid.uuid4(), time.time() - seconds_ago, version.pk, None, "qr").dumps()


def post(client, office, version, **extra):
    data = {"q_overall": "5", "q_polite": "1", "form_token": token_for(version), **extra}
    return client.post(reverse("surveys:rate", args=[office.pk]) + "?via=qr", data)


def flags():
    return [r.is_misuse for r in Response.objects.order_by("received_at")]


def test_the_form_sets_a_device_cookie_once(client, tree, full_version):
    url = reverse("surveys:rate", args=[tree.office_a.pk])
    first = client.get(url)
    device = first.cookies[DEVICE_COOKIE]
    assert len(device.value) == 32 and device["httponly"]
    assert DEVICE_COOKIE not in client.get(url).cookies  # kept, not replaced


def test_a_burst_from_one_phone_is_flagged_beyond_the_limit(client, tree, full_version, settings):
    settings.SURVEY = {**settings.SURVEY, "PHONE_PER_DEVICE": 2, "PHONE_PER_ADDRESS": 100}
    client.get(reverse("surveys:rate", args=[tree.office_a.pk]))  # the cookie
    for _n in range(4):
        assert post(client, tree.office_a, full_version).status_code == 302
    assert flags() == [False, False, True, True]
    flagged = Response.objects.filter(is_misuse=True).first()
    assert flagged.misuse_reason == "more than 2 ratings from this phone within 15 min"
    # Another phone at the same address, and the same phone at another office, are not.
    other_phone = Client()
    other_phone.get(reverse("surveys:rate", args=[tree.office_a.pk]))
    assert post(other_phone, tree.office_a, full_version).status_code == 302
    assert post(client, tree.office_b, full_version).status_code == 302
    assert Response.objects.filter(is_misuse=False).count() == 4


def test_a_burst_from_one_address_is_flagged_whatever_the_cookies(tree, full_version, settings):
    """A script that drops its cookies is still one address."""
    settings.SURVEY = {**settings.SURVEY, "PHONE_PER_DEVICE": 1, "PHONE_PER_ADDRESS": 3}
    for _n in range(5):
        assert post(Client(), tree.office_a, full_version).status_code == 302
    assert flags() == [False, False, False, True, True]
    assert Response.objects.filter(is_misuse=True).first().misuse_reason == (
        "more than 3 ratings from this address within 15 min"
    )
    # Neither the address nor a cookie is stored in the counters: only keyed hashes.
    keys = list(PhoneSource.objects.values_list("key", flat=True))
    assert keys and all("127.0.0.1" not in key and len(key) == 66 for key in keys)


def test_the_window_passes_and_the_phone_counts_afresh(client, tree, full_version, settings):
    settings.SURVEY = {**settings.SURVEY, "PHONE_PER_DEVICE": 1, "PHONE_WINDOW_SECONDS": 900}
    client.get(reverse("surveys:rate", args=[tree.office_a.pk]))
    post(client, tree.office_a, full_version)
    PhoneSource.objects.update(
        window_started_at=Response.objects.get().received_at.replace(year=2020)
    )
    post(client, tree.office_a, full_version)
    assert flags() == [False, False]


def test_a_replayed_form_is_not_counted_twice(client, tree, full_version, settings):
    settings.SURVEY = {**settings.SURVEY, "PHONE_PER_DEVICE": 1}
    client.get(reverse("surveys:rate", args=[tree.office_a.pk]))
    data = {"q_overall": "5", "q_polite": "1", "form_token": token_for(full_version)}
    url = reverse("surveys:rate", args=[tree.office_a.pk])
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302  # the same form again: stored once
    assert flags() == [False]
    assert set(PhoneSource.objects.values_list("count", flat=True)) == {1}


def test_flagged_phone_ratings_are_excluded_and_counted(client, tree, full_version, settings):
    from reports.indices import satisfaction_summary

    settings.SURVEY = {**settings.SURVEY, "PHONE_PER_DEVICE": 1}
    client.get(reverse("surveys:rate", args=[tree.office_a.pk]))
    for _n in range(3):
        post(client, tree.office_a, full_version)
    day = Response.objects.first().local_day()
    summary = satisfaction_summary([tree.office_a.pk], day, day + timedelta(days=1))
    assert (summary.n, summary.excluded) == (1, 2)


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_posts_from_one_phone_cannot_both_pass(tree, full_version, settings):
    """The counter row's lock (INSERT … ON CONFLICT DO UPDATE) orders them."""
    settings.SURVEY = {**settings.SURVEY, "PHONE_PER_DEVICE": 1, "PHONE_PER_ADDRESS": 100}
    device = "a" * 32
    url = reverse("surveys:rate", args=[tree.office_a.pk]) + "?via=qr"
    statuses = []
    for _round in range(3):
        barrier = threading.Barrier(2)
        forms = [token_for(full_version), token_for(full_version)]

        def send(token, barrier=barrier):
            try:
                client = Client()
                client.cookies[DEVICE_COOKIE] = device
                barrier.wait(5)
                data = {"q_overall": "5", "q_polite": "1", "form_token": token}
                statuses.append(client.post(url, data).status_code)
            finally:
                connection.close()

        threads = [threading.Thread(target=send, args=(t,)) for t in forms]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert statuses[-2:] == [302, 302]
        assert sorted(flags()) == [False, True]
        Response.objects.all().delete()
        PhoneSource.objects.all().delete()


def test_the_nightly_purge_drops_old_counters(tree):
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    now = timezone.now()
    for key, age in (("a:old", timedelta(days=2)), ("a:new", timedelta(minutes=5))):
        PhoneSource.objects.create(
            office=tree.office_a, key=key, window_started_at=now - age, count=1, last_at=now - age
        )
    call_command("purge_personal_data", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert list(PhoneSource.objects.values_list("key", flat=True)) == ["a:new"]
