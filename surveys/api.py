"""Integration API, ingest side: service events and ratings (docs/api.md §4).

Ratings go through the kiosk's own rules (`surveys.submission.rating_from_payload`):
the same checks, the same refusals with the same codes and messages. Events about
who serves at a desk call the counter-session methods in `offices`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Model
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from common.net import client_ip
from offices.api import (
    INGEST,
    ApiError,
    ClientAuth,
    ClientRequest,
    api_settings,
    errors,
    office_in_scope,
)
from offices.models import (
    ApiClient,
    AuditEvent,
    CounterSession,
    CounterSessionError,
    Desk,
    SessionEnd,
    SessionStart,
    StaffMember,
)
from offices.scope import get_in_scope
from surveys.models import API_CHANNEL, DossierAlreadyRated, DossierArming, Response
from surveys.submission import (
    MAX_BODY_BYTES,
    SubmissionError,
    armed_for,
    json_object,
    rating_from_payload,
    record_rating,
    remember_frozen,
    too_fast,
)

router = Router(tags=["ingest"], auth=ClientAuth(INGEST))
MAX_DOSSIER_CODE = 64


def desk_in_scope(client: ApiClient, desk_id: int) -> Desk:
    try:
        return get_in_scope(client, Desk.objects.select_related("office__unit"), pk=desk_id)
    except Http404:
        raise ApiError(404, "not_found", _("No such desk in your scope."), field="desk") from None


def officer_at(desk: Desk, staff_id: int | None) -> StaffMember | None:
    """The officer `staff_id` of the desk's office (404 for anyone else); None for none."""
    if staff_id is None:
        return None
    officer = StaffMember.objects.filter(pk=staff_id, office_id=desk.office_id).first()
    if officer is None:
        message = _("No such officer at this office.")
        raise ApiError(404, "not_found", message, field="officer")
    return officer


def clean_dossier_code(value: object) -> str:
    """A dossier code, or SubmissionError (the rating's refusal, 422 like the kiosk's)."""
    code = value.strip() if isinstance(value, str) else ""
    if not code or len(code) > MAX_DOSSIER_CODE or "\x00" in code:
        message = _("“dossier_code” must be text of 1 to %(n)s characters.") % {
            "n": MAX_DOSSIER_CODE
        }
        raise SubmissionError(message, field="dossier_code")
    return code


def _audit(request: ClientRequest, action: str, obj: Model, **detail: Any) -> None:
    AuditEvent.record(request, action, obj, username=request.auth.get_username(), **detail)


# --- Service started / stopped: counter sessions ------------------------------------------


class ServiceStartedIn(Schema):
    desk: int = Field(description="The desk (id).")
    officer: int = Field(description="The officer (staff id) who starts serving there.")
    at: datetime | None = Field(None, description="When (default: now).")
    alone: bool = Field(
        False, description="The officer takes the desk alone: the others there stop."
    )


class ServiceStoppedIn(Schema):
    officer: int = Field(description="The officer (staff id) who stops serving.")
    desk: int | None = Field(None, description="Only a session at this desk (default: any).")
    at: datetime | None = Field(None, description="When (default: now).")


class SessionOut(Schema):
    id: int
    desk: int
    officer: int
    started_at: datetime
    ends_at: datetime = Field(description="When it ended or will end by itself (closing time).")
    open: bool


class StoppedOut(Schema):
    session: SessionOut | None = Field(description="null: the officer was not serving.")


def _session(session: CounterSession) -> dict:
    return {
        "id": session.pk,
        "desk": session.desk_id,
        "officer": session.staff_id,
        "started_at": session.started_at,
        "ends_at": session.ends_at,
        "open": session.is_open_at(timezone.now()),
    }


@router.post(
    "/events/service-started/",
    response={201: SessionOut, **errors(400, 403, 404)},
    url_name="event_service_started",
    summary="Officer X started serving at desk Y",
)
def service_started(request: ClientRequest, event: ServiceStartedIn) -> Status[dict]:
    """Starts the officer's counter session (as their own page or the kiosk PIN would):
    the kiosk shows them and ratings there credit them. Starting again where already
    serving returns the open session; a session elsewhere ends ("moved")."""
    desk = desk_in_scope(request.auth, event.desk)
    officer = officer_at(desk, event.officer)
    try:
        session = desk.start_serving(officer, how=SessionStart.API, at=event.at, alone=event.alone)  # type: ignore[arg-type]
    except CounterSessionError as error:
        raise ApiError(400, "invalid", error.message, field="officer") from None  # type: ignore[arg-type]
    _audit(request, "api.service_started", session, desk=desk.pk, officer=officer.pk)  # type: ignore[union-attr]
    return Status(201, _session(session))


@router.post(
    "/events/service-stopped/",
    response={200: StoppedOut, **errors(400, 403, 404)},
    url_name="event_service_stopped",
    summary="Officer X stopped serving (at desk Y)",
)
def service_stopped(request: ClientRequest, event: ServiceStoppedIn) -> dict[str, dict | None]:
    """Ends the officer's open counter session (at `desk` when given); `session` is null
    when they were not serving."""
    if event.desk is not None:
        desk = desk_in_scope(request.auth, event.desk)
        officer = officer_at(desk, event.officer)
        session = desk.stop_serving(officer, how=SessionEnd.API, at=event.at)  # type: ignore[arg-type]
    else:
        officer = _officer_in_scope(request.auth, event.officer)
        session = CounterSession.stop(officer, how=SessionEnd.API, at=event.at)
    if session is not None:
        _audit(request, "api.service_stopped", session, officer=officer.pk)  # type: ignore[union-attr]
    return {"session": _session(session) if session else None}


def _officer_in_scope(client: ApiClient, staff_id: int) -> StaffMember:
    try:
        return get_in_scope(client, StaffMember.objects.select_related("office__unit"), pk=staff_id)
    except Http404:
        message = _("No such officer at this office.")
        raise ApiError(404, "not_found", message, field="officer") from None


# --- Dossier returned: arm the desk's kiosk ----------------------------------------------


class DossierReturnedIn(Schema):
    desk: int = Field(description="The desk (id) where the dossier was returned.")
    dossier_code: str = Field(description="The dossier's code (receipt number), 1–64 characters.")
    officer: int | None = Field(None, description="The officer (staff id) who returned it.")
    at: datetime | None = Field(None, description="When it was returned (default: now).")


class ArmingOut(Schema):
    desk: int
    dossier_code: str
    officer: int | None
    armed_from: datetime
    armed_until: datetime


@router.post(
    "/events/dossier-returned/",
    response={201: ArmingOut, **errors(400, 403, 404, 409)},
    url_name="event_dossier_returned",
    summary="Dossier D was returned at desk Y by officer X",
)
def dossier_returned(request: ClientRequest, event: DossierReturnedIn) -> Status[dict[str, Any]]:
    """Arms the desk's kiosk for this dossier for `API_ARMING_SECONDS` (default 180): the
    rating given there next carries the dossier code and the officer, and the dossier can
    be rated once. A dossier already rated is refused (409). A new event at the same desk
    replaces an arming not yet used."""
    desk = desk_in_scope(request.auth, event.desk)
    officer = officer_at(desk, event.officer)
    try:
        code = clean_dossier_code(event.dossier_code)
    except SubmissionError as error:
        raise ApiError(400, "invalid", error.message, field=error.field) from None
    at = event.at or timezone.now()
    try:
        arming = DossierArming.arm(
            desk,
            code,
            staff=officer,
            at=at,
            seconds=api_settings("ARMING_SECONDS"),
            client=request.auth,
        )
    except DossierAlreadyRated:
        raise ApiError(
            409, "dossier_rated", _dossier_rated_message(), field="dossier_code"
        ) from None
    _audit(request, "api.dossier_returned", desk, dossier_code=code)
    return Status(
        201,
        {
            "desk": desk.pk,
            "dossier_code": code,
            "officer": officer.pk if officer else None,
            "armed_from": arming.armed_at,
            "armed_until": arming.expires_at,
        },
    )


def _dossier_rated_message() -> str:
    return _("This dossier has already been rated. Each dossier can be rated once.")


# --- Ratings -----------------------------------------------------------------------------

ANSWER_SCHEMA = {
    "type": "object",
    "required": ["question", "value"],
    "properties": {
        "question": {"type": "string", "description": "The question's code."},
        "value": {
            "description": "1–5 (scale), 1/0 or true/false (yes/no), a choice code, a list "
            'of choice codes, or text; null, "" or [] mean not answered.',
        },
    },
}
RATING_SCHEMA = {
    "type": "object",
    "required": ["id", "office", "version", "started_at", "submitted_at", "answers"],
    "properties": {
        "id": {"type": "string", "format": "uuid", "description": "Idempotency key."},
        "office": {"type": "integer", "description": "The office (id), in the client's scope."},
        "desk": {"type": ["integer", "null"]},
        "staff": {"type": ["integer", "null"], "description": "The officer who served."},
        "dossier_code": {"type": ["string", "null"], "maxLength": MAX_DOSSIER_CODE},
        "version": {"type": "integer", "description": "A survey version of the office."},
        "extension_version": {"type": ["integer", "null"]},
        "language": {"type": "string", "enum": ["vi", "en", "fa"], "default": "vi"},
        "started_at": {"type": "string", "format": "date-time"},
        "submitted_at": {"type": "string", "format": "date-time"},
        "answers": {"type": "array", "items": ANSWER_SCHEMA, "maxItems": 200},
    },
}


class RatingOut(Schema):
    status: str = Field(description="`stored`, or `duplicate` when this id was stored before.")
    id: str
    flagged: bool | None = Field(None, description="Set aside as misuse (too fast).")
    dossier_code: str = ""
    staff: int | None = None


class RatingErrorOut(Schema):
    error: str = Field(description="The kiosk's own refusal codes: `invalid`, `malformed`, …")
    message: str
    field: str | None = None


@router.post(
    "/ratings/",
    response={
        201: RatingOut,
        200: RatingOut,
        **errors(403, 404),
        409: RatingErrorOut,
        422: RatingErrorOut,
    },
    url_name="ratings",
    summary="A rating collected by a counter tablet or another system",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": RATING_SCHEMA}},
        }
    },
)
def ingest_rating(request: ClientRequest) -> Status[dict[str, Any]]:
    """Validated by the kiosk's rules, refused with the kiosk's codes and messages (the
    refusal's status is the kiosk's too). `id` is the idempotency key: sending a rating
    again stores it once. With a `dossier_code`, the dossier counts once (409 when it was
    rated already); without one, a rating at a desk armed by `dossier-returned` carries
    that dossier and officer, as at the kiosk."""
    try:
        if len(request.body) > MAX_BODY_BYTES:
            raise SubmissionError(_("The rating is too large."), code="too_large")
        payload = json_object(request.body)
        office_id = payload.get("office")
        if not isinstance(office_id, int) or isinstance(office_id, bool):
            message = _("“%(field)s” must be a number.") % {"field": "office"}
            raise SubmissionError(message, field="office")
        office = office_in_scope(request.auth, office_id)
        dossier = payload.get("dossier_code")
        dossier = clean_dossier_code(dossier) if dossier not in (None, "") else ""
        response, answers, specs = rating_from_payload(
            payload,
            office,
            received=timezone.now(),
            channel=API_CHANNEL,
            ip_address=client_ip(request),
        )
    except SubmissionError as error:
        body = {"error": error.code, "message": error.message, "field": error.field or None}
        return Status(error.status, body)
    if Response.objects.filter(pk=response.pk).exists():
        return Status(200, {"status": "duplicate", "id": str(response.pk)})
    seconds = too_fast(response.started_at, response.submitted_at, len(answers))
    if seconds is not None:
        response.is_misuse = True
        response.misuse_reason = f"completed in {seconds:.1f} s for {len(answers)} answers"
    response.dossier_code = dossier
    arming = armed_for(response) if not dossier else None
    try:
        stored = record_rating(response, answers, arming=arming)
    except SubmissionError as error:  # the dossier was rated before
        return Status(409, {"error": error.code, "message": error.message, "field": error.field})
    remember_frozen(*specs)
    if not stored:
        return Status(200, {"status": "duplicate", "id": str(response.pk)})
    if dossier:  # a kiosk armed for this dossier must not ask for it again
        DossierArming.objects.filter(office=office, dossier_code=dossier, used_at=None).update(
            used_at=timezone.now()
        )
    _audit(request, "api.rating", office, rating=str(response.pk))
    return Status(
        201,
        {
            "status": "stored",
            "id": str(response.pk),
            "flagged": response.is_misuse,
            "dossier_code": response.dossier_code,
            "staff": response.staff_id,
        },
    )
