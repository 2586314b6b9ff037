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


def evaluate_recent_alerts(now: datetime | None = None) -> str:
    """Every minute: the rating-driven and kiosk alerts (reports.alerts)."""
    from reports.alerts import evaluate_recent

    return str(evaluate_recent(now))


def evaluate_all_alerts(now: datetime | None = None) -> str:
    """Every quarter of an hour: every alert rule (reports.alerts)."""
    from reports.alerts import evaluate_all

    return str(evaluate_all(now))
