"""Views of the suggestion book: public pages for citizens, scoped pages for officials."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from common.forms import posted
from common.net import client_ip
from common.qr import qr_svg
from common.ratelimit import hit, too_many_requests
from common.requests import AuthenticatedRequest
from common.text import fold, folded
from offices.models import AdministrativeUnit, AuditEvent, Office, Role, has_role
from offices.scope import get_in_scope
from suggestions.forms import (
    AssignForm,
    PublishForm,
    ReplyForm,
    SuggestionFilterForm,
    SuggestionForm,
    TrackForm,
)
from suggestions.models import (
    Channel,
    Reply,
    SeenStamp,
    Suggestion,
    SuggestionClosed,
    normalise_code,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User
    from django.forms import Form


SENT_SESSION_KEY = "suggestions_sent"
DRAFT_SESSION_KEY = "suggestions_draft"
DRAFT_FIELDS = ("category", "text", "name", "contact", "contact_consent")
KIOSK_HOME = "/kiosk/"

# --- Citizens ------------------------------------------------------------------------


def _language_from_link(request: HttpRequest) -> str:
    """Honour `?lang=fa` for this page only: a kiosk switches language on screen, without a
    cookie, and must not leave its choice behind for the next citizen."""
    code = request.GET.get("lang", "")
    if code not in dict(settings.LANGUAGES):
        return ""
    translation.activate(code)
    request.LANGUAGE_CODE = code
    return code


def _lang_query(lang: str, kiosk: bool = False) -> str:
    """The query that keeps a page's language from the link (and kiosk mode) on the next one."""
    params = {"lang": lang} if lang else {}
    if kiosk:
        params["channel"] = Channel.KIOSK
    return "?" + urlencode(params) if params else ""


def _on_kiosk(request: HttpRequest) -> bool:
    return request.GET.get("channel") == Channel.KIOSK


def _rate_limited(request: HttpRequest, retry_after: int, kiosk: bool = False) -> HttpResponse:
    return too_many_requests(
        request, retry_after, "suggestions/rate_limited.html", {"kiosk": kiosk}
    )


def _locked_office(raw: str | None) -> Office | None:
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit()):  # "²" is a digit to isdigit(), not to int()
        return None
    return Office.objects.filter(is_active=True, pk=int(raw)).first()


CHOOSER_MATCHES = 30


def _office_chooser(
    request: HttpRequest, channel: str, lang: str, status: int = 200
) -> HttpResponse:
    """Find the office without listing the country: a unit at a time (links, no script),
    or a name search. Only active offices and the units above them are shown; both are
    public (boards and QR posters name them)."""
    offices = Office.objects.filter(is_active=True)
    unit = _unit_from_link(request.GET.get("unit"))
    query = request.GET.get("q", "").replace("\x00", "").strip()[:100]
    matches = []
    if fold(query):  # "my dinh" finds "Mỹ Đình"
        matches = list(
            offices.alias(_name=folded("name"), _unit=folded("unit__name"))
            .filter(Q(_name__contains=fold(query)) | Q(_unit__contains=fold(query)))
            .select_related("unit")
            .order_by("name", "pk")[: CHOOSER_MATCHES + 1]
        )
    # The next level down (the roots first), only where some office takes suggestions.
    below = {"depth": unit.depth + 1, "path__startswith": unit.path} if unit else {"depth": 1}
    has_office = Exists(offices.filter(unit__path__startswith=OuterRef("path")))
    units = AdministrativeUnit.objects.filter(has_office, **below).order_by("name")
    params = {key: value for key, value in (("lang", lang), ("channel", channel)) if value}
    context = {
        "unit": unit,
        "lineage": unit.lineage() if unit else [],
        "units": units,
        "unit_offices": offices.filter(unit=unit).order_by("name") if unit else [],
        "query": query,
        "matches": matches[:CHOOSER_MATCHES],
        "more_matches": len(matches) > CHOOSER_MATCHES,
        "link_query": urlencode(params),
        "channel": channel if channel != Channel.WEB else "",
        "lang": lang,
        "kiosk": channel == Channel.KIOSK,
    }
    return render(request, "suggestions/choose_office.html", context, status=status)


def _unit_from_link(raw: str | None) -> AdministrativeUnit | None:
    if not raw or not (raw.isascii() and raw.isdigit()):
        return None
    return AdministrativeUnit.objects.filter(pk=int(raw)).first()


@never_cache
def new(request: HttpRequest) -> HttpResponse:
    """The citizen's form, always for one office: `?office=<id>` (the office's link, its
    kiosk or QR poster) presets and locks it; without it the citizen first finds the office
    (a posted `office` from an older page is still taken)."""
    lang = _language_from_link(request)
    channel = request.GET.get("channel")
    channel = channel if channel in Channel.values else Channel.WEB
    kiosk = channel == Channel.KIOSK
    office = _locked_office(request.GET.get("office"))
    if office is None and request.method == "POST":
        office = _locked_office(request.POST.get("office")) if "office" not in request.GET else None
        if office is None:
            # A stale page: its office is gone or no longer takes suggestions. What the
            # citizen wrote is kept until they have found the office again.
            kept = _keep_draft(request, channel)
            messages.error(request, _("Choose the office first: the suggestion was not sent."))
            if kept:
                messages.info(
                    request,
                    _("What you wrote is kept: choose the office and it will be filled in again."),
                )
            return _office_chooser(request, channel, lang, status=400)
    if "office" in request.GET and office is None:
        return render(request, "suggestions/office_missing.html", {"kiosk": kiosk}, status=404)
    if office is None:
        return _office_chooser(request, channel, lang)
    draft = _take_draft(request, channel) if request.method != "POST" else None
    if draft:
        messages.info(request, _("We kept what you wrote. Check it, then send it."))
    form = SuggestionForm(posted(request), initial=draft, locked_office=office, large=kiosk)
    if request.method == "POST":
        wait = hit(request, "suggestion_submit")
        if wait is not None:
            return _rate_limited(request, wait, kiosk)
        if form.is_valid():
            suggestion = form.save(commit=False)
            suggestion.channel = channel
            suggestion.language = (get_language() or "")[:8]
            suggestion.submitter_ip = client_ip(request)
            suggestion.save()
            request.session[SENT_SESSION_KEY] = [
                suggestion.code,
                *request.session.get(SENT_SESSION_KEY, [])[:4],
            ]
            return redirect(reverse("suggestions:sent", args=[suggestion.code]) + _lang_query(lang))
        form.refresh_started()
    context = {
        "form": form,
        "office": office,
        "channel": channel,
        "kiosk": kiosk,
        "lang_query": _lang_query(lang),
        "lang": lang,
        "languages": _kiosk_languages(request) if kiosk else [],
    }
    return render(request, "suggestions/new.html", context, status=400 if form.is_bound else 200)


def _keep_draft(request: HttpRequest, channel: str) -> bool:
    """Keep a posted suggestion's fields (not its office, token or trap) in the session;
    False when there was nothing to keep."""
    fields = {name: request.POST.get(name, "")[:5000] for name in DRAFT_FIELDS}
    if not fields["text"].strip():
        return False
    if channel == Channel.KIOSK:
        # The next citizen may stand at the kiosk within minutes: never their name or contact.
        fields.update(name="", contact="", contact_consent="")
    request.session[DRAFT_SESSION_KEY] = {
        "fields": fields,
        "channel": channel,
        "kept_at": time.time(),
    }
    return True


def _take_draft(request: HttpRequest, channel: str) -> dict[str, Any] | None:
    """The kept suggestion, once, if it is fresh and from the same kind of device: a kiosk's
    draft is kept only minutes, so the next citizen at the kiosk does not find it."""
    draft = request.session.pop(DRAFT_SESSION_KEY, None)
    if not isinstance(draft, dict) or draft.get("channel") != channel:
        return None
    keep = settings.SUGGESTIONS[
        "KIOSK_DRAFT_KEEP_SECONDS" if channel == Channel.KIOSK else "DRAFT_KEEP_SECONDS"
    ]
    if time.time() - float(draft.get("kept_at", 0)) > keep:
        return None
    fields = draft.get("fields") or {}
    initial = {name: fields.get(name, "") for name in DRAFT_FIELDS}
    initial["contact_consent"] = fields.get("contact_consent") in ("on", "true", "1", True)
    return initial


def _kiosk_languages(request: HttpRequest) -> list[dict[str, str]]:
    """Language links for the kiosk form: the same page with `lang=…`, no cookie set."""
    links = []
    for code, _name in settings.LANGUAGES:
        query = request.GET.copy()
        query["lang"] = code
        info = translation.get_language_info(code)
        links.append({"code": code, "name": info["name_local"], "url": "?" + query.urlencode()})
    return links


def _qr_svg(url: str) -> str:
    title = _("QR code of your suggestion's status page")
    return qr_svg(url, css_class="sg-qr", border=2, title=title)


@never_cache
def sent(request: HttpRequest, code: str) -> HttpResponse:
    """Right after sending: the tracking code, large, with a QR code of the status page."""
    lang = _language_from_link(request)
    status_path = reverse("suggestions:status", args=[code]) + _lang_query(lang)
    if code not in request.session.get(SENT_SESSION_KEY, []):
        return redirect(status_path)
    suggestion = get_object_or_404(Suggestion.objects.select_related("office"), code=code)
    status_url = request.build_absolute_uri(status_path)  # for the citizen's own phone
    kiosk = suggestion.channel == Channel.KIOSK
    if kiosk:
        # Shown once: the next citizen at the kiosk cannot bring this page back; the code
        # stays with the citizen (on screen now, then on paper or in their phone's camera).
        request.session[SENT_SESSION_KEY] = [
            sent_code for sent_code in request.session[SENT_SESSION_KEY] if sent_code != code
        ]
    context = {
        "suggestion": suggestion,
        "status_url": status_url,
        "status_link": reverse("suggestions:status", args=[code]) + _lang_query(lang, kiosk),
        "qr_svg": _qr_svg(status_url),
        "kiosk": kiosk,
        "kiosk_home": KIOSK_HOME,
    }
    return render(request, "suggestions/sent.html", context)


@require_GET
def track(request: HttpRequest) -> HttpResponse:
    """Type a tracking code; a well-formed one goes to its status page."""
    lang, kiosk = _language_from_link(request), _on_kiosk(request)
    form = TrackForm(request.GET if "code" in request.GET else None)
    if form.is_bound and form.is_valid():
        code = form.cleaned_data["code"]
        return redirect(reverse("suggestions:status", args=[code]) + _lang_query(lang, kiosk))
    context = {"form": form, "not_found": form.is_bound, "lang": lang, "kiosk": kiosk}
    return render(request, "suggestions/track.html", context, status=404 if form.is_bound else 200)


def _lookup(code: str) -> tuple[Suggestion | None, list[SeenStamp], list[Reply]]:
    """The same three queries whether or not the code exists: no timing tell."""
    suggestion = Suggestion.objects.select_related("office").filter(code=code).first()
    stamps = list(SeenStamp.objects.filter(suggestion__code=code).order_by("at", "pk"))
    replies = list(Reply.objects.filter(suggestion__code=code).order_by("created_at", "pk"))
    return suggestion, stamps, replies


@require_GET
@never_cache
def status(request: HttpRequest, code: str) -> HttpResponse:
    """What happened to a suggestion: received → seen (by role and date) → answered → closed."""
    lang, kiosk = _language_from_link(request), _on_kiosk(request)
    wait = hit(request, "suggestion_lookup")
    if wait is not None:
        return _rate_limited(request, wait, kiosk)
    suggestion, stamps, replies = _lookup(normalise_code(code) or "")
    if suggestion is None:
        form = TrackForm(initial={"code": code[:20]})
        context = {"form": form, "not_found": True, "lang": lang, "kiosk": kiosk}
        return render(request, "suggestions/track.html", context, status=404)
    context = {
        "suggestion": suggestion,
        "stamps": stamps,
        "replies": replies,
        "kiosk": kiosk,
        "kiosk_home": KIOSK_HOME,
        "lang_query": _lang_query(lang, kiosk),
    }
    return render(request, "suggestions/status.html", context)


def boards(request: HttpRequest) -> HttpResponse:
    """Offices that publish a suggestion board."""
    offices = (
        Office.objects.filter(is_active=True, public_board=True)
        .select_related("unit")
        .annotate(published=Count("suggestions", filter=Q(suggestions__is_public=True)))
    )
    return render(request, "suggestions/boards.html", {"offices": offices})


def board(request: HttpRequest, office_id: int) -> HttpResponse:
    """An office's public board: published suggestions and public replies, no personal data."""
    office = get_object_or_404(Office, pk=office_id, is_active=True, public_board=True)
    published = (
        Suggestion.objects.filter(office=office, is_public=True)
        .only("code", "category", "text", "status", "created_at", "office_id")
        .prefetch_related(
            Prefetch(
                "replies", queryset=Reply.objects.filter(is_public=True), to_attr="public_replies"
            )
        )
    )
    page = Paginator(published, 20).get_page(request.GET.get("page"))
    return render(request, "suggestions/board.html", {"office": office, "page": page})


# --- Officials -----------------------------------------------------------------------


def _can_act(user: User | AnonymousUser, suggestion: Suggestion) -> bool:
    return has_role(user, suggestion.office.unit, Role.MANAGER)


@login_required
def suggestion_list(request: AuthenticatedRequest) -> HttpResponse:
    offices = Office.objects.visible_to(request.user).select_related("unit")
    form = SuggestionFilterForm(request.GET or None, offices=offices)
    suggestions = Suggestion.objects.visible_to(request.user).select_related("office", "assignee")
    if form.is_bound and not form.is_valid():
        suggestions = suggestions.none()
    elif form.is_bound:
        suggestions = suggestions.matching(user=request.user, **form.cleaned_data)
    page = Paginator(suggestions, 50).get_page(request.GET.get("page"))
    deadlines = {
        "seen": settings.SUGGESTIONS["SEEN_WITHIN_WORKING_DAYS"],
        "answer": settings.SUGGESTIONS["ANSWER_WITHIN_WORKING_DAYS"],
    }
    context = {"form": form, "page": page, "deadlines": deadlines}
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(request, "suggestions/list.html", context, status=status)


def _render_detail(
    request: AuthenticatedRequest, suggestion: Suggestion, status: int = 200, **forms: Form
) -> HttpResponse:
    can_act = _can_act(request.user, suggestion)
    context = {
        "suggestion": suggestion,
        "stamps": suggestion.stamps.all(),
        "replies": suggestion.replies.select_related("author"),
        "can_act": can_act,
        "already_stamped": suggestion.stamps.filter(user=request.user).exists(),
        "reply_form": forms.get("reply_form") or ReplyForm(),
        "assign_form": forms.get("assign_form")
        or (AssignForm(suggestion=suggestion) if can_act else None),
    }
    return render(request, "suggestions/detail.html", context, status=status)


def _in_scope(request: AuthenticatedRequest, pk: int, min_role: str = Role.VIEWER) -> Suggestion:
    queryset = Suggestion.objects.select_related("office__unit", "assignee")
    return get_in_scope(request.user, queryset, min_role=min_role, pk=pk)


@login_required
def detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _in_scope(request, pk))


def _closed(request: AuthenticatedRequest, suggestion: Suggestion) -> HttpResponse:
    messages.error(request, _("This suggestion is closed; nothing more can be done on it."))
    return _render_detail(request, suggestion, status=409)


@login_required
@require_POST
def mark_seen(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    suggestion = _in_scope(request, pk, Role.MANAGER)
    stamp = suggestion.stamp_seen(request.user)
    if stamp is None:
        messages.info(request, _("You had already marked this suggestion as seen."))
    else:
        AuditEvent.record(request, "suggestion.seen", suggestion, role=stamp.role)
        messages.success(request, _("Marked as seen. Your stamp is recorded and cannot be undone."))
    return redirect("suggestions:detail", pk=suggestion.pk)


@login_required
@require_POST
def reply(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    suggestion = _in_scope(request, pk, Role.MANAGER)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, suggestion, status=400, reply_form=form)
    try:
        answer, stamp = suggestion.add_reply(
            request.user, form.cleaned_data["text"], form.cleaned_data["public"]
        )
    except SuggestionClosed:
        return _closed(request, suggestion)
    if stamp is not None:
        AuditEvent.record(request, "suggestion.seen", suggestion, role=stamp.role)
    AuditEvent.record(request, "suggestion.replied", suggestion, public=answer.is_public)
    messages.success(request, _("Reply sent. The citizen can read it with the tracking code."))
    return redirect("suggestions:detail", pk=suggestion.pk)


@login_required
@require_POST
def assign(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    suggestion = _in_scope(request, pk, Role.MANAGER)
    form = AssignForm(request.POST, suggestion=suggestion)
    if not form.is_valid():
        return _render_detail(request, suggestion, status=400, assign_form=form)
    assignee = form.cleaned_data["assignee"]
    try:
        suggestion.assign_to(request.user, assignee)
    except SuggestionClosed:
        return _closed(request, suggestion)
    username = assignee.get_username() if assignee else ""
    AuditEvent.record(request, "suggestion.assigned", suggestion, assignee=username)
    messages.success(request, _("Assignment saved."))
    return redirect("suggestions:detail", pk=suggestion.pk)


@login_required
@require_POST
def publish(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    suggestion = _in_scope(request, pk, Role.MANAGER)
    form = PublishForm(request.POST)
    form.is_valid()  # a lone boolean: anything but a true value means "unpublish"
    public = form.cleaned_data.get("public", False)
    suggestion.set_public(request.user, public)
    action = "suggestion.published" if public else "suggestion.unpublished"
    AuditEvent.record(request, action, suggestion)
    if public and not suggestion.office.public_board:
        messages.warning(
            request, _("Marked public, but this office's public board is switched off.")
        )
    else:
        messages.success(request, _("Public board updated."))
    return redirect("suggestions:detail", pk=suggestion.pk)


@login_required
@require_POST
def close(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    suggestion = _in_scope(request, pk, Role.MANAGER)
    try:
        suggestion.close(request.user)
    except SuggestionClosed:
        return _closed(request, suggestion)
    AuditEvent.record(request, "suggestion.closed", suggestion)
    messages.success(request, _("Suggestion closed."))
    return redirect("suggestions:detail", pk=suggestion.pk)
