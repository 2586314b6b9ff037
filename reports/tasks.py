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


def close_last_month(now: datetime | None = None) -> str:
    """Daily: from settings.MONTH_CLOSE_DAY, close last month for every office, once per
    month (a JobRun "close-month" for the month); before that day, nothing."""
    from zoneinfo import ZoneInfo

    from django.conf import settings
    from django.utils import timezone

    from scheduling.runs import run_once
    from surveys.closing import close_month, month_to_close

    now = now or timezone.now()
    month = month_to_close(now, ZoneInfo(settings.TIME_ZONE))
    if month is None:
        return "Nothing to close yet."
    ran = run_once(
        "close-month", str(month), lambda: {"closed": close_month(month, at=now), "at": str(now)}
    )
    return f"Closed {month}." if ran else f"{month} was closed already."


def evaluate_recent_alerts(now: datetime | None = None) -> str:
    """Every minute: the rating-driven and kiosk alerts (reports.alerts)."""
    from reports.alerts import evaluate_recent

    return str(evaluate_recent(now))


def evaluate_all_alerts(now: datetime | None = None) -> str:
    """Every quarter of an hour: every alert rule (reports.alerts)."""
    from reports.alerts import evaluate_all

    return str(evaluate_all(now))
