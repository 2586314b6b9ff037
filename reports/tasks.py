"""The reports app's scheduled jobs (settings.SCHEDULED_JOBS names them)."""

from __future__ import annotations

from datetime import datetime

from reports.deliveries import send_due_reports


class JobFailed(RuntimeError):
    """Raised at the end of a run that had failures, so the job shows as failed in the admin."""


def send_monthly_reports(now: datetime | None = None) -> str:
    """Hourly: send every monthly report that is due and not yet sent."""
    outcome = send_due_reports(now)
    if outcome.failed:
        raise JobFailed(str(outcome))
    return str(outcome)
