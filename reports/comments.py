"""Citizens' comments (text answers) of a report, and who may hide abusive ones."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.db.models import Case, CharField, F, Value, When
from django.utils import timezone

from common.months import Month, instant_window
from offices.models import Office, Role, has_role
from reports.anonymity import desks_withheld, subject_withheld
from reports.exports import answers_in_month
from reports.subjects import Subject

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User
    from django.db.models import QuerySet

    from surveys.models import Answer


def can_moderate(user: User | AnonymousUser, subject: Subject) -> bool:
    """Managers and above over the subject's unit may hide and show comments."""
    unit = subject.obj if subject.kind == "unit" else subject.office.unit  # type: ignore[union-attr]
    return has_role(user, unit, Role.MANAGER)


def _comment_answers(
    subject: Subject, month: Month, include_hidden: bool, search: str = ""
) -> QuerySet[Answer]:
    answers = (
        answers_in_month(subject, month)
        .filter(
            response__is_misuse=False,
            response__has_comment=True,  # the same answers, through the small index of those
        )
        .exclude(text="")
    )
    if subject_withheld(subject, month.start, month.end):
        return answers.none()  # about one officer below the minimum: not their comments
    if not include_hidden:
        answers = answers.exclude(is_hidden=True)
    if search:
        answers = answers.filter(text__icontains=search)
    return answers


def comments_for(
    subject: Subject, month: Month, *, include_hidden: bool, search: str = ""
) -> QuerySet[Answer]:
    """Text answers of valid ratings in the month, newest first; hidden ones only for
    moderators. `search` is matched case-insensitively anywhere in the text."""
    answers = _comment_answers(subject, month, include_hidden, search)
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


# Where the newest comments of a month are looked for first, back from the end of its instant
# window (which runs 14 hours past the month, for every time zone): its last day or two,
# then its last week.
NEWEST_SPANS = (timedelta(days=2), timedelta(days=8))


def newest_comments(
    subject: Subject, month: Month, *, include_hidden: bool, limit: int
) -> list[Answer]:
    """`comments_for(...)[:limit]`, the same rows and desk labels, without sorting every
    comment of the month when its last days already hold `limit` of them (a province or the
    country has tens of thousands a month; its report shows ten): every comment outside such
    a span is older than every one in it. The withheld desks are looked up for the offices
    of those comments only, not for every desk of the country."""
    answers = _comment_answers(subject, month, include_hidden).select_related(
        "response__office", "response__desk", "question"
    )
    answers = answers.order_by("-response__submitted_at", "-pk")
    end = min(instant_window(month.start, month.end)[1], timezone.now())
    found: list[Answer] = []
    # A ward's or an office's month is small enough to sort; a unit with sub-units may be a
    # province or the country.
    for span in NEWEST_SPANS if not subject.is_ward_level else ():
        found = list(answers.filter(response__submitted_at__gte=end - span)[:limit])
        if len(found) == limit:
            break
    else:
        found = list(answers[:limit])
    offices = Office.objects.filter(pk__in={answer.response.office_id for answer in found})
    withheld = desks_withheld(offices, month.start, month.end) if found else set()
    for answer in found:
        desk = answer.response.desk
        # Set for the template, as `comments_for` annotates it: not a field of Answer.
        answer.desk_label = "" if desk is None or desk.pk in withheld else desk.number  # type: ignore[attr-defined]
    return found
