"""The ratings' receivers of offices' signals: its part of `manage.py purge_personal_data`,
and the unit grain kept right when offices move in the tree.

A rating keeps its scores and times forever; the address it came from is only
needed for rate limiting and abuse investigations, so it goes after retention.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models.signals import m2m_changed
from django.dispatch import receiver
from django.utils import timezone

from offices.models import Desk, units_regrouped
from offices.signals import personal_data_purge
from surveys.models import (
    PhoneSource,
    Response,
    regroup_desk_fields,
    shift_office_grain,
    shift_unit_grain,
)

if TYPE_CHECKING:
    from django.core.management.base import BaseCommand
    from django.db.models import Model


@receiver(personal_data_purge)
def purge_rating_addresses(
    sender: type[BaseCommand], before: datetime, **kwargs: Any
) -> dict[str, int]:
    cleared = Response.objects.filter(received_at__lt=before, ip_address__isnull=False).update(
        ip_address=None
    )
    # The phone misuse counters (hashed cookies and addresses) matter for minutes only.
    stale = timezone.now() - timedelta(days=1)
    counters, _by_model = PhoneSource.objects.filter(last_at__lt=stale).delete()
    return {"surveys.Response.ip_address": cleared, "surveys.PhoneSource": counters}


@receiver(units_regrouped)
def regroup_unit_grain(
    sender: type[Model],
    unit: int | None,
    office: int | None,
    gained: set[int],
    lost: set[int],
    **kwargs: Any,
) -> None:
    """A unit moved: its grain moves from the units it left to those it joined. An office
    moved: the units that gained or lost it are summed again from the office grain. In
    the move's transaction; ratings meanwhile wait (see rebuild_unit_grain)."""
    if unit is not None:
        shift_unit_grain(unit, gained, lost)
    else:
        # The signal names an office exactly when it names no unit (offices.models).
        shift_office_grain(office, gained, lost)  # type: ignore[arg-type]


@receiver(m2m_changed, sender=Desk.procedure_fields.through)
def regroup_desk_fields_changed(
    sender: type[Model],
    instance: Model,
    action: str,
    reverse: bool,
    pk_set: set[int] | None,
    **kwargs: Any,
) -> None:
    """A desk's procedure fields changed (from either side): its ratings join or leave
    those fields on the unit field grain. Removals are taken before they happen, from
    the pairs that exist (a remove may name fields the desk does not have)."""
    mine, theirs = ("procedurefield", "desk_id") if reverse else ("desk", "procedurefield_id")
    if action in ("pre_remove", "pre_clear"):
        # The sender is the auto-created through model, which has the default `objects`.
        through = sender.objects.filter(**{mine: instance})  # type: ignore[attr-defined]
        if action == "pre_remove":
            through = through.filter(**{f"{theirs}__in": pk_set or ()})
        pairs = list(through.values_list("desk_id", "procedurefield_id"))
        regroup_desk_fields(pairs, added=False)
    elif action == "post_add" and pk_set:
        pairs = [(pk, instance.pk) if reverse else (instance.pk, pk) for pk in pk_set]
        regroup_desk_fields(pairs, added=True)
