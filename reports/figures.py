"""Monthly figures per office, unit, desk and officer, for the integration API and the board.

Each function reads the roll-ups with a fixed number of grouped queries for a whole
page of subjects and a range of months (never a query per row), from offices the
caller has already restricted to the reader's scope. Per-desk and per-officer rows
below the anonymity minimum (settings.SURVEY["STAFF_MIN_N"]) carry no figures.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from django.db.models import Count, F, Q
from django.db.models.functions import TruncMonth

from common.months import Month
from offices.models import AdministrativeUnit, DossierCount
from reports.indices import (
    QuestionTally,
    SatisfactionSummary,
    answer_tallies,
    rating_counts,
    staff_min_n,
    summarise,
)
from surveys.models import Response

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from offices.models import Office
    from reports.indices import OfficeScope

MONTH_GROUP = {"month": TruncMonth("day")}


@dataclass
class MonthFigures:
    month: Month
    summary: SatisfactionSummary
    late: int = 0  # ratings that arrived after the month closed (its report sent)
    dossiers: int | None = None  # dossiers handled (None: no figure entered)
    rated_with_figure: int = 0  # valid ratings of the office-months that have a figure
    withheld: bool = False  # below the anonymity minimum: no figures published

    @property
    def response_rate(self) -> float | None:
        return self.rated_with_figure / self.dossiers if self.dossiers else None


@dataclass
class Tallies:
    """What the roll-ups say of one subject in one month, before the index is computed."""

    questions: dict[int, QuestionTally] = field(default_factory=dict)
    valid: int = 0
    flagged: int = 0
    dossiers: int | None = None
    rated_with_figure: int = 0
    late: int = 0

    def add(self, other: Tallies) -> None:
        for question_id, tally in other.questions.items():
            mine = self.questions.get(question_id)
            if mine is None:
                mine = self.questions[question_id] = QuestionTally(
                    tally.question_id, tally.code, tally.kind, tally.factor, tally.texts
                )
            for score, count in tally.levels.items():
                mine.add(score, count)
        self.valid += other.valid
        self.flagged += other.flagged
        self.late += other.late
        if other.dossiers is not None:
            self.dossiers = (self.dossiers or 0) + other.dossiers
            self.rated_with_figure += other.valid

    def figures(self, month: Month) -> MonthFigures:
        return MonthFigures(
            month=month,
            summary=summarise(self.questions, self.valid, self.flagged),
            late=self.late,
            dossiers=self.dossiers,
            rated_with_figure=self.rated_with_figure,
        )


def _month_of(day: date) -> Month:
    return Month.of(day)


def late_counts(
    offices: OfficeScope, start: date, end: date, part: str = "office"
) -> dict[tuple, int]:
    """Ratings that arrived after their month closed, per (`part` id, month start): one
    query over the late ones alone (a partial index holds only them)."""
    rows = (
        Response.objects.filter(
            office__in=offices, late_after__month__gte=start, late_after__month__lt=end
        )
        .values_list(f"{part}_id", "late_after__month")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {(key, month): n for key, month, n in rows}


def office_month_tallies(
    offices: OfficeScope, months: list[Month]
) -> dict[tuple[int, Month], Tallies]:
    """Four queries: answers, rating counts, late ratings and dossier figures per office
    and month."""
    start, end = months[0].start, months[-1].end
    group = {"office": F("office_id"), **MONTH_GROUP}
    result: dict[tuple[int, Month], Tallies] = defaultdict(Tallies)
    for (office_id, day), questions in answer_tallies(offices, start, end, group=group).items():
        result[(office_id, _month_of(day))].questions = questions
    for (office_id, day), (valid, flagged) in rating_counts(
        offices, start, end, group=group
    ).items():
        tallies = result[(office_id, _month_of(day))]
        tallies.valid, tallies.flagged = valid, flagged
    for (office_id, month_start), late in late_counts(offices, start, end).items():
        result[(office_id, _month_of(month_start))].late = late
    for row in DossierCount.objects.filter(
        office__in=offices, month__gte=start, month__lt=end
    ).values("office_id", "month", "dossiers_handled"):
        tallies = result[(row["office_id"], _month_of(row["month"]))]
        tallies.dossiers = row["dossiers_handled"]
    for tallies in result.values():
        if tallies.dossiers is not None:
            tallies.rated_with_figure = tallies.valid
    return result


def office_figures(offices: OfficeScope, months: list[Month]) -> dict[int, list[MonthFigures]]:
    """Figures per office id, one entry per month (empty months included)."""
    tallies = office_month_tallies(offices, months)
    office_ids = {office_id for office_id, _m in tallies}
    return {
        office_id: [tallies.get((office_id, m), Tallies()).figures(m) for m in months]
        for office_id in office_ids
    }


def unit_figures(
    units: list[AdministrativeUnit], offices: QuerySet[Office], months: list[Month]
) -> dict[int, list[MonthFigures]]:
    """Figures per unit id, each over the offices of its whole subtree (`offices` are the
    reader's visible ones: a unit they may see has its whole subtree visible).

    The index and the counts come from the unit grain (two queries for the whole page);
    late ratings and dossier figures, which only offices have, are added up into every
    unit of the page whose path is a prefix of the office's unit path (four queries).
    """
    if not units:
        return {}
    start, end = months[0].start, months[-1].end
    ids = [u.pk for u in units]
    group = {"unit": F("unit_id"), **MONTH_GROUP}
    totals: dict[tuple[int, Month], Tallies] = defaultdict(Tallies)
    for (unit_id, day), questions in answer_tallies(
        offices, start, end, group=group, units=ids
    ).items():
        totals[(unit_id, _month_of(day))].questions = questions
    for (unit_id, day), (valid, flagged) in rating_counts(
        offices, start, end, group=group, units=ids
    ).items():
        tallies = totals[(unit_id, _month_of(day))]
        tallies.valid, tallies.flagged = valid, flagged
    for (office_path, month), office in _office_extras(units, offices, start, end).items():
        for unit in units:
            if office_path.startswith(unit.path):
                tallies = totals[(unit.pk, month)]
                tallies.late += office.late
                if office.dossiers is not None:
                    tallies.dossiers = (tallies.dossiers or 0) + office.dossiers
                    tallies.rated_with_figure += office.rated_with_figure
    return {
        unit.pk: [totals.get((unit.pk, m), Tallies()).figures(m) for m in months] for unit in units
    }


def _office_extras(
    units: list[AdministrativeUnit], offices: QuerySet[Office], start: date, end: date
) -> dict[tuple[str, Month], Tallies]:
    """Per (office's unit path, month): late ratings, dossiers handled and the valid
    ratings of the office-months that have a figure, summed over the offices of that unit
    (four queries, over the late ratings and the dossier figures only)."""
    under_any = Q()
    for unit in units:
        under_any |= Q(unit__path__startswith=unit.path)
    in_units = offices.filter(under_any)
    paths = dict(in_units.values_list("pk", "unit__path"))
    extras: dict[tuple[str, Month], Tallies] = defaultdict(Tallies)
    for (office_id, month_start), late in late_counts(in_units, start, end).items():
        extras[(paths.get(office_id, ""), _month_of(month_start))].late += late
    figures = {
        (row["office_id"], _month_of(row["month"])): row["dossiers_handled"]
        for row in DossierCount.objects.filter(
            office__in=in_units, month__gte=start, month__lt=end
        ).values("office_id", "month", "dossiers_handled")
    }
    rated = rating_counts(
        list({office_id for office_id, _m in figures}),
        start,
        end,
        group={"office": F("office_id"), **MONTH_GROUP},
    )
    for (office_id, month), dossiers in figures.items():
        tallies = extras[(paths.get(office_id, ""), month)]
        tallies.dossiers = (tallies.dossiers or 0) + dossiers
        tallies.rated_with_figure += rated.get((office_id, month.start), (0, 0))[0]
    return extras


def part_figures(
    offices: OfficeScope, months: list[Month], part: str
) -> dict[int | None, list[MonthFigures]]:
    """Figures per desk (`part="desk"`) or staff member (`"staff"`) within `offices`.

    Two queries on the daily roll-ups and one on the late ratings. A month below the
    anonymity minimum is withheld: no index, no n, nothing that would tell a small
    group's answers apart.
    """
    start, end = months[0].start, months[-1].end
    group = {part: F(f"{part}_id"), **MONTH_GROUP}
    questions = answer_tallies(offices, start, end, group=group)
    counts = rating_counts(offices, start, end, group=group)
    late = late_counts(offices, start, end, part)
    keys = {key for key, _day in set(questions) | set(counts)}
    minimum = staff_min_n()
    result: dict[int | None, list[MonthFigures]] = {}
    for key in keys:
        entries = []
        for month in months:
            valid, flagged = counts.get((key, month.start), (0, 0))
            summary = summarise(questions.get((key, month.start), {}), valid, flagged)
            entry = MonthFigures(month=month, summary=summary, late=late.get((key, month.start), 0))
            entry.withheld = valid < minimum
            entries.append(entry)
        result[key] = entries
    return result
