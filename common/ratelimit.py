"""Per-address rate limits, counted in Django's (shared) cache.

Every limit is declared in `settings.RATE_LIMITS` as `name: (requests, window_seconds)`.
A fixed window per address and limit: the window is the current multiple of its length,
so every server process that shares the cache counts into the same key, and the answer
to a request over the limit says how long until the window closes (`Retry-After`).

    @rate_limited("survey_form_post", template="surveys/too_many_requests.html")
    def view(request): ...

    wait = hit(request, "suggestion_lookup")   # None, or seconds until allowed again
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from common.net import client_ip

DEFAULT_TEMPLATE = "too_many_requests.html"


def limit_of(name: str) -> tuple[int, int]:
    """(requests, window seconds) of the limit `name` in settings.RATE_LIMITS."""
    requests, window = settings.RATE_LIMITS[name]
    return int(requests), int(window)


def hit(request: HttpRequest, name: str, *, who: str | None = None) -> int | None:
    """Count one request against limit `name`; None when allowed, else seconds to wait.

    Counted per client address, or per `who` when the caller knows who is asking (an
    API client's id: many clients may share one address, one client many addresses)."""
    limit, window = limit_of(name)
    now = time.time()
    number = int(now // window)
    key = _key(request, name, who, number)
    if cache.add(key, 1, window + 5):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # the key expired between add() and incr()
            cache.set(key, 1, window + 5)
            count = 1
    if count <= limit:
        return None
    return max(1, math.ceil((number + 1) * window - now))


def _key(request: HttpRequest, name: str, who: str | None, number: int) -> str:
    return f"rl:{name}:{who or client_ip(request) or 'unknown'}:{number}"


def over_limit(request: HttpRequest, name: str, *, who: str | None = None) -> int | None:
    """Like `hit`, but counts nothing: for limits on failures only (wrong PINs), checked
    before the attempt and counted with `hit` when it fails."""
    limit, window = limit_of(name)
    now = time.time()
    number = int(now // window)
    if cache.get(_key(request, name, who, number), 0) < limit:
        return None
    return max(1, math.ceil((number + 1) * window - now))


def too_many_requests(
    request: HttpRequest,
    retry_after: int,
    template: str = DEFAULT_TEMPLATE,
    context: dict[str, Any] | None = None,
) -> HttpResponse:
    """The 429 page (translated by its template) with a Retry-After header."""
    context = {"retry_after_minutes": max(1, math.ceil(retry_after / 60)), **(context or {})}
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def rate_limited(
    limit: str | Callable[[HttpRequest], str | None],
    *,
    template: str = DEFAULT_TEMPLATE,
    context: Callable[[HttpRequest], dict[str, Any]] | None = None,
) -> Callable:
    """Answer 429 once the client is over `limit`: a limit name, or a function of the
    request that names one (or returns None: not limited, e.g. per HTTP method)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            name = limit(request) if callable(limit) else limit
            wait = hit(request, name) if name else None
            if wait is not None:
                extra = context(request) if context else None
                return too_many_requests(request, wait, template, extra)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
