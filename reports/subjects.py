"""What a report is about: a unit (its whole subtree), an office, a desk or a staff member.

`resolve_subject` is the only way views obtain one: it fetches through
`offices.scope.get_in_scope` (404 outside the user's scope) and restricts the
offices to `Office.objects.visible_to(user)`, so every report query starts from the
user's visible scope.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from common.months import Month
from offices.models import AdministrativeUnit, Desk, Office, StaffMember, visible_lineage
from offices.scope import get_in_scope

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

KINDS = {
    "unit": _("Unit"),
    "office": _("Office"),
    "desk": _("Desk"),
    "staff": _("Staff member"),
}


@dataclass
class Crumb:
    label: str
    kind: str
    pk: int


@dataclass
class Subject:
    kind: str
    obj: Any  # the unit, office, desk or staff member the report is about
    offices: QuerySet[Office]  # visible offices this report covers (used as a sub-select)
    where: Q | None = None  # extra roll-up filter (desk, staff)
    crumbs: list[Crumb] = field(default_factory=list)  # visible ancestors, top first
    office: Office | None = None
    time_zone: str = settings.TIME_ZONE

    @property
    def name(self) -> str:
        if self.kind == "desk":
            return f"{self.obj.number} · {self.obj.name}"
        return str(self.obj)

    @property
    def kind_label(self) -> str:
        return str(KINDS[self.kind])

    @property
    def full_name(self) -> str:
        """Name with its office, for desks and staff (headers, file names, e-mails)."""
        if self.kind in ("desk", "staff"):
            return f"{self.name} — {self.office.name if self.office else ''}"
        return self.name

    @property
    def pk(self) -> int:
        return self.obj.pk

    @property
    def units(self) -> list[int] | None:
        """For a unit: [its id], so whole months are read from the unit grain. Its
        `offices` are its whole subtree (scope is granted by subtree: a unit the user may
        see has every office below it visible too), which the unit grain sums."""
        return [self.obj.pk] if self.kind == "unit" else None

    def current_month(self) -> Month:
        return Month.current(ZoneInfo(self.time_zone))

    def url(self, name: str, month: Month, **extra: object) -> str:
        return reverse(
            f"reports:{name}", kwargs={"kind": self.kind, "pk": self.pk, "month": str(month)}
        ) + ("?" + "&".join(f"{k}={v}" for k, v in extra.items()) if extra else "")

    @property
    def is_ward_level(self) -> bool:
        """A unit without sub-units holding offices: desks and staff are worth listing."""
        return self.kind != "unit" or not AdministrativeUnit.objects.get_children_count(self.obj)


def _unit_crumbs(
    user: User | AnonymousUser, unit: AdministrativeUnit, include_self: bool
) -> list[Crumb]:
    lineage = visible_lineage(user, unit)
    if not include_self:
        lineage = lineage[:-1]
    return [Crumb(u.name, "unit", u.pk) for u in lineage]


def resolve_subject(user: User | AnonymousUser, kind: str, pk: int) -> Subject:
    """The subject `kind`/`pk` if the user may see it; Http404 otherwise."""
    visible = Office.objects.visible_to(user)
    if kind == "unit":
        unit = get_in_scope(user, AdministrativeUnit.objects.all(), pk=pk)
        return Subject(kind, unit, visible.in_subtree(unit), crumbs=_unit_crumbs(user, unit, False))
    if kind == "office":
        office = get_in_scope(user, Office.objects.select_related("unit"), pk=pk)
        return Subject(
            kind,
            office,
            visible.filter(pk=office.pk),
            crumbs=_unit_crumbs(user, office.unit, True),
            office=office,
            time_zone=office.time_zone,
        )
    if kind in ("desk", "staff"):
        model = Desk if kind == "desk" else StaffMember
        related = ["office__unit"] + (["desk"] if kind == "staff" else [])
        # A Desk or a StaffMember, as `kind` says (mypy cannot tell which from the string).
        obj: Any = get_in_scope(user, model.objects.select_related(*related), pk=pk)
        office = obj.office
        crumbs = [*_unit_crumbs(user, office.unit, True), Crumb(office.name, "office", office.pk)]
        if kind == "staff" and obj.desk_id:
            crumbs.append(Crumb(f"{obj.desk.number} · {obj.desk.name}", "desk", obj.desk_id))
        where = Q(desk_id=obj.pk) if kind == "desk" else Q(staff_id=obj.pk)
        return Subject(
            kind,
            obj,
            visible.filter(pk=office.pk),
            where=where,
            crumbs=crumbs,
            office=office,
            time_zone=office.time_zone,
        )
    raise Http404
