"""Per-address rate limits for the public pages, counted in Django's cache.

A fixed window per address: the first request opens it, later ones count until
it expires. With several server processes the cache must be shared (a database
or Redis cache); the default per-process memory cache only limits per process.
"""

from django.core.cache import cache


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR") or "unknown"


def allow(request, scope: str, limit: int, window_seconds: int) -> bool:
    """Count one request of `scope` from the client's address; False once over `limit`."""
    key = f"suggestions:rate:{scope}:{client_ip(request)}"
    cache.add(key, 0, timeout=window_seconds)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window_seconds)
        count = 1
    return count <= limit
