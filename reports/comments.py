"""Citizens' comments (text answers) of a report, and who may hide abusive ones."""

from __future__ import annotations

from django.db.models import Case, CharField, F, Value, When

from common.months import Month
from offices.models import Role, has_role
from reports.anonymity import desks_withheld, subject_withheld
from reports.exports import answers_in_month
from reports.subjects import Subject


def can_moderate(user, subject: Subject) -> bool:
    """Managers and above over the subject's unit may hide and show comments."""
    unit = subject.obj if subject.kind == "unit" else subject.office.unit  # type: ignore[union-attr]
    return has_role(user, unit, Role.MANAGER)


def comments_for(subject: Subject, month: Month, *, include_hidden: bool, search: str = ""):
    """Text answers of valid ratings in the month, newest first; hidden ones only for
    moderators. `search` is matched case-insensitively anywhere in the text."""
    answers = answers_in_month(subject, month).filter(response__is_misuse=False).exclude(text="")
    if subject_withheld(subject, month.start, month.end):
        return answers.none()  # about one officer below the minimum: not their comments
    if not include_hidden:
        answers = answers.exclude(is_hidden=True)
    if search:
        answers = answers.filter(text__icontains=search)
    # A desk where one officer alone was credited and is below the minimum names that
    # officer: its comments are listed without the desk (`desk_label` is blank).
    withheld = desks_withheld(subject.offices, month.start, month.end)
    desk_label = Case(
        When(response__desk_id__in=withheld, then=Value("")),
        default=F("response__desk__number"),
        output_field=CharField(),
    )
    return (
        answers.select_related("response__office", "question")
        .annotate(desk_label=desk_label)
        .order_by("-response__submitted_at", "-pk")
    )
