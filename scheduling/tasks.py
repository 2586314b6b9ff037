"""Jobs that belong to no single app. Each is idempotent per period (scheduling.runs)."""

from __future__ import annotations

import io
from datetime import datetime

from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from scheduling.runs import run_once


def purge_personal_data(now: datetime | None = None) -> bool:
    """Nightly: remove personal data past retention, once per local day."""
    now = now or timezone.now()
    day = timezone.localtime(now).date()

    def work() -> dict[str, str]:
        out = io.StringIO()
        call_command("purge_personal_data", days=settings.PERSONAL_DATA_RETENTION_DAYS, stdout=out)
        return {"output": out.getvalue()[-2000:]}

    return run_once("purge-personal-data", day.isoformat(), work)
