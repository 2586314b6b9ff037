"""The suggestion book's part of `manage.py purge_personal_data` (a signal from offices)."""

from django.dispatch import receiver

from offices.signals import personal_data_purge
from suggestions.models import Suggestion


@receiver(personal_data_purge)
def purge_suggestion_personal_data(sender, before, **kwargs) -> dict[str, int]:
    return Suggestion.objects.purge_personal_data(before)
