"""Integration API: monthly figures (read) and dossiers handled (ingest). See docs/api.md."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from common.months import Month, MonthError
from offices.api import (
    FORMAT_DESCRIPTION,
    INGEST,
    READ,
    ApiError,
    ClientAuth,
    ClientRequest,
    PageIn,
    csv_response,
    errors,
    office_in_scope,
    page_of,
    unit_in_scope,
)
from offices.models import AdministrativeUnit, AuditEvent, Desk, Office, StaffMember
from reports.dossiers import (
    DossierImportError,
    check_dossier_cells,
    office_lookup,
    save_dossier_rows,
)
from reports.figures import MonthFigures, office_figures, part_figures, unit_figures
from surveys.models import SIPAS_FACTORS

if TYPE_CHECKING:
    from reports.indices import SatisfactionSummary

MAX_MONTHS = 36
router = Router(tags=["figures"], auth=ClientAuth(READ))
ingest_router = Router(tags=["ingest"], auth=ClientAuth(INGEST))


# --- Schemas --------------------------------------------------------------------------


class FactorOut(Schema):
    factor: str
    label: str
    share: float | None
    ci_low: float | None
    ci_high: float | None
    n: int


class MonthOut(Schema):
    month: str = Field(description="YYYY-MM, in the office's time zone.")
    withheld: bool = Field(
        False, description="Below the anonymity minimum (desks, officers): no figures given."
    )
    n: int | None = Field(description="Valid ratings (not set aside as misuse).")
    excluded: int | None = Field(description="Ratings set aside as misuse.")
    late: int | None = Field(
        None,
        description="Ratings that arrived dated into the month after it was closed (its "
        "report sent, or its closing day passed); they are included in n and excluded. "
        "Null only where the month is withheld.",
    )
    index: float | None = Field(description="Satisfaction index 0..1 (docs/index-method.md).")
    ci_low: float | None = Field(description="Wilson 95 % interval of the index.")
    ci_high: float | None
    index_n: int | None = Field(description="Answers to the most-answered indexed question.")
    small_sample: bool | None = Field(description="n below the small-sample warning.")
    factors: list[FactorOut] | None
    dossiers_handled: int | None = None
    response_rate: float | None = Field(
        None, description="Valid ratings ÷ dossiers handled (null without a dossier figure)."
    )


class OfficeFiguresOut(Schema):
    office_id: int
    office_name: str
    unit_id: int
    unit_code: str
    months: list[MonthOut]


class UnitFiguresOut(Schema):
    unit_id: int
    code: str
    name: str
    level: str
    months: list[MonthOut]


class DeskFiguresOut(Schema):
    desk_id: int | None = Field(description="null: ratings with no desk recorded.")
    number: str
    name: str
    months: list[MonthOut]


class OfficerFiguresOut(Schema):
    staff_id: int | None = Field(description="null: ratings with no officer recorded.")
    full_name: str
    months: list[MonthOut]


def _page_schema(name: str, item: type[Schema]) -> type[Schema]:
    return type(
        name,
        (Schema,),
        {
            "__annotations__": {
                "count": int,
                "page": int,
                "pages": int,
                "page_size": int,
                "months": list[str],
                "results": list[item],  # type: ignore[valid-type]
            }
        },
    )


OfficeFiguresPage = _page_schema("OfficeFiguresPage", OfficeFiguresOut)
UnitFiguresPage = _page_schema("UnitFiguresPage", UnitFiguresOut)


class PartFiguresOut(Schema):
    office_id: int
    months: list[str]
    minimum_n: int = Field(description="Rows are withheld below this many valid ratings.")
    results: list


class DeskFiguresList(PartFiguresOut):
    results: list[DeskFiguresOut]


class OfficerFiguresList(PartFiguresOut):
    results: list[OfficerFiguresOut]


class RangeIn(Schema):
    from_month: str | None = Field(
        None, alias="from", description="First month, YYYY-MM (default: 12 months before `to`)."
    )
    to_month: str | None = Field(
        None, alias="to", description="Last month, YYYY-MM (default: the current month)."
    )
    format: str = Field("json", pattern="^(json|csv)$", description=FORMAT_DESCRIPTION)


class FiguresIn(RangeIn, PageIn):
    under: int | None = Field(
        None, description="Only this unit (id) and its subtree; 404 outside the client's scope."
    )


class PartFiguresIn(RangeIn):
    office: int = Field(description="The office (id) whose desks or officers are listed.")


# --- Months and rows --------------------------------------------------------------------


def month_range(filters: RangeIn) -> list[Month]:
    try:
        last = Month.parse(filters.to_month) if filters.to_month else Month.current()
    except MonthError:
        raise _bad_month("to") from None
    try:
        first = Month.parse(filters.from_month) if filters.from_month else last.minus(12)
    except MonthError:
        raise _bad_month("from") from None
    if first > last:
        raise ApiError(400, "invalid", _("“from” must not be after “to”."), field="from")
    count = (last.year - first.year) * 12 + last.number - first.number + 1
    if count > MAX_MONTHS:
        message = _("At most %(count)s months at a time.") % {"count": MAX_MONTHS}
        raise ApiError(400, "invalid", message, field="from")
    return last.last(count)


def _bad_month(field: str) -> ApiError:
    return ApiError(
        400,
        "invalid",
        _("“%(field)s” must be a month YYYY-MM, from 2000 and not in the future.")
        % {"field": field},
        field=field,
    )


def month_row(entry: MonthFigures) -> dict[str, Any]:
    if entry.withheld:
        return {
            "month": str(entry.month),
            "withheld": True,
            **dict.fromkeys(
                ["n", "excluded", "index", "ci_low", "ci_high", "index_n", "small_sample"]
            ),
            "factors": None,
        }
    s = entry.summary
    return {
        "month": str(entry.month),
        "withheld": False,
        "n": s.n,
        "excluded": s.excluded,
        "late": entry.late,
        "index": s.overall,
        "ci_low": s.ci_low,
        "ci_high": s.ci_high,
        "index_n": s.index_n,
        "small_sample": s.small_sample,
        "factors": [
            {
                "factor": f.factor,
                "label": f.label,
                "share": f.share,
                "ci_low": f.ci_low,
                "ci_high": f.ci_high,
                "n": f.n,
            }
            for f in s.factors
        ],
        "dossiers_handled": entry.dossiers,
        "response_rate": entry.response_rate,
    }


MONTH_COLUMNS = [
    "month",
    "withheld",
    "n",
    "excluded",
    "late",
    "index",
    "ci_low",
    "ci_high",
    "index_n",
    "dossiers_handled",
    "response_rate",
]
FACTOR_COLUMNS = [f"{f}_{k}" for f in SIPAS_FACTORS for k in ("share", "ci_low", "ci_high", "n")]


def _csv_rows(results: list[dict[str, Any]], keys: list[str]) -> Iterator[list[Any]]:
    """One CSV line per subject and month: the subject's columns, then the month's."""
    for result in results:
        for month in result["months"]:
            factors = {f["factor"]: f for f in month.get("factors") or []}
            factor_cells = [
                factors.get(name, {}).get(k)
                for name in SIPAS_FACTORS
                for k in ("share", "ci_low", "ci_high", "n")
            ]
            yield [result[k] for k in keys] + [month.get(c) for c in MONTH_COLUMNS] + factor_cells


def _answer(
    filters: RangeIn, filename: str, keys: list[str], body: dict[str, Any]
) -> HttpResponse | dict[str, Any]:
    if filters.format == "csv":
        header = keys + MONTH_COLUMNS + FACTOR_COLUMNS
        return csv_response(filename, header, _csv_rows(body["results"], keys))
    return body


# --- Read ------------------------------------------------------------------------------


@router.get(
    "/figures/offices/",
    response={200: OfficeFiguresPage, **errors(400, 403, 404)},
    url_name="figures_offices",
    summary="Monthly figures per office",
)
def figures_offices(
    request: ClientRequest, filters: Query[FiguresIn]
) -> HttpResponse | dict[str, Any]:
    """Index, factors with 95 % intervals, n, excluded, late and response rate, per office
    and month. Paged by office; `under` restricts to a unit's subtree."""
    months = month_range(filters)
    offices = Office.objects.visible_to(request.auth).select_related("unit")
    under = unit_in_scope(request.auth, filters.under)
    if under is not None:
        offices = offices.in_subtree(under)
    items, meta = page_of(offices, filters)
    figures = office_figures([o.pk for o in items], months)
    empty = [MonthFigures(m, _empty()) for m in months]
    results = [
        {
            "office_id": o.pk,
            "office_name": o.name,
            "unit_id": o.unit_id,
            "unit_code": o.unit.code,
            "months": [month_row(e) for e in figures.get(o.pk, empty)],
        }
        for o in items
    ]
    body = {**meta, "months": [str(m) for m in months], "results": results}
    keys = ["office_id", "office_name", "unit_id", "unit_code"]
    return _answer(filters, "figures-offices.csv", keys, body)


def _empty() -> SatisfactionSummary:
    from reports.indices import empty_summary

    return empty_summary()


@router.get(
    "/figures/units/",
    response={200: UnitFiguresPage, **errors(400, 403, 404)},
    url_name="figures_units",
    summary="Monthly figures per administrative unit",
)
def figures_units(
    request: ClientRequest, filters: Query[FiguresIn]
) -> HttpResponse | dict[str, Any]:
    """The same figures per unit, each over the offices of its whole subtree."""
    months = month_range(filters)
    units = AdministrativeUnit.objects.visible_to(request.auth)
    under = unit_in_scope(request.auth, filters.under)
    if under is not None:
        units = units.filter(path__startswith=under.path)
    items: list[AdministrativeUnit]  # (treebeard's queryset is untyped)
    items, meta = page_of(units, filters)
    figures = unit_figures(items, Office.objects.visible_to(request.auth), months)
    results = [
        {
            "unit_id": u.pk,
            "code": u.code,
            "name": u.name,
            "level": u.level,
            "months": [month_row(e) for e in figures[u.pk]],
        }
        for u in items
    ]
    body = {**meta, "months": [str(m) for m in months], "results": results}
    return _answer(filters, "figures-units.csv", ["unit_id", "code", "name", "level"], body)


@router.get(
    "/figures/desks/",
    response={200: DeskFiguresList, **errors(400, 403, 404)},
    url_name="figures_desks",
    summary="Monthly figures per desk of an office",
)
def figures_desks(
    request: ClientRequest, filters: Query[PartFiguresIn]
) -> HttpResponse | dict[str, Any]:
    """Per desk and month; a month with fewer valid ratings than the anonymity minimum
    is `withheld` and carries no figures."""
    months = month_range(filters)
    office = office_in_scope(request.auth, filters.office)
    figures = part_figures(Office.objects.filter(pk=office.pk), months, "desk")
    desks = {d.pk: d for d in Desk.objects.filter(office=office)}
    results = [
        {
            "desk_id": desk_id,
            "number": desks[desk_id].number if desk_id in desks else "",
            "name": desks[desk_id].name if desk_id in desks else _("No desk recorded"),
            "months": [month_row(e) for e in entries],
        }
        for desk_id, entries in _ordered(figures, desks)
    ]
    body = _part_body(office, months, results)
    return _answer(filters, "figures-desks.csv", ["desk_id", "number", "name"], body)


@router.get(
    "/figures/officers/",
    response={200: OfficerFiguresList, **errors(400, 403, 404)},
    url_name="figures_officers",
    summary="Monthly figures per officer of an office",
)
def figures_officers(
    request: ClientRequest, filters: Query[PartFiguresIn]
) -> HttpResponse | dict[str, Any]:
    """Per officer and month, only where the anonymity minimum is met (else `withheld`)."""
    months = month_range(filters)
    office = office_in_scope(request.auth, filters.office)
    figures = part_figures(Office.objects.filter(pk=office.pk), months, "staff")
    people = {s.pk: s for s in StaffMember.objects.filter(office=office)}
    results = [
        {
            "staff_id": staff_id,
            "full_name": people[staff_id].full_name
            if staff_id in people
            else _("No staff member recorded"),
            "months": [month_row(e) for e in entries],
        }
        for staff_id, entries in _ordered(figures, people)
    ]
    body = _part_body(office, months, results)
    return _answer(filters, "figures-officers.csv", ["staff_id", "full_name"], body)


def _ordered(
    figures: dict[int | None, list[MonthFigures]], known: Mapping[int, object]
) -> Iterator[tuple[int | None, list[MonthFigures]]]:
    """Known desks / officers in their order, then the rows with nobody recorded."""
    for pk in known:
        if pk in figures:
            yield pk, figures[pk]
    if None in figures:
        yield None, figures[None]


def _part_body(
    office: Office, months: list[Month], results: list[dict[str, Any]]
) -> dict[str, Any]:
    from reports.indices import staff_min_n

    return {
        "office_id": office.pk,
        "months": [str(m) for m in months],
        "minimum_n": staff_min_n(),
        "results": results,
    }


# --- Ingest: dossiers handled -------------------------------------------------------------


class DossierRowIn(Schema):
    month: str = Field(description="YYYY-MM, not in the future.")
    office: int | str = Field(description="An office id, or the code of a unit with one office.")
    dossiers_handled: int = Field(ge=0, le=10_000_000)


class DossiersIn(Schema):
    rows: list[DossierRowIn] = Field(min_length=1, max_length=5000)


class DossiersOut(Schema):
    stored: int = Field(description="Office-months written (existing figures replaced).")


class DossierErrorOut(Schema):
    error: str
    message: str
    field: str | None = None
    errors: list[str] = Field(description="Every problem, by row number (1 = the first row).")


@ingest_router.post(
    "/dossiers/",
    response={200: DossiersOut, **errors(403), 400: DossierErrorOut, 404: DossierErrorOut},
    url_name="dossiers",
    summary="Dossiers handled per office and month",
)
def ingest_dossiers(
    request: ClientRequest, payload: DossiersIn
) -> Status[dict[str, Any]] | dict[str, int]:
    """The response rate's denominator, as the CSV import takes it: every row is checked
    first and one bad row stores nothing. An office outside the client's scope is 404."""
    offices = Office.objects.visible_to(request.auth)
    keys = [str(row.office) for row in payload.rows]
    found = office_lookup(offices, set(keys))
    unknown = [n for n, key in enumerate(keys, start=1) if key not in found]
    if unknown:
        message = _("No such office in your scope (rows %(rows)s).") % {
            "rows": ", ".join(map(str, unknown[:20]))
        }
        body = {"error": "not_found", "message": message, "field": "rows", "errors": [message]}
        return Status(404, body)
    cells = [
        (number, [row.month, key, str(row.dossiers_handled)])
        for number, (row, key) in enumerate(zip(payload.rows, keys, strict=True), start=1)
    ]
    try:
        rows = check_dossier_cells(cells, offices)
    except DossierImportError as error:
        body = {"error": "invalid", "message": error.errors[0], "field": "rows"}
        return Status(400, {**body, "errors": error.errors})
    with transaction.atomic():
        stored = save_dossier_rows(rows)
        AuditEvent.record(
            request, "api.dossiers", request.auth, username=request.auth.get_username(), rows=stored
        )
    return {"stored": stored}
