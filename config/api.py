"""The integration API, /api/v1/: one NinjaAPI assembled from the routers each app owns.

Units, offices and API clients belong to `offices`, service events and ratings to
`surveys`, figures and the dossiers-handled figures to `reports`; this module only puts
them together and turns every refusal into the same JSON error body (docs/api.md).
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.schema import OpenAPISchema

from offices.api import ApiError
from offices.api import router as offices_router
from reports.api import ingest_router as dossiers_router
from reports.api import router as figures_router
from surveys.api import router as ingest_router


class OneStopApi(NinjaAPI):
    """The OpenAPI schema is built once per process (and path prefix), not per request: it
    depends on the code only, and building it costs about 0.4 s of CPU on the 2-core
    machine, on a public URL that anyone could ask for again and again."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._schemas: dict[str, Any] = {}
        self._schema_lock = threading.Lock()

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        with self._schema_lock:
            if path_prefix not in self._schemas:
                self._schemas[path_prefix] = super().get_openapi_schema(path_prefix=path_prefix)
            return self._schemas[path_prefix]


api = OneStopApi(
    title="One-stop desk survey — integration API",
    version="1",
    description=(
        "For dossier and queue systems, counter tablets and analysts. Authenticate with "
        "`Authorization: Bearer <token>` (an API client created by an administrator). "
        "Errors are JSON: `{error, message, field}`; the message follows `Accept-Language` "
        "(vi, en, fa). See docs/api.md."
    ),
    urls_namespace="api",
    openapi_url="/schema/",
    docs_url="/docs/",
)
api.add_router("/", offices_router)
api.add_router("/", figures_router)
api.add_router("/", dossiers_router)
api.add_router("/", ingest_router)


def _error(
    request: HttpRequest, status: int, code: str, message: str, field: str = "", **headers: str
) -> HttpResponse:
    response = api.create_response(
        request, {"error": code, "message": message, "field": field or None}, status=status
    )
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


@api.exception_handler(ApiError)
def on_api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    return _error(request, exc.status, exc.code, exc.message, exc.field, **exc.headers)


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    message = _("A valid API token is required: Authorization: Bearer <token>.")
    return _error(request, 401, "unauthenticated", message, WWW_Authenticate="Bearer")


@api.exception_handler(ValidationError)
def on_invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    first = exc.errors[0] if exc.errors else {}
    location = [str(part) for part in first.get("loc", ()) if part not in ("body", "query", "path")]
    field = ".".join(location[1:] if len(location) > 1 else location)
    message = _("Invalid value for “%(field)s”: %(problem)s") % {
        "field": field or "?",
        "problem": first.get("msg", ""),
    }
    return _error(request, 400, "invalid", message, field)


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "not_found", _("Not found in your scope."))


@api.exception_handler(PermissionDenied)
def on_forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _error(request, 403, "forbidden", _("This API client may not do that."))


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, "error", str(exc))
