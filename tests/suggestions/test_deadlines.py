"""Working-day arithmetic: one function, checked over weekends and against a day-by-day count."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from suggestions.deadlines import add_working_days, due_at

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
FRIDAY = date(2025, 3, 7)
SATURDAY = date(2025, 3, 8)
SUNDAY = date(2025, 3, 9)


@pytest.mark.parametrize(
    ("start", "count", "expected"),
    [
        (date(2025, 3, 3), 2, date(2025, 3, 5)),  # Monday + 2 → Wednesday
        (FRIDAY, 1, date(2025, 3, 10)),  # Friday + 1 skips the weekend → Monday
        (FRIDAY, 2, date(2025, 3, 11)),  # → Tuesday
        (SATURDAY, 2, date(2025, 3, 11)),  # a Saturday arrival counts from Monday
        (SUNDAY, 1, date(2025, 3, 10)),
        (SATURDAY, 5, date(2025, 3, 14)),  # whole week from a weekend → Friday
        (SUNDAY, 10, date(2025, 3, 21)),
        (date(2025, 3, 5), 10, date(2025, 3, 19)),  # Wednesday + 10 → Wednesday fortnight
        (FRIDAY, 0, FRIDAY),
    ],
)
def test_add_working_days_skips_saturday_and_sunday(start, count, expected):
    assert add_working_days(start, count) == expected


def test_add_working_days_refuses_negative_counts():
    with pytest.raises(ValueError):
        add_working_days(FRIDAY, -1)


def _day_by_day(start: date, count: int) -> date:
    current = start
    while count:
        current += timedelta(days=1)
        if current.weekday() < 5:
            count -= 1
    return current


@given(
    start=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)),
    count=st.integers(min_value=0, max_value=80),
)
def test_add_working_days_agrees_with_counting_day_by_day(start, count):
    result = add_working_days(start, count)
    assert result == _day_by_day(start, count)
    if count:
        assert result.weekday() < 5


def test_deadline_ends_at_local_midnight_after_the_last_working_day():
    # Friday 16:00 in Hà Nội, 2 working days → end of Tuesday, Hà Nội time.
    received = datetime(2025, 3, 7, 16, 0, tzinfo=HANOI)
    assert due_at(received, 2, HANOI) == datetime(2025, 3, 12, 0, 0, tzinfo=HANOI)


def test_deadline_uses_the_local_day_not_the_utc_day():
    # 23:30 UTC on Friday is already Saturday morning in Hà Nội: counts from Monday.
    received = datetime(2025, 3, 7, 23, 30, tzinfo=UTC)
    assert due_at(received, 1, HANOI) == datetime(2025, 3, 11, 0, 0, tzinfo=HANOI)
