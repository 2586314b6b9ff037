"""Client addresses behind a proxy: one answer (common.net.client_ip) for rate limits,
lock-outs and audit events; X-Forwarded-For is believed only from trusted proxies."""

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory
from django.urls import reverse

from common.net import client_ip, parse_trusted_proxies
from offices.models import AuditEvent
from tests.conftest import PASSWORD

NGINX = "127.0.0.1"


def request_from(remote: str | None, forwarded: str | None = None):
    meta = {}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    request = RequestFactory().get("/", **meta)
    if remote is None:
        del request.META["REMOTE_ADDR"]
    else:
        request.META["REMOTE_ADDR"] = remote
    return request


@pytest.mark.parametrize(
    ("trusted", "remote", "forwarded", "expected"),
    [
        # Nobody trusted (the default): the connection's address, whatever XFF says.
        (0, "203.0.113.7", "198.51.100.1", "203.0.113.7"),
        ((), "203.0.113.7", "198.51.100.1", "203.0.113.7"),
        # One proxy: the entry it appended (the right-most), not the client's own claims.
        (1, NGINX, "198.51.100.1", "198.51.100.1"),
        (1, NGINX, "6.6.6.6, 198.51.100.1", "198.51.100.1"),
        (2, NGINX, "6.6.6.6, 198.51.100.1, 10.0.0.2", "198.51.100.1"),
        # Fewer hops than proxies: the left-most there is; none at all: the connection.
        (2, NGINX, "198.51.100.1", "198.51.100.1"),
        (1, NGINX, None, NGINX),
        # Networks: the right-most address outside them.
        (["127.0.0.0/8", "10.0.0.0/8"], NGINX, "6.6.6.6, 198.51.100.1, 10.1.2.3", "198.51.100.1"),
        (["127.0.0.0/8"], NGINX, "2001:db8::5", "2001:db8::5"),
        # The connection does not come from a trusted proxy: XFF is ignored.
        (["127.0.0.0/8"], "203.0.113.7", "198.51.100.1", "203.0.113.7"),
        # Garbage where an address should be: stop at the last address that is one.
        (1, NGINX, "not-an-address", NGINX),
        (["127.0.0.0/8"], NGINX, "198.51.100.1, <script>", NGINX),
        # No usable connection address at all.
        (0, None, None, None),
        (0, "", None, None),
    ],
)
def test_client_ip_takes_the_right_most_untrusted_address(
    settings, trusted, remote, forwarded, expected
):
    settings.TRUSTED_PROXIES = trusted
    assert client_ip(request_from(remote, forwarded)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0", 0), ("2", 2), ("", ()), ("127.0.0.1", ("127.0.0.1/32",)), ("10.0.0.0/8, ::1", None)],
)
def test_trusted_proxies_reads_a_count_or_networks(text, expected):
    parsed = parse_trusted_proxies(text)
    if isinstance(expected, int):
        assert parsed == expected
    elif expected is not None:
        assert tuple(map(str, parsed)) == expected
    else:
        assert [str(n) for n in parsed] == ["10.0.0.0/8", "::1/128"]


@pytest.mark.parametrize("text", ["ten", "10.0.0.0/33", "-1"])
def test_a_bad_trusted_proxies_value_stops_the_start(text):
    with pytest.raises(ImproperlyConfigured):
        parse_trusted_proxies(text if text != "-1" else -1)


def test_nobody_is_trusted_by_default():
    assert django_settings.TRUSTED_PROXIES == 0


# --- The same answer everywhere ------------------------------------------------------------


@pytest.fixture
def behind_nginx(settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1/32"]
    cache.clear()
    yield
    cache.clear()


def lookup(client, forwarded: str, remote: str = NGINX):
    return client.get(
        reverse("suggestions:status", args=["ABCD-EFGH"]),
        REMOTE_ADDR=remote,
        HTTP_X_FORWARDED_FOR=forwarded,
        HTTP_ACCEPT_LANGUAGE="en",
    )


@pytest.mark.django_db
def test_behind_a_trusted_proxy_two_clients_are_limited_separately(client, settings, behind_nginx):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "suggestion_lookup": (2, 600)}
    assert [lookup(client, "198.51.100.1").status_code for _ in range(3)] == [404, 404, 429]
    # The second citizen behind the same nginx is not affected by the first one's limit.
    assert lookup(client, "198.51.100.2").status_code == 404
    blocked = lookup(client, "198.51.100.1")
    assert blocked.status_code == 429 and "Too many requests" in blocked.text
    assert 0 < int(blocked["Retry-After"]) <= 600


@pytest.mark.django_db
def test_with_an_untrusted_proxy_a_forged_forwarded_for_changes_nothing(client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "suggestion_lookup": (2, 600)}
    cache.clear()
    statuses = [
        lookup(client, f"198.51.100.{n}", remote="203.0.113.7").status_code for n in range(3)
    ]
    assert statuses == [404, 404, 429]  # a new forged address each time: still one client
    cache.clear()


def login(client, forwarded: str, password: str):
    return client.post(
        reverse("login"),
        {"username": "alice", "password": password},
        REMOTE_ADDR=NGINX,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


@pytest.mark.django_db
def test_a_lockout_of_one_address_does_not_lock_the_user_out_from_another(
    client, alice, settings, behind_nginx
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "198.51.100.66", "wrong password")
    assert login(client, "198.51.100.66", PASSWORD).status_code == 429
    # The real alice, at her office's address behind the same nginx, still logs in.
    assert login(client, "203.0.113.10", PASSWORD).status_code == 302
    from axes.models import AccessAttempt

    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["198.51.100.66"]


@pytest.mark.django_db
def test_audit_events_record_the_client_not_the_proxy(client, alice, behind_nginx):
    login(client, "198.51.100.9", PASSWORD)
    client.post(reverse("logout"), REMOTE_ADDR=NGINX, HTTP_X_FORWARDED_FOR="198.51.100.9")
    addresses = set(AuditEvent.objects.values_list("ip_address", flat=True))
    assert addresses == {"198.51.100.9"}
