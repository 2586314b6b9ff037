from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.forms import bound_to_query, posted, posted_files
from inspections.counts import LEVELS, build_counts
from inspections.exports import COUNT_TABLES, CountsExporter, RegisterExporter
from inspections.forms import CaseForm, InspectionForm, RegisterFilterForm, ReportForm
from inspections.models import (
    DisciplinaryCase,
    Inspection,
    InspectionQuerySet,
    is_inspector_over,
    may_record_any,
)
from inspections.scope import get_inspection
from offices.files import serve_private
from offices.models import AuditEvent

PAGE_SIZE = 50
FORMATS = ("csv", "xlsx")


def _filtered(
    request: HttpRequest,
) -> tuple[RegisterFilterForm, InspectionQuerySet[Inspection] | None]:
    """The register in the user's scope, filtered by the GET form (None when invalid)."""
    form = RegisterFilterForm(request.GET or None, user=request.user)
    inspections = Inspection.objects.visible_to(request.user)
    if form.is_bound and not form.is_valid():
        return form, None
    return form, form.filter(inspections) if form.is_bound else inspections


@login_required
def register(request: HttpRequest) -> HttpResponse:
    form, inspections = _filtered(request)
    status = 200 if inspections is not None else 400
    rows = (inspections if inspections is not None else Inspection.objects.none()).select_related(
        "unit", "office"
    )
    rows = rows.with_case_count().order_by("-date", "-pk")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "may_record": may_record_any(request.user)}
    return render(request, "inspections/register.html", context, status=status)


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = get_inspection(request.user, pk)
    context = {
        "inspection": inspection,
        "cases": inspection.cases.select_related("staff"),
        "may_change": is_inspector_over(request.user, inspection.unit),
    }
    return render(request, "inspections/detail.html", context)


def _save_inspection(
    request: HttpRequest, form: InspectionForm, action: str
) -> HttpResponseRedirect:
    inspection = form.save(commit=False)
    if inspection.pk is None:
        inspection.created_by = request.user
    inspection.save()
    AuditEvent.record(
        request, action, inspection, inspection=inspection.pk, fields=sorted(form.changed_data)
    )
    messages.success(request, _("The inspection was saved."))
    return redirect("inspections:detail", pk=inspection.pk)


@login_required
def create(request: HttpRequest) -> HttpResponse:
    if not may_record_any(request.user):
        raise PermissionDenied
    form = InspectionForm(posted(request), posted_files(request), user=request.user)
    if request.method == "POST" and form.is_valid():
        return _save_inspection(request, form, "inspection.create")
    status = 400 if form.is_bound else 200
    context = {"form": form, "inspection": None}
    return render(request, "inspections/form.html", context, status=status)


@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = get_inspection(request.user, pk, change=True)
    form = InspectionForm(
        posted(request), posted_files(request), instance=inspection, user=request.user
    )
    if request.method == "POST" and form.is_valid():
        return _save_inspection(request, form, "inspection.update")
    status = 400 if form.is_bound else 200
    context = {"form": form, "inspection": inspection}
    return render(request, "inspections/form.html", context, status=status)


@login_required
def attachment(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The attachment, for those who may read the inspection (404 for everyone else)."""
    return serve_private(get_inspection(request.user, pk).attachment)


@login_required
def case_form(request: HttpRequest, pk: int, case_pk: int | None = None) -> HttpResponse:
    inspection = get_inspection(request.user, pk, change=True)
    case = get_object_or_404(inspection.cases, pk=case_pk) if case_pk else None
    form = CaseForm(posted(request), instance=case, inspection=inspection)
    if request.method == "POST" and form.is_valid():
        case = form.save()
        action = "inspection.case.update" if case_pk else "inspection.case.create"
        AuditEvent.record(request, action, case, inspection=inspection.pk, case=case.pk)
        messages.success(request, _("The disciplinary case was saved."))
        return redirect("inspections:detail", pk=inspection.pk)
    status = 400 if form.is_bound else 200
    context = {"form": form, "inspection": inspection, "case": case}
    return render(request, "inspections/case_form.html", context, status=status)


@login_required
@require_POST
def case_delete(request: HttpRequest, pk: int, case_pk: int) -> HttpResponseRedirect:
    inspection = get_inspection(request.user, pk, change=True)
    case: DisciplinaryCase = get_object_or_404(inspection.cases, pk=case_pk)
    AuditEvent.record(
        request, "inspection.case.delete", case, inspection=inspection.pk, case=case.pk
    )
    case.delete()
    messages.success(request, _("The disciplinary case was removed."))
    return redirect("inspections:detail", pk=inspection.pk)


@login_required
@bound_to_query(ReportForm, "inspections/report.html")
def report(request: HttpRequest, form: ReportForm) -> HttpResponse:
    data = form.cleaned_data
    counts = build_counts(request.user, data["unit"], *form.period, data["group"])
    drill = request.GET.copy()
    drill.pop("unit", None)
    drill["unit"] = ""  # last, so a link only appends the unit's id
    context = {
        "form": form,
        "counts": counts,
        "level_labels": [level.label for level in LEVELS],
        "drill_url": f"?{drill.urlencode()}",
    }
    return render(request, "inspections/report.html", context)


@login_required
def export_register(request: HttpRequest, fmt: str) -> HttpResponseBase:
    form, inspections = _filtered(request)
    if fmt not in FORMATS or inspections is None:
        return HttpResponseBadRequest(_("Check the filters: some values are not valid."))
    AuditEvent.record(request, "inspection.export", fmt=fmt, filters=request.GET.dict())
    if fmt == "csv":
        return RegisterExporter(inspections).csv_response()
    cases = DisciplinaryCase.objects.filter(inspection__in=inspections.values("pk"))
    return RegisterExporter(inspections, cases).xlsx_response()


@login_required
def export_counts(request: HttpRequest, fmt: str) -> HttpResponseBase:
    form = ReportForm(request.GET, user=request.user)
    table = request.GET.get("table", "period")
    if fmt not in FORMATS or table not in COUNT_TABLES or not form.is_valid():
        return HttpResponseBadRequest(_("Check the filters: some values are not valid."))
    data = form.cleaned_data
    counts = build_counts(request.user, data["unit"], *form.period, data["group"])
    if fmt == "csv":
        return CountsExporter(counts, only=table).csv_response()
    return CountsExporter(counts).xlsx_response()
