"""Identifiers whose order follows time: UUID version 7 (RFC 9562, section 5.7).

A rating's id is its primary key and its idempotency key. With random (version 4) ids,
each new rating lands on a random page of the primary-key index and of the answers'
index on it: at millions of ratings those pages are rarely in memory, and the first
change to each after a checkpoint writes the whole page to the WAL. A version 7 id starts
with the time in milliseconds, so new ids land at the right-hand end of those indexes,
on the few pages already in memory. The other 74 bits are random: an id is still
unguessable and unique without coordination between kiosks, phones and servers.
"""

from __future__ import annotations

import os
import time
import uuid

_MS_BITS = 48


def time_ordered_uuid(at_ms: int | None = None) -> uuid.UUID:
    """A new version 7 UUID for the current time (or `at_ms`, Unix milliseconds)."""
    ms = time.time_ns() // 1_000_000 if at_ms is None else at_ms
    if not 0 <= ms < 1 << _MS_BITS:
        raise ValueError("the time does not fit in 48 bits of milliseconds")
    random_bits = int.from_bytes(os.urandom(10), "big")  # 80 bits, 74 of them used
    rand_a = random_bits >> 68  # 12 bits
    rand_b = random_bits & ((1 << 62) - 1)  # 62 bits
    value = ms << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b
    return uuid.UUID(int=value)
