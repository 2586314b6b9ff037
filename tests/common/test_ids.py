"""Time-ordered rating ids (UUID version 7): the layout RFC 9562 gives, random where it
should be, and ordered by the millisecond they were made in."""

import time
import uuid

import pytest

from common.ids import time_ordered_uuid


def test_the_id_is_a_version_7_uuid_that_starts_with_the_milliseconds():
    at = 1_796_000_000_123  # 2026-11-29, in Unix milliseconds
    value = time_ordered_uuid(at)
    assert value.version == 7
    assert value.variant == uuid.RFC_4122
    assert value.int >> 80 == at
    # The text form a kiosk sends: the time's 12 hex digits, then the version digit.
    assert str(value).replace("-", "")[:13] == f"{at:012x}7"


def test_ids_of_later_milliseconds_sort_after_earlier_ones_and_never_repeat():
    earlier = [time_ordered_uuid(1_796_000_000_000) for _ in range(500)]
    later = [time_ordered_uuid(1_796_000_000_001) for _ in range(500)]
    assert max(earlier) < min(later)
    assert len(set(earlier + later)) == 1000
    # Within one millisecond the last 62 bits (of the 74 random ones) differ: not a counter.
    assert len({value.int & ((1 << 62) - 1) for value in earlier}) == 500


def test_the_current_time_is_used_by_default():
    before = time.time_ns() // 1_000_000
    value = time_ordered_uuid()
    after = time.time_ns() // 1_000_000
    assert before <= value.int >> 80 <= after


@pytest.mark.parametrize("at", [-1, 1 << 48])
def test_a_time_outside_48_bits_is_refused(at):
    with pytest.raises(ValueError):
        time_ordered_uuid(at)
