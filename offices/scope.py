"""Fetch one object in the user's scope: 404 outside it, 403 when the role is too weak.

Every official-facing detail view goes through `get_in_scope`; lists start
from `Model.objects.visible_to(user)`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import Http404

from offices.models import AdministrativeUnit, Role, has_role

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from offices.models import Principal

_M = TypeVar("_M", bound=Model)


def unit_of(obj: Model) -> AdministrativeUnit:
    """The administrative unit an object hangs under (unit, office, desk, staff…)."""
    if isinstance(obj, AdministrativeUnit):
        return obj
    if hasattr(obj, "unit"):
        return obj.unit
    if hasattr(obj, "office"):
        return obj.office.unit
    raise TypeError(f"{type(obj).__name__} is not attached to an administrative unit")


def fetch_visible(user: Principal, queryset: QuerySet[_M], **lookup: Any) -> _M:
    """The object matching `lookup` among those the user may see, or 404 (so the existence
    of an object outside the user's subtrees does not leak). The queryset must scope itself
    (`visible_to`): a plain one would let every object through, so it is refused."""
    if not hasattr(queryset, "visible_to"):
        raise TypeError(
            f"{queryset.model.__name__} querysets have no visible_to(): use get_in_scope, "
            "which checks the role over the object's unit."
        )
    return _get_or_404(queryset.visible_to(user), **lookup)


def _get_or_404(visible: QuerySet[_M], **lookup: Any) -> _M:
    try:
        return visible.get(**lookup)
    # django-stubs give DoesNotExist to each concrete model, not to a model TypeVar's bound.
    except (visible.model.DoesNotExist, ValueError, TypeError):  # type: ignore[attr-defined]
        raise Http404 from None


def get_in_scope(
    user: Principal, queryset: QuerySet[_M], *, min_role: str = Role.VIEWER, **lookup: Any
) -> _M:
    """Return the object matching `lookup` if the user may see it.

    Objects outside the user's subtrees are reported as missing (404), so their
    existence does not leak; visible objects for which the user's role is below
    `min_role` give 403.
    """
    # A model without visible_to() is scoped by the role check below alone.
    visible = queryset.visible_to(user) if hasattr(queryset, "visible_to") else queryset
    obj = _get_or_404(visible, **lookup)
    unit = unit_of(obj)
    if not has_role(user, unit):
        raise Http404
    if not has_role(user, unit, min_role):
        raise PermissionDenied
    return obj
