"""Closing a month: from then on, a rating dated into it arrives late.

A month closes for an office when a monthly report covering the office is sent (the
office's own, or a unit's above it: reports/deliveries.py) or, at the latest, on the
closing day of the next month (settings.MONTH_CLOSE_DAY), by the `close-month` job
(reports/tasks.py). A late rating is still stored and counted in the month it was
given (surveys.models.mark_if_late); the month's report then says it was revised.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, tzinfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from common.months import Month
from offices.models import Office
from surveys.models import ClosedMonth, ClosureReason, lock_month


def close_month(
    month: Month,
    offices: Iterable[Office] | None = None,
    *,
    reason: str = ClosureReason.CLOSING_DAY,
    at: datetime | None = None,
) -> int:
    """Close `month` for `offices` (default: every office); the number closed now.

    Idempotent: a month already closed for an office keeps its first closing (its
    time and reason), whatever is asked later."""
    if offices is None:
        offices = Office.objects.all()
    with transaction.atomic():
        # Held until the caller's transaction ends: a report sent in it is built from
        # every rating of the month stored so far, and one stored later is late.
        lock_month(month.start, closing=True)
        at = at or timezone.now()
        rows = [
            ClosedMonth(office_id=pk, month=month.start, closed_at=at, reason=reason)
            for pk in sorted(o.pk for o in offices)  # one order for every writer: no deadlock
        ]
        before = ClosedMonth.objects.filter(month=month.start).count()
        ClosedMonth.objects.bulk_create(rows, ignore_conflicts=True)
        return ClosedMonth.objects.filter(month=month.start).count() - before


def month_to_close(now: datetime, tz: tzinfo) -> Month | None:
    """Last month, from its closing day (local midnight in `tz`) on; else None."""
    local = timezone.localtime(now, tz).date()
    return Month.of(local).previous() if local.day >= settings.MONTH_CLOSE_DAY else None
