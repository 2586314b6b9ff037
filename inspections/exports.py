"""The inspection register and its counts as CSV and XLSX (common.exports writes them).

Every text cell is made formula-injection safe there, so a finding typed as
"=HYPERLINK(…)" stays text."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from common.exports import Exporter, Table
from inspections.counts import InspectionCounts, count_headers

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from inspections.models import DisciplinaryCase, Inspection, InspectionQuerySet

# --- The register -----------------------------------------------------------------


def register_table(inspections: InspectionQuerySet[Inspection], title: str) -> Table:
    headers = [
        _("Date"),
        _("Unit code"),
        _("Inspected unit"),
        _("Inspected office"),
        _("Inspecting body"),
        _("Inspecting level"),
        _("Planned or surprise"),
        _("Scope"),
        _("Findings"),
        _("Outcome"),
        _("Cases disciplined"),
        _("Recorded by"),
    ]
    # The ignores below: mypy follows neither a `*_id` check nor with_case_count()'s annotation.
    rows = (
        [
            i.date,
            i.unit.code,
            i.unit.name,
            i.office.name if i.office_id else "",  # type: ignore[union-attr]
            i.inspecting_body,
            i.get_inspecting_level_display(),
            i.get_kind_display(),
            i.scope,
            i.findings,
            i.outcome,
            i.case_count,  # type: ignore[attr-defined]
            i.created_by.get_username() if i.created_by_id else "",  # type: ignore[union-attr]
        ]
        for i in inspections.select_related("unit", "office", "created_by")
        .with_case_count()
        .order_by("date", "pk")
    )
    return Table(title, headers, rows)


def cases_table(cases: QuerySet[DisciplinaryCase], title: str) -> Table:
    headers = [
        _("Inspection date"),
        _("Inspected unit"),
        _("Inspected office"),
        _("Person"),
        _("Breach"),
        _("Measure taken"),
        _("Date of the decision"),
    ]
    # The ignore below: mypy does not narrow `office` from an `office_id` check.
    rows = (
        [
            c.inspection.date,
            c.inspection.unit.name,
            c.inspection.office.name if c.inspection.office_id else "",  # type: ignore[union-attr]
            c.person_name,
            c.breach,
            c.get_measure_display(),
            c.date,
        ]
        for c in cases.select_related("inspection__unit", "inspection__office", "staff").order_by(
            "inspection__date", "inspection_id", "date", "pk"
        )
    )
    return Table(title, headers, rows)


class RegisterExporter(Exporter):
    """The register (CSV: that table alone; XLSX: also the disciplinary cases)."""

    several_tables = False
    filename = "inspections"

    def __init__(
        self,
        inspections: InspectionQuerySet[Inspection],
        cases: QuerySet[DisciplinaryCase] | None = None,
    ) -> None:
        self.inspections, self.cases = inspections, cases

    def tables(self) -> Iterator[Table]:
        yield register_table(self.inspections, _("Inspections"))
        if self.cases is not None:
            yield cases_table(self.cases, _("Disciplinary cases"))


COUNT_TABLES = ("period", "unit", "measure")


def counts_tables(counts: InspectionCounts) -> dict[str, Table]:
    headers = count_headers()
    measure_headers = [_("Measure taken"), _("Cases disciplined")]
    return {
        "period": Table(
            _("By period"), headers, [r.cells() for r in [*counts.by_period, counts.total]]
        ),
        "unit": Table(_("By unit"), headers, [r.cells() for r in counts.by_unit]),
        "measure": Table(
            _("By measure"), measure_headers, [[label, n] for _code, label, n in counts.by_measure]
        ),
    }


class CountsExporter(Exporter):
    """The counts: one table (`only`, for CSV) or all three (XLSX)."""

    several_tables = False

    def __init__(self, counts: InspectionCounts, only: str | None = None) -> None:
        self.counts, self.only = counts, only
        self.filename = f"inspection-counts-{only}" if only else "inspection-counts"

    def tables(self) -> Iterator[Table]:
        tables = counts_tables(self.counts)
        yield from [tables[self.only]] if self.only else tables.values()
