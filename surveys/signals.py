"""The ratings' part of `manage.py purge_personal_data` (a signal from offices).

A rating keeps its scores and times forever; the address it came from is only
needed for rate limiting and abuse investigations, so it goes after retention.
"""

from django.dispatch import receiver

from offices.signals import personal_data_purge
from surveys.models import Response


@receiver(personal_data_purge)
def purge_rating_addresses(sender, before, **kwargs) -> dict[str, int]:
    cleared = Response.objects.filter(received_at__lt=before, ip_address__isnull=False).update(
        ip_address=None
    )
    return {"surveys.Response.ip_address": cleared}
