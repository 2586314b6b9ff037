"""The monthly report of one subject: every table built with one grouped query each.

A report makes a fixed number of queries whatever the number of offices below
the subject (see tests/reports/test_pages.py for the bound).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import TYPE_CHECKING

from django.db.models import Case, CharField, F, IntegerField, Q, Value, When
from django.db.models.functions import Substr, TruncMonth
from django.utils.translation import gettext as _

from common.months import Month
from offices.models import AdministrativeUnit, Desk, ProcedureField, StaffMember
from reports import charts
from reports.anonymity import desks_withheld
from reports.indices import (
    RankedRow,
    ReasonRow,
    ResponseRate,
    SatisfactionSummary,
    empty_summary,
    grouped_summaries,
    monthly_summaries,
    partial_count,
    rank_rows,
    rating_counts,
    response_rate,
    small_sample_n,
    staff_min_n,
    top_reasons,
    weekday_hour_counts,
    withheld_summary,
)
from reports.models import DeliveryStatus, ReportDelivery
from reports.subjects import Subject
from surveys.flags import excluded_by_kind
from surveys.models import ClosedMonth, Response

if TYPE_CHECKING:
    from django.utils.safestring import SafeString

    from suggestions.stats import SuggestionFigures

TREND_MONTHS = 13  # this month and the same month last year


@dataclass
class Revision:
    """Whether a month's figures changed after its report was sent or the month closed.

    `late` ratings arrived after the month closed and are in the figures now; the sent
    figures are the report's as e-mailed (ReportDelivery), so both stay knowable."""

    late: int = 0  # late ratings in the figures now
    sent_at: datetime | None = None  # the report's first sending, if any
    sent_n: int | None = None
    sent_excluded: int | None = None
    sent_index: float | None = None
    sent_late: int = 0  # late ratings already in the report when it was sent
    now_n: int = 0
    now_excluded: int = 0
    now_index: float | None = None

    @property
    def late_after_sent(self) -> int:
        """Ratings that arrived after the report was sent (after the closing if unsent)."""
        return max(self.late - self.sent_late, 0)

    @property
    def figures_changed(self) -> bool:
        if self.sent_at is None or self.sent_n is None:
            return False
        same_index = (self.sent_index is None) == (self.now_index is None) and (
            self.sent_index is None or abs(self.sent_index - self.now_index) < 1e-9  # type: ignore[operator]
        )
        counts = (self.sent_n, self.sent_excluded) != (self.now_n, self.now_excluded)
        return counts or not same_index

    @property
    def revised(self) -> bool:
        return self.late_after_sent > 0 or self.figures_changed


def late_count(subject: Subject, month: Month) -> int:
    """Ratings of the subject's month that arrived after the month closed (one query)."""
    late = Response.objects.filter(
        office__in=subject.offices,
        late_after__in=ClosedMonth.objects.filter(month=month.start),
    )
    if subject.where is not None:
        late = late.filter(subject.where)
    return late.count()


def revision_of(subject: Subject, month: Month, summary: SatisfactionSummary) -> Revision:
    """Two queries: the late ratings, and the report as first sent (unit and office)."""
    revision = Revision(
        late=late_count(subject, month),
        now_n=summary.n,
        now_excluded=summary.excluded,
        now_index=summary.overall,
    )
    if subject.kind in ("office", "unit"):
        sent = (
            ReportDelivery.objects.filter(
                **{subject.kind: subject.obj}, month=month.start, status=DeliveryStatus.SENT
            )
            .order_by("sent_at", "pk")
            .first()
        )
        if sent is not None:
            revision.sent_at = sent.sent_at
            revision.sent_n, revision.sent_excluded = sent.sent_n, sent.sent_excluded
            revision.sent_index, revision.sent_late = sent.sent_index, sent.sent_late or 0
    return revision


@dataclass
class MonthlyReport:
    subject: Subject
    month: Month
    trend: list[tuple[Month, SatisfactionSummary]]
    rate: ResponseRate | None
    reasons: list[ReasonRow]
    heat: dict[tuple[int, int], int]
    children: list[RankedRow] = field(default_factory=list)
    desks: list[RankedRow] = field(default_factory=list)
    staff: list[RankedRow] = field(default_factory=list)
    fields: list[RankedRow] = field(default_factory=list)
    suggestions: SuggestionFigures | None = None
    inspections: dict | None = None
    reform: dict | None = None
    revision: Revision | None = None  # late ratings and the figures as sent
    partial: int = 0  # valid ratings left before the last question
    excluded_reasons: list[tuple[str, str, int]] = field(default_factory=list)
    # Codes of the answered questions that belong to a core survey (the comparable national
    # or provincial set); the others are local: a unit's or office's own extension.
    core_codes: frozenset[str] = frozenset()

    def origin(self, code: str) -> str:
        """ "core" or "local" for a question of this report."""
        return "core" if code in self.core_codes else "local"

    @property
    def has_local_questions(self) -> bool:
        summary = self.summary
        return any(q.code not in self.core_codes for q in summary.questions + summary.conduct)

    @property
    def summary(self) -> SatisfactionSummary:
        return self.trend[-1][1]

    @property
    def completed_in_full(self) -> int:
        return self.summary.n - self.partial

    @property
    def previous(self) -> SatisfactionSummary:
        return self.trend[-2][1]

    @property
    def last_year(self) -> SatisfactionSummary:
        return self.trend[0][1]

    @property
    def change_previous(self) -> float | None:
        return self.summary.change_from(self.previous)

    @property
    def change_last_year(self) -> float | None:
        return self.summary.change_from(self.last_year)

    @property
    def small_sample_n(self) -> int:
        return small_sample_n()

    @property
    def staff_min_n(self) -> int:
        return staff_min_n()

    withheld: bool = False  # one officer (or a single-officer desk) below the minimum

    @property
    def trend_withheld(self) -> bool:
        """Some month of the trend is withheld by the staff minimum (shown blank, "–")."""
        return any(summary.withheld for _month, summary in self.trend)

    @property
    def staff_hidden(self) -> bool:
        """A staff member's own report (or a single-officer desk's) with too few ratings."""
        return self.withheld

    @property
    def conduct_columns(self) -> list[tuple[str, str]]:
        """(code, text) of the conduct questions answered in the staff table's rows."""
        seen: dict[str, str] = {}
        for row in self.staff:
            if not row.hidden:
                for question in row.summary.conduct:
                    seen.setdefault(question.code, question.text)
        return sorted(seen.items())

    @property
    def any_tied(self) -> bool:
        return any(r.tied for r in self.children + self.desks + self.staff + self.fields)

    @cached_property
    def charts(self) -> dict[str, SafeString]:
        return {
            "factors": charts.factor_bars(self.summary),
            "levels": charts.distribution_bars(self.summary),
            "trend": charts.trend_chart(self.trend),
            "heat": charts.heat_map(self.heat),
        }


def child_rows(subject: Subject, start: date, end: date) -> list[RankedRow]:
    """The unit's sub-units (each its whole subtree, read from the unit grain) and the
    offices attached to it directly (the office grain): two queries to list them and two
    per grain read, so a province or the nation reads one row per sub-unit, shard,
    question and value, whatever the number of offices below."""
    unit = subject.obj
    prefix_len = len(unit.path) + AdministrativeUnit.steplen
    own = len(unit.path)
    offices = list(subject.offices.values("pk", "name", "unit__path"))
    child_paths = {o["unit__path"][:prefix_len] for o in offices if len(o["unit__path"]) > own}
    children = list(AdministrativeUnit.objects.filter(path__in=child_paths))
    direct = [o for o in offices if len(o["unit__path"]) == own]
    if subject.units is None:  # a unit's offices given otherwise: sum them
        by_unit, by_office = _child_summaries_from_offices(subject, start, end)
    else:
        by_unit = by_office = {}
        if children:
            by_unit = grouped_summaries(
                subject.offices, start, end, group={"unit": F("unit_id")}, units=children
            )
        if direct:
            by_office = grouped_summaries(
                [o["pk"] for o in direct], start, end, group={"office": F("office_id")}
            )
    rows = [
        RankedRow(key=("unit", u.pk), label=u.name, summary=by_unit.get((u.pk,), empty_summary()))
        for u in children
    ]
    rows += [
        RankedRow(
            key=("office", o["pk"]),
            label=o["name"],
            summary=by_office.get((o["pk"],), empty_summary()),
        )
        for o in direct
    ]
    return rank_rows(rows)


def _child_summaries_from_offices(
    subject: Subject, start: date, end: date
) -> tuple[dict[tuple, SatisfactionSummary], dict[tuple, SatisfactionSummary]]:
    """({(sub-unit id,): summary}, {(office id,): summary}) summed from the office grain
    of `subject.offices`: two queries."""
    unit = subject.obj
    prefix_len = len(unit.path) + AdministrativeUnit.steplen
    summaries = grouped_summaries(
        subject.offices,
        start,
        end,
        group={
            "child": Case(
                When(office__unit__path=unit.path, then=Value("")),
                default=Substr("office__unit__path", 1, prefix_len),
                output_field=CharField(),
            ),
            "office": Case(
                When(office__unit__path=unit.path, then=F("office_id")),
                default=Value(None),
                output_field=IntegerField(),
            ),
        },
    )
    paths = [path for path, _office in summaries if path]
    ids = dict(AdministrativeUnit.objects.filter(path__in=paths).values_list("path", "pk"))
    by_unit = {(ids[path],): s for (path, office), s in summaries.items() if path in ids}
    by_office = {(office,): s for (path, office), s in summaries.items() if not path}
    return by_unit, by_office


def desk_rows(subject: Subject, start: date, end: date) -> list[RankedRow]:
    summaries = grouped_summaries(
        subject.offices, start, end, where=subject.where, group={"desk": F("desk_id")}
    )
    desks = Desk.objects.filter(office__in=subject.offices).select_related("office")
    several_offices = subject.kind == "unit"
    rows = [
        RankedRow(
            key=("desk", d.pk),
            label=f"{d.number} · {d.name}",
            detail=d.office.name if several_offices else "",
            summary=summaries.get((d.pk,), empty_summary()),
        )
        for d in desks
    ]
    if (None,) in summaries:
        rows.append(RankedRow(("desk", None), _("No desk recorded"), summaries[(None,)]))
    # A desk where one officer alone was credited reads as that officer: same minimum.
    hide = {("desk", d) for d in desks_withheld(subject.offices, start, end)}
    return rank_rows(rows, hide=hide)


def staff_rows(subject: Subject, start: date, end: date) -> list[RankedRow]:
    summaries = grouped_summaries(
        subject.offices, start, end, where=subject.where, group={"staff": F("staff_id")}
    )
    people = StaffMember.objects.filter(office__in=subject.offices).select_related("office")
    if subject.kind == "desk":  # its staff, and anyone rated at it who has moved since
        rated = [key[0] for key in summaries if key[0] is not None]
        people = people.filter(Q(desk=subject.obj) | Q(pk__in=rated))
    several_offices = subject.kind == "unit"
    rows = [
        RankedRow(
            key=("staff", s.pk),
            label=s.full_name,
            detail=s.office.name if several_offices else s.title,
            summary=summaries.get((s.pk,), empty_summary()),
        )
        for s in people
    ]
    if (None,) in summaries:
        rows.append(RankedRow(("staff", None), _("No staff member recorded"), summaries[(None,)]))
    return rank_rows(rows, min_n=staff_min_n())


def field_rows(subject: Subject, start: date, end: date) -> list[RankedRow]:
    """By procedure field of the desk rated; a desk with two fields counts in both."""
    # A unit's fields come from the unit field grain (the same desks' fields, summed).
    field = F("field_id") if subject.units is not None else F("desk__procedure_fields")
    summaries = grouped_summaries(
        subject.offices,
        start,
        end,
        where=subject.where,
        group={"field": field},
        units=subject.units,
    )
    ids = [key[0] for key in summaries if key[0] is not None]
    return rank_rows(
        RankedRow(("field", f.pk), f.name, summaries[(f.pk,)])
        for f in ProcedureField.objects.filter(pk__in=ids)
    )


def suggestion_figures(subject: Subject, month: Month) -> SuggestionFigures | None:
    """Figures of the suggestion book for the month, when that app provides them.

    Extension point: suggestions/stats.py (owned by the suggestions engineer).
    """
    try:
        from suggestions import stats
    except ImportError:
        return None
    monthly = getattr(stats, "monthly_figures", None)
    if monthly is None:
        return None
    if subject.kind not in ("unit", "office"):
        return None  # suggestions are per office, not per desk or staff member
    return monthly(subject.offices.values_list("pk", flat=True), month.start, month.end)


def inspection_section(subject: Subject, month: Month) -> dict | None:
    """The inspections section (reports/before_after.py) for unit and office reports."""
    if subject.kind not in ("unit", "office"):
        return None
    try:
        from reports.before_after import monthly_section
    except ImportError:  # the inspections app is optional for reports
        return None
    if subject.kind == "unit":
        return monthly_section(subject.obj, month.start)
    return monthly_section(subject.office.unit, month.start, office=subject.office)  # type: ignore[union-attr]


def reform_section(subject: Subject, month: Month) -> dict | None:
    """The PAR INDEX section (reports/reform.py) for unit reports."""
    if subject.kind != "unit":
        return None
    try:
        from reports.reform import monthly_section
    except ImportError:  # the reform app is optional for reports
        return None
    return monthly_section(subject.obj, month.year)


def core_question_codes(codes: list[str]) -> frozenset[str]:
    """Of these question codes, those asked by some core survey (one query): a question
    only ever asked by extension surveys is a local one."""
    if not codes:
        return frozenset()
    from surveys.models import SurveyItem

    items = SurveyItem.objects.filter(question__code__in=codes, version__survey__unit__isnull=False)
    return frozenset(items.values_list("question__code", flat=True).distinct())


def _withhold_trend(
    subject: Subject, trend: list[tuple[Month, SatisfactionSummary]]
) -> list[tuple[Month, SatisfactionSummary]]:
    """An officer's months (or a single-officer desk's) below the minimum show nothing."""
    if subject.kind not in ("staff", "desk"):
        return trend
    first, last = trend[0][0], trend[-1][0]
    if subject.kind == "desk":
        hidden = _desk_months_withheld(subject, first, last)
    else:
        hidden = {m.start for m, s in trend if s.n < staff_min_n()}
    return [(m, withheld_summary() if m.start in hidden else s) for m, s in trend]


def _desk_months_withheld(subject: Subject, first: Month, last: Month) -> set[date]:
    """Months (their first day) in which the desk had a single officer and too few ratings:
    one grouped query over the trend's span."""
    counts = rating_counts(
        subject.offices,
        first.start,
        last.end,
        where=subject.where,
        group={"month": TruncMonth("day"), "staff": F("staff_id")},
    )
    officers: dict = {}
    ratings: dict = {}
    for (month, staff), (valid, _flagged) in counts.items():
        if not valid:
            continue
        ratings[month] = ratings.get(month, 0) + valid
        if staff is not None:
            officers.setdefault(month, set()).add(staff)
    minimum = staff_min_n()
    return {m for m, people in officers.items() if len(people) == 1 and ratings[m] < minimum}


def build_monthly_report(subject: Subject, month: Month) -> MonthlyReport:
    start, end = month.start, month.end
    trend = _withhold_trend(
        subject,
        monthly_summaries(
            subject.offices, month.last(TREND_MONTHS), where=subject.where, units=subject.units
        ),
    )
    if trend[-1][1].withheld:
        return MonthlyReport(
            subject=subject, month=month, trend=trend, rate=None, reasons=[], heat={}, withheld=True
        )
    report = MonthlyReport(
        subject=subject,
        month=month,
        trend=trend,
        rate=response_rate(subject.offices, start, end) if subject.where is None else None,
        reasons=top_reasons(subject.offices, start, end, where=subject.where, units=subject.units),
        heat=weekday_hour_counts(
            subject.offices, start, end, where=subject.where, units=subject.units
        ),
        partial=partial_count(
            subject.offices, start, end, where=subject.where, units=subject.units
        ),
        excluded_reasons=excluded_by_kind(subject.offices, start, end, where=subject.where),
    )
    if subject.kind == "unit":
        report.children = child_rows(subject, start, end)
    if subject.kind in ("office", "desk") or (subject.kind == "unit" and subject.is_ward_level):
        if subject.kind != "desk":
            report.desks = desk_rows(subject, start, end)
        report.staff = staff_rows(subject, start, end)
    if subject.kind != "staff":
        report.fields = field_rows(subject, start, end)
    report.core_codes = core_question_codes(
        [q.code for q in report.summary.questions + report.summary.conduct]
    )
    report.suggestions = suggestion_figures(subject, month)
    report.inspections = inspection_section(subject, month)
    report.reform = reform_section(subject, month)
    report.revision = revision_of(subject, month, report.summary)
    return report


def build_dashboard(subject: Subject) -> MonthlyReport:
    """The current month at a glance: trend, response rate and the sub-units ranked."""
    month = subject.current_month()
    report = MonthlyReport(
        subject=subject,
        month=month,
        trend=monthly_summaries(subject.offices, month.last(TREND_MONTHS), units=subject.units),
        rate=response_rate(subject.offices, month.start, month.end),
        reasons=[],
        heat={},
    )
    report.children = child_rows(subject, month.start, month.end)
    return report
