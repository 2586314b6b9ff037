"""Satisfaction before and after each inspection, and the inspections section of the
monthly report (the page is `views.inspections`, its form `forms.BeforeAfterForm`).

This lives in reports because only reports reads survey data: the inspections app
knows offices and nothing else. For an inspection held in month M, "before" is the
three whole months before M and "after" the three whole months after M; the month
of the inspection itself is left out, so neither side mixes ratings from both sides.
An inspection of a unit as a whole is judged on the offices attached to that unit.

A change is called significant only when both sides have enough ratings
(settings.SURVEY["SMALL_SAMPLE_N"]) and their 95 % intervals do not overlap;
otherwise it is shown as "not significant".

Every table here reads the roll-ups with two grouped queries, whatever its length.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import F, Q
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext_lazy as _

from common.months import Month
from inspections.counts import LEVELS, CountRow, cases_by_measure, counts_by_period
from inspections.models import Inspection
from offices.models import AdministrativeUnit, Office
from reports.indices import (
    QuestionTally,
    SatisfactionSummary,
    answer_tallies,
    rating_counts,
    summarise,
)

WINDOW_MONTHS = 3

VERDICTS = {
    "up": _("Higher after"),
    "down": _("Lower after"),
    "not_significant": _("Not significant"),
}


@dataclass
class BeforeAfterRow:
    inspection: Inspection
    office_ids: list[int]
    before_months: list[Month]
    after_months: list[Month]
    before: SatisfactionSummary
    after: SatisfactionSummary
    after_complete: bool

    @property
    def change(self) -> float | None:
        return self.after.change_from(self.before)

    @property
    def significant(self) -> bool:
        sides = (self.before, self.after)
        if any(s.small_sample or s.overall is None for s in sides):
            return False
        return not self.before.overlaps(self.after)

    @property
    def verdict(self) -> str:
        if not self.significant:
            return "not_significant"
        return "up" if self.change > 0 else "down"  # type: ignore[operator]

    @property
    def verdict_label(self) -> str:
        return str(VERDICTS[self.verdict])

    @property
    def reason(self) -> str:
        """Why a change is not significant (empty when it is)."""
        if self.significant:
            return ""
        if not self.office_ids:
            return str(_("no office to rate"))
        if any(s.small_sample or s.overall is None for s in (self.before, self.after)):
            return str(_("too few ratings"))
        return str(_("the intervals overlap"))

    @property
    def before_span(self) -> str:
        return f"{self.before_months[0].label}–{self.before_months[-1].label}"

    @property
    def after_span(self) -> str:
        return f"{self.after_months[0].label}–{self.after_months[-1].label}"


def windows(day: date) -> tuple[list[Month], list[Month]]:
    """The whole months before and after the month of `day`, oldest first."""
    month = Month.of(day)
    before = [month.minus(i) for i in range(WINDOW_MONTHS, 0, -1)]
    after = [month.minus(-i) for i in range(1, WINDOW_MONTHS + 1)]
    return before, after


def _offices_of(inspections: list[Inspection]) -> dict[int, list[int]]:
    """Offices judged for each inspection: its office, or the offices of its unit."""
    unit_ids = {i.unit_id for i in inspections if not i.office_id}
    by_unit: dict[int, list[int]] = {}
    if unit_ids:
        for unit_id, office_id in Office.objects.filter(unit_id__in=unit_ids).values_list(
            "unit_id", "pk"
        ):
            by_unit.setdefault(unit_id, []).append(office_id)
    return {i.pk: [i.office_id] if i.office_id else by_unit.get(i.unit_id, []) for i in inspections}


def merge_groups(
    keys: Iterable[tuple],
    tallies: dict[tuple, dict[int, QuestionTally]],
    counts: dict[tuple, tuple[int, int]],
) -> SatisfactionSummary:
    """One summary from several (office, month) groups: add the tallies, then summarise."""
    merged: dict[int, QuestionTally] = {}
    valid = flagged = 0
    for key in keys:
        for question_id, tally in tallies.get(key, {}).items():
            into = merged.get(question_id)
            if into is None:
                into = merged[question_id] = QuestionTally(
                    question_id=tally.question_id,
                    code=tally.code,
                    kind=tally.kind,
                    factor=tally.factor,
                    texts=tally.texts,
                )
            for score, count in tally.levels.items():
                into.add(score, count)
        key_valid, key_flagged = counts.get(key, (0, 0))
        valid += key_valid
        flagged += key_flagged
    return summarise(merged, valid, flagged)


def before_after_rows(
    inspections: Iterable[Inspection], today: date | None = None
) -> list[BeforeAfterRow]:
    """A row per inspection (in the given order): three queries whatever their number
    (the offices of unit-level inspections, then the two roll-up queries).

    The caller is responsible for scope: pass inspections the user may see together
    with their offices' ratings.
    """
    inspections = list(inspections)
    if not inspections:
        return []
    offices = _offices_of(inspections)
    spans = {i.pk: windows(i.date) for i in inspections}
    where = Q(pk__in=[])
    for inspection in inspections:
        before, after = spans[inspection.pk]
        if offices[inspection.pk]:
            where |= Q(
                office_id__in=offices[inspection.pk],
                day__gte=before[0].start,
                day__lt=after[-1].end,
            )
    all_offices = sorted({o for ids in offices.values() for o in ids})
    start = min(s[0][0].start for s in spans.values())
    end = max(s[1][-1].end for s in spans.values())
    group = {"office": F("office_id"), "month": TruncMonth("day")}
    tallies = answer_tallies(all_offices, start, end, where=where, group=group)
    counts = rating_counts(all_offices, start, end, where=where, group=group)
    current = Month.of(today) if today else Month.current()
    rows = []
    for inspection in inspections:
        before, after = spans[inspection.pk]
        ids = offices[inspection.pk]
        rows.append(
            BeforeAfterRow(
                inspection=inspection,
                office_ids=ids,
                before_months=before,
                after_months=after,
                before=merge_groups([(o, m.start) for o in ids for m in before], tallies, counts),
                after=merge_groups([(o, m.start) for o in ids for m in after], tallies, counts),
                after_complete=after[-1] < current,
            )
        )
    return rows


# --- The monthly report's section ----------------------------------------------------


def monthly_section(
    unit: AdministrativeUnit, month_start: date, *, office: Office | None = None
) -> dict[str, Any]:
    """The inspections section of the monthly report of `unit` for the month starting
    `month_start` (HTML and PDF: templates/reports/partials/inspections_section.html,
    included with `section=` this dict). With `office`, only the inspections of that
    office and of its unit as a whole count (an office's own report).

    Holds the month's inspections in the unit's subtree with their counts by level and
    the cases by measure, and the before/after figures of the inspections held three
    months earlier, whose "after" window ends with this month. Seven queries. The
    caller is responsible for scope (the user may read the unit's monthly report).
    """
    month = Month.of(month_start)
    in_unit = Inspection.objects.in_subtree(unit)
    if office is not None:
        in_unit = in_unit.filter(Q(office=office) | Q(office=None, unit_id=office.unit_id))
    held = in_unit.in_period(month.start, month.end)
    followed_month = month.minus(WINDOW_MONTHS)
    followed = (
        in_unit.in_period(followed_month.start, followed_month.end)
        .select_related("unit", "office")
        .order_by("date", "pk")
    )
    counts: CountRow = counts_by_period(held, month.start, month.end, "month")[0]
    return {
        "month": month,
        "unit": unit,
        "inspections": list(
            held.select_related("unit", "office").with_case_count().order_by("date", "pk")
        ),
        "counts": counts,
        "levels": list(zip([level.label for level in LEVELS], counts.level_counts, strict=True)),
        "by_measure": [row for row in cases_by_measure(held) if row[2]],
        "followed_month": followed_month,
        "before_after": before_after_rows(followed, today=month.end),
    }
