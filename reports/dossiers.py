"""Import of "dossiers handled" figures (the response rate's denominator) from CSV.

Format, UTF-8, one header line:

    month,office,dossiers_handled
    2026-03,12,1450
    2026-03,HN-CG-NT,980

`office` is an office id, or the code of a unit that has exactly one office.
Every row is checked first; one bad row and nothing is written (the errors name
their line). Existing figures for the same office and month are replaced.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from common.months import Month, MonthError
from offices.models import DossierCount, Office

if TYPE_CHECKING:
    from django.db.models import QuerySet

HEADER = ["month", "office", "dossiers_handled"]
MAX_DOSSIERS = 10_000_000


class DossierImportError(Exception):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class DossierRow:
    line: int
    office: Office
    month: Month
    dossiers: int


def _is_number(text: str) -> bool:
    """ASCII digits only: str.isdigit() also takes "²", which int() refuses."""
    return text.isascii() and text.isdigit()


def office_lookup(offices: QuerySet[Office], keys: set[str]) -> dict[str, Office]:
    """Offices by id and by unit code (codes with exactly one office), two queries."""
    ids = [int(k) for k in keys if _is_number(k)]
    found = {str(o.pk): o for o in offices.filter(pk__in=ids)}
    codes = [k for k in keys if "\x00" not in k]  # PostgreSQL strings cannot hold NUL
    by_code: dict[str, list[Office]] = {}
    for office in offices.filter(unit__code__in=codes).select_related("unit"):
        by_code.setdefault(office.unit.code, []).append(office)
    found.update({code: items[0] for code, items in by_code.items() if len(items) == 1})
    return found


def read_dossier_rows(lines: Iterable[str], offices: QuerySet[Office]) -> list[DossierRow]:
    """Parse and check every row against `offices` (the importer's scope)."""
    reader = csv.reader(lines)
    header = [h.strip().lower() for h in next(reader, [])]
    if header != HEADER:
        raise DossierImportError([_("The first line must be: %s") % ",".join(HEADER)])
    raw = [(n, [c.strip() for c in row]) for n, row in enumerate(reader, start=2) if any(row)]
    return check_dossier_cells(raw, offices)


def check_dossier_cells(
    raw: list[tuple[int, list[str]]], offices: QuerySet[Office]
) -> list[DossierRow]:
    """Check (line number, [month, office, count]) rows against `offices`; all or nothing.

    The CSV import and the integration API (POST /api/v1/dossiers/) both end here.
    """
    lookup = office_lookup(offices, {r[1] for _n, r in raw if len(r) == 3})
    rows, errors, seen = [], [], set()
    for line, cells in raw:
        if len(cells) != 3:
            errors.append(_("line %(line)s: expected 3 columns") % {"line": line})
            continue
        month_text, office_key, count_text = cells
        try:
            month = Month.parse(month_text)
        except MonthError:
            errors.append(
                _("line %(line)s: month must be YYYY-MM, not in the future") % {"line": line}
            )
            continue
        office = lookup.get(office_key)
        if office is None:
            errors.append(
                _("line %(line)s: unknown office “%(office)s”")
                % {"line": line, "office": office_key}
            )
            continue
        if not _is_number(count_text) or int(count_text) > MAX_DOSSIERS:
            errors.append(
                _("line %(line)s: dossiers handled must be a whole number") % {"line": line}
            )
            continue
        if (office.pk, month) in seen:
            errors.append(_("line %(line)s: the same office and month twice") % {"line": line})
            continue
        seen.add((office.pk, month))
        rows.append(DossierRow(line, office, month, int(count_text)))
    if errors:
        raise DossierImportError(errors)
    if not rows:
        raise DossierImportError([_("The file holds no rows.")])
    return rows


@transaction.atomic
def save_dossier_rows(rows: list[DossierRow]) -> int:
    for row in rows:
        DossierCount.objects.update_or_create(
            office=row.office, month=row.month.start, defaults={"dossiers_handled": row.dossiers}
        )
    return len(rows)
