"""Send the monthly report e-mails that are due (the scheduled job runs this hourly).

Idempotent: a report already sent to a recipient is never sent again (reports.models.
ReportDelivery). `--month` sends that month's reports instead of the due ones.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from common.months import Month, MonthError
from reports.deliveries import send_due_reports


class Command(BaseCommand):
    help = "E-mail the due monthly reports (office heads, unit heads or managers), once each."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", help="YYYY-MM (default: the latest month due)")
        parser.add_argument("--office", type=int, action="append", help="Only this office id")

    def handle(
        self,
        *args: Any,
        month: str | None = None,
        office: list[int] | None = None,
        **options: Any,
    ) -> None:
        try:
            fixed_month = Month.parse(month) if month else None
        except MonthError:
            raise CommandError(
                f"--month must be YYYY-MM, not later than this month: {month}"
            ) from None
        outcome = send_due_reports(month=fixed_month, office_ids=office)
        self.stdout.write(str(outcome))
        if outcome.failed:
            raise CommandError(f"{outcome.failed} report(s) could not be sent.")
