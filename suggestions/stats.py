"""Monthly figures of the suggestion book — the contract the reports read.

    monthly_figures(office_ids, start, end_exclusive) -> SuggestionFigures
    monthly_figures_by_office(office_ids, start, end_exclusive) -> dict[int, SuggestionFigures]

`start` and `end_exclusive` are calendar dates; each office's period runs from
midnight of `start` to midnight of `end_exclusive` in that office's own time
zone. `office_ids` is a list of ids or a QuerySet of ids (used as a subquery).
Each function is exactly one SQL query, however many offices or suggestions (the
per-office one groups by office, and lists a QuerySet of ids first, one more
query); neither checks scope — pass only office ids the reader may see, e.g.
`Office.objects.visible_to(user).values("pk")`.

Definitions (deadlines are fixed when a suggestion arrives, in working days,
see suggestions.deadlines and the SUGGESTIONS settings):

- received: suggestions that arrived in the period.
- seen_in_time: of those, how many got their first "Seen" stamp by the seen deadline.
  seen_assessable is the denominator: those already seen, or whose seen deadline
  has passed by now (a suggestion still within its deadline is not yet judged).
  seen_in_time_pct = 100 × seen_in_time / seen_assessable (None when 0).
- answered_in_time, answer_assessable, answered_in_time_pct: the same for the first reply.
- median_days_to_seen / median_days_to_answer: median of (first stamp or reply − arrival)
  in calendar days (fractional), over the period's suggestions seen / answered so far.
- open: suggestions that arrived before the end of the period and were neither
  answered nor closed at its end ("at its end" = now, for a period not over yet).
- overdue: of the open ones, those past their answer deadline, or not yet seen
  and past their seen deadline, at that same moment.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import (
    Aggregate,
    Count,
    DateTimeField,
    F,
    FloatField,
    Func,
    Q,
    Value,
)
from django.db.models.functions import Least, Now

from suggestions.models import Suggestion

if TYPE_CHECKING:
    from typing import TypeAlias

    from django.db.models import QuerySet

    from suggestions.models import SuggestionQuerySet

    # A list of ids, or a QuerySet of ids used as a subquery (values("pk") or values_list).
    OfficeIds: TypeAlias = Iterable[int] | QuerySet[Any, Any]


@dataclass(frozen=True)
class SuggestionFigures:
    received: int = 0
    seen_in_time: int = 0
    seen_assessable: int = 0
    answered_in_time: int = 0
    answer_assessable: int = 0
    median_days_to_seen: float | None = None
    median_days_to_answer: float | None = None
    open: int = 0
    overdue: int = 0

    @property
    def seen_in_time_pct(self) -> float | None:
        return _pct(self.seen_in_time, self.seen_assessable)

    @property
    def answered_in_time_pct(self) -> float | None:
        return _pct(self.answered_in_time, self.answer_assessable)


def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


class _LocalMidnight(Func):
    """PostgreSQL `timezone(zone, 'YYYY-MM-DD'::timestamp)`: the instant a local day begins."""

    function = "timezone"
    template = "%(function)s(%(expressions)s::timestamp)"
    output_field = DateTimeField()

    def __init__(self, zone: F, day: date) -> None:
        super().__init__(zone, Value(day.isoformat()))


class _DaysBetween(Func):
    template = "(EXTRACT(EPOCH FROM (%(expressions)s)) / 86400.0)"
    arg_joiner = " - "
    output_field = FloatField()


class _Median(Aggregate):
    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def _aggregates(start: date, end_exclusive: date) -> dict[str, Aggregate]:
    zone = F("office__time_zone")
    period_start = _LocalMidnight(zone, start)
    period_end = _LocalMidnight(zone, end_exclusive)
    as_of = Least(period_end, Now())
    arrived = Q(created_at__gte=period_start, created_at__lt=period_end)
    seen_known = Q(first_seen_at__isnull=False) | Q(seen_due_at__lt=Now())
    answer_known = Q(answered_at__isnull=False) | Q(answer_due_at__lt=Now())
    still_open = (
        Q(created_at__lt=period_end)
        & (Q(answered_at__isnull=True) | Q(answered_at__gte=as_of))
        & (Q(closed_at__isnull=True) | Q(closed_at__gte=as_of))
    )
    unseen_then = Q(first_seen_at__isnull=True) | Q(first_seen_at__gte=as_of)
    late_then = Q(answer_due_at__lt=as_of) | (unseen_then & Q(seen_due_at__lt=as_of))
    return {
        "received": Count("pk", filter=arrived),
        "seen_in_time": Count("pk", filter=arrived & Q(first_seen_at__lte=F("seen_due_at"))),
        "seen_assessable": Count("pk", filter=arrived & seen_known),
        "answered_in_time": Count("pk", filter=arrived & Q(answered_at__lte=F("answer_due_at"))),
        "answer_assessable": Count("pk", filter=arrived & answer_known),
        "median_days_to_seen": _Median(
            _DaysBetween("first_seen_at", "created_at"),
            filter=arrived & Q(first_seen_at__isnull=False),
        ),
        "median_days_to_answer": _Median(
            _DaysBetween("answered_at", "created_at"),
            filter=arrived & Q(answered_at__isnull=False),
        ),
        "open": Count("pk", filter=still_open),
        "overdue": Count("pk", filter=still_open & late_then),
    }


def _figures(row: Mapping[str, Any]) -> SuggestionFigures:
    def days(value: float | None) -> float | None:
        return None if value is None else round(value, 2)

    return SuggestionFigures(
        received=row["received"],
        seen_in_time=row["seen_in_time"],
        seen_assessable=row["seen_assessable"],
        answered_in_time=row["answered_in_time"],
        answer_assessable=row["answer_assessable"],
        median_days_to_seen=days(row["median_days_to_seen"]),
        median_days_to_answer=days(row["median_days_to_answer"]),
        open=row["open"],
        overdue=row["overdue"],
    )


def _base(office_ids: OfficeIds, end_exclusive: date) -> SuggestionQuerySet[Suggestion]:
    # Only rows that can count at all arrived before the period's end. The exact bound is
    # local midnight per office (inside the aggregates); this coarser one, a day later in
    # UTC, holds for every time zone and lets the index skip later rows.
    latest = datetime.combine(end_exclusive + timedelta(days=1), time.min, tzinfo=UTC)
    return Suggestion.objects.filter(office_id__in=office_ids, created_at__lt=latest)


def monthly_figures(office_ids: OfficeIds, start: date, end_exclusive: date) -> SuggestionFigures:
    """The figures of all `office_ids` together for [start, end_exclusive). One query."""
    row = _base(office_ids, end_exclusive).aggregate(**_aggregates(start, end_exclusive))
    return _figures(row)


def monthly_figures_by_office(
    office_ids: Iterable[int], start: date, end_exclusive: date
) -> dict[int, SuggestionFigures]:
    """The same figures per office, in one grouped query; every requested office is a key
    (offices without suggestions get zero figures)."""
    office_ids = list(office_ids)
    rows = (
        _base(office_ids, end_exclusive)
        .order_by()
        .values("office_id")
        .annotate(**_aggregates(start, end_exclusive))
    )
    figures = {office_id: SuggestionFigures() for office_id in office_ids}
    for row in rows:
        figures[row["office_id"]] = _figures(row)
    return figures
