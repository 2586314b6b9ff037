"""The one rate limiter: a fixed window per address in the shared cache, 429 with
Retry-After and a translated page."""

import pytest
from django.core.cache import cache
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import translation

from common.ratelimit import hit, rate_limited


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "test_limit": (2, 60)}
    cache.clear()
    yield
    cache.clear()


def request_from(address: str, method: str = "get"):
    request = getattr(RequestFactory(), method)("/")
    request.META["REMOTE_ADDR"] = address
    return request


def test_hit_counts_per_address_and_says_how_long_to_wait():
    assert hit(request_from("203.0.113.1"), "test_limit") is None
    assert hit(request_from("203.0.113.1"), "test_limit") is None
    wait = hit(request_from("203.0.113.1"), "test_limit")
    assert wait is not None and 1 <= wait <= 60
    assert hit(request_from("203.0.113.2"), "test_limit") is None


def test_limits_are_counted_apart():
    for _ in range(2):
        hit(request_from("203.0.113.1"), "test_limit")
    assert hit(request_from("203.0.113.1"), "survey_view") is None


@pytest.mark.parametrize(("language", "text"), [("en", "Too many requests"), ("vi", "Quá nhiều")])
def test_the_decorator_answers_429_with_retry_after_in_the_visitors_language(language, text):
    @rate_limited("test_limit")
    def view(request):
        return HttpResponse("ok")

    with translation.override(language):
        responses = [view(request_from("198.51.100.4")) for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 429]
    assert 1 <= int(responses[2]["Retry-After"]) <= 60
    assert text in responses[2].content.decode()


def test_a_limit_chosen_per_request_may_leave_a_request_unlimited():
    @rate_limited(lambda request: "test_limit" if request.method == "POST" else None)
    def view(request):
        return HttpResponse("ok")

    assert [view(request_from("198.51.100.5")).status_code for _ in range(4)] == [200] * 4
    posts = [view(request_from("198.51.100.5", "post")).status_code for _ in range(3)]
    assert posts == [200, 200, 429]


def test_every_limit_is_declared_with_requests_and_a_window(settings):
    for name, (requests, window) in settings.RATE_LIMITS.items():
        assert requests >= 1 and window >= 1, name
