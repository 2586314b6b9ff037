"""A criteria set as a spreadsheet, out and back in.

One row per area (criterion columns empty) and one per criterion or sub-criterion, in
reading order. The header row holds fixed column codes (not translated), so a file
exported in one language imports in any other. Importing checks every row first and
writes all or nothing; errors name the line.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from common.exports import Exporter, Table
from reform.models import Area, CriteriaSet, Criterion, Rule, Source

COLUMNS = [
    "area_code",
    "area_name",
    "area_max",
    "code",
    "parent_code",
    "name",
    "max_points",
    "rule",
    "source",
    "target",
    "thresholds",
    "figure",
]
MAX_ROWS = 2000


def _number(value: Decimal | None) -> str | float:
    return "" if value is None else float(value)


class CriteriaSetExporter(Exporter):
    several_tables = False

    def __init__(self, criteria_set: CriteriaSet):
        self.criteria_set = criteria_set
        self.filename = f"par-criteria-{criteria_set.year}-{criteria_set.level}"

    def tables(self) -> Iterator[Table]:
        yield Table(str(self.criteria_set.year), COLUMNS, self.rows())

    def rows(self) -> Iterator[list]:
        criteria = Criterion.objects.filter(area__criteria_set=self.criteria_set).select_related(
            "parent"
        )
        by_area: dict[int, list[Criterion]] = {}
        for criterion in criteria.order_by("position", "code"):
            by_area.setdefault(criterion.area_id, []).append(criterion)
        for area in self.criteria_set.areas.order_by("position", "code"):
            yield [area.code, area.name, _number(area.max_points)] + [""] * 9
            tops = [c for c in by_area.get(area.pk, []) if not c.parent_id]
            for top in tops:
                yield [area.code, "", ""] + self._criterion(top)
                for child in by_area.get(area.pk, []):
                    if child.parent_id == top.pk:
                        yield [area.code, "", ""] + self._criterion(child)

    @staticmethod
    def _criterion(c: Criterion) -> list:
        return [
            c.code,
            c.parent.code if c.parent is not None else "",
            c.name,
            _number(c.max_points),
            c.rule,
            c.source,
            _number(c.target),
            json.dumps(c.thresholds) if c.thresholds else "",
            c.figure_label,
        ]


class ImportError_(ValueError):
    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


def read_rows(upload: IO[bytes]) -> list[dict[str, str]]:
    """Rows of an uploaded XLSX or CSV as dicts keyed by the column codes."""
    name = (getattr(upload, "name", "") or "").lower()
    raw = upload.read()
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            sheet = load_workbook(io.BytesIO(raw), read_only=True, data_only=True).worksheets[0]
        except Exception as error:  # openpyxl raises many kinds for a broken file
            raise ImportError_([_("The file is not a readable XLSX spreadsheet.")]) from error
        lines = [
            ["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)
        ]
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ImportError_([_("The file is not UTF-8 text.")]) from error
        lines = list(csv.reader(io.StringIO(text)))
    if not lines or [h.strip() for h in lines[0][: len(COLUMNS)]] != COLUMNS:
        raise ImportError_(
            [_("The first row must hold the columns: %(c)s.") % {"c": ", ".join(COLUMNS)}]
        )
    if len(lines) > MAX_ROWS + 1:
        raise ImportError_([_("At most %(n)s rows.") % {"n": MAX_ROWS}])
    rows = []
    for line in lines[1:]:
        cells = [c.strip() for c in line] + [""] * len(COLUMNS)
        if any(cells[: len(COLUMNS)]):
            rows.append(dict(zip(COLUMNS, cells, strict=False)))
    return rows


def _decimal(
    text: str, line: int, column: str, errors: list[str], *, required: bool
) -> Decimal | None:
    if not text:
        if required:
            errors.append(
                _("Line %(line)s: %(column)s is required.") % {"line": line, "column": column}
            )
        return None
    # A spreadsheet's "'=1" keeps its quote; a number never starts with one.
    try:
        value = Decimal(text)
    except InvalidOperation:
        errors.append(
            _("Line %(line)s: %(column)s must be a number.") % {"line": line, "column": column}
        )
        return None
    if not value.is_finite() or value < 0 or value >= Decimal("1e10"):
        errors.append(
            _("Line %(line)s: %(column)s is out of range.") % {"line": line, "column": column}
        )
        return None
    return value.quantize(Decimal("0.01"))


@dataclass
class ParsedSet:
    areas: list[Area]
    criteria: list[tuple[str, str, Criterion]]  # (area code, parent code, criterion)


def parse(rows: list[dict[str, str]]) -> ParsedSet:
    """Check every row; raise ImportError_ listing every problem, or return the set's parts."""
    errors: list[str] = []
    areas: dict[str, Area] = {}
    criteria: list[tuple[str, str, Criterion]] = []
    codes: dict[str, tuple[str, str]] = {}  # criterion code → (its parent code, its area)
    for line, row in enumerate(rows, start=2):
        area_code = row["area_code"][:20]
        if not area_code:
            errors.append(_("Line %(line)s: area_code is required.") % {"line": line})
            continue
        if not row["code"]:  # an area row
            if area_code in areas:
                errors.append(
                    _("Line %(line)s: area %(code)s appears twice.")
                    % {"line": line, "code": area_code}
                )
            maximum = _decimal(row["area_max"], line, "area_max", errors, required=True)
            if not row["area_name"]:
                errors.append(_("Line %(line)s: area_name is required.") % {"line": line})
            areas[area_code] = Area(
                code=area_code,
                name=row["area_name"][:300],
                max_points=maximum or 0,
                position=len(areas),
            )
            continue
        if area_code not in areas:
            errors.append(
                _("Line %(line)s: area %(code)s is not defined above.")
                % {"line": line, "code": area_code}
            )
            continue
        code, parent = row["code"][:20], row["parent_code"][:20]
        if code in codes:
            errors.append(
                _("Line %(line)s: criterion %(code)s appears twice.") % {"line": line, "code": code}
            )
        if parent and codes.get(parent) != ("", area_code):
            errors.append(
                _("Line %(line)s: %(code)s is not a criterion above in the same area.")
                % {"line": line, "code": parent}
            )
        codes[code] = (parent, area_code)
        if row["rule"] not in Rule.values:
            errors.append(
                _("Line %(line)s: rule must be one of %(v)s.")
                % {"line": line, "v": ", ".join(Rule.values)}
            )
        if row["source"] not in Source.values:
            errors.append(
                _("Line %(line)s: source must be one of %(v)s.")
                % {"line": line, "v": ", ".join(Source.values)}
            )
        try:
            thresholds = json.loads(row["thresholds"]) if row["thresholds"] else []
        except ValueError:
            thresholds = None
        if not isinstance(thresholds, list):
            errors.append(
                _("Line %(line)s: thresholds must look like [[95, 2], [80, 1]].") % {"line": line}
            )
            thresholds = []
        criterion = Criterion(
            code=code,
            name=row["name"][:500],
            max_points=_decimal(row["max_points"], line, "max_points", errors, required=True) or 0,
            rule=row["rule"],
            source=row["source"] or Source.SELF,
            target=_decimal(row["target"], line, "target", errors, required=False),
            thresholds=thresholds,
            figure_label=row["figure"][:100],
            position=len(criteria),
        )
        if not criterion.name:
            errors.append(_("Line %(line)s: name is required.") % {"line": line})
        try:
            _clean_rules(criterion)
        except ValidationError as error:
            for messages in error.message_dict.values():
                errors.extend(f"{_('Line %(line)s') % {'line': line}}: {m}" for m in messages)
        criteria.append((area_code, parent, criterion))
    if not areas:
        errors.append(_("The file holds no area."))
    if errors:
        raise ImportError_(errors)
    return ParsedSet(list(areas.values()), criteria)


def _clean_rules(criterion: Criterion) -> None:
    """The rule checks of Criterion.clean without the parent checks (no ids yet)."""
    criterion.parent = None
    criterion.clean()


@transaction.atomic
def save_set(parsed: ParsedSet, **fields: Any) -> CriteriaSet:
    criteria_set = CriteriaSet.objects.create(**fields)
    areas = {}
    for area in parsed.areas:
        area.criteria_set = criteria_set
        area.save()
        areas[area.code] = area
    saved: dict[str, Criterion] = {}
    for area_code, parent_code, criterion in parsed.criteria:
        criterion.area = areas[area_code]
        criterion.parent = saved[parent_code] if parent_code else None
        criterion.save()
        saved[criterion.code] = criterion
    return criteria_set
