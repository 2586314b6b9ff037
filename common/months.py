"""Calendar months, the one place that decides where a report month starts and ends.

Roll-up rows carry the office's *local* day, so a month is a half-open range of
local dates [first day, first day of next month). Raw responses carry an instant;
`local_date()` turns it into the office's local date inside SQL so raw exports and
comments use exactly the same boundaries as the roll-ups.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import DateField, F, Func
from django.db.models.functions import Cast
from django.utils import timezone

EARLIEST = date(2000, 1, 1)
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


class MonthError(ValueError):
    """A month that is malformed or outside the range reports cover."""


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month; `start` is its first day, `end` the first day of the next."""

    year: int
    number: int

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    @classmethod
    def current(cls, tz: str | ZoneInfo | None = None) -> Month:
        """The month it is now in `tz` (default: the project's zone, Asia/Ho_Chi_Minh)."""
        zone = ZoneInfo(tz) if isinstance(tz, str) else tz or ZoneInfo(settings.TIME_ZONE)
        return cls.of(timezone.localtime(timezone.now(), zone).date())

    @classmethod
    def parse(cls, text: str, *, latest: Month | None = None) -> Month:
        """Parse "YYYY-MM"; refuse malformed text and months before 2000 or after `latest`
        (default: the current month)."""
        match = _MONTH_RE.match(text or "")
        if not match:
            raise MonthError(text)
        year, number = int(match[1]), int(match[2])
        if not 1 <= number <= 12 or year < EARLIEST.year:
            raise MonthError(text)
        month = cls(year, number)
        if month > (latest or cls.current()):
            raise MonthError(text)
        return month

    @property
    def start(self) -> date:
        return date(self.year, self.number, 1)

    @property
    def end(self) -> date:
        """First day of the next month (exclusive bound)."""
        return self.next().start

    def next(self) -> Month:
        return Month(self.year + self.number // 12, self.number % 12 + 1)

    def previous(self) -> Month:
        return Month(self.year - (self.number == 1), (self.number - 2) % 12 + 1)

    def minus(self, months: int) -> Month:
        index = self.year * 12 + self.number - 1 - months
        return Month(index // 12, index % 12 + 1)

    def same_month_last_year(self) -> Month:
        return Month(self.year - 1, self.number)

    def last(self, count: int) -> list[Month]:
        """The `count` months ending with this one, oldest first."""
        return [self.minus(i) for i in range(count - 1, -1, -1)]

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.number:02d}"

    @property
    def label(self) -> str:
        """Short numeric label used in every language (charts, tables): 03/2026."""
        return f"{self.number:02d}/{self.year:04d}"


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months, clamped to the end of shorter months (31 Jan + 1 → 28 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last_day))


def instant_window(start: date, end_exclusive: date) -> tuple[datetime, datetime]:
    """UTC instants that surely contain every local day in [start, end) in any zone
    (±14 h); narrow the result exactly with `local_date()`."""
    utc = ZoneInfo("UTC")
    return (
        datetime.combine(start, datetime.min.time(), utc) - timedelta(hours=14),
        datetime.combine(end_exclusive, datetime.min.time(), utc) + timedelta(hours=14),
    )


def local_date(instant_field: str, zone_field: str) -> Cast:
    """SQL expression: the date of `instant_field` in the time zone named by `zone_field`."""
    return Cast(
        Func(F(zone_field), F(instant_field), function="timezone"), output_field=DateField()
    )
