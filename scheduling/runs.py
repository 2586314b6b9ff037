"""Run a piece of work once per job and period, whatever the number of workers."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from scheduling.models import JobRun


def run_once(job: str, period: str, work: Callable[[], dict | None]) -> bool:
    """Run `work` unless this job already ran for `period`; True when it ran now.

    The claim (a row under a unique constraint) and the work commit in one
    transaction: a second worker waits on the first one's row and then finds it,
    and work that fails rolls its claim back, so the next run tries again.
    """
    with transaction.atomic():
        run, created = JobRun.objects.get_or_create(job=job, period=period)
        if not created:
            return False
        run.detail = work() or {}
        run.finished_at = timezone.now()
        run.save(update_fields=["detail", "finished_at"])
    return True
