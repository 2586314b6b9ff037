from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from common.forms import posted
from common.requests import AuthenticatedRequest
from offices.files import serve_private
from offices.forms import StartServingForm
from offices.models import (
    KIOSK_COOKIE,
    AuditEvent,
    CounterSession,
    CounterSessionError,
    Kiosk,
    Office,
    Role,
    SessionEnd,
    SessionStart,
    StaffMember,
    has_role,
    memberships_of,
    visible_lineage,
)
from offices.scope import get_in_scope

if TYPE_CHECKING:
    from django.contrib.auth.models import User


@login_required
def my_offices(request: AuthenticatedRequest) -> HttpResponse:
    """The offices in the official's scope, grouped under their units."""
    offices = Office.objects.visible_to(request.user).select_related("unit")
    memberships = memberships_of(request.user)
    return render(
        request,
        "offices/my_offices.html",
        {
            "offices": offices,
            "memberships": memberships,
            "officer": _officer_of(request.user),
        },
    )


@login_required
def office_detail(request: AuthenticatedRequest, office_id: int) -> HttpResponse:
    office = get_in_scope(request.user, Office.objects.select_related("unit"), pk=office_id)
    lineage = visible_lineage(request.user, office.unit)
    return render(
        request,
        "offices/office_detail.html",
        {
            "office": office,
            "lineage": lineage,
            "desks": office.desks.prefetch_related("procedure_fields", "staff"),
            "current_month": timezone.localtime(timezone.now(), office.tz).strftime("%Y-%m"),
            # Receipt codes are worth one rating each: managers mint them, viewers do not.
            "may_mint_receipts": has_role(request.user, office.unit, Role.MANAGER),
        },
    )


# --- Counter sessions: the officer's own page ------------------------------------------


def _officer_of(user: User) -> StaffMember | None:
    """The active officer this login belongs to, if any."""
    return (
        StaffMember.objects.select_related("office__unit").filter(user=user, is_active=True).first()
    )


def _not_an_officer(request: HttpRequest) -> HttpResponse:
    return render(request, "offices/not_an_officer.html", status=403)


@login_required
def serving(request: AuthenticatedRequest) -> HttpResponse:
    """Start serving at a desk (POST) or see where one serves now (GET)."""
    officer = _officer_of(request.user)
    if officer is None:
        return _not_an_officer(request)
    form = StartServingForm(posted(request), officer=officer)
    if request.method == "POST" and form.is_valid():
        desk = form.cleaned_data["desk"]
        try:
            session = desk.start_serving(
                officer, how=SessionStart.WEB, alone=form.cleaned_data["alone"], by=request.user
            )
        except CounterSessionError as error:
            form.add_error(None, error.message)
        else:
            AuditEvent.record(request, "session.started", session, desk=desk.pk)
            messages.success(request, _("You are serving at counter %(n)s.") % {"n": desk.number})
            return redirect("offices:serving")
    context = {
        "officer": officer,
        "session": officer.current_session(),
        "form": form,
        "history": CounterSession.objects.filter(staff=officer).select_related("desk")[:10],
    }
    return render(request, "offices/serving.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def stop_serving(request: AuthenticatedRequest) -> HttpResponse:
    officer = _officer_of(request.user)
    if officer is None:
        return _not_an_officer(request)
    session = CounterSession.stop(officer, how=SessionEnd.STOPPED, by=request.user)
    if session is not None:
        AuditEvent.record(request, "session.stopped", session, desk=session.desk_id)
        messages.success(request, _("You have stopped serving."))
    return redirect("offices:serving")


@require_GET
def staff_photo(request: HttpRequest, staff_id: int) -> HttpResponse | FileResponse:
    """An officer's photo (private storage): for the enrolled kiosk of their office, which
    shows who is serving, and for officials over the office. 404 for everyone else."""
    staff = get_object_or_404(StaffMember, pk=staff_id)
    kiosk, _problem = Kiosk.for_credential(request.COOKIES.get(KIOSK_COOKIE, ""))
    by_kiosk = kiosk is not None and kiosk.office_id == staff.office_id
    by_official = request.user.is_authenticated and (
        Office.objects.visible_to(request.user).filter(pk=staff.office_id).exists()
    )
    if not (by_kiosk or by_official):
        raise Http404
    response = serve_private(staff.photo, as_attachment=False)
    response["Cache-Control"] = "private, max-age=3600"
    return response
