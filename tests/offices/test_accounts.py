"""Officials' accounts: password change and reset by e-mail, and failed log-ins that
cannot grow the tables with every name an attacker tries."""

import re

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from offices.auth import UNKNOWN_USERNAME
from offices.models import AuditEvent
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_limits():
    cache.clear()


def test_an_official_changes_their_password(client, alice):
    client.force_login(alice)
    page = client.get(reverse("password_change"))
    assert page.status_code == 200 and 'name="old_password"' in page.text
    reply = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a brand new passphrase 42",
            "new_password2": "a brand new passphrase 42",
        },
    )
    assert reply.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("a brand new passphrase 42")
    client.logout()
    assert client.get(reverse("password_change")).status_code == 302  # login first


def test_a_password_is_reset_by_e_mail(client, alice):
    assert reverse("password_reset") in client.get(reverse("login")).text
    reply = client.post(reverse("password_reset"), {"email": alice.email})
    assert reply.status_code == 302 and len(mail.outbox) == 1
    link = re.search(r"https?://[^\s]+/accounts/password/reset/[^\s]+/", mail.outbox[0].body)
    assert link, mail.outbox[0].body
    path = link.group(0).split("testserver", 1)[-1]
    form = client.get(path, follow=True)
    assert form.status_code == 200 and 'name="new_password1"' in form.text
    reply = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "reset passphrase 2026", "new_password2": "reset passphrase 2026"},
    )
    assert reply.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("reset passphrase 2026")
    # The link works once.
    assert 'name="new_password1"' not in client.get(path, follow=True).text


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, alice):
    reply = client.post(reverse("password_reset"), {"email": "nobody@example.vn"})
    assert reply.status_code == 302 and reply["Location"] == reverse("password_reset_done")
    assert mail.outbox == []


def test_password_reset_requests_are_rate_limited_per_address(client, alice, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "password_reset": (2, 3600)}
    for _ in range(2):
        client.post(reverse("password_reset"), {"email": alice.email}, REMOTE_ADDR="10.0.0.5")
    refused = client.post(reverse("password_reset"), {"email": alice.email}, REMOTE_ADDR="10.0.0.5")
    assert refused.status_code == 429 and "Retry-After" in refused
    assert len(mail.outbox) == 2
    other = client.post(reverse("password_reset"), {"email": alice.email}, REMOTE_ADDR="10.0.0.6")
    assert other.status_code == 302


def test_failed_logins_with_unknown_usernames_do_not_grow_the_tables(client, alice):
    for n in range(12):
        client.post(
            reverse("login"), {"username": f"guess-{n}", "password": "x"}, REMOTE_ADDR="10.3.3.3"
        )
    attempts = list(AccessAttempt.objects.values_list("username", flat=True))
    assert attempts == [UNKNOWN_USERNAME]  # one row for every unknown name from the address
    failed = AuditEvent.objects.filter(action="login.failed")
    assert set(failed.values_list("username", flat=True)) == {UNKNOWN_USERNAME}
    # A known name is still recorded and locked on its own.
    client.post(reverse("login"), {"username": "alice", "password": "x"}, REMOTE_ADDR="10.3.3.3")
    assert AccessAttempt.objects.filter(username="alice").count() == 1


def test_log_in_posts_are_rate_limited_per_address(client, alice, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login": (3, 600)}
    for n in range(3):
        client.post(
            reverse("login"), {"username": f"g{n}", "password": "x"}, REMOTE_ADDR="10.4.4.4"
        )
    refused = client.post(
        reverse("login"), {"username": "g", "password": "x"}, REMOTE_ADDR="10.4.4.4"
    )
    assert refused.status_code == 429
    assert AuditEvent.objects.filter(action="login.failed").count() == 3
