"""The ratings' part of `manage.py purge_personal_data` (a signal from offices).

A rating keeps its scores and times forever; the address it came from is only
needed for rate limiting and abuse investigations, so it goes after retention.
"""

from datetime import timedelta

from django.dispatch import receiver
from django.utils import timezone

from offices.signals import personal_data_purge
from surveys.models import PhoneSource, Response


@receiver(personal_data_purge)
def purge_rating_addresses(sender, before, **kwargs) -> dict[str, int]:
    cleared = Response.objects.filter(received_at__lt=before, ip_address__isnull=False).update(
        ip_address=None
    )
    # The phone misuse counters (hashed cookies and addresses) matter for minutes only.
    stale = timezone.now() - timedelta(days=1)
    counters, _by_model = PhoneSource.objects.filter(last_at__lt=stale).delete()
    return {"surveys.Response.ip_address": cleared, "surveys.PhoneSource": counters}
