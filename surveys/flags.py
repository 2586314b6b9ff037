"""Flagged ratings: what they were flagged for, in kinds a person can filter and count.

A flag's reason is stored as English text for the record ("arrived 3.1 s after another
rating from this kiosk; …"). The kind of a rating's flag is that of its first reason,
read from the text by the patterns below (one source of truth, also used in SQL), so
every flagged rating counts under exactly one kind and the kinds add up to the
"excluded" figure of a report.
"""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING

from django.db.models import Case, CharField, Count, Q, Value, When
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _

from common.months import instant_window, local_date
from surveys.models import Response

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from offices.models import Office

OTHER = "other"
# (kind, label, PostgreSQL regular expression matching the start of the stored reason)
REASON_KINDS = (
    ("too_fast", _("Answered faster than a person can"), r"^completed in "),
    (
        "spacing",
        _("Too close to another rating from the same kiosk"),
        r"^(arrived [^;]* after another rating|another rating from this kiosk within)",
    ),
    ("kiosk_rate", _("Too many live ratings from one kiosk"), r"^more than [0-9]+ live ratings"),
    (
        "backlog",
        _("A kiosk backlog no real queue could produce"),
        r"^(given before this kiosk|older than a rating this kiosk"
        r"|more than [0-9]+ ratings from this kiosk)",
    ),
    ("device", _("Too many ratings from one phone"), r"^more than [0-9]+ ratings from this phone"),
    (
        "address",
        _("Too many ratings from one address"),
        r"^more than [0-9]+ ratings from this address",
    ),
)
KIND_LABELS = {kind: label for kind, label, _pattern in REASON_KINDS} | {OTHER: _("Other")}
KIND_CHOICES = list(KIND_LABELS.items())


def reason_kind() -> Case:
    """The kind of a Response's flag, as an SQL expression (annotate or filter on it)."""
    return Case(
        *(
            When(misuse_reason__regex=pattern, then=Value(kind))
            for kind, _l, pattern in REASON_KINDS
        ),
        default=Value(OTHER),
        output_field=CharField(),
    )


def local_day() -> Cast:
    """A rating's local date in its office's time zone (the roll-ups' day), in SQL."""
    return local_date("submitted_at", "office__time_zone")


def flagged_in(
    offices: QuerySet[Office], start: date, end_exclusive: date, where: Q | None = None
) -> QuerySet[Response]:
    """Flagged ratings of `offices` given on local days [start, end_exclusive); the
    partial index on flagged ratings serves the coarse time bound."""
    low, high = instant_window(start, end_exclusive)
    flagged = Response.objects.filter(
        office__in=offices, is_misuse=True, submitted_at__gte=low, submitted_at__lt=high
    )
    flagged = flagged.alias(given_day=local_day()).filter(
        given_day__gte=start, given_day__lt=end_exclusive
    )
    return flagged.filter(where) if where is not None else flagged


def excluded_by_kind(
    offices: QuerySet[Office], start: date, end_exclusive: date, where: Q | None = None
) -> list[tuple[str, str, int]]:
    """[(kind, label, count)] of the flagged ratings in the period, most first (one query)."""
    rows = (
        flagged_in(offices, start, end_exclusive, where)
        .annotate(kind=reason_kind())
        .values("kind")
        .annotate(count=Count("pk"))
        .order_by()
    )
    counts = {row["kind"]: row["count"] for row in rows}
    return sorted(
        ((kind, str(KIND_LABELS[kind]), n) for kind, n in counts.items() if n),
        key=lambda row: (-row[2], row[0]),
    )


def kind_of(reason: str) -> str:
    """The kind of one stored reason, in Python (the same patterns as `reason_kind`)."""
    for kind, _label, pattern in REASON_KINDS:
        if re.match(pattern, reason or ""):
            return kind
    return OTHER
