"""The periodic jobs' schedules in the database, from settings.SCHEDULED_JOBS.

Each job becomes one django-q2 `Schedule` row named after it (a cron expression in
TIME_ZONE). `migrate` creates missing rows and re-points a renamed function, but
keeps an admin's change of timing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings

if TYPE_CHECKING:
    from django.apps import AppConfig


def sync_schedules() -> list[str]:
    """Create or update the schedules; returns the names created."""
    from django_q.models import Schedule

    created = []
    for name, (func, cron) in settings.SCHEDULED_JOBS.items():
        schedule = Schedule.objects.filter(name=name).first()
        if schedule is None:
            Schedule.objects.create(
                name=name, func=func, schedule_type=Schedule.CRON, cron=cron, repeats=-1
            )
            created.append(name)
        elif schedule.func != func:
            schedule.func = func
            schedule.save(update_fields=["func"])
    return created


def sync_after_migrate(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    if using == "default":
        sync_schedules()
