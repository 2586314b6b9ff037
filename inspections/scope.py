"""Fetch one inspection for a user: 404 outside what they may read, 403 when they may
read it but not record for its unit.

The same contract as offices.scope.get_in_scope, widened to inspectors: an inspector
reads and records over their subtree without holding an office membership there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied

from inspections.models import Inspection, is_inspector_over
from offices.scope import fetch_visible

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    from inspections.models import InspectionQuerySet


def get_inspection(
    user: User | AnonymousUser,
    pk: int,
    *,
    change: bool = False,
    queryset: InspectionQuerySet[Inspection] | None = None,
) -> Inspection:
    queryset = Inspection.objects.all() if queryset is None else queryset
    inspection = fetch_visible(user, queryset.select_related("unit", "office"), pk=pk)
    if change and not is_inspector_over(user, inspection.unit):
        raise PermissionDenied
    return inspection
