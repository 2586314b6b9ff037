"""CSV and XLSX files from tables: headers plus rows. Every text cell is made
formula-injection safe, so a finding typed as "=HYPERLINK(…)" stays text."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.http import HttpResponse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from openpyxl import Workbook

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Control characters XML 1.0 cannot carry: openpyxl refuses a cell holding one.
XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def safe_cell(value):
    """Text that a spreadsheet would run as a formula gets a leading single quote."""
    if isinstance(value, Promise):
        value = str(value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: Iterable[list]


def csv_response(table: Table, filename: str) -> HttpResponse:
    buffer = io.StringIO()
    buffer.write("\ufeff")  # so spreadsheet programs read the file as UTF-8
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(h) for h in table.headers])
    for row in table.rows:
        writer.writerow(["" if v is None else safe_cell(v) for v in row])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def xlsx_cell(value):
    """safe_cell for XLSX: control characters pasted into a finding are dropped first
    (openpyxl refuses them), then the formula check runs on what is left."""
    if isinstance(value, str):
        value = XLSX_ILLEGAL.sub("", value)
    return safe_cell(value)


def xlsx_response(tables: list[Table], filename: str) -> HttpResponse:
    workbook = Workbook(write_only=True)
    for table in tables:
        sheet = workbook.create_sheet(title=table.title[:31])
        sheet.append([xlsx_cell(h) for h in table.headers])
        for row in table.rows:
            sheet.append([xlsx_cell(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- The register -----------------------------------------------------------------


def register_table(inspections, title: str) -> Table:
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
    rows = (
        [
            i.date,
            i.unit.code,
            i.unit.name,
            i.office.name if i.office_id else "",
            i.inspecting_body,
            i.get_inspecting_level_display(),
            i.get_kind_display(),
            i.scope,
            i.findings,
            i.outcome,
            i.case_count,
            i.created_by.get_username() if i.created_by_id else "",
        ]
        for i in inspections.select_related("unit", "office", "created_by")
        .with_case_count()
        .order_by("date", "pk")
    )
    return Table(title, headers, rows)


def cases_table(cases, title: str) -> Table:
    headers = [
        _("Inspection date"),
        _("Inspected unit"),
        _("Inspected office"),
        _("Person"),
        _("Breach"),
        _("Measure taken"),
        _("Date of the decision"),
    ]
    rows = (
        [
            c.inspection.date,
            c.inspection.unit.name,
            c.inspection.office.name if c.inspection.office_id else "",
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
