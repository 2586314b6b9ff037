"""Report pages and exports. Every view fetches its subject through `resolve_subject`
(404 outside the user's scope); bad months and query strings give 400/404."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest, PermissionDenied
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from common.forms import bound_to_query, posted, posted_files
from common.months import Month, MonthError
from inspections.models import Inspection
from offices.models import (
    AdministrativeUnit,
    AuditEvent,
    Office,
    Role,
    holds_role_anywhere,
    is_active_superuser,
    memberships_of,
    role_over,
)
from offices.scope import get_in_scope
from reports.before_after import WINDOW_MONTHS, before_after_rows
from reports.comments import can_moderate, comments_for, newest_comments
from reports.dossiers import save_dossier_rows
from reports.exports import RawResponsesExporter, ReportTablesExporter
from reports.forms import (
    BeforeAfterForm,
    CommentSearchForm,
    DossierImportForm,
    HideCommentForm,
    ReportPickForm,
)
from reports.monthly import build_dashboard, build_monthly_report
from reports.subjects import resolve_subject
from surveys.models import Answer

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    from reports.subjects import Subject

BEFORE_AFTER_PAGE_SIZE = 25


def _month_or_404(text: str, subject: Subject) -> Month:
    try:
        return Month.parse(text, latest=subject.current_month())
    except MonthError:
        raise Http404 from None


def _default_unit_id(user: User | AnonymousUser) -> int | None:
    if is_active_superuser(user):
        root = AdministrativeUnit.objects.get_first_root_node()
        return root.pk if root else None
    units = sorted((m.unit for m in memberships_of(user)), key=lambda u: u.path)
    return units[0].pk if units else None


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    unit_id = request.GET.get("unit") or _default_unit_id(request.user)
    if unit_id is None:
        return render(request, "reports/no_scope.html", status=404)
    if not (str(unit_id).isascii() and str(unit_id).isdigit()):  # isdigit() alone takes "²"
        raise BadRequest("unit must be an id")  # the 400 page says why
    subject = resolve_subject(request.user, "unit", int(unit_id))
    context = {
        "dashboard": build_dashboard(subject),
        "scope_roots": [m.unit for m in memberships_of(request.user)],
        "can_import": holds_role_anywhere(request.user, Role.MANAGER),
    }
    return render(request, "reports/dashboard.html", context)


@login_required
def pick(request: HttpRequest) -> HttpResponse:
    """The "pick unit + month" form (GET); a valid choice redirects to the report."""
    form = ReportPickForm(request.GET or None, user=request.user)
    if request.GET and form.is_valid():
        kind, pk = form.subject_key()
        month = form.cleaned_data["month"]
        return redirect("reports:report", kind=kind, pk=pk, month=str(month))
    status = 400 if request.GET else 200
    return render(request, "reports/pick.html", {"form": form}, status=status)


@login_required
def report(request: HttpRequest, kind: str, pk: int, month: str) -> HttpResponse:
    subject = resolve_subject(request.user, kind, pk)
    report_month = _month_or_404(month, subject)
    moderator = can_moderate(request.user, subject)
    context = {
        "report": build_monthly_report(subject, report_month),
        "comments": newest_comments(subject, report_month, include_hidden=moderator, limit=10),
        "can_moderate": moderator,
    }
    return render(request, "reports/report.html", context)


@login_required
def comments(request: HttpRequest, kind: str, pk: int, month: str) -> HttpResponse:
    subject = resolve_subject(request.user, kind, pk)
    report_month = _month_or_404(month, subject)
    form = CommentSearchForm(request.GET)
    if not form.is_valid():
        return render(request, "reports/comments.html", {"form": form}, status=400)
    moderator = can_moderate(request.user, subject)
    answers = comments_for(
        subject, report_month, include_hidden=moderator, search=form.cleaned_data["q"] or ""
    )
    page = Paginator(answers, 50).get_page(form.cleaned_data["page"] or 1)
    context = {"subject": subject, "month": report_month, "form": form, "page": page}
    context["can_moderate"] = moderator
    return render(request, "reports/comments.html", context)


@login_required
@require_POST
def hide_comment(request: HttpRequest, answer_id: int) -> HttpResponse:
    """Hide (or show again) an abusive comment: managers and above, audit-logged."""
    answer = get_object_or_404(Answer.objects.exclude(text=""), pk=answer_id)
    office = get_in_scope(
        request.user, Office.objects.all(), min_role=Role.MANAGER, pk=answer.response.office_id
    )
    form = HideCommentForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest()
    answer.is_hidden = form.cleaned_data["hidden"]
    answer.save(update_fields=["is_hidden"])
    action = "comment_hidden" if answer.is_hidden else "comment_shown"
    AuditEvent.record(request, action, office, answer=answer.pk, response=str(answer.response_id))
    target = form.cleaned_data["next"]
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = reverse("reports:dashboard")
    return redirect(target)


def _audit_export(
    request: HttpRequest, subject: Subject, month: Month, what: str, fmt: str
) -> None:
    AuditEvent.record(
        request, "export", subject.obj, kind=subject.kind, month=str(month), what=what, format=fmt
    )


@login_required
def export_tables(
    request: HttpRequest, kind: str, pk: int, month: str, fmt: str
) -> StreamingHttpResponse | FileResponse:
    subject = resolve_subject(request.user, kind, pk)
    report_month = _month_or_404(month, subject)
    exporter = ReportTablesExporter(build_monthly_report(subject, report_month))
    _audit_export(request, subject, report_month, "tables", fmt)
    return exporter.csv_response() if fmt == "csv" else exporter.xlsx_response()


@login_required
def export_responses(
    request: HttpRequest, kind: str, pk: int, month: str, fmt: str
) -> StreamingHttpResponse | FileResponse:
    subject = resolve_subject(request.user, kind, pk)
    report_month = _month_or_404(month, subject)
    unit = subject.obj if subject.kind == "unit" else subject.office.unit  # type: ignore[union-attr]
    exporter = RawResponsesExporter(
        subject, report_month, to_the_hour=role_over(request.user, unit) == Role.VIEWER
    )
    _audit_export(request, subject, report_month, "responses", fmt)
    return exporter.csv_response() if fmt == "csv" else exporter.xlsx_response()


@login_required
def export_pdf(request: HttpRequest, kind: str, pk: int, month: str) -> HttpResponse:
    from reports.pdf import PDF_COMMENTS, render_pdf

    subject = resolve_subject(request.user, kind, pk)
    report_month = _month_or_404(month, subject)
    comments = newest_comments(subject, report_month, include_hidden=False, limit=PDF_COMMENTS)
    pdf = render_pdf(build_monthly_report(subject, report_month), comments=comments)
    _audit_export(request, subject, report_month, "report", "pdf")
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = f"report-{subject.kind}-{subject.pk}-{report_month}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def import_dossiers(request: HttpRequest) -> HttpResponse:
    """Managers upload dossiers-handled figures for the offices they manage."""
    if not holds_role_anywhere(request.user, Role.MANAGER):
        raise PermissionDenied
    offices = Office.objects.visible_to(request.user, min_role=Role.MANAGER)
    form = DossierImportForm(posted(request), posted_files(request), offices=offices)
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "reports/import_dossiers.html", {"form": form}, status=400)
        count = save_dossier_rows(form.rows)
        AuditEvent.record(request, "dossiers_imported", None, rows=count)
        messages.success(
            request, ngettext("%(n)s figure saved.", "%(n)s figures saved.", count) % {"n": count}
        )
        return redirect("reports:import_dossiers")
    return render(request, "reports/import_dossiers.html", {"form": form})


def method(request: HttpRequest) -> HttpResponse:
    """How the index is computed (public)."""
    from django.conf import settings

    return render(request, "reports/method.html", {"survey_settings": settings.SURVEY})


@login_required
@bound_to_query(BeforeAfterForm, "reports/inspections.html")
def inspections(request: HttpRequest, form: BeforeAfterForm) -> HttpResponse:
    """Satisfaction before and after each inspection in a unit and period the user may read."""
    data = form.cleaned_data
    held = (
        Inspection.objects.visible_to(request.user)
        .in_subtree(data["unit"])
        .in_period(data["date_from"], form.end_exclusive)
        .select_related("unit", "office")
        .order_by("-date", "-pk")
    )
    page = Paginator(held, BEFORE_AFTER_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "unit": data["unit"],
        "page": page,
        "rows": before_after_rows(page.object_list),
        "window_months": WINDOW_MONTHS,
    }
    return render(request, "reports/inspections.html", context)
