"""Exporters: tables (headers + a row generator) written as CSV or XLSX.

A subclass names its file and yields `Table`s; the base writes them. CSV streams
(StreamingHttpResponse, one line at a time); XLSX is written row by row with
openpyxl's write-only workbook into a spooled temporary file, so neither format
builds the whole export in memory.

Every cell goes through `clean_cell`: lazy translations become text, control
characters that XML cannot carry (and that no spreadsheet shows) are dropped, and
text that a spreadsheet would run as a formula ("=HYPERLINK(…)", "+1", "@SUM…")
gets a leading quote. Sheet titles are made legal
for Excel (31 characters, none of []:*?/\\, unique in the workbook).
"""

from __future__ import annotations

import csv
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.http import FileResponse, StreamingHttpResponse
from django.utils.functional import Promise

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Control characters XML 1.0 cannot carry (openpyxl refuses a cell holding one).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
SHEET_TITLE_FORBIDDEN = "[]:*?/\\"


def safe_cell(value: Any) -> Any:
    """Neutralise text that a spreadsheet would run as a formula (prefix a quote)."""
    if isinstance(value, Promise):
        value = str(value)
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def clean_cell(value: Any) -> Any:
    """One cell as written: text without control characters, then formula-safe.

    The control characters go first, so "\\x01=1+1" is neutralised too."""
    if isinstance(value, Promise):
        value = str(value)
    if isinstance(value, str):
        value = CONTROL_CHARACTERS.sub("", value)
    return safe_cell(value)


def sheet_title(title: str, used: set[str]) -> str:
    """An Excel sheet name: at most 31 characters, none of []:*?/\\, unique in `used`."""
    text = CONTROL_CHARACTERS.sub("", str(title))
    clean = "".join("_" if c in SHEET_TITLE_FORBIDDEN else c for c in text).strip("'")
    clean = clean[:28] or "Sheet"
    name, number = clean, 2
    while name.lower() in {u.lower() for u in used}:  # Excel compares names case-blind
        name, number = f"{clean[:25]} {number}", number + 1
    used.add(name)
    return name


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: Iterable[list]


class _Echo:
    """A file-like object whose write() returns the line, for csv.writer streaming."""

    def write(self, value: str) -> str:
        return value


class Exporter:
    """Subclasses set `filename` (a stem) and yield tables; the base writes CSV or XLSX.

    With several tables, the CSV holds them one after the other, each under its title
    and separated by an empty line; `several_tables = False` writes only the headers
    and rows (a single table, e.g. raw data for another program)."""

    filename = "export"
    several_tables = True

    def tables(self) -> Iterator[Table]:
        raise NotImplementedError

    def csv_lines(self) -> Iterator[str]:
        writer = csv.writer(_Echo())
        yield "\ufeff"  # BOM: Excel then reads the UTF-8 (Vietnamese) correctly
        for index, table in enumerate(self.tables()):
            if index:
                yield writer.writerow([])
            if self.several_tables:
                yield writer.writerow([clean_cell(table.title)])
            yield writer.writerow([clean_cell(h) for h in table.headers])
            for row in table.rows:
                yield writer.writerow([clean_cell(v) for v in row])

    def csv_response(self) -> StreamingHttpResponse:
        response = StreamingHttpResponse(self.csv_lines(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{self.filename}.csv"'
        return response

    def xlsx_file(self) -> IO[bytes]:
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font

        workbook = Workbook(write_only=True)
        used: set[str] = set()
        for table in self.tables():
            sheet = workbook.create_sheet(sheet_title(table.title, used))
            header_cells = []
            for header in table.headers:
                cell = WriteOnlyCell(sheet, value=clean_cell(header))
                cell.font = Font(bold=True)
                header_cells.append(cell)
            sheet.append(header_cells)
            for row in table.rows:
                sheet.append([clean_cell(v) for v in row])
        handle = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
        workbook.save(handle)
        handle.seek(0)
        return handle

    def xlsx_response(self) -> FileResponse:
        return FileResponse(
            self.xlsx_file(),
            as_attachment=True,
            filename=f"{self.filename}.xlsx",
            content_type=XLSX_TYPE,
        )
