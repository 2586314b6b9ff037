"""Staff anonymity: below the minimum number of valid ratings in a period, no output says
anything about one officer — page, comments, tables, PDF or raw export. A desk where a
single officer was credited in the period is treated as that officer.

Each function is one grouped query on the roll-ups (reports/indices.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import F

from reports.indices import rating_counts, staff_min_n

if TYPE_CHECKING:
    from datetime import date

    from reports.indices import OfficeScope
    from reports.subjects import Subject


def officers_credited(offices: OfficeScope, start: date, end: date) -> dict[int, int]:
    """Valid ratings per officer credited in [start, end) (officers with none left out)."""
    counts = rating_counts(offices, start, end, group={"staff": F("staff_id")})
    return {key[0]: valid for key, (valid, _f) in counts.items() if key[0] is not None and valid}


def officers_shown(offices: OfficeScope, start: date, end: date) -> set[int]:
    """The officers who reach the minimum in the period: only they may be named."""
    minimum = staff_min_n()
    credited = officers_credited(offices, start, end)
    return {staff for staff, valid in credited.items() if valid >= minimum}


def single_officer_desks(offices: OfficeScope, start: date, end: date) -> dict[int, int]:
    """Desk → its valid ratings, for desks where exactly one officer was credited in the
    period: their figures are that officer's."""
    counts = rating_counts(
        offices, start, end, group={"desk": F("desk_id"), "staff": F("staff_id")}
    )
    officers: dict[int, set[int]] = {}
    ratings: dict[int, int] = {}
    for (desk, staff), (valid, _flagged) in counts.items():
        if desk is None or not valid:
            continue
        ratings[desk] = ratings.get(desk, 0) + valid
        if staff is not None:
            officers.setdefault(desk, set()).add(staff)
    return {desk: ratings[desk] for desk, people in officers.items() if len(people) == 1}


def desks_withheld(offices: OfficeScope, start: date, end: date) -> set[int]:
    """Single-officer desks below the minimum: shown like a hidden officer."""
    minimum = staff_min_n()
    return {d for d, n in single_officer_desks(offices, start, end).items() if n < minimum}


def subject_withheld(subject: Subject, start: date, end: date) -> bool:
    """Whether a report about `subject` must show nothing for [start, end): an officer
    below the minimum, or a single-officer desk below it."""
    if subject.kind == "staff":
        credited = officers_credited(subject.offices, start, end)
        return credited.get(subject.pk, 0) < staff_min_n()
    if subject.kind == "desk":
        return subject.pk in desks_withheld(subject.offices, start, end)
    return False
