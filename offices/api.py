"""The integration API's ground floor: API-client authentication, errors, units and offices.

Every router of /api/v1/ (here, in `surveys` and in `reports`) authenticates with
`ClientAuth(ability)`, raises `ApiError` for a refusal and lists `errors(...)` in its
operations' responses, so every error is `{"error": code, "message": translated text,
"field": name or null}` and appears in the OpenAPI schema. Scope is the offices scope
primitive: an ApiClient is a principal for `visible_to()` and `get_in_scope()`, with
a viewer's reach over its unit's subtree.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings
from django.core.paginator import EmptyPage, Paginator
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.security import HttpBearer

from common.ratelimit import hit
from offices.models import AdministrativeUnit, ApiClient, AuditEvent, Office
from offices.scope import get_in_scope

if TYPE_CHECKING:
    # What a Paginator pages through (a QuerySet, a list); no runtime name: page_of is
    # not an operation, so django-ninja never reads its signature.
    from django.core.paginator import _SupportsPagination

READ, INGEST = "read", "ingest"

_T = TypeVar("_T")


class ClientRequest(HttpRequest):
    """The request of an operation behind `ClientAuth`: django-ninja sets `auth` to the
    API client its token authenticated (for type checking; the class is never built)."""

    auth: ApiClient


class ApiError(Exception):
    """A refusal with an HTTP status, a machine-readable code and a translated message."""

    def __init__(
        self, status: int, code: str, message: str, *, field: str = "", **headers: str
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field
        self.headers = headers

    def body(self) -> dict[str, str | None]:
        return {"error": self.code, "message": self.message, "field": self.field or None}


class ErrorOut(Schema):
    error: str = Field(description="Machine-readable code, e.g. `not_found`, `invalid`.")
    message: str = Field(description="What went wrong, in the request's language.")
    field: str | None = Field(None, description="The input at fault, when there is one.")


def errors(*statuses: int) -> dict[int, type[ErrorOut]]:
    """The error responses an operation can give, for its `response=` mapping."""
    return dict.fromkeys((401, 429, *statuses), ErrorOut)


def api_settings(key: str) -> int:
    return settings.API[key]


class ClientAuth(HttpBearer):
    """`Authorization: Bearer osk_…`: the API client, when its token is valid, live,
    within its rate limit and holds `ability`."""

    openapi_description = "An API client's token (Administration › API clients)."

    def __init__(self, ability: str) -> None:
        super().__init__()
        self.ability = ability

    def authenticate(self, request: HttpRequest, token: str) -> ApiClient | None:
        client = ApiClient.for_token(token.strip())
        if client is None:
            return None
        if client.revoked_at is not None:
            raise ApiError(401, "revoked", _("This API client has been revoked."))
        wait = over_limit(request, client)
        if wait is not None:
            raise ApiError(
                429,
                "rate_limited",
                _("Too many requests; try again in %(seconds)s seconds.") % {"seconds": wait},
                Retry_After=str(wait),
            )
        allowed = client.can_read if self.ability == READ else client.can_ingest
        if not allowed:
            message = (
                _("This API client may not read figures.")
                if self.ability == READ
                else _("This API client may not send data.")
            )
            raise ApiError(403, "forbidden", message)
        client.used_now()
        if self.ability == READ:
            audit_read(request, client)
        return client


def audit_read(request: HttpRequest, client: ApiClient) -> None:
    """Who pulled which figures, and from where: one audit event per authorised read
    (ingest operations audit what they stored themselves). Reads are bounded by the
    client's rate limit, so the log grows no faster than that."""
    AuditEvent.record(
        request,
        "api.read",
        client,
        username=client.get_username(),
        path=request.path[:200],
        query=request.META.get("QUERY_STRING", "")[:300],
    )


def over_limit(request: HttpRequest, client: ApiClient) -> int | None:
    """Seconds to wait when the client is over its limit (RATE_LIMITS["api_client"])."""
    return hit(request, "api_client", who=f"api-client:{client.pk}")


# --- Paging and CSV ----------------------------------------------------------------


class PageIn(Schema):
    page: int = Field(1, ge=1, description="Page number, from 1.")
    page_size: int = Field(100, ge=1, le=500, description="Items per page (at most 500).")


def page_of(items: _SupportsPagination[_T], paging: PageIn) -> tuple[list[_T], dict[str, int]]:
    """(the page's items, the page's metadata) — past the last page is a 404."""
    paginator = Paginator(items, paging.page_size)
    try:
        page = paginator.page(paging.page)
    except EmptyPage:
        if paging.page == 1:
            return [], {"count": 0, "page": 1, "pages": 1, "page_size": paging.page_size}
        raise ApiError(404, "not_found", _("There is no such page."), field="page") from None
    meta = {
        "count": paginator.count,
        "page": page.number,
        "pages": paginator.num_pages,
        "page_size": paging.page_size,
    }
    return list(page.object_list), meta


def csv_response(filename: str, header: list[str], rows: Iterable[list]) -> HttpResponse:
    """A CSV download; every value is ours (ids, codes, names, numbers), never a citizen's
    text, but names still go through the formula guard."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


FORMAT_DESCRIPTION = "`json` (default) or `csv`."


# --- Units and offices ------------------------------------------------------------------

router = Router(tags=["units and offices"], auth=ClientAuth(READ))


class UnitOut(Schema):
    id: int
    code: str
    name: str
    level: str
    parent_id: int | None = Field(None, description="null for a top unit of the client's scope.")
    depth: int


class UnitPage(Schema):
    count: int
    page: int
    pages: int
    page_size: int
    results: list[UnitOut]


class OfficeOut(Schema):
    id: int
    name: str
    unit_id: int
    unit_code: str
    unit_name: str
    time_zone: str
    is_active: bool
    desks: list[DeskOut]


class DeskOut(Schema):
    id: int
    number: str
    name: str
    is_active: bool


OfficeOut.model_rebuild()


class OfficePage(Schema):
    count: int
    page: int
    pages: int
    page_size: int
    results: list[OfficeOut]


class ListFilters(PageIn):
    under: int | None = Field(
        None, description="Only this unit (id) and its subtree; 404 outside the client's scope."
    )
    format: str = Field("json", pattern="^(json|csv)$", description=FORMAT_DESCRIPTION)


def unit_in_scope(client: ApiClient, unit_id: int | None) -> AdministrativeUnit | None:
    """The unit `unit_id` when the client may see it (ApiError 404 otherwise); None for none."""
    if unit_id is None:
        return None
    from django.http import Http404

    try:
        return get_in_scope(client, AdministrativeUnit.objects.all(), pk=unit_id)
    except Http404:
        raise ApiError(404, "not_found", _("No such unit in your scope."), field="under") from None


def office_in_scope(client: ApiClient, office_id: int, *, field: str = "office") -> Office:
    from django.http import Http404

    try:
        return get_in_scope(client, Office.objects.select_related("unit"), pk=office_id)
    except Http404:
        raise ApiError(404, "not_found", _("No such office in your scope."), field=field) from None


@router.get(
    "/units/",
    response={200: UnitPage, **errors(403, 404)},
    url_name="units",
    summary="Administrative units in scope",
)
def list_units(
    request: ClientRequest, filters: Query[ListFilters]
) -> HttpResponse | dict[str, Any]:
    """The units the client may see (its unit and everything under it), in tree order."""
    units = AdministrativeUnit.objects.visible_to(request.auth)
    under = unit_in_scope(request.auth, filters.under)
    if under is not None:
        units = units.filter(path__startswith=under.path)
    items, meta = page_of(units, filters)
    parents = _parent_ids(items)
    rows = [
        {
            "id": u.pk,
            "code": u.code,
            "name": u.name,
            "level": u.level,
            "parent_id": parents.get(u.path[: -AdministrativeUnit.steplen]),
            "depth": u.depth,
        }
        for u in items
    ]
    if filters.format == "csv":
        header = ["id", "code", "name", "level", "parent_id", "depth"]
        return csv_response("units.csv", header, ([r[h] for h in header] for r in rows))
    return {**meta, "results": rows}


def _parent_ids(units: list[AdministrativeUnit]) -> dict[str, int]:
    paths = {u.path[: -AdministrativeUnit.steplen] for u in units if u.depth > 1}
    return dict(AdministrativeUnit.objects.filter(path__in=paths).values_list("path", "pk"))


@router.get(
    "/offices/",
    response={200: OfficePage, **errors(403, 404)},
    url_name="offices",
    summary="One-stop offices in scope",
)
def list_offices(
    request: ClientRequest, filters: Query[ListFilters]
) -> HttpResponse | dict[str, Any]:
    """The offices the client may see, with their desks (ids used by events and ratings)."""
    offices = Office.objects.visible_to(request.auth).select_related("unit")
    under = unit_in_scope(request.auth, filters.under)
    if under is not None:
        offices = offices.in_subtree(under)
    items, meta = page_of(offices.prefetch_related("desks"), filters)
    rows = [
        {
            "id": o.pk,
            "name": o.name,
            "unit_id": o.unit_id,
            "unit_code": o.unit.code,
            "unit_name": o.unit.name,
            "time_zone": o.time_zone,
            "is_active": o.is_active,
            "desks": [
                {"id": d.pk, "number": d.number, "name": d.name, "is_active": d.is_active}
                for d in o.desks.all()
            ],
        }
        for o in items
    ]
    if filters.format == "csv":
        header = ["id", "name", "unit_id", "unit_code", "unit_name", "time_zone", "is_active"]
        return csv_response("offices.csv", header, ([r[h] for h in header] for r in rows))
    return {**meta, "results": rows}
