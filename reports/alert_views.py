"""Officials' alert pages: the list for a unit or office, one alert, acknowledging it.

Every page starts from `Alert.objects.visible_to(user)` or `get_in_scope` (404 outside
the user's scope); acknowledging needs the manager role over the office (403 for viewers).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.requests import AuthenticatedRequest
from offices.models import ROLE_RANK, AdministrativeUnit, AuditEvent, Office, Role, role_over
from offices.scope import get_in_scope
from reports.alert_forms import AcknowledgeForm, AlertFilterForm
from reports.alerts import describe
from reports.models import Alert, AlertStatus

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


def _can_acknowledge(user: User | AnonymousUser, alert: Alert) -> bool:
    role = role_over(user, alert.office.unit)
    return role is not None and ROLE_RANK[role] >= ROLE_RANK[Role.MANAGER]


@login_required
def alert_list(request: HttpRequest) -> HttpResponse:
    form = AlertFilterForm(request.GET)
    if not form.is_valid():
        raise BadRequest("unit, office and status must be valid")
    alerts = Alert.objects.visible_to(request.user)
    place = None
    if form.cleaned_data["office"]:
        place = get_in_scope(request.user, Office.objects.all(), pk=form.cleaned_data["office"])
        alerts = alerts.filter(office=place)
    elif form.cleaned_data["unit"]:
        place = get_in_scope(
            request.user, AdministrativeUnit.objects.all(), pk=form.cleaned_data["unit"]
        )
        alerts = alerts.filter(office__unit__path__startswith=place.path)
    status = form.cleaned_data["status"]
    if status != "all":
        alerts = alerts.filter(status=AlertStatus.RESOLVED if status else AlertStatus.OPEN)
    alerts = alerts.select_related("office", "desk", "kiosk").order_by("-opened_at", "-pk")
    page = Paginator(alerts, 50).get_page(request.GET.get("page"))
    rows = [(alert, describe(alert)) for alert in page]
    context = {"page": page, "rows": rows, "place": place, "status": status, "form": form}
    return render(request, "reports/alerts.html", context)


@login_required
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    alert = get_in_scope(
        request.user,
        Alert.objects.select_related("office__unit", "desk", "kiosk", "acknowledged_by"),
        pk=pk,
    )
    context = {
        "alert": alert,
        "description": describe(alert),
        "can_acknowledge": _can_acknowledge(request.user, alert),
        "form": AcknowledgeForm(),
    }
    return render(request, "reports/alert_detail.html", context)


@login_required
@require_POST
def acknowledge(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    alert = get_in_scope(
        request.user, Alert.objects.select_related("office__unit"), min_role=Role.MANAGER, pk=pk
    )
    form = AcknowledgeForm(request.POST)
    if not form.is_valid():
        context = {
            "alert": alert,
            "description": describe(alert),
            "can_acknowledge": True,
            "form": form,
        }
        return render(request, "reports/alert_detail.html", context, status=400)
    alert.acknowledged_at = timezone.now()
    alert.acknowledged_by = request.user
    alert.acknowledgement = form.cleaned_data["comment"]
    alert.save(update_fields=["acknowledged_at", "acknowledged_by", "acknowledgement"])
    AuditEvent.record(request, "alert_acknowledged", alert.office, alert=alert.pk, rule=alert.rule)
    messages.success(request, _("Alert acknowledged."))
    return redirect("alerts:detail", pk=alert.pk)
