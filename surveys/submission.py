"""Turn a rating from any channel into a Response and its Answers, or refuse it whole.

The kiosk API (JSON) and the phone form (HTML) both end here, so a rating is
validated by one set of rules: every answer must belong to the survey version
(or to a reasons question one of its items points to), have the right type and
range, and every required item must be answered. Nothing is stored unless all
of it is valid; `Response.objects.record()` then writes it in one transaction.

Times a kiosk sends are its own clock's, kept as given (an offline kiosk sends
ratings hours later with their original times) unless they are absurd: more
than FUTURE_TOLERANCE ahead of the server or older than OFFLINE_MAX_AGE. Then
the rating is dated when it arrived, and its start time is shifted by the same
amount so the time spent answering is preserved.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, TypeGuard

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from common.compiled import CompiledSelect
from offices.models import AdministrativeUnit, Desk, Kiosk, Office, StaffMember
from surveys.models import (
    NO,
    YES,
    Answer,
    Channel,
    Choice,
    DossierAlreadyRated,
    DossierArming,
    QuestionKind,
    Response,
    SurveyItem,
    SurveyVersion,
    Variant,
    update_sql,
)

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from offices.models import KioskAssignment
    from surveys.models import TranslatedText
    from surveys.publication import Candidate

LANGUAGES = ("vi", "en", "fa")
MAX_BODY_BYTES = 64 * 1024
MAX_TEXT_CHARS = 1000
MAX_ANSWERS = 200
MAX_ID = 2**63  # PostgreSQL bigint: a larger id would be a database error, not a 404
FUTURE_TOLERANCE = timedelta(minutes=5)
OFFLINE_MAX_AGE = timedelta(days=14)
# A person reads and taps: less than this per answer (and never under one second)
# is a machine or an officer pressing buttons.
MIN_SECONDS_PER_ANSWER = 0.6
MIN_SECONDS_PER_RATING = 1.0


# The one status of a final refusal (docs/kiosk.md, "Final refusals"): the kiosk drops a
# queued rating only on this status *with* a JSON body carrying "final": true. Anything
# else (another status, an HTML page from a proxy, a network error) is retried.
FINAL_REFUSAL_STATUS = 422


class SubmissionError(Exception):
    """A rating refused as a whole, for good; `message` is translated for the sender."""

    def __init__(self, message: str, *, field: str = "", code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = FINAL_REFUSAL_STATUS
        self.code = code

    def as_json(self) -> dict:
        body = {"error": self.message, "code": self.code, "final": True, "message": self.message}
        if self.field:
            body["field"] = self.field
        return body


# --- What a version asks ---------------------------------------------------------


@dataclass(frozen=True)
class ChoiceSpec:
    id: int
    code: str
    texts: dict[str, str]


@dataclass(frozen=True)
class QuestionSpec:
    id: int
    code: str
    kind: str
    required: bool
    is_item: bool  # False for a reasons question reached through an item
    reasons: str  # code of the reasons question asked after a low answer, or ""
    texts: dict[str, str]
    choices: tuple[ChoiceSpec, ...] = ()

    def choice_id(self, code: str) -> int | None:
        return next((c.id for c in self.choices if c.code == code), None)

    def text(self, language: str) -> str:
        return self.texts.get(language) or self.texts["vi"]


@dataclass(frozen=True)
class VersionSpec:
    id: int
    survey_id: int
    number: int
    variant: str
    unit_path: str  # core survey: the unit it is defined at ("" for an extension)
    office_id: int | None  # extension survey: its office
    questions: dict[str, QuestionSpec] = field(default_factory=dict)
    order: tuple[str, ...] = ()  # item codes in the order they are asked

    @property
    def is_extension(self) -> bool:
        return self.office_id is not None

    def applies_to(self, office: Office) -> bool:
        if self.is_extension:
            return self.office_id == office.pk
        return office.unit.path.startswith(self.unit_path)


def _texts(obj: TranslatedText) -> dict[str, str]:
    return {lang: getattr(obj, f"text_{lang}") or obj.text_vi for lang in LANGUAGES}


def load_spec(version_id: int) -> VersionSpec | None:
    """What version `version_id` asks, in three queries; None when it does not exist."""
    version = SurveyVersion.objects.select_related("survey__unit").filter(pk=version_id).first()
    if version is None:
        return None
    items = list(
        SurveyItem.objects.filter(version=version)
        .select_related("question__reasons")
        .order_by("position", "pk")
    )
    questions = {item.question.code: (item.question, item.required, True) for item in items}
    for item in items:
        reasons = item.question.reasons
        if reasons is not None and reasons.code not in questions:
            questions[reasons.code] = (reasons, False, False)
    choices: dict[int, list[ChoiceSpec]] = {}
    for choice in Choice.objects.filter(question__in=[q for q, _r, _i in questions.values()]):
        choices.setdefault(choice.question_id, []).append(
            ChoiceSpec(choice.pk, choice.code, _texts(choice))
        )
    survey = version.survey
    return VersionSpec(
        id=version.pk,
        survey_id=survey.pk,
        number=version.number,
        variant=survey.variant,
        unit_path=survey.unit.path if survey.unit_id else "",  # type: ignore[union-attr]
        office_id=survey.office_id,
        questions={
            code: QuestionSpec(
                id=question.pk,
                code=code,
                kind=question.kind,
                required=required,
                is_item=is_item,
                reasons=question.reasons.code if question.reasons_id else "",  # type: ignore[union-attr]
                texts=_texts(question),
                choices=tuple(choices.get(question.pk, ())),
            )
            for code, (question, required, is_item) in questions.items()
        },
        order=tuple(item.question.code for item in items),
    )


# A version with responses is frozen, so its questions cannot change: once a rating has
# been stored against it, its spec is kept in this process for a few minutes (choices of
# a question could still be added, hence not forever). Unfrozen versions are read fresh.
_FROZEN_SPECS: dict[int, tuple[float, VersionSpec]] = {}
SPEC_MEMO_SECONDS = 300


def frozen_spec(version_id: int) -> VersionSpec | None:
    memo = _FROZEN_SPECS.get(version_id)
    if memo is not None and memo[0] > time.monotonic():
        return memo[1]
    return load_spec(version_id)


def remember_frozen(*specs: VersionSpec | None) -> None:
    expires = time.monotonic() + SPEC_MEMO_SECONDS
    for spec in specs:
        if spec is not None:
            _FROZEN_SPECS[spec.id] = (expires, spec)


def forget_specs() -> None:
    _FROZEN_SPECS.clear()


# --- Answers -----------------------------------------------------------------------


def _encodes(text: str) -> bool:
    """False for text PostgreSQL cannot store (lone surrogates from JSON "\\ud800")."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _answer_for(question: QuestionSpec, value: object, language: str) -> list[Answer]:
    """The Answer rows for one value, or SubmissionError naming the question."""
    label = question.text(language)

    def refuse(message: str) -> SubmissionError:
        return SubmissionError(message, field=question.code)

    if question.kind == QuestionKind.SCALE5:
        if not _is_int(value) or not 1 <= value <= 5:
            raise refuse(
                _("The answer to “%(question)s” must be a whole number from 1 to 5.")
                % {"question": label}
            )
        return [Answer(question_id=question.id, score=value)]
    if question.kind == QuestionKind.YESNO:
        if isinstance(value, bool):
            value = YES if value else NO
        if not _is_int(value) or value not in (YES, NO):
            raise refuse(
                _("The answer to “%(question)s” must be yes (1) or no (0).") % {"question": label}
            )
        return [Answer(question_id=question.id, score=value)]
    if question.kind == QuestionKind.CHOICE:
        choice_id = question.choice_id(value) if isinstance(value, str) else None
        if choice_id is None:
            raise refuse(_("Unknown choice for “%(question)s”.") % {"question": label})
        return [Answer(question_id=question.id, choice_id=choice_id)]
    if question.kind == QuestionKind.MULTI:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise refuse(
                _("The answer to “%(question)s” must be a list of choices.") % {"question": label}
            )
        if len(set(value)) != len(value):
            raise refuse(_("A choice is repeated in “%(question)s”.") % {"question": label})
        ids = [question.choice_id(code) for code in value]
        if None in ids:
            raise refuse(_("Unknown choice for “%(question)s”.") % {"question": label})
        return [Answer(question_id=question.id, choice_id=choice_id) for choice_id in ids]
    # Free text
    if not isinstance(value, str):
        raise refuse(_("The answer to “%(question)s” must be text.") % {"question": label})
    if len(value) > MAX_TEXT_CHARS:
        raise refuse(
            _("The answer to “%(question)s” is too long (at most %(limit)s characters).")
            % {"question": label, "limit": MAX_TEXT_CHARS}
        )
    if "\x00" in value or not _encodes(value):
        raise refuse(
            _("The answer to “%(question)s” contains a character that is not allowed.")
            % {"question": label}
        )
    value = value.strip()
    return [Answer(question_id=question.id, text=value)] if value else []


def is_blank(value: object) -> bool:
    return value is None or value == [] or (isinstance(value, str) and not value.strip())


def build_answers(
    specs: list[VersionSpec],
    values: dict[str, object],
    language: str = "vi",
    *,
    headline_only: bool = False,
) -> list[Answer]:
    """Validate `values` (question code → value) against the versions; all or nothing.

    Values: 1–5 for a scale, 1/0 (or true/false) for yes/no, a choice code for a
    single choice, a list of choice codes for a multiple choice, a string for text.
    A blank value (None, "", []) counts as not answered.
    """
    questions: dict[str, QuestionSpec] = {}
    for spec in specs:
        questions.update(spec.questions)
    unknown = sorted(code for code in values if code not in questions)
    if unknown:
        raise SubmissionError(
            _("Unknown question: %(code)s.") % {"code": ", ".join(unknown)[:200]},
            field=unknown[0][:100],
        )
    for spec in specs:
        # A rating the citizen left before the end (the kiosk's "Done", or walking away)
        # needs only the headline: the first question of the core survey.
        order = spec.order[:1] if headline_only else spec.order
        if headline_only and spec is not specs[0]:
            order = ()
        for code in order:
            question = spec.questions[code]
            if (question.required or headline_only) and is_blank(values.get(code)):
                raise SubmissionError(
                    _("Please answer: “%(question)s”.") % {"question": question.text(language)},
                    field=code,
                )
    answers: list[Answer] = []
    for code, value in values.items():
        if not is_blank(value):
            answers.extend(_answer_for(questions[code], value, language))
    if not answers:
        raise SubmissionError(_("A rating needs at least one answer."), field="answers")
    return answers


# --- Times and misuse ---------------------------------------------------------------


def clamp_times(
    started: datetime | None, submitted: datetime, received: datetime
) -> tuple[datetime | None, datetime]:
    """Keep the client's times unless absurd; see the module docstring."""
    if submitted > received + FUTURE_TOLERANCE or submitted < received - OFFLINE_MAX_AGE:
        shift = received - submitted
        submitted = received
        try:
            started = started + shift if started is not None else None
        except OverflowError:  # a start time near year 1 or 9999: not worth keeping
            started = None
    if started is not None and started > submitted:
        started = submitted
    return started, submitted


def too_fast(started: datetime | None, submitted: datetime, answer_count: int) -> float | None:
    """Seconds taken when implausibly fast for `answer_count` answers, else None."""
    if started is None:
        return None
    seconds = (submitted - started).total_seconds()
    needed = max(MIN_SECONDS_PER_RATING, MIN_SECONDS_PER_ANSWER * answer_count)
    return seconds if seconds < needed else None


def refuse_unless_in_force(
    specs: Iterable[VersionSpec],
    office: Office,
    variant: str,
    moment: datetime,
    found: dict[int, Candidate] | None = None,
) -> None:
    """SubmissionError unless every version was in force at the office at `moment`:
    published by then, not long replaced, of an active survey the office uses.
    `found`: the office's candidate surveys when already read (surveys.publication)."""
    from surveys.publication import refusal

    refused = refusal(specs, office, variant, moment, found)
    if refused is not None:
        code, message, key = refused
        raise SubmissionError(message, field=key, code=code)


# --- The kiosk payload ---------------------------------------------------------------


def _parse_time(payload: dict, key: str, *, required: bool) -> datetime | None:
    raw = payload.get(key)
    if raw is None and not required:
        return None
    moment = None
    if isinstance(raw, str) and len(raw) <= 40:
        try:
            moment = parse_datetime(raw)
        except ValueError:
            moment = None
    if moment is None:
        raise SubmissionError(
            _("“%(field)s” must be a date and time such as 2025-07-01T08:30:00Z.") % {"field": key},
            field=key,
        )
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, UTC)
    return moment


def _optional_id(payload: dict, key: str) -> int | None:
    value = payload.get(key)
    if value is None:
        return None
    if not _is_int(value) or not 0 < value < MAX_ID:
        raise SubmissionError(_("“%(field)s” must be a number.") % {"field": key}, field=key)
    return value


def _version(payload: dict, key: str, office: Office, *, required: bool) -> VersionSpec | None:
    version_id = _optional_id(payload, key)
    if version_id is None:
        if required:
            raise SubmissionError(_("The survey version is missing."), field=key)
        return None
    spec = frozen_spec(version_id)
    if spec is None:
        raise SubmissionError(_("Unknown survey version."), field=key)
    if not spec.applies_to(office) or spec.is_extension != (key == "extension_version"):
        raise SubmissionError(_("This survey does not apply to this office."), field=key)
    return spec


def _assignment(payload: dict, kiosk: Kiosk, given: datetime) -> KioskAssignment:
    """The office (and desk) the kiosk belonged to when the rating was given, from its
    assignment history; a final refusal when it belonged to none, or not to the office
    the rating names. Never a guess: a moved kiosk's queued ratings keep their office."""
    office_id = _optional_id(payload, "office")
    assignment = kiosk.assignment_for(given, office_id)
    if assignment is not None:
        return assignment
    if office_id is not None:
        raise SubmissionError(
            _("This kiosk did not belong to that office when the rating was given."),
            field="office",
            code="office_mismatch",
        )
    raise SubmissionError(
        _("This kiosk belonged to no office when the rating was given."),
        field="submitted_at",
        code="no_office_at_time",
    )


def _check_belongs(
    model: type[Desk] | type[StaffMember],
    pk: int | None,
    office: Office,
    key: str,
    known: bool | None = None,
) -> None:
    """SubmissionError unless `pk` (when given) is one of the office's; `known`: the
    answer when the kiosk's locking read already gave it (no query then)."""
    if pk is None:
        return
    belongs = known if known is not None else model.objects.filter(pk=pk, office=office).exists()
    if not belongs:
        raise SubmissionError(
            _("“%(field)s” is not part of this office.") % {"field": key}, field=key
        )


def _answer_values(payload: dict) -> dict[str, object]:
    answers = payload.get("answers")
    if not isinstance(answers, list) or len(answers) > MAX_ANSWERS:
        raise SubmissionError(
            _("“answers” must be a list of {question, value} objects."), field="answers"
        )
    values: dict[str, object] = {}
    for entry in answers:
        code = entry.get("question") if isinstance(entry, dict) else None
        if not isinstance(code, str) or "value" not in entry:
            raise SubmissionError(
                _("“answers” must be a list of {question, value} objects."), field="answers"
            )
        if code in values:
            raise SubmissionError(
                _("The question %(code)s is answered twice.") % {"code": code[:100]},
                field=code[:100],
            )
        values[code] = entry["value"]
    return values


def json_object(body: bytes) -> dict:
    """The JSON object a rating's body holds, or SubmissionError ("malformed")."""
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise SubmissionError(_("The request body is not valid JSON."), code="malformed") from None
    if not isinstance(payload, dict):
        raise SubmissionError(_("The request body must be a JSON object."), code="malformed")
    return payload


def rating_from_payload(
    payload: dict,
    office: Office,
    *,
    received: datetime,
    kiosk: Kiosk | None = None,
    channel: str = Channel.KIOSK,
    ip_address: str | None = None,
    prefetched: Prefetched | None = None,
) -> tuple[Response, list[Answer], list[VersionSpec]]:
    """The rules every JSON rating obeys, from a kiosk or through the integration API:
    the unsaved Response (misuse not yet judged), its answers and the versions.
    `prefetched`: what the kiosk's locking read already checked (used only for the
    office, desk, officer and time it was read for)."""
    try:
        rating_id = uuid.UUID(payload.get("id"))
    except (TypeError, ValueError, AttributeError):
        raise SubmissionError(_("“id” must be a UUID."), field="id") from None
    language = payload.get("language", "vi")
    if language not in LANGUAGES:
        raise SubmissionError(_("Unknown language."), field="language")
    started = _parse_time(payload, "started_at", required=True)
    submitted = _parse_time(payload, "submitted_at", required=True)
    started, submitted = clamp_times(started, submitted, received)  # type: ignore[arg-type]
    assigned_desk = None
    if kiosk is not None:  # a kiosk's rating counts where the kiosk was when it was given
        assignment = _assignment(payload, kiosk, submitted)
        office, assigned_desk = assignment.office, assignment.desk_id
    specs = [
        _version(payload, "version", office, required=True),
        _version(payload, "extension_version", office, required=False),
    ]
    specs = [s for s in specs if s is not None]
    desk_id = _optional_id(payload, "desk")
    staff_id = _optional_id(payload, "staff")
    known = prefetched if prefetched is not None and prefetched.office_id == office.pk else None
    if kiosk is None or desk_id != assigned_desk:
        _check_belongs(Desk, desk_id, office, "desk", known.desk(desk_id) if known else None)
    _check_belongs(StaffMember, staff_id, office, "staff", known.staff(staff_id) if known else None)
    # Before the answers: a draft's or a retired survey's rating is refused for that reason.
    refuse_unless_in_force(
        specs,  # type: ignore[arg-type]  # the Nones were filtered out just above
        office,
        Variant.KIOSK,
        submitted,
        known.candidates if known else None,
    )
    completed = payload.get("completed", True)
    if not isinstance(completed, bool):
        raise SubmissionError(_("“completed” must be true or false."), field="completed")
    # Messages go back in the request's language (Accept-Language), question texts too.
    answers = build_answers(
        specs,  # type: ignore[arg-type]
        _answer_values(payload),
        (get_language() or "vi")[:2],
        headline_only=not completed,
    )
    response = Response(
        id=rating_id,
        survey_version_id=specs[0].id,  # type: ignore[union-attr]
        extension_version_id=specs[1].id if len(specs) > 1 else None,  # type: ignore[union-attr]
        office=office,
        desk_id=desk_id,
        staff_id=staff_id,
        kiosk=kiosk,
        channel=channel,
        language=language,
        started_at=started,
        submitted_at=submitted,
        received_at=received,
        ip_address=ip_address,
        completed=completed,
    )
    return response, answers, specs  # type: ignore[return-value]


def parse_kiosk_rating(
    body: bytes,
    kiosk: Kiosk,
    *,
    received: datetime,
    ip_address: str | None = None,
    prefetched: Prefetched | None = None,
) -> tuple[Response, list[Answer], list[VersionSpec]]:
    """Validate a kiosk's JSON body; the unsaved Response and answers. Only "too fast" is
    judged here; the rest of the misuse check runs under the kiosk's lock when storing."""
    response, answers, specs = rating_from_payload(
        json_object(body),
        kiosk.office,
        received=received,
        kiosk=kiosk,
        ip_address=ip_address,
        prefetched=prefetched,
    )
    seconds = too_fast(response.started_at, response.submitted_at, len(answers))
    if seconds is not None:
        response.misuse_reason = f"completed in {seconds:.1f} s for {len(answers)} answers"
        response.is_misuse = True
    return response, answers, specs


def record_kiosk_rating(
    body: bytes, kiosk: Kiosk, *, ip_address: str | None = None
) -> tuple[Response, bool]:
    """Validate and store; (response, stored) where stored is False for a replayed id.

    The kiosk's row is locked (and re-read: its misuse state) by the first query of the
    transaction; see `store_locked_kiosk_rating`."""
    received = timezone.now()
    holder: list[Response] = []
    try:
        with transaction.atomic():
            locked, prefetched = lock_kiosk(kiosk.pk, payload_hints(body, received))
            if locked is None:
                raise Kiosk.DoesNotExist
            result = store_locked_kiosk_rating(
                body, locked, prefetched, received=received, ip_address=ip_address, holder=holder
            )
    except IntegrityError as exc:
        result = replayed(exc, holder)
    remember_frozen(*result[2])
    return result[0], result[1]


def replayed(exc: IntegrityError, holder: list[Response]) -> tuple[Response, bool, list]:
    """After the rating's transaction failed on a unique key: (response, False, []) when
    a rating with its id is stored (a kiosk resending), else the error it is."""
    constraint = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", "")
    if holder and constraint == "response_one_per_dossier":
        raise dossier_rated_error() from exc
    if holder and Response.objects.filter(pk=holder[0].pk).exists():
        return holder[0], False, []
    raise exc


def store_locked_kiosk_rating(
    body: bytes,
    kiosk: Kiosk,
    prefetched: Prefetched | None,
    *,
    received: datetime,
    ip_address: str | None = None,
    holder: list[Response] | None = None,
) -> tuple[Response, bool, list[VersionSpec]]:
    """Validate, judge and store a kiosk's rating inside the transaction whose locking
    read (`lock_kiosk`) returned `kiosk` (its misuse state included) and `prefetched`.

    When the rating's desk is not armed for a dossier (the locking read says so), the
    rating, its answers, the roll-up increments and the kiosk's new state go to the
    database in one round trip; a replayed id then fails that statement and the caller
    rolls the transaction back (`replayed`). When the integration API armed the desk
    ("dossier returned at desk Y by officer X"), the rating carries that dossier and
    officer (`record_rating`). Misuse is judged under the lock (surveys/misuse.py)."""
    from surveys import misuse

    response, answers, specs = parse_kiosk_rating(
        body, kiosk, received=received, ip_address=ip_address, prefetched=prefetched
    )
    if holder is not None:
        holder.append(response)
    state = misuse.KioskState.of(kiosk)
    reasons = [response.misuse_reason] if response.misuse_reason else []
    reasons += misuse.judge(response, kiosk, state)
    response.misuse_reason = "; ".join(reasons)[:200]
    response.is_misuse = bool(reasons)
    unarmed = prefetched is not None and prefetched.unarmed(response)
    arming = None if unarmed else armed_for(response)
    if arming is None:
        with connection.cursor() as wrapper:
            state_sql = update_sql(
                wrapper.cursor, Kiosk, kiosk.pk, misuse.remembered(response, kiosk, state)
            )
        try:
            Response.objects.record_unguarded(response, answers, also=(state_sql,))
        except DossierAlreadyRated:  # pragma: no cover — a kiosk rating has no dossier here
            raise dossier_rated_error() from None
        return response, True, specs
    stored = record_rating(response, answers, arming=arming)
    if stored:
        misuse.remember(response, kiosk, state)
    return response, stored, specs


# --- The locking read of the kiosk ------------------------------------------------------


@dataclass(frozen=True)
class Hints:
    """What a rating's body names, read leniently before the kiosk's row is locked, so
    the locking read can check it at once. Anything unreadable is None (checked later,
    by the rules, with their own query and refusal)."""

    desk_id: int | None = None
    staff_id: int | None = None
    given: datetime | None = None


def payload_hints(body: bytes, received: datetime) -> Hints:
    try:
        payload = json_object(body)
        started = _parse_time(payload, "started_at", required=False)
        submitted = _parse_time(payload, "submitted_at", required=True)
    except SubmissionError:
        return Hints()

    def ident(key: str) -> int | None:
        value = payload.get(key)
        return value if _is_int(value) and 0 < value < MAX_ID else None

    return Hints(ident("desk"), ident("staff"), clamp_times(started, submitted, received)[1])  # type: ignore[arg-type]


@dataclass(frozen=True)
class Prefetched:
    """What the kiosk's locking read checked, for the kiosk's current office."""

    office_id: int
    desk_id: int | None  # the rating's desk the arming was looked up for
    hints: Hints
    desk_ok: bool | None
    staff_ok: bool | None
    armed: bool | None
    candidates: dict

    def desk(self, desk_id: int | None) -> bool | None:
        return self.desk_ok if desk_id is not None and desk_id == self.hints.desk_id else None

    def staff(self, staff_id: int | None) -> bool | None:
        return self.staff_ok if staff_id is not None and staff_id == self.hints.staff_id else None

    def unarmed(self, response: Response) -> bool:
        """True when the rating's desk was read as not armed for the rating's time."""
        desk_id = response.desk_id if response.desk_id is not None else self.desk_id
        return (
            self.armed is False
            and response.office_id == self.office_id
            and desk_id == self.desk_id
            and response.submitted_at == self.hints.given
        )


def _locking_read(
    kiosk_id: int, desk_id: int | None, staff_id: int | None, given: datetime | None
) -> QuerySet[Kiosk]:
    """The kiosk's locking read as a QuerySet (see `lock_kiosk`); None leaves a check out."""
    from django.db.models import Exists, OuterRef
    from django.db.models.expressions import RawSQL

    from surveys.publication import CANDIDATES_JSON_SQL

    step = AdministrativeUnit.steplen
    annotations: dict = {"candidates_json": RawSQL(CANDIDATES_JSON_SQL, (step, step))}  # noqa: S611 — a constant
    if desk_id is not None:
        annotations["desk_ok"] = Exists(
            Desk.objects.filter(pk=desk_id, office_id=OuterRef("office_id"))
        )
    if staff_id is not None:
        annotations["staff_ok"] = Exists(
            StaffMember.objects.filter(pk=staff_id, office_id=OuterRef("office_id"))
        )
    if given is not None:
        desk = desk_id if desk_id is not None else OuterRef("desk_id")
        annotations["armed"] = Exists(
            DossierArming.objects.filter(
                desk_id=desk, used_at=None, armed_at__lte=given, expires_at__gt=given
            )
        )
    return (
        Kiosk.objects.select_related("office__unit", "desk")
        .select_for_update(of=("self",))
        .annotate(**annotations)
        .filter(pk=kiosk_id)
        .order_by()[:1]  # no ORDER BY: one row by its key
    )


# Compiled once per process (for each combination of the checks the body allows), and
# planned once per server connection where prepared statements are safe: on every
# rating's path, compiling this query cost more Python than the rest of the view.
LOCKING_READ = CompiledSelect(_locking_read, prepare="kiosk_lock")


def lock_kiosk(kiosk_id: int, hints: Hints) -> tuple[Kiosk | None, Prefetched | None]:
    """The kiosk (office, unit and desk joined), its row locked for the rest of the
    transaction (SELECT … FOR UPDATE OF the kiosk) so its misuse state is read and
    written one rating at a time; in the same query, for its current office: whether the
    rating's desk and officer are the office's, whether the desk is armed for a dossier
    at the rating's time, and the surveys that may apply (surveys.publication)."""
    from surveys.publication import candidates_from_json

    rows = LOCKING_READ.models(
        kiosk_id=kiosk_id, desk_id=hints.desk_id, staff_id=hints.staff_id, given=hints.given
    )
    kiosk = next(iter(rows), None)
    if kiosk is None:
        return None, None
    desk_id = hints.desk_id if hints.desk_id is not None else kiosk.desk_id
    return kiosk, Prefetched(
        office_id=kiosk.office_id,
        desk_id=desk_id,
        hints=hints,
        desk_ok=getattr(kiosk, "desk_ok", None),
        staff_ok=getattr(kiosk, "staff_ok", None),
        # No desk: nothing to arm (armed_for looks nothing up either).
        armed=getattr(kiosk, "armed", None) if desk_id is not None else False,
        candidates=candidates_from_json(kiosk.candidates_json),
    )


# --- Dossier arming -------------------------------------------------------------------


def dossier_rated_error() -> SubmissionError:
    return SubmissionError(
        _("This dossier has already been rated. Each dossier can be rated once."),
        field="dossier_code",
        code="dossier_rated",
    )


def armed_for(response: Response) -> DossierArming | None:
    """The arming of the rating's desk at the time it was given, if any (one query)."""
    desk_id = response.desk_id
    if desk_id is None and response.kiosk is not None:
        desk_id = response.kiosk.desk_id  # a kiosk standing at one desk
    if desk_id is None or response.dossier_code:
        return None
    return DossierArming.objects.active_for(desk_id, response.submitted_at)


class _ArmingTaken(Exception):
    pass


def record_rating(
    response: Response, answers: list[Answer], arming: DossierArming | None = None
) -> bool:
    """Store a rating (through `Response.objects.record`), carrying `arming` if given.

    The arming is used by this rating alone: when another rating took it a moment
    earlier, this one is stored as the ordinary rating it is. When the dossier was
    rated some other way (its receipt's QR code), SubmissionError "dossier_rated"."""
    if arming is None:
        try:
            return Response.objects.record(response, answers)
        except DossierAlreadyRated:
            raise dossier_rated_error() from None
    before = (response.dossier_code, response.desk_id, response.staff_id)
    arming.carry(response)
    try:
        with transaction.atomic():
            stored = Response.objects.record(response, answers)
            if stored and not arming.mark_used(response):
                raise _ArmingTaken
        return stored
    except (_ArmingTaken, DossierAlreadyRated):
        taken = DossierArming.objects.filter(pk=arming.pk, used_at__isnull=False).exists()
        if not taken:
            raise dossier_rated_error() from None
    response.dossier_code, response.desk_id, response.staff_id = before
    return Response.objects.record(response, answers)


_ID_IN_BODY = re.compile(rb'"id"\s*:\s*"([0-9a-fA-F-]{32,36})"')


def rating_id_of(body: bytes) -> uuid.UUID | None:
    """The rating's own id from a refused body (even a cut one), when it has a readable one."""
    try:
        return uuid.UUID(json.loads(body).get("id"))
    except (UnicodeDecodeError, ValueError, RecursionError, TypeError, AttributeError):
        pass
    found = _ID_IN_BODY.search(body)
    try:
        return uuid.UUID(found.group(1).decode()) if found else None
    except ValueError:
        return None


MAX_REPORTED_REFUSALS = 50
MAX_QUEUE_LENGTH = 1_000_000


@dataclass(frozen=True)
class HeartbeatReport:
    queue_length: int | None
    refused: list[tuple[uuid.UUID, str]]


def heartbeat_report(body: bytes) -> HeartbeatReport:
    """What a heartbeat says: {"pending": n, "refused": [{"id", "code"}, …]}; tolerant of
    anything else (an older page sends only "pending", a script may send nothing)."""
    try:
        payload = json.loads(body) if body else {}
    except (UnicodeDecodeError, ValueError, RecursionError):
        payload = {}
    if not isinstance(payload, dict):
        payload = {}
    pending = payload.get("pending")
    queue_length = pending if _is_int(pending) and 0 <= pending <= MAX_QUEUE_LENGTH else None
    refused = []
    entries = payload.get("refused")
    for entry in entries[:MAX_REPORTED_REFUSALS] if isinstance(entries, list) else []:
        code = entry.get("code") if isinstance(entry, dict) else None
        try:
            rating_id = uuid.UUID(entry.get("id"))
        except (TypeError, ValueError, AttributeError):
            continue
        if isinstance(code, str) and code.isascii() and code.strip():
            refused.append((rating_id, code.strip()[:40]))
    return HeartbeatReport(queue_length, refused)
