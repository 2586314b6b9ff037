"""Working-day arithmetic for the suggestion deadlines: the one place that knows it.

A working day is Monday to Friday (public holidays are not modelled yet). A
suggestion received on any day is due by the end of the n-th working day after
that day, in the office's time zone: received on Friday, due within 2 working
days, means seen by the end of Tuesday.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SATURDAY = 5


def is_working_day(day: date) -> bool:
    return day.weekday() < SATURDAY


def add_working_days(day: date, count: int) -> date:
    """The date `count` working days after `day` (`count` >= 0; 0 gives `day` itself)."""
    if count < 0:
        raise ValueError("count must not be negative")
    # Whole weeks first, so long deadlines do not loop day by day.
    weeks, rest = divmod(count, 5)
    current = day + timedelta(weeks=weeks)
    if weeks and not is_working_day(current):
        # A weekend start moved by whole weeks lands on a weekend again; step back to Friday
        # so that the remaining days count from the last working day reached.
        current -= timedelta(days=current.weekday() - 4)
    while rest:
        current += timedelta(days=1)
        if is_working_day(current):
            rest -= 1
    return current


def due_at(received_at: datetime, working_days: int, tz: ZoneInfo) -> datetime:
    """The instant a deadline of `working_days` ends: midnight after the last working day."""
    last_day = add_working_days(received_at.astimezone(tz).date(), working_days)
    return datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=tz)
