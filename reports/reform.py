"""The administrative reform index (PAR INDEX) read beside satisfaction and inspections.

This lives in reports because only reports reads across apps: the reform app knows
offices and nothing else, so the criteria whose source is the satisfaction survey
are filled here, from this product's own index of the unit's offices over the
calendar year (in %, with its n and interval). The criterion's rule, part of the
criteria set, turns that figure into points; a unit without ratings gets no figure
and no points (never a guess).

Scope: PAR figures follow the reform app's readers (memberships over the unit and
appraisers above it); the satisfaction and inspections columns of the unit page
follow their own scopes (`Office.objects.visible_to`, `Inspection.objects.visible_to`),
so an appraiser without a membership sees the PAR INDEX but not the ratings.

Queries: the ranking reads the assessments, their scores and the set in a fixed
number of queries, and the satisfaction figures of all ranked units in two grouped
queries, whatever the number of units.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.contrib.auth.decorators import login_required
from django.db.models import Count, F
from django.db.models.functions import ExtractYear, TruncYear
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _

from common.exports import Exporter, Table
from inspections.models import Inspection
from inspections.models import reader_paths as inspection_readers
from offices.models import AdministrativeUnit, AuditEvent, Office, subtree_filter
from reform.models import (
    Assessment,
    CriteriaSet,
    Score,
    Source,
    Status,
    may_read,
    readable_units,
    reader_paths,
)
from reform.scoring import CriterionScore, SetScore, SetTree
from reports.before_after import merge_groups
from reports.indices import (
    SatisfactionSummary,
    answer_tallies,
    empty_summary,
    grouped_summaries,
    rating_counts,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User
    from django.db.models import QuerySet

YEARS_SHOWN = 6
CUTS_SHOWN = 10
CENT = Decimal("0.01")


def year_span(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year + 1, 1, 1)


def satisfaction_by_unit(
    units: list[AdministrativeUnit], year: int
) -> dict[int, SatisfactionSummary]:
    """The index of each unit's offices (its whole subtree) over `year`: two queries.

    Every office of the unit counts, whoever reads: the figure is part of the unit's
    PAR score, not of the reader's view."""
    if not units:
        return {}
    start, end = year_span(year)
    in_units = subtree_filter([u.path for u in units], "unit__path")
    offices = list(Office.objects.filter(in_units).values_list("pk", "unit__path"))
    owner = {}  # type: ignore[var-annotated]
    for office_id, office_path in offices:
        for unit in units:
            if office_path.startswith(unit.path):
                owner.setdefault(unit.pk, []).append(office_id)
    ids = [office_id for office_id, _path in offices]
    group = {"office": F("office_id")}
    tallies = answer_tallies(ids, start, end, group=group)
    counts = rating_counts(ids, start, end, group=group)
    return {
        unit.pk: merge_groups([(o,) for o in owner.get(unit.pk, [])], tallies, counts)
        for unit in units
    }


def index_figure(summary: SatisfactionSummary | None) -> Decimal | None:
    """The index as the figure a survey criterion scores: % with two decimals."""
    if summary is None or summary.overall is None:
        return None
    return (Decimal(str(summary.overall)) * 100).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Cut:
    criterion_code: str
    criterion_name: str
    self_points: Decimal
    final_points: Decimal
    reason: str

    @property
    def amount(self) -> Decimal:
        return self.self_points - self.final_points


@dataclass
class ParResult:
    """One unit's PAR INDEX for one set: self-assessed and final, survey criteria filled."""

    assessment: Assessment
    self_score: SetScore
    final_score: SetScore
    satisfaction: SatisfactionSummary | None
    survey_scores: list[CriterionScore] = field(default_factory=list)
    cuts: list[Cut] = field(default_factory=list)
    rank: int | None = None

    @property
    def unit(self) -> AdministrativeUnit:
        return self.assessment.unit

    @property
    def total(self) -> Decimal:
        return self.final_score.total

    @property
    def self_total(self) -> Decimal:
        return self.self_score.total

    @property
    def cut_total(self) -> Decimal:
        return self.self_total - self.total

    @property
    def max_points(self) -> Decimal:
        return self.final_score.max_points

    @property
    def ranked(self) -> bool:
        return self.assessment.status != Status.DRAFT


def par_results(assessments: list[Assessment]) -> list[ParResult]:
    """Score each assessment (same order): the sets' trees once each, the scores in one
    query, the satisfaction figures in two grouped queries per set year."""
    if not assessments:
        return []
    trees = {}
    for a in assessments:
        if a.criteria_set_id not in trees:
            trees[a.criteria_set_id] = SetTree.load(a.criteria_set)
    scores: dict[int, dict[int, Score]] = {}
    for score in Score.objects.filter(assessment__in=[a.pk for a in assessments]).select_related(
        "criterion"
    ):
        scores.setdefault(score.assessment_id, {})[score.criterion_id] = score
    satisfaction: dict[tuple[int, int], SatisfactionSummary] = {}
    for year in {a.criteria_set.year for a in assessments}:
        units = [a.unit for a in assessments if a.criteria_set.year == year]
        for unit_id, summary in satisfaction_by_unit(units, year).items():
            satisfaction[(unit_id, year)] = summary
    results = []
    for a in assessments:
        tree = trees[a.criteria_set_id]
        own = scores.get(a.pk, {})
        summary = satisfaction.get((a.unit_id, a.criteria_set.year))  # type: ignore[assignment]
        figure = index_figure(summary)
        survey = {c.pk: figure for c in tree.leaves() if c.source == Source.SURVEY}
        self_score = tree.score({**{k: s.self_value for k, s in own.items()}, **survey})
        final_score = tree.score({**{k: s.final_value for k, s in own.items()}, **survey})
        final_points = final_score.by_criterion()
        cuts = []
        for criterion_id, self_points in self_score.by_criterion().items():
            score = own.get(criterion_id)  # type: ignore[assignment]
            after = final_points[criterion_id]
            if score is None or score.appraised_value is None or self_points.children:
                continue
            cuts.append(
                Cut(
                    score.criterion.code,
                    score.criterion.name,
                    self_points.points or Decimal(0),
                    after.points or Decimal(0),
                    score.appraisal_reason,
                )
            )
        cuts.sort(key=lambda c: (-c.amount, c.criterion_code))
        results.append(
            ParResult(
                assessment=a,
                self_score=self_score,
                final_score=final_score,
                satisfaction=summary if survey else None,
                survey_scores=[final_points[k] for k in survey],
                cuts=[c for c in cuts if c.amount > 0],
            )
        )
    return results


def rank(results: list[ParResult]) -> list[ParResult]:
    """Submitted and appraised units by final score (equal scores share a rank); drafts
    last, unranked."""
    ranked = sorted((r for r in results if r.ranked), key=lambda r: (-r.total, r.unit.name))
    previous = None
    for position, result in enumerate(ranked, start=1):
        result.rank = previous.rank if previous and previous.total == result.total else position
        previous = result
    return ranked + sorted((r for r in results if not r.ranked), key=lambda r: r.unit.name)


# --- The ranking of sibling units -------------------------------------------------------


def _default_parent(user: User | AnonymousUser) -> AdministrativeUnit | None:
    paths = reader_paths(user)
    if paths is None:
        return AdministrativeUnit.objects.get_first_root_node()
    return AdministrativeUnit.objects.filter(path__in=paths).order_by("path").first()


def _unit_param(request: HttpRequest, name: str = "unit") -> AdministrativeUnit | None:
    raw = request.GET.get(name, "")
    if not raw:
        return _default_parent(request.user)
    if not (raw.isascii() and raw.isdigit()):
        raise Http404
    unit = get_object_or_404(AdministrativeUnit, pk=int(raw))
    if not may_read(request.user, unit):
        raise Http404
    return unit


def _sets_for(parent: AdministrativeUnit) -> QuerySet[CriteriaSet]:
    """Sets with assessments in the parent's subtree, newest first."""
    return (
        CriteriaSet.objects.filter(assessments__unit__path__startswith=parent.path)
        .distinct()
        .select_related("issuer")
        .order_by("-year", "level")
    )


@dataclass
class Ranking:
    parent: AdministrativeUnit | None
    criteria_set: CriteriaSet | None
    sets: list[CriteriaSet]
    results: list[ParResult]

    @property
    def cuts(self) -> list[tuple[ParResult, Cut]]:
        every = [(r, c) for r in self.results for c in r.cuts]
        return sorted(every, key=lambda rc: (-rc[1].amount, rc[0].unit.name))[:CUTS_SHOWN]


def build_ranking(request: HttpRequest) -> Ranking:
    parent = _unit_param(request)
    if parent is None:
        return Ranking(None, None, [], [])
    sets = list(_sets_for(parent))
    raw = request.GET.get("set", "")
    if raw:
        if not (raw.isascii() and raw.isdigit()):
            raise Http404
        chosen = next((s for s in sets if s.pk == int(raw)), None)
        if chosen is None:
            raise Http404
    else:
        chosen = sets[0] if sets else None
    assessments = []
    if chosen is not None:
        assessments = list(
            Assessment.objects.filter(criteria_set=chosen, unit__path__startswith=parent.path)
            .filter(unit__in=readable_units(request.user))
            .select_related("unit", "criteria_set")
        )
    return Ranking(parent, chosen, sets, rank(par_results(assessments)))


@login_required
def ranking(request: HttpRequest) -> HttpResponse:
    context = {"ranking": build_ranking(request), "scope_units": _scope_units(request.user)}
    return render(request, "reports/reform_ranking.html", context)


def _scope_units(user: User | AnonymousUser) -> list[AdministrativeUnit]:
    """Units to rank within: the reader's roots and the units above wards under them."""
    units = readable_units(user).exclude(level__in=["ward", "commune", "special_zone"])
    return list(units.order_by("path")[:200])


class RankingExporter(Exporter):
    several_tables = True

    def __init__(self, ranking: Ranking) -> None:
        self.ranking = ranking
        s = ranking.criteria_set
        self.filename = f"par-ranking-{ranking.parent.pk}-{s.year if s else 'none'}"  # type: ignore[union-attr]

    def tables(self) -> Iterator[Table]:
        headers = [_("Rank"), _("Unit code"), _("Unit"), _("Status"), _("Final score")]
        headers += [_("Self-assessed score"), _("Cut by appraisal"), _("Maximum")]
        headers += [_("Satisfaction index (%)"), _("Valid ratings"), _("Small sample")]
        yield Table(
            _("Ranking"),
            headers,
            (
                [
                    r.rank or "",
                    r.unit.code,
                    r.unit.name,
                    r.assessment.get_status_display(),
                    float(r.total),
                    float(r.self_total),
                    float(r.cut_total),
                    float(r.max_points),
                    _figure_cell(r.satisfaction),
                    r.satisfaction.n if r.satisfaction else "",
                    _small_cell(r.satisfaction),
                ]
                for r in self.ranking.results
            ),
        )
        yield Table(
            _("Largest appraisal cuts"),
            [_("Unit"), _("Criterion"), _("Self-assessed"), _("After appraisal"), _("Reason")],
            (
                [r.unit.name, f"{c.criterion_code} {c.criterion_name}", float(c.self_points)]
                + [float(c.final_points), c.reason]
                for r, c in self.ranking.cuts
            ),
        )


def _figure_cell(summary: SatisfactionSummary | None) -> float | str:
    figure = index_figure(summary)
    return float(figure) if figure is not None else ""


def _small_cell(summary: SatisfactionSummary | None) -> str:
    if summary is None:
        return ""
    return _("yes") if summary.small_sample else _("no")


@login_required
def ranking_export(request: HttpRequest, fmt: str) -> StreamingHttpResponse | FileResponse:
    _check_format(fmt)
    data = build_ranking(request)
    if data.parent is None:
        raise Http404
    AuditEvent.record(request, "export", data.parent, what="par_ranking", format=fmt)
    exporter = RankingExporter(data)
    return exporter.csv_response() if fmt == "csv" else exporter.xlsx_response()


# --- One unit over the years --------------------------------------------------------------


@dataclass
class AreaRow:
    code: str
    name: str
    max_points: Decimal
    self_points: Decimal
    final_points: Decimal
    last_year: Decimal | None

    @property
    def change(self) -> Decimal | None:
        return None if self.last_year is None else self.final_points - self.last_year


@dataclass
class YearRow:
    year: int
    par: ParResult | None
    satisfaction: SatisfactionSummary | None  # None: outside the reader's ratings scope
    inspections: int | None  # None: outside the reader's inspections scope
    cases: int | None


@dataclass
class UnitPage:
    unit: AdministrativeUnit
    year: int
    current: ParResult | None
    last: ParResult | None
    areas: list[AreaRow]
    years: list[YearRow]
    sees_ratings: bool
    sees_inspections: bool


def _area_rows(current: ParResult | None, last: ParResult | None) -> list[AreaRow]:
    if current is None:
        return []
    before = {a.area.code: a.points for a in last.final_score.areas} if last else {}
    return [
        AreaRow(
            area.area.code,
            area.area.name,
            area.max_points,
            own.points,
            area.points,
            before.get(area.area.code),
        )  # fmt: skip
        for own, area in zip(current.self_score.areas, current.final_score.areas, strict=True)
    ]


def _yearly_satisfaction(
    offices: QuerySet[Office], years: list[int]
) -> dict[int, SatisfactionSummary]:
    """The index per calendar year in two grouped queries (the monthly roll-ups, grouped
    by year: the key is named "month" because that is the grain the roll-up reads)."""
    start, end = year_span(years[0])[0], year_span(years[-1])[1]
    summaries = grouped_summaries(offices, start, end, group={"month": TruncYear("day")})
    return {key[0].year: summary for key, summary in summaries.items()}


def _yearly_inspections(
    inspections: QuerySet[Inspection], years: list[int]
) -> dict[int, tuple[int, int]]:
    start, end = year_span(years[0])[0], year_span(years[-1])[1]
    # `cases` is also the reverse relation's name: Django allows the annotation after
    # .values(), the django-stubs plugin does not (hence the two ignores).
    rows = (
        inspections.filter(date__gte=start, date__lt=end)  # type: ignore[no-redef]
        .annotate(year=ExtractYear("date"))
        .values("year")
        .annotate(n=Count("pk", distinct=True), cases=Count("cases"))
        .order_by()
    )
    return {r["year"]: (r["n"], r["cases"]) for r in rows}  # type: ignore[misc]


def build_unit_page(
    user: User | AnonymousUser, unit: AdministrativeUnit, year: int | None
) -> UnitPage:
    assessments = list(
        Assessment.objects.filter(unit=unit)
        .select_related("unit", "criteria_set")
        .order_by("-criteria_set__year", "criteria_set__level")
    )
    by_year: dict[int, Assessment] = {}
    for a in assessments:
        by_year.setdefault(a.criteria_set.year, a)
    this_year = timezone.localdate().year
    if year is None:
        year = max(by_year, default=this_year)
    years = sorted({*by_year, year, this_year})[-YEARS_SHOWN:]
    results = {
        r.assessment.criteria_set.year: r
        for r in par_results([by_year[y] for y in years if y in by_year])
    }
    offices = Office.objects.visible_to(user).in_subtree(unit)
    sees_ratings = offices.exists()
    inspections = Inspection.objects.visible_to(user).in_subtree(unit)
    sees_inspections = _inspection_reader(user, unit)
    ratings = _yearly_satisfaction(offices, years) if sees_ratings else {}
    counted = _yearly_inspections(inspections, years) if sees_inspections else {}
    rows = [
        YearRow(
            y,
            results.get(y),
            ratings.get(y, empty_summary()) if sees_ratings else None,
            counted.get(y, (0, 0))[0] if sees_inspections else None,
            counted.get(y, (0, 0))[1] if sees_inspections else None,
        )
        for y in reversed(years)
    ]
    current = results.get(year)
    last = results.get(year - 1)
    if current is None and year in by_year:
        current = par_results([by_year[year]])[0]
    return UnitPage(unit, year, current, last, _area_rows(current, last), rows, sees_ratings,
                    sees_inspections)  # fmt: skip


def _inspection_reader(user: User | AnonymousUser, unit: AdministrativeUnit) -> bool:
    paths = inspection_readers(user)
    return paths is None or any(unit.path.startswith(p) for p in paths)


def _year_param(request: HttpRequest) -> int | None:
    raw = request.GET.get("year", "")
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or not 2000 <= int(raw) <= 2100:
        raise Http404
    return int(raw)


def _unit_or_404(user: User | AnonymousUser, pk: int) -> AdministrativeUnit:
    unit = get_object_or_404(AdministrativeUnit, pk=pk)
    if not may_read(user, unit):
        raise Http404
    return unit


@login_required
def unit_report(request: HttpRequest, pk: int) -> HttpResponse:
    unit = _unit_or_404(request.user, pk)
    page = build_unit_page(request.user, unit, _year_param(request))
    return render(request, "reports/reform_unit.html", {"page": page})


class UnitExporter(Exporter):
    def __init__(self, page: UnitPage) -> None:
        self.page = page
        self.filename = f"par-unit-{page.unit.pk}-{page.year}"

    def tables(self) -> Iterator[Table]:
        page = self.page
        yield Table(
            _("By area"),
            [_("Code"), _("Area"), _("Maximum"), _("Self-assessed"), _("Final score")]
            + [_("Last year"), _("Change")],
            (
                [a.code, a.name, float(a.max_points), float(a.self_points), float(a.final_points)]
                + [_num(a.last_year), _num(a.change)]
                for a in page.areas
            ),
        )
        yield Table(
            _("Over the years"),
            [_("Year"), _("PAR INDEX"), _("Self-assessed"), _("Maximum"), _("Status")]
            + [_("Satisfaction index (%)"), _("Valid ratings"), _("Inspections")]
            + [_("Cases disciplined")],
            (
                [
                    y.year,
                    float(y.par.total) if y.par else "",
                    float(y.par.self_total) if y.par else "",
                    float(y.par.max_points) if y.par else "",
                    y.par.assessment.get_status_display() if y.par else "",
                    _figure_cell(y.satisfaction),
                    y.satisfaction.n if y.satisfaction else "",
                    "" if y.inspections is None else y.inspections,
                    "" if y.cases is None else y.cases,
                ]
                for y in page.years
            ),
        )
        if page.current is not None:
            headers = [_("Criterion"), _("Self-assessed"), _("After appraisal"), _("Reason")]
            rows = (
                [f"{c.criterion_code} {c.criterion_name}", float(c.self_points)]
                + [float(c.final_points), c.reason]
                for c in page.current.cuts
            )
            yield Table(_("Appraisal cuts"), headers, rows)


def _check_format(fmt: str) -> None:
    if fmt not in ("csv", "xlsx"):
        raise Http404


def _num(value: Decimal | None) -> float | str:
    return "" if value is None else float(value)


@login_required
def unit_export(request: HttpRequest, pk: int, fmt: str) -> StreamingHttpResponse | FileResponse:
    _check_format(fmt)
    unit = _unit_or_404(request.user, pk)
    page = build_unit_page(request.user, unit, _year_param(request))
    AuditEvent.record(request, "export", unit, what="par_unit", year=page.year, format=fmt)
    exporter = UnitExporter(page)
    return exporter.csv_response() if fmt == "csv" else exporter.xlsx_response()


@login_required
def unit_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    from django.conf import settings
    from django.template.loader import render_to_string
    from weasyprint import HTML

    from reports.pdf import FONT_FILES, _font_uri

    unit = _unit_or_404(request.user, pk)
    page = build_unit_page(request.user, unit, _year_param(request))
    html = render_to_string(
        "reports/reform_pdf.html",
        {
            "page": page,
            "fonts": {key: _font_uri(p) for key, p in FONT_FILES.items()},
            "today": timezone.localdate(),
        },
        request=request,
    )
    pdf = HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
    AuditEvent.record(request, "export", unit, what="par_unit", year=page.year, format="pdf")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="par-unit-{unit.pk}-{page.year}.pdf"'
    return response


# --- The monthly report's section -----------------------------------------------------

SECTION_ROWS = 10


def monthly_section(unit: AdministrativeUnit, year: int) -> dict[str, Any] | None:
    """The PAR INDEX section of a unit's monthly report (HTML and PDF:
    templates/reports/partials/reform_section.html): the latest set scored in the unit's
    subtree up to the report's year (the one most units used), its submitted and
    appraised units ranked, at most SECTION_ROWS. None when nothing was submitted.
    The caller is responsible for scope: readers of a unit's monthly report hold a
    membership over it, and so read its PAR INDEX too."""
    scored = Assessment.objects.filter(
        unit__path__startswith=unit.path, criteria_set__year__lte=year
    ).exclude(status=Status.DRAFT)
    latest = (
        scored.values("criteria_set_id", "criteria_set__year")
        .annotate(units=Count("pk"))
        .order_by("-criteria_set__year", "-units", "criteria_set_id")
        .first()
    )
    if latest is None:
        return None
    chosen = scored.filter(criteria_set_id=latest["criteria_set_id"]).select_related(
        "unit", "criteria_set"
    )
    results = rank(par_results(list(chosen)))
    return {
        "criteria_set": results[0].assessment.criteria_set,
        "rows": results[:SECTION_ROWS],
        "more": max(len(results) - SECTION_ROWS, 0),
        "unit": unit,
    }


# Included from reports/urls.py: path("reform/", include("reports.reform")).
urlpatterns = [
    path("", ranking, name="reform_ranking"),
    path("ranking.<str:fmt>", ranking_export, name="reform_ranking_export"),
    path("unit/<int:pk>/", unit_report, name="reform_unit"),
    path("unit/<int:pk>/tables.<str:fmt>", unit_export, name="reform_unit_export"),
    path("unit/<int:pk>/report.pdf", unit_pdf, name="reform_unit_pdf"),
]
