"""The counts the city publishes: inspections by inspecting level and period, cases
disciplined, by unit and subtree. One grouped query per table.

Cases are counted in the period of the inspection that led to them, so a row
reads "inspections in this quarter, and the cases they produced".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db.models import Count, DateField, Q
from django.db.models.functions import Substr, Trunc
from django.utils.translation import gettext as _

from common.months import add_months
from inspections.models import (
    DisciplinaryCase,
    InspectingLevel,
    Inspection,
    InspectionKind,
    Measure,
)
from offices.models import AdministrativeUnit

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    from inspections.models import InspectionQuerySet

LEVELS = list(InspectingLevel)
GROUP_MONTHS = {"year": 12, "quarter": 3, "month": 1}


@dataclass
class CountRow:
    label: str
    unit: AdministrativeUnit | None = None
    period: date | None = None
    total: int = 0
    surprise: int = 0
    cases: int = 0
    by_level: dict[str, int] = field(default_factory=dict)

    @property
    def level_counts(self) -> list[int]:
        return [self.by_level.get(level, 0) for level in LEVELS]

    def add(self, other: CountRow) -> None:
        self.total += other.total
        self.surprise += other.surprise
        self.cases += other.cases
        for level in LEVELS:
            self.by_level[level] = self.by_level.get(level, 0) + other.by_level.get(level, 0)

    def cells(self) -> list:
        return [self.label, self.total, *self.level_counts, self.surprise, self.cases]


@dataclass
class InspectionCounts:
    unit: AdministrativeUnit
    start: date
    end_exclusive: date
    group: str
    by_period: list[CountRow]
    by_unit: list[CountRow]
    by_measure: list[tuple[str, str, int]]
    total: CountRow
    quiet_units: int  # child units without any inspection in the period


def count_headers() -> list[str]:
    return [
        _("Period or unit"),
        _("Number of inspections"),
        *[str(level.label) for level in LEVELS],
        _("Surprise inspections"),
        _("Cases disciplined"),
    ]


def _aggregates() -> dict[str, Count]:
    aggregates = {
        "total": Count("pk", distinct=True),
        "surprise": Count("pk", filter=Q(kind=InspectionKind.SURPRISE), distinct=True),
        "cases": Count("cases"),
    }
    for level in LEVELS:
        aggregates[f"level_{level}"] = Count("pk", filter=Q(inspecting_level=level), distinct=True)
    return aggregates


def _row(label: str, values: Mapping[str, Any] | None, **extra: Any) -> CountRow:
    values = values or {}
    return CountRow(
        label=label,
        total=values.get("total", 0),
        surprise=values.get("surprise", 0),
        cases=values.get("cases", 0),
        by_level={level: values.get(f"level_{level}", 0) for level in LEVELS},
        **extra,
    )


def period_start(day: date, group: str) -> date:
    months = GROUP_MONTHS[group]
    return date(day.year, (day.month - 1) // months * months + 1, 1)


def period_label(start: date, group: str) -> str:
    if group == "year":
        return str(start.year)
    if group == "quarter":
        return _("Q%(quarter)s/%(year)s") % {
            "quarter": (start.month - 1) // 3 + 1,
            "year": start.year,
        }
    return f"{start.month:02d}/{start.year}"


def period_starts(start: date, end_exclusive: date, group: str) -> list[date]:
    starts, current = [], period_start(start, group)
    while current < end_exclusive:
        starts.append(current)
        current = add_months(current, GROUP_MONTHS[group])
    return starts


def counts_by_period(
    inspections: InspectionQuerySet[Inspection], start: date, end_exclusive: date, group: str
) -> list[CountRow]:
    grouped = {
        row["period"]: row
        for row in inspections.annotate(period=Trunc("date", group, output_field=DateField()))
        .values("period")
        .annotate(**_aggregates())
        .order_by("period")
    }
    return [
        _row(period_label(p, group), grouped.get(p), period=p)
        for p in period_starts(start, end_exclusive, group)
    ]


def counts_by_subtree(
    inspections: InspectionQuerySet[Inspection], root: AdministrativeUnit
) -> tuple[list[CountRow], int]:
    """One row for the root itself, then one per child unit's whole subtree.

    Children without inspections are left out; their number is returned beside the rows.
    """
    branch_length = len(root.path) + AdministrativeUnit.steplen
    grouped = {
        row["branch"]: row
        for row in inspections.in_subtree(root)
        .annotate(branch=Substr("unit__path", 1, branch_length))
        .values("branch")
        .annotate(**_aggregates())
        .order_by("branch")
    }
    rows = []
    if root.path in grouped:
        rows.append(_row(_("%(unit)s (the unit itself)") % {"unit": root.name}, grouped[root.path]))
    children = list(
        AdministrativeUnit.objects.filter(path__in=grouped.keys(), depth=root.depth + 1)
    )
    for child in children:
        rows.append(_row(child.name, grouped[child.path], unit=child))
    quiet = max(root.numchild - len(children), 0)
    return rows, quiet


def cases_by_measure(inspections: InspectionQuerySet[Inspection]) -> list[tuple[str, str, int]]:
    grouped = dict(
        DisciplinaryCase.objects.filter(inspection__in=inspections.values("pk"))
        .values_list("measure")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [(m.value, str(m.label), grouped.get(m.value, 0)) for m in Measure]


def build_counts(
    user: User | AnonymousUser,
    unit: AdministrativeUnit,
    start: date,
    end_exclusive: date,
    group: str,
) -> InspectionCounts:
    inspections = (
        Inspection.objects.visible_to(user).in_subtree(unit).in_period(start, end_exclusive)
    )
    by_period = counts_by_period(inspections, start, end_exclusive, group)
    by_unit, quiet = counts_by_subtree(inspections, unit)
    total = CountRow(label=_("Total"))
    for row in by_period:
        total.add(row)
    return InspectionCounts(
        unit=unit,
        start=start,
        end_exclusive=end_exclusive,
        group=group,
        by_period=by_period,
        by_unit=by_unit,
        by_measure=cases_by_measure(inspections),
        total=total,
        quiet_units=quiet,
    )
