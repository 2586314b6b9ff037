import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_pages_carry_a_strict_content_security_policy(client):
    response = client.get(reverse("home"))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_no_inline_scripts_in_rendered_pages(client):
    html = client.get(reverse("home")).text + client.get(reverse("login")).text
    assert "<script>" not in html
    assert " onclick=" not in html
    assert " style=" not in html


def login(client, username, password, ip="10.0.0.5"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def test_login_locks_out_after_repeated_failures_and_not_by_address_alone(client, alice, bob):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "alice", "wrong password")
    locked = login(client, "alice", "correct horse battery")
    assert locked.status_code == 429
    assert "Đăng nhập sai quá nhiều lần" in locked.text
    # A colleague behind the same office address still logs in.
    ok = login(client, "bob", "correct horse battery")
    assert ok.status_code == 302


def test_lockout_lifts_after_the_cool_off(client, alice, settings):
    from axes.models import AccessAttempt
    from django.utils import timezone

    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "alice", "wrong password")
    assert login(client, "alice", "correct horse battery").status_code == 429
    # Age the recorded failures past the cool-off, as time passing would.
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME * 2)
    assert login(client, "alice", "correct horse battery").status_code == 302


def test_successful_login_lands_on_my_offices(client, alice):
    response = login(client, "alice", "correct horse battery")
    assert response.status_code == 302
    assert response["Location"] == reverse("offices:my_offices")


def test_session_ends_after_absolute_lifetime(client, alice, settings):
    import time

    from config.middleware import SESSION_STARTED_KEY

    client.force_login(alice)
    assert client.get(reverse("offices:my_offices")).status_code == 200
    session = client.session
    session[SESSION_STARTED_KEY] = int(time.time()) - settings.SESSION_ABSOLUTE_LIFETIME - 1
    session.save()
    response = client.get(reverse("offices:my_offices"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def _stored_expiry(client):
    from django.contrib.sessions.models import Session

    return Session.objects.get(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value)


def test_a_session_in_use_is_written_at_most_once_a_refresh_interval(client, alice):
    """Alice reads pages: the first refreshes her idle expiry (stored and in the cookie),
    the next within the interval writes nothing; once the interval has passed the next
    page moves the expiry on again."""
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from config.middleware import IDLE_REFRESHED_KEY

    client.force_login(alice)
    page = reverse("offices:my_offices")
    first = client.get(page)
    assert first.status_code == 200
    assert settings.SESSION_COOKIE_NAME in first.cookies  # the expiry moved on: cookie re-sent
    stored = _stored_expiry(client)
    # Pretend the expiry was stored earlier: a page within the interval leaves it alone.
    earlier = stored.expire_date - timezone.timedelta(seconds=20)
    Session.objects.filter(pk=stored.pk).update(expire_date=earlier)
    again = client.get(page)
    assert again.status_code == 200
    assert settings.SESSION_COOKIE_NAME not in again.cookies
    assert _stored_expiry(client).expire_date == earlier

    session = client.session
    session[IDLE_REFRESHED_KEY] -= settings.SESSION_IDLE_REFRESH_SECONDS
    session.save()
    Session.objects.filter(pk=stored.pk).update(expire_date=earlier)
    later = client.get(page)
    assert later.status_code == 200
    assert settings.SESSION_COOKIE_NAME in later.cookies
    refreshed = _stored_expiry(client).expire_date
    assert refreshed > earlier
    assert refreshed > timezone.now() + timezone.timedelta(seconds=settings.SESSION_COOKIE_AGE - 5)


def test_an_idle_session_ends_and_a_stale_cookie_makes_no_new_session(client, alice):
    """Alice's session has gone idle past its expiry: her next page asks her to sign in,
    and the old cookie is not turned into a new, empty session row."""
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    client.force_login(alice)
    assert client.get(reverse("offices:my_offices")).status_code == 200
    stored = _stored_expiry(client)
    Session.objects.filter(pk=stored.pk).update(
        expire_date=timezone.now() - timezone.timedelta(seconds=1)
    )
    response = client.get(reverse("offices:my_offices"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert not Session.objects.filter(expire_date__gt=timezone.now()).exists()
    assert client.get(reverse("home")).status_code == 200
    assert not Session.objects.filter(expire_date__gt=timezone.now()).exists()
