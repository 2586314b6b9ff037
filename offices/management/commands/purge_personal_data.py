"""Remove personal data past its retention, keep the anonymous scores, record what went.

Cron-able (e.g. nightly). Each app removes what it owns through the
`personal_data_purge` signal; this command adds the log-in lock-out records
(django-axes keeps addresses) and writes one audit event with the counts.
"""

from datetime import timedelta
from typing import Any, cast

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone

from offices.models import AuditEvent
from offices.signals import personal_data_purge


class Command(BaseCommand):
    help = "Remove IP addresses and contact details older than the retention period."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=settings.PERSONAL_DATA_RETENTION_DAYS,
            help="Retention in days (default: PERSONAL_DATA_RETENTION_DAYS).",
        )

    def handle(self, *args: Any, days: int, **options: Any) -> None:
        before = timezone.now() - timedelta(days=days)
        counts: dict[str, int] = {}
        with transaction.atomic():
            for model, field in (
                (AccessAttempt, "attempt_time"),
                (AccessFailureLog, "attempt_time"),
                (AccessLog, "attempt_time"),
            ):
                deleted, _ = model.objects.filter(**{f"{field}__lt": before}).delete()
                counts[f"axes.{model.__name__}"] = deleted
            for _receiver, result in personal_data_purge.send(sender=self.__class__, before=before):
                # Each receiver returns its own counts; the stubs type a result as a string.
                counts.update(cast(dict[str, int] | None, result) or {})
            detail: dict[str, Any] = {"detail_days": days, **counts}
            AuditEvent.record(None, "purge_personal_data", **detail)
        for what, count in sorted(counts.items()):
            self.stdout.write(f"{what}: {count}")
        self.stdout.write(self.style.SUCCESS(f"Purged personal data older than {before:%Y-%m-%d}."))
