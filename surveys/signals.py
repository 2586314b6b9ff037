"""The ratings' receivers of offices' signals: its part of `manage.py purge_personal_data`,
and the unit grain kept right when offices move in the tree.

A rating keeps its scores and times forever; the address it came from is only
needed for rate limiting and abuse investigations, so it goes after retention.
"""

from datetime import timedelta

from django.dispatch import receiver
from django.utils import timezone

from offices.models import units_regrouped
from offices.signals import personal_data_purge
from surveys.models import PhoneSource, Response, rebuild_unit_grain


@receiver(personal_data_purge)
def purge_rating_addresses(sender, before, **kwargs) -> dict[str, int]:
    cleared = Response.objects.filter(received_at__lt=before, ip_address__isnull=False).update(
        ip_address=None
    )
    # The phone misuse counters (hashed cookies and addresses) matter for minutes only.
    stale = timezone.now() - timedelta(days=1)
    counters, _by_model = PhoneSource.objects.filter(last_at__lt=stale).delete()
    return {"surveys.Response.ip_address": cleared, "surveys.PhoneSource": counters}


@receiver(units_regrouped)
def regroup_unit_grain(sender, units, **kwargs) -> None:
    """An office or a unit moved: the units that gained or lost offices are summed again
    from the office grain (the move's transaction; ratings meanwhile wait, see
    rebuild_unit_grain)."""
    rebuild_unit_grain(sorted(units))
