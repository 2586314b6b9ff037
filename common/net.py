"""The client's address, the one answer used by rate limits, lock-outs and audit events.

Behind a reverse proxy every request comes from the proxy, so REMOTE_ADDR alone would
make one person's requests count for everyone. The proxies are trusted only when
`settings.TRUSTED_PROXIES` says so:

* `0` or `[]` (the default): no proxy is trusted; REMOTE_ADDR is the client and
  X-Forwarded-For is ignored, whatever it says;
* a count N: the last N hops (REMOTE_ADDR and the right-most entries of
  X-Forwarded-For) are proxies; the next address to the left is the client;
* a list of networks (`["127.0.0.1/32", "10.0.0.0/8"]`): walking from REMOTE_ADDR
  leftwards through X-Forwarded-For, the first address outside them is the client.

Only the right-most entries can be trusted: a client can put anything at the left of
X-Forwarded-For, while each proxy appends the address it saw.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:  # config/settings.py imports this module: keep its imports light
    from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_trusted_proxies(value: object) -> int | tuple[Network, ...]:
    """The setting as a hop count or a tuple of networks; ImproperlyConfigured otherwise."""
    if isinstance(value, bool):
        raise ImproperlyConfigured("TRUSTED_PROXIES must be a count or a list of networks.")
    if isinstance(value, int):
        if value < 0:
            raise ImproperlyConfigured("TRUSTED_PROXIES must not be negative.")
        return value
    if isinstance(value, str):
        value = [item.strip() for item in value.split(",") if item.strip()]
        if len(value) == 1 and value[0].isascii() and value[0].isdigit():
            return int(value[0])
    try:
        return tuple(ipaddress.ip_network(str(item), strict=False) for item in value)  # type: ignore[attr-defined]
    except (TypeError, ValueError) as error:
        raise ImproperlyConfigured(
            f"TRUSTED_PROXIES must be a count or a list of networks, not {value!r} ({error})."
        ) from None


@lru_cache(maxsize=8)
def _trusted(value: int | tuple[str, ...]) -> int | tuple[Network, ...]:
    return parse_trusted_proxies(value)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The client's address under the trusted-proxy rule above; None when unknown."""
    remote = _address(request.META.get("REMOTE_ADDR") or "")
    if remote is None:
        return None
    setting = getattr(settings, "TRUSTED_PROXIES", 0)
    trusted = _trusted(setting if isinstance(setting, int) else tuple(map(str, setting)))
    if not trusted:
        return str(remote)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    # Right to left: the address this server saw, then what each proxy appended.
    hops = [remote, *[_address(item) for item in reversed(forwarded.split(",")) if item.strip()]]
    if isinstance(trusted, int):
        steps = trusted
        client = remote
        for hop in hops[1:]:
            if steps == 0 or hop is None:
                break
            client, steps = hop, steps - 1
        return str(client)
    client = remote
    for hop in hops[1:]:
        if not any(client in network for network in trusted) or hop is None:
            break
        client = hop
    return str(client)
