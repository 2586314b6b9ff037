"""The suggestion book's part of `manage.py purge_personal_data` (a signal from offices)."""

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand
from django.dispatch import receiver

from offices.signals import personal_data_purge
from suggestions.models import Suggestion


@receiver(personal_data_purge)
def purge_suggestion_personal_data(
    sender: type[BaseCommand], before: datetime, **kwargs: Any
) -> dict[str, int]:
    return Suggestion.objects.purge_personal_data(before)
