"""Scoring pages: the self-assessment, its evidence, its submission and the appraisal.

Every view fetches the unit through `_fetch` (404 outside what the user may read, or
when the set does not apply to the unit); a role too weak for the action is 403, an
action the assessment's state no longer allows is 409, bad input is 400 and changes
nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.forms import posted, posted_files
from common.requests import AuthenticatedRequest
from offices.files import serve_private
from offices.models import (
    ROLE_RANK,
    AdministrativeUnit,
    AuditEvent,
    Role,
    is_active_superuser,
    memberships_of,
)
from reform.forms import AppraisalForm, EvidenceForm, SelfAssessmentForm, SetImportForm
from reform.models import (
    Assessment,
    CriteriaSet,
    Criterion,
    Evidence,
    Score,
    Source,
    Status,
    may_appraise,
    may_read,
    readable_units,
    reader_paths,
    unit_role,
)
from reform.scoring import SetTree
from reform.sets_io import CriteriaSetExporter, ImportError_, parse, read_rows, save_set

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User
    from django.db.models import QuerySet
    from django.forms import Form


PAGE_SIZE = 50


def _fetch(
    user: User | AnonymousUser, set_pk: int, unit_pk: int
) -> tuple[CriteriaSet, AdministrativeUnit, Assessment | None]:
    criteria_set = get_object_or_404(CriteriaSet.objects.select_related("issuer"), pk=set_pk)
    unit = get_object_or_404(AdministrativeUnit, pk=unit_pk)
    if not may_read(user, unit) or not criteria_set.applies_to(unit):
        raise Http404
    assessment = Assessment.objects.filter(criteria_set=criteria_set, unit=unit).first()
    return criteria_set, unit, assessment


def _has_role(user: User | AnonymousUser, unit: AdministrativeUnit, role: str) -> bool:
    held = unit_role(user, unit)
    return held is not None and ROLE_RANK[held] >= ROLE_RANK[role]


def _status(assessment: Assessment | None) -> str:
    return assessment.status if assessment else Status.DRAFT


def _conflict(request: HttpRequest, text: str) -> HttpResponse:
    return render(request, "reform/conflict.html", {"message": text}, status=409)


def set_visible(user: User | AnonymousUser, criteria_set: CriteriaSet) -> bool:
    """A set is visible to whoever reads a unit it applies to (above or below the issuer)."""
    paths = reader_paths(user)
    issuer = criteria_set.issuer.path
    return paths is None or any(issuer.startswith(p) or p.startswith(issuer) for p in paths)


@login_required
def home(request: AuthenticatedRequest) -> HttpResponse:
    units = readable_units(request.user)
    assessments = (
        Assessment.objects.filter(unit__in=units)
        .select_related("criteria_set", "unit")
        .order_by("-criteria_set__year", "unit__path")
    )
    page = Paginator(assessments, PAGE_SIZE).get_page(request.GET.get("page"))
    started = {(a.criteria_set_id, a.unit_id) for a in page.object_list}
    to_start = []
    for membership in memberships_of(request.user, Role.MANAGER):
        for criteria_set in CriteriaSet.objects.for_unit(membership.unit)[:2]:
            if (criteria_set.pk, membership.unit_id) not in started:
                to_start.append((criteria_set, membership.unit))
    context = {"page": page, "to_start": to_start}
    return render(request, "reform/home.html", context)


def _page(
    request: HttpRequest,
    criteria_set: CriteriaSet,
    unit: AdministrativeUnit,
    assessment: Assessment | None,
    *,
    status: int = 200,
    **forms: Form,
) -> HttpResponse:
    tree = SetTree.load(criteria_set)
    leaves = tree.leaves()
    scores = {s.criterion_id: s for s in assessment.scores.all()} if assessment else {}
    files: dict[int, list[Evidence]] = {}
    for item in assessment.evidence.all() if assessment else []:
        files.setdefault(item.criterion_id, []).append(item)
    own = [c for c in leaves if c.source == Source.SELF]
    state = _status(assessment)
    can_self = state == Status.DRAFT and _has_role(request.user, unit, Role.MANAGER)
    can_appraise = state == Status.SUBMITTED and may_appraise(request.user, unit)
    if can_self and "self_form" not in forms:
        forms["self_form"] = SelfAssessmentForm(criteria=own, scores=scores)
    if can_self and "evidence_form" not in forms:
        forms["evidence_form"] = EvidenceForm(criteria=own)
    if can_appraise and "appraisal_form" not in forms:
        forms["appraisal_form"] = AppraisalForm(criteria=own, scores=scores)
    self_score = tree.score({cid: s.self_value for cid, s in scores.items()})
    final_score = tree.score({cid: s.final_value for cid, s in scores.items()})
    self_points, final_points = self_score.by_criterion(), final_score.by_criterion()
    rows = [
        {
            "criterion": c,
            "score": scores.get(c.pk),
            "self": self_points[c.pk],
            "final": final_points[c.pk],
            "files": files.get(c.pk, []),
        }
        for c in leaves
    ]
    context = {
        "criteria_set": criteria_set,
        "unit": unit,
        "assessment": assessment,
        "state": state,
        "rows": rows,
        "areas": list(zip(self_score.areas, final_score.areas, strict=True)),
        "self_score": self_score,
        "final_score": final_score,
        "has_survey": any(c.source == Source.SURVEY for c in leaves),
        "can_self": can_self,
        "can_submit": state == Status.DRAFT
        and assessment is not None
        and _has_role(request.user, unit, Role.ADMIN),
        "can_appraise": can_appraise,
        **forms,
    }
    return render(request, "reform/assessment.html", context, status=status)


@login_required
def assessment(request: AuthenticatedRequest, set_pk: int, unit_pk: int) -> HttpResponse:
    criteria_set, unit, assessment = _fetch(request.user, set_pk, unit_pk)
    return _page(request, criteria_set, unit, assessment)


def _own_criteria(criteria_set: CriteriaSet) -> list[Criterion]:
    return list(criteria_set.leaf_criteria().filter(source=Source.SELF).select_related("area"))


@login_required
@require_POST
def self_assess(request: AuthenticatedRequest, set_pk: int, unit_pk: int) -> HttpResponse:
    criteria_set, unit, assessment = _fetch(request.user, set_pk, unit_pk)
    if not _has_role(request.user, unit, Role.MANAGER):
        raise PermissionDenied
    if _status(assessment) != Status.DRAFT:
        return _conflict(request, _("The self-assessment was submitted: it can no longer change."))
    criteria = _own_criteria(criteria_set)
    scores = {s.criterion_id: s for s in assessment.scores.all()} if assessment else {}
    form = SelfAssessmentForm(request.POST, criteria=criteria, scores=scores)
    if not form.is_valid():
        return _page(request, criteria_set, unit, assessment, status=400, self_form=form)
    changed = []
    with transaction.atomic():
        for criterion in filter(form.posted, criteria):
            score = scores.get(criterion.pk)
            value, note = form.value(criterion), form.text(criterion)
            old = (score.self_value, score.evidence_note) if score else (None, "")
            if (value, note) == old:
                continue
            assessment = assessment or Assessment.start(criteria_set, unit)
            score = score or Score(assessment=assessment, criterion=criterion)
            score.self_value, score.evidence_note = value, note
            score.self_by, score.self_at = request.user, timezone.now()
            score.save()
            changed.append(criterion.code)
    if changed:
        AuditEvent.record(request, "reform.self_assess", assessment, criteria=changed)
        messages.success(request, _("The self-assessment was saved."))
    return redirect("reform:assessment", set_pk=set_pk, unit_pk=unit_pk)


@login_required
@require_POST
def upload_evidence(request: AuthenticatedRequest, set_pk: int, unit_pk: int) -> HttpResponse:
    criteria_set, unit, assessment = _fetch(request.user, set_pk, unit_pk)
    if not _has_role(request.user, unit, Role.MANAGER):
        raise PermissionDenied
    if _status(assessment) != Status.DRAFT:
        return _conflict(request, _("The self-assessment was submitted: it can no longer change."))
    form = EvidenceForm(request.POST, request.FILES, criteria=_own_criteria(criteria_set))
    if not form.is_valid():
        return _page(request, criteria_set, unit, assessment, status=400, evidence_form=form)
    with transaction.atomic():
        assessment = assessment or Assessment.start(criteria_set, unit)
        item = Evidence(
            assessment=assessment,
            criterion=form.cleaned_data["criterion"],
            uploaded_by=request.user,
        )
        item.file.save(form.cleaned_data["file"].name, form.cleaned_data["file"], save=True)
    AuditEvent.record(request, "reform.evidence.upload", assessment, evidence=item.pk)
    messages.success(request, _("The file was added."))
    return redirect("reform:assessment", set_pk=set_pk, unit_pk=unit_pk)


@login_required
def evidence(request: AuthenticatedRequest, pk: int) -> HttpResponse | FileResponse:
    item = get_object_or_404(Evidence.objects.select_related("assessment__unit"), pk=pk)
    if not may_read(request.user, item.assessment.unit):
        raise Http404
    response = serve_private(item.file)  # a missing file is a 404, before the audit
    AuditEvent.record(request, "reform.evidence.download", item.assessment, evidence=item.pk)
    return response


@login_required
@require_POST
def submit(request: AuthenticatedRequest, set_pk: int, unit_pk: int) -> HttpResponse:
    criteria_set, unit, assessment = _fetch(request.user, set_pk, unit_pk)
    if not _has_role(request.user, unit, Role.ADMIN):
        raise PermissionDenied
    if assessment is None or assessment.status != Status.DRAFT:
        return _conflict(request, _("There is no self-assessment in progress to submit."))
    values = dict(assessment.scores.values_list("criterion_id", "self_value"))
    missing = [c.code for c in _own_criteria(criteria_set) if values.get(c.pk) is None]
    if missing:
        messages.error(
            request,
            _("Every criterion needs a figure before submission; missing: %(codes)s.")
            % {"codes": ", ".join(missing)},
        )
        return _page(request, criteria_set, unit, assessment, status=400)
    assessment.submit(request.user)
    AuditEvent.record(request, "reform.submit", assessment)
    messages.success(request, _("The self-assessment was submitted for appraisal."))
    return redirect("reform:assessment", set_pk=set_pk, unit_pk=unit_pk)


@login_required
@require_POST
def appraise(request: AuthenticatedRequest, set_pk: int, unit_pk: int) -> HttpResponse:
    criteria_set, unit, assessment = _fetch(request.user, set_pk, unit_pk)
    if not may_appraise(request.user, unit):
        raise PermissionDenied
    if _status(assessment) != Status.SUBMITTED:
        return _conflict(request, _("Only a submitted self-assessment can be appraised."))
    criteria = _own_criteria(criteria_set)
    # Not None: _status() is SUBMITTED only when there is an assessment.
    scores = {s.criterion_id: s for s in assessment.scores.all()}  # type: ignore[union-attr]
    form = AppraisalForm(request.POST, criteria=criteria, scores=scores)
    if not form.is_valid():
        return _page(request, criteria_set, unit, assessment, status=400, appraisal_form=form)
    changed = []
    with transaction.atomic():
        for criterion in filter(form.posted, criteria):
            score = scores.get(criterion.pk) or Score(assessment=assessment, criterion=criterion)
            value = form.value(criterion)
            reason = form.text(criterion) if value is not None else ""
            if (value, reason) == (score.appraised_value, score.appraisal_reason):
                continue
            score.appraised_value, score.appraisal_reason = value, reason
            score.appraised_by, score.appraised_at = request.user, timezone.now()
            score.save()
            changed.append(criterion.code)
    if changed:
        AuditEvent.record(request, "reform.appraise", assessment, criteria=changed)
        messages.success(request, _("The appraisal was saved."))
    return redirect("reform:assessment", set_pk=set_pk, unit_pk=unit_pk)


@login_required
@require_POST
def finish_appraisal(request: AuthenticatedRequest, set_pk: int, unit_pk: int) -> HttpResponse:
    criteria_set, unit, assessment = _fetch(request.user, set_pk, unit_pk)
    if not may_appraise(request.user, unit):
        raise PermissionDenied
    if _status(assessment) != Status.SUBMITTED:
        return _conflict(request, _("Only a submitted self-assessment can be appraised."))
    # Not None: _status() is SUBMITTED only when there is an assessment.
    assessment.finish_appraisal(request.user)  # type: ignore[union-attr]
    AuditEvent.record(request, "reform.appraisal.finish", assessment)
    messages.success(request, _("The appraisal is finished: the final score is set."))
    return redirect("reform:assessment", set_pk=set_pk, unit_pk=unit_pk)


# --- Criteria sets as spreadsheets ----------------------------------------------------


@login_required
def set_export(request: AuthenticatedRequest, pk: int, fmt: str) -> StreamingHttpResponse:
    criteria_set = get_object_or_404(CriteriaSet.objects.select_related("issuer"), pk=pk)
    if not set_visible(request.user, criteria_set):
        raise Http404
    AuditEvent.record(request, "reform.set.export", criteria_set, format=fmt)
    exporter = CriteriaSetExporter(criteria_set)
    return exporter.csv_response() if fmt == "csv" else exporter.xlsx_response()


def _issuers(user: User | AnonymousUser) -> QuerySet[AdministrativeUnit]:
    if is_active_superuser(user):
        return AdministrativeUnit.objects.all()
    return AdministrativeUnit.objects.filter(
        pk__in=[m.unit_id for m in memberships_of(user, Role.ADMIN)]
    )


@login_required
def set_import(request: AuthenticatedRequest) -> HttpResponse:
    issuers = _issuers(request.user)
    if not issuers.exists():
        raise PermissionDenied
    form = SetImportForm(posted(request), posted_files(request), issuers=issuers)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if CriteriaSet.objects.filter(
            issuer=data["issuer"], year=data["year"], level=data["level"]
        ).exists():
            errors = [_("A set for this issuer, year and level exists already.")]
        else:
            try:
                parsed = parse(read_rows(data["file"]))
            except ImportError_ as error:
                errors = error.errors
            else:
                fields = {k: data[k] for k in ("issuer", "year", "level", "name")}
                criteria_set = save_set(parsed, **fields)
                AuditEvent.record(request, "reform.set.import", criteria_set)
                messages.success(request, _("The criteria set was imported."))
                return redirect("reform:home")
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "errors": errors}
    return render(request, "reform/set_import.html", context, status=status)


def method(request: HttpRequest) -> HttpResponse:
    """How the PAR INDEX is scored here (public)."""
    return render(request, "reform/method.html")
