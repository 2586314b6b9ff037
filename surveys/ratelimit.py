"""Per-address limits for the public rating pages, counted in Django's cache.

A fixed window per address and method: cheap, and good enough to stop a script
filling in the form in a loop. With several server processes the cache must be
shared (see docs/kiosk.md); the local-memory default counts per process.
"""

from __future__ import annotations

import time
from functools import wraps

from django.core.cache import cache
from django.shortcuts import render

from surveys.submission import client_ip, survey_settings

WINDOW_SECONDS = 600


def limits() -> dict[str, int]:
    return {
        "POST": survey_settings("PUBLIC_POSTS_PER_WINDOW", 20),
        "GET": survey_settings("PUBLIC_VIEWS_PER_WINDOW", 120),
    }


def over_limit(request, scope: str) -> bool:
    limit = limits().get(request.method, limits()["POST"])
    window = int(time.time() // WINDOW_SECONDS)
    key = f"surveys:rl:{scope}:{request.method}:{client_ip(request)}:{window}"
    if cache.add(key, 1, WINDOW_SECONDS + 5):
        return limit < 1
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, WINDOW_SECONDS + 5)
        count = 1
    return count > limit


def rate_limited(scope: str):
    """Answer 429 with a clear page once an address exceeds its limit for `scope`."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if over_limit(request, scope):
                response = render(request, "surveys/too_many_requests.html", status=429)
                response["Retry-After"] = str(WINDOW_SECONDS)
                return response
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
