"""Reading the units CSV (code, name, level, parent_code) for `import_units`."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from offices.models import AdministrativeUnit, UnitLevel

REQUIRED_COLUMNS = ("code", "name", "level", "parent_code")


class ImportError_(Exception):
    """A row that cannot be imported; the message names the line."""


@dataclass
class UnitRow:
    line: int
    code: str
    name: str
    level: str
    parent_code: str


def read_rows(lines: Iterable[str]) -> list[UnitRow]:
    reader = csv.DictReader(lines)
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ImportError_(
            _("Line 1: missing column(s): %(columns)s.") % {"columns": ", ".join(missing)}
        )
    rows: list[UnitRow] = []
    seen: dict[str, int] = {}
    levels = set(UnitLevel.values)
    for record in reader:
        line = reader.line_num
        values = {k: (record.get(k) or "").strip() for k in REQUIRED_COLUMNS}
        if not values["code"]:
            raise ImportError_(_("Line %(line)d: the code is empty.") % {"line": line})
        if not values["name"]:
            raise ImportError_(_("Line %(line)d: the name is empty.") % {"line": line})
        if values["level"] not in levels:
            raise ImportError_(
                _("Line %(line)d: unknown level %(level)r (expected one of %(levels)s).")
                % {"line": line, "level": values["level"], "levels": ", ".join(sorted(levels))}
            )
        if values["code"] in seen:
            raise ImportError_(
                _("Line %(line)d: the code %(code)s already appears on line %(first)d.")
                % {"line": line, "code": values["code"], "first": seen[values["code"]]}
            )
        if values["parent_code"] == values["code"]:
            raise ImportError_(
                _("Line %(line)d: a unit cannot be its own parent.") % {"line": line}
            )
        seen[values["code"]] = line
        rows.append(UnitRow(line=line, **values))
    return rows


def _ordered_parents_first(
    rows: list[UnitRow], existing: dict[str, AdministrativeUnit]
) -> list[UnitRow]:
    by_code = {r.code: r for r in rows}
    ordered, placed = [], set()

    def place(row: UnitRow, chain: tuple[str, ...] = ()) -> None:
        if row.code in placed:
            return
        if row.code in chain:
            raise ImportError_(_("Line %(line)d: the parents form a loop.") % {"line": row.line})
        if row.parent_code:
            parent = by_code.get(row.parent_code)
            if parent is not None:
                place(parent, (*chain, row.code))
            elif row.parent_code not in existing:
                raise ImportError_(
                    _(
                        "Line %(line)d: the parent code %(parent)s is neither in the file "
                        "nor in the database."
                    )
                    % {"line": row.line, "parent": row.parent_code}
                )
        placed.add(row.code)
        ordered.append(row)

    # Children in code order are appended, never inserted between siblings.
    for row in sorted(rows, key=lambda r: r.code):
        place(row)
    return ordered


@transaction.atomic
def import_units(rows: list[UnitRow]) -> tuple[int, int, int]:
    """Create or update units; returns (created, updated, unchanged). All or nothing."""
    existing = {u.code: u for u in AdministrativeUnit.objects.all()}
    created = updated = unchanged = 0
    for row in _ordered_parents_first(rows, existing):
        unit = existing.get(row.code)
        parent = existing.get(row.parent_code) if row.parent_code else None
        if unit is None:
            fields = {"code": row.code, "name": row.name, "level": row.level}
            manager = AdministrativeUnit.objects
            unit = manager.add_child(parent, fields) if parent else manager.add_root(fields)
            existing[row.code] = unit
            created += 1
            continue
        current_parent = AdministrativeUnit.objects.get_parent(unit)
        moved = (current_parent.code if current_parent else "") != row.parent_code
        if moved:
            if parent is None:
                raise ImportError_(
                    _("Line %(line)d: unit %(code)s cannot be moved to the top level.")
                    % {"line": row.line, "code": row.code}
                )
            AdministrativeUnit.objects.move(unit, parent, pos="last-child")
            unit.refresh_from_db()
        if moved or unit.name != row.name or unit.level != row.level:
            unit.name, unit.level = row.name, row.level
            unit.save(update_fields=["name", "level"])
            updated += 1
        else:
            unchanged += 1
        existing[row.code] = unit
    return created, updated, unchanged
