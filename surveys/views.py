"""Rating a visit: the kiosk (page, enrolment, JSON API), the phone form, QR posters."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from common.forms import posted
from common.net import client_ip
from common.qr import qr_svg
from common.ratelimit import hit, over_limit, rate_limited
from common.text import fold, folded
from offices.models import (
    KIOSK_COOKIE,
    AuditEvent,
    CounterSessionError,
    Desk,
    Kiosk,
    Office,
    Role,
    SessionEnd,
    SessionStart,
    StaffMember,
    has_role,
    hash_token,
)
from offices.scope import get_in_scope
from surveys import phone_misuse
from surveys.forms import RatingForm, ReceiptForm, staff_choices
from surveys.kiosk import current_fingerprint, current_versions, screen_for, serving_json
from surveys.models import (
    Channel,
    DossierAlreadyRated,
    RefusedSubmission,
    Response,
    SurveyVersion,
    Variant,
)
from surveys.publication import refusal
from surveys.submission import (
    MAX_BODY_BYTES,
    Hints,
    SubmissionError,
    heartbeat_report,
    load_spec,
    lock_kiosk,
    payload_hints,
    rating_id_of,
    remember_frozen,
    replayed,
    store_locked_kiosk_rating,
)
from surveys.tokens import FormToken, Receipt


def _public_limit(request: HttpRequest) -> str:
    """Page views and form posts of the public rating pages are limited apart."""
    return "survey_view" if request.method == "GET" else "survey_post"


public_rate_limit = rate_limited(_public_limit, template="surveys/too_many_requests.html")
KIOSK_COOKIE_AGE = 400 * 24 * 3600  # Chromium's ceiling; refreshed on every page load


# --- Kiosk: device credential ---------------------------------------------------------


def kiosk_for_credential(credential: str) -> tuple[Kiosk | None, str]:
    """(kiosk, "") for a valid credential, else (None, "unknown" | "revoked")."""
    return Kiosk.for_credential(credential)


def credential_problem(kiosk: Kiosk | None, credential: str) -> tuple[Kiosk | None, str]:
    """(kiosk, "") when `kiosk` (read by the id its credential names) holds `credential`
    and may rate, else (None, "unknown" | "revoked")."""
    if kiosk is None or not kiosk.credential_matches(credential):
        return None, "unknown"
    if kiosk.revoked_at is not None or not kiosk.office.is_active:
        return None, "revoked"
    return kiosk, ""


def _set_kiosk_cookie(request: HttpRequest, response: HttpResponse, credential: str) -> None:
    response.set_cookie(
        KIOSK_COOKIE,
        credential,
        max_age=KIOSK_COOKIE_AGE,
        httponly=True,
        secure=request.is_secure(),
        samesite="Lax",
    )


def as_id(text: str) -> int | None:
    """A database id from a query parameter, or None (never a bigint overflow)."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


def _message(
    request: HttpRequest, title: str, body: str, status: int, **extra: Any
) -> HttpResponse:
    return render(
        request, "surveys/message.html", {"title": title, "body": body, **extra}, status=status
    )


@never_cache
def kiosk_page(request: HttpRequest) -> HttpResponse:
    credential = request.COOKIES.get(KIOSK_COOKIE, "")
    kiosk, problem = kiosk_for_credential(credential)
    if kiosk is None:
        context = {"revoked": problem == "revoked", "had_credential": bool(credential)}
        return render(request, "surveys/kiosk_not_enrolled.html", context, status=403)
    with translation.override("vi"):
        screen = screen_for(kiosk.office, kiosk.desk, kiosk=kiosk)
        response = render(
            request,
            "surveys/kiosk.html",
            {"screen": screen, "credential": credential, "preview": False},
        )
    _set_kiosk_cookie(request, response, credential)
    return response


def kiosk_service_worker(request: HttpRequest) -> HttpResponse:
    """The kiosk's service worker (templates/surveys/kiosk_sw.js), served under /kiosk/ so
    that it may control the kiosk page. Public: it holds no data, only asset addresses."""
    response = render(request, "surveys/kiosk_sw.js", content_type="text/javascript")
    response["Cache-Control"] = "no-cache"  # browsers check for a new worker on each load
    return response


@never_cache
def kiosk_enrol(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows what is being enrolled; POST (one tap) stores the device credential."""
    if request.method == "POST":
        result = Kiosk.enrol(token)
        if result is None:
            return _enrol_link_dead(request)
        kiosk, credential = result
        AuditEvent.record(request, "kiosk.enrolled", kiosk)
        response = redirect("surveys:kiosk")
        _set_kiosk_cookie(request, response, credential)
        return response
    kiosk = (
        Kiosk.objects.select_related("office", "desk")  # type: ignore[assignment]
        .filter(
            enrolment_token_hash=hash_token(token[:200]),
            enrolment_expires_at__gt=timezone.now(),
        )
        .first()
    )
    if kiosk is None:
        return _enrol_link_dead(request)
    return render(request, "surveys/kiosk_enrol.html", {"kiosk": kiosk})


def _enrol_link_dead(request: HttpRequest) -> HttpResponse:
    return _message(
        request,
        _("This enrolment link no longer works"),
        _(
            "Enrolment links work once and for a limited time. Ask an administrator for a "
            "new link (Administration › Kiosks › “Rotate credential”)."
        ),
        status=410,
    )


@login_required
@never_cache
def kiosk_preview(request: HttpRequest, version_id: int) -> HttpResponse:
    """How a version looks on the kiosk, for the administrators of an office it applies
    to (the admin role over that office); nothing is sent. 404 for everyone else."""
    version = get_object_or_404(
        SurveyVersion.objects.select_related("survey__unit", "survey__office__unit"), pk=version_id
    )
    survey = version.survey
    offices = (
        Office.objects.visible_to(request.user, Role.ADMIN)
        .filter(is_active=True)
        .select_related("unit")
    )
    # A survey without an office has a unit (the survey's check constraint).
    offices = (
        offices.filter(pk=survey.office_id) if survey.office_id else offices.in_subtree(survey.unit)  # type: ignore[arg-type]
    )
    office_id = as_id(request.GET.get("office", ""))
    office = offices.filter(pk=office_id).first() if office_id else offices.first()
    if office is None:
        if not (request.user.is_active and request.user.is_superuser):
            raise Http404
        office = Office(name=_("Example office"))  # a survey no office uses yet
    desk = office.desks.filter(is_active=True).first() if office.pk else None
    with translation.override("vi"):
        screen = screen_for(office, desk, versions=(version, None))
        return render(
            request, "surveys/kiosk.html", {"screen": screen, "credential": "", "preview": True}
        )


# --- Kiosk: JSON API (authenticated by the device credential, hence no CSRF) -----------


def _json_error(status: int, code: str, message: str, **headers: str) -> JsonResponse:
    """A refusal that is not final: the kiosk keeps the rating and tries again later."""
    body = {"error": message, "code": code, "final": False, "message": message}
    response = JsonResponse(body, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _credential(request: HttpRequest) -> str:
    scheme, _space, credential = request.headers.get("Authorization", "").partition(" ")
    return credential.strip() if scheme == "Kiosk" else ""


def _refused_kiosk(problem: str) -> JsonResponse:
    if problem == "revoked":
        message = _("This kiosk's credential has been revoked. Ask an administrator to enrol it.")
        return _json_error(403, "revoked", message)
    message = _("This kiosk is not enrolled. Ask an administrator for an enrolment link.")
    return _json_error(401, "not_enrolled", message, WWW_Authenticate="Kiosk")


def _api_kiosk(request: HttpRequest) -> tuple[Kiosk | None, JsonResponse | None]:
    if request.method != "POST":
        return None, _json_error(405, "method", _("Use POST."), Allow="POST")
    kiosk, problem = kiosk_for_credential(_credential(request))
    if kiosk is None:
        return None, _refused_kiosk(problem)
    return kiosk, None


def _body(request: HttpRequest) -> tuple[bytes, bool]:
    """(the body, or its first MAX_BODY_BYTES when larger; whether it was larger)."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    body = request.read(MAX_BODY_BYTES + 1)
    too_large = declared > MAX_BODY_BYTES or len(body) > MAX_BODY_BYTES
    return body[:MAX_BODY_BYTES], too_large


@csrf_exempt
@never_cache
def api_rating(request: HttpRequest) -> JsonResponse:
    """Store one rating; see docs/kiosk.md for the contract.

    One transaction whose first query authenticates the kiosk *and* locks its row
    (surveys.submission.lock_kiosk: the misuse state, and the desk, officer, arming and
    survey checks in the same read); then, for a live rating, one statement that stores
    it with its roll-ups and the kiosk's new state. Nothing is stored on a refusal."""
    if request.method != "POST":
        return _json_error(405, "method", _("Use POST."), Allow="POST")
    credential = _credential(request)
    kiosk_id = Kiosk.id_from_credential(credential)  # a forged credential costs no query
    if kiosk_id is None:
        return _refused_kiosk("unknown")
    body, too_large = _body(request)
    received = timezone.now()
    kiosk: Kiosk | None = None
    holder: list[Response] = []
    try:
        with transaction.atomic():
            hints = Hints() if too_large else payload_hints(body, received)
            locked, prefetched = lock_kiosk(kiosk_id, hints)
            kiosk, problem = credential_problem(locked, credential)
            if kiosk is None:
                return _refused_kiosk(problem)
            if too_large:
                raise SubmissionError(_("The rating is too large."), code="too_large")
            result = store_locked_kiosk_rating(
                body,
                kiosk,
                prefetched,
                received=received,
                ip_address=client_ip(request),
                holder=holder,
            )
    except IntegrityError as exc:
        try:
            result = replayed(exc, holder)
        except SubmissionError as error:
            return _refused_rating(kiosk, body, error)
    except SubmissionError as error:
        return _refused_rating(kiosk, body, error)
    response, stored, specs = result
    remember_frozen(*specs)
    reply: dict[str, str | bool] = {
        "status": "stored" if stored else "duplicate",
        "id": str(response.pk),
    }
    if stored:
        reply["flagged"] = response.is_misuse
    return JsonResponse(reply, status=201 if stored else 200)


def _refused_rating(kiosk: Kiosk | None, body: bytes, error: SubmissionError) -> JsonResponse:
    # Both refusals above are raised only after the kiosk was read and found valid.
    assert kiosk is not None
    _keep_refused(kiosk, body, error)
    return JsonResponse(error.as_json(), status=error.status)


def _keep_refused(kiosk: Kiosk, body: bytes, error: SubmissionError) -> None:
    """A final refusal is stored with what arrived, for the admins (never a citizen's loss)."""
    text = body.decode("utf-8", "replace")
    RefusedSubmission.store(
        kiosk,
        rating_id_of(body),
        code=error.code,
        message=error.message,
        field=error.field,
        body=text,
    )


@csrf_exempt
@never_cache
def api_heartbeat(request: HttpRequest) -> JsonResponse:
    """Marks the kiosk alive and takes its report: queue length and the ratings it dropped."""
    kiosk, refusal = _api_kiosk(request)
    if kiosk is None:
        return refusal  # type: ignore[return-value]  # set whenever the kiosk is None
    body, too_large = _body(request)
    report = heartbeat_report(b"" if too_large else body)
    kiosk.seen_now(report.queue_length)
    acknowledged = RefusedSubmission.reported(kiosk, report.refused) if report.refused else []
    sessions = kiosk.desk.open_sessions() if kiosk.desk else []
    return JsonResponse(
        {
            "status": "ok",
            "config": current_fingerprint(kiosk, sessions),
            "serving": serving_json(sessions),
            "server_time": timezone.now().isoformat(),
            "refused_ack": acknowledged,
        }
    )


def _session_request(body: bytes) -> tuple[int, str, str] | None:
    import json

    try:
        payload = json.loads(body or b"")
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(payload, dict):
        return None
    staff, pin, action = payload.get("staff"), payload.get("pin"), payload.get("action")
    if not (isinstance(staff, int) and 0 < staff < 2**63 and isinstance(pin, str)):
        return None
    return (staff, pin, action) if action in ("start", "alone", "stop") else None


@csrf_exempt
@never_cache
def api_session(request: HttpRequest) -> JsonResponse:
    """The kiosk's staff corner: an officer starts or stops serving at the kiosk's desk
    with their personal PIN (docs/kiosk.md). Wrong PINs are limited per kiosk."""
    kiosk, refusal = _api_kiosk(request)
    if kiosk is None:
        return refusal  # type: ignore[return-value]  # set whenever the kiosk is None
    desk = kiosk.desk  # read with the kiosk (select_related)
    if desk is None:
        return _json_error(409, "no_desk", _("This kiosk is not at a desk."))
    pin_limiter = f"kiosk:{kiosk.pk}"
    if over_limit(request, "kiosk_pin", who=pin_limiter) is not None:
        return _json_error(429, "too_many_attempts", _("Too many wrong PINs. Wait 10 minutes."))
    body, too_large = _body(request)
    parsed = None if too_large else _session_request(body)
    if parsed is None:
        return _json_error(400, "invalid", _("Send staff (an id), pin and action."))
    staff_id, pin, action = parsed
    officer = StaffMember.objects.filter(pk=staff_id, office=kiosk.office_id).first()
    if officer is None or not officer.check_pin(pin):
        hit(request, "kiosk_pin", who=pin_limiter)
        return _json_error(403, "wrong_pin", _("Wrong PIN. Try again."))
    try:
        if action == "stop":
            desk.stop_serving(officer, how=SessionEnd.STOPPED)
        else:
            desk.start_serving(officer, how=SessionStart.KIOSK_PIN, alone=action == "alone")
    except CounterSessionError as error:
        return _json_error(409, "refused", str(error.message))
    AuditEvent.record(request, f"session.kiosk_{action}", officer, kiosk=kiosk.pk)
    status = "stopped" if action == "stop" else "serving"
    return JsonResponse({"status": status, "config": current_fingerprint(kiosk)})


# --- Own phone: QR posters, receipts and the rating form --------------------------------


def rating_url(request: HttpRequest, office: Office, desk: Desk | None = None) -> str:
    if desk is not None:
        path = reverse("surveys:rate_desk", args=[office.pk, desk.pk])
    else:
        path = reverse("surveys:rate", args=[office.pk])
    return request.build_absolute_uri(path) + "?via=qr"


@login_required
def office_poster(request: HttpRequest, office_id: int) -> HttpResponse:
    office = get_in_scope(request.user, Office.objects.select_related("unit"), pk=office_id)
    url = rating_url(request, office)
    desks = office.desks.filter(is_active=True)
    context: dict[str, Any] = {
        "office": office,
        "desk": None,
        "url": url,
        "qr": qr_svg(url),
        "desks": desks,
    }
    context["may_mint_receipts"] = has_role(request.user, office.unit, Role.MANAGER)
    return render(request, "surveys/poster.html", context)


@login_required
def desk_poster(request: HttpRequest, desk_id: int) -> HttpResponse:
    desk = get_in_scope(request.user, Desk.objects.select_related("office__unit"), pk=desk_id)
    url = rating_url(request, desk.office, desk)
    return render(
        request,
        "surveys/poster.html",
        {"office": desk.office, "desk": desk, "url": url, "qr": qr_svg(url), "desks": []},
    )


@login_required
def receipt_qr(request: HttpRequest, office_id: int) -> HttpResponse:
    """Make the QR code for one dossier's receipt (one rating per dossier): a token worth
    one rating, so managers of the office mint it, not viewers (403)."""
    office = get_in_scope(
        request.user, Office.objects.select_related("unit"), pk=office_id, min_role=Role.MANAGER
    )
    form = ReceiptForm(request.GET or None, office=office)
    context = {"office": office, "form": form}
    if form.is_valid():
        desk = form.cleaned_data["desk"]
        token = Receipt(office.pk, form.cleaned_data["dossier_code"], desk.pk if desk else None)
        url = request.build_absolute_uri(reverse("surveys:rate_receipt", args=[token.dumps()]))
        context.update(url=url, qr=qr_svg(url), dossier_code=token.dossier_code)
    return render(request, "surveys/receipt_qr.html", context)


@public_rate_limit
def choose_office(request: HttpRequest) -> HttpResponse:
    """Rate from a browser without a QR code: find the office by name."""
    # PostgreSQL cannot hold NUL in a string: searching for one would be a 500.
    query = request.GET.get("q", "").replace("\x00", "").strip()[:100]
    offices = Office.objects.filter(is_active=True).select_related("unit")
    if fold(query):  # "my dinh" finds "Mỹ Đình"
        offices = offices.alias(_name=folded("name"), _unit=folded("unit__name")).filter(
            Q(_name__contains=fold(query)) | Q(_unit__contains=fold(query))
        )
    return render(request, "surveys/choose_office.html", {"offices": offices[:30], "query": query})


@public_rate_limit
def rate(request: HttpRequest, office_id: int, desk_id: int | None = None) -> HttpResponse:
    office = get_object_or_404(Office.objects.select_related("unit"), pk=office_id, is_active=True)
    desk = None
    if desk_id is not None:
        desk = get_object_or_404(Desk, pk=desk_id, office=office, is_active=True)
    channel = Channel.QR if request.GET.get("via") == "qr" else Channel.WEB
    return _rating_flow(request, office, desk, channel=channel)


@public_rate_limit
def rate_receipt(request: HttpRequest, token: str) -> HttpResponse:
    try:
        receipt = Receipt.loads(token)
    except signing.SignatureExpired:
        return _message(
            request,
            _("This receipt can no longer be rated"),
            _("Receipts can be rated for six months after they were issued."),
            status=410,
        )
    except signing.BadSignature:
        return _message(
            request,
            _("This receipt link is not valid"),
            _("Check that the whole address was copied, or scan the code again."),
            status=404,
        )
    office = get_object_or_404(
        Office.objects.select_related("unit"), pk=receipt.office_id, is_active=True
    )
    desk = Desk.objects.filter(pk=receipt.desk_id, office=office).first()  # type: ignore[misc]
    if dossier_rated(office, receipt.dossier_code):
        return _already_rated(request, office, status=409 if request.method == "POST" else 200)
    return _rating_flow(request, office, desk, channel=Channel.QR, dossier=receipt.dossier_code)


def dossier_rated(office: Office, dossier_code: str) -> bool:
    """Checked up front for a clear page; the unique constraint decides under a race."""
    return Response.objects.filter(office=office, dossier_code=dossier_code).exists()


def _already_rated(request: HttpRequest, office: Office, status: int) -> HttpResponse:
    return _message(
        request,
        _("This dossier has already been rated"),
        _("Each dossier can be rated once. Thank you for taking part!"),
        status=status,
        office=office,
    )


def _token_for(request: HttpRequest, office: Office, channel: str) -> FormToken | None:
    """The form's token: from the POST when valid, else a new one for the current versions."""
    if request.method == "POST":
        return FormToken.loads(request.POST.get("form_token"))
    core, extension = current_versions(office, Variant.FULL)
    if core is None:
        return None
    return FormToken.new(core.pk, extension.pk if extension else None, channel)


def _specs(token: FormToken | None, office: Office) -> list | None:
    """The versions a form token shows, if they all still apply to the office."""
    if token is None:
        return None
    ids = [token.version_id] + ([token.extension_id] if token.extension_id else [])
    specs = [load_spec(version_id) for version_id in ids]
    if not all(spec and spec.applies_to(office) for spec in specs):
        return None
    # A form opened before a newer version was published is still accepted; a draft,
    # an inactive survey or another office's is not (surveys.publication).
    # all() above ruled out a missing version.
    if refusal(specs, office, Variant.FULL, timezone.now()) is not None:  # type: ignore[arg-type]
        return None
    return specs


def _form_unavailable(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _message(
            request,
            _("This form has expired"),
            _("Please open the rating page again; your answers were not saved."),
            status=400,
            retry_url=request.get_full_path(),
        )
    return _message(
        request,
        _("No survey for this office yet"),
        _("This office has not set up its survey. Please rate your visit at the kiosk."),
        status=404,
    )


def _rating_flow(
    request: HttpRequest, office: Office, desk: Desk | None, *, channel: str, dossier: str = ""
) -> HttpResponse:
    """The phone form: GET shows it, POST validates and stores through record()."""
    token = _token_for(request, office, channel)
    specs = _specs(token, office)
    if specs is None:
        return _form_unavailable(request)
    people = staff_choices(office, desk)
    form = RatingForm(posted(request), specs=specs, token=token, staff_choices=people)  # type: ignore[arg-type]
    device = phone_misuse.valid_device_id(request.COOKIES.get(phone_misuse.DEVICE_COOKIE))
    if request.method == "POST" and form.is_valid():
        response = form.to_response(
            office, desk, dossier_code=dossier, ip_address=client_ip(request)
        )
        try:
            phone_misuse.record_phone_rating(
                response,
                form.answers,
                device=device,
                seconds_open=token.seconds_open(),  # type: ignore[union-attr]
            )
        except DossierAlreadyRated:
            return _already_rated(request, office, status=409)
        return redirect(f"{reverse('surveys:thanks')}?office={office.pk}")
    context = {"form": form, "office": office, "desk": desk, "dossier": dossier}
    page = render(request, "surveys/rate.html", context, status=400 if form.is_bound else 200)
    if device is None:  # the misuse check counts ratings per device (surveys/phone_misuse.py)
        page.set_cookie(
            phone_misuse.DEVICE_COOKIE,
            phone_misuse.new_device_id(),
            max_age=phone_misuse.DEVICE_COOKIE_AGE,
            httponly=True,
            secure=request.is_secure(),
            samesite="Lax",
        )
    return page


def thanks(request: HttpRequest) -> HttpResponse:
    office_id = as_id(request.GET.get("office", ""))
    office = Office.objects.filter(pk=office_id).first() if office_id else None
    return render(request, "surveys/thanks.html", {"office": office})
