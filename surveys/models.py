"""Questions, versioned surveys, citizens' responses and their roll-ups.

A response and its answers are written by `Response.objects.record()` in one
transaction together with the roll-up increments, so reports read the small
roll-up tables and never scan raw responses.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Self

from django.conf import settings
from django.contrib.postgres.indexes import BrinIndex
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from common import compiled
from common.choices import Channel
from common.ids import time_ordered_uuid
from offices.models import AdministrativeUnit, Desk, Kiosk, Office, ProcedureField, StaffMember

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User
    from django.http import HttpRequest
    from django_stubs_ext import StrOrPromise
    from psycopg2.extensions import cursor as PgCursor

    from offices.models import ApiClient, AuditEvent


class Factor(models.TextChoices):
    """The five SIPAS factors, plus the staff-conduct habits ("4 please, 4 always")."""

    ACCESS = "access", _("Access to the service")
    PROCEDURES = "procedures", _("Administrative procedures")
    OFFICIALS = "officials", _("Officials who handled the case")
    RESULTS = "results", _("Results of the service")
    FEEDBACK = "feedback", _("Handling of comments and complaints")
    CONDUCT = "conduct", _("Staff conduct")


SIPAS_FACTORS = [
    Factor.ACCESS,
    Factor.PROCEDURES,
    Factor.OFFICIALS,
    Factor.RESULTS,
    Factor.FEEDBACK,
]


class QuestionKind(models.TextChoices):
    SCALE5 = "scale5", _("Satisfaction, 5 levels")
    YESNO = "yesno", _("Yes / no")
    CHOICE = "choice", _("Single choice")
    MULTI = "multi", _("Multiple choice")
    TEXT = "text", _("Free text")


SCALE_LABELS = {
    5: _("Very satisfied"),
    4: _("Satisfied"),
    3: _("Neutral"),
    2: _("Dissatisfied"),
    1: _("Very dissatisfied"),
}
SATISFIED_MIN = 4  # "satisfied" = 4 or 5 (SIPAS)
LOW_MAX = 2  # scores 1–2 ask for reasons
YES, NO = 1, 0


class TranslatedText(models.Model):
    """Text in Vietnamese (required), English and Persian; falls back to Vietnamese."""

    text_vi = models.CharField(_("text (Vietnamese)"), max_length=300)
    text_en = models.CharField(_("text (English)"), max_length=300, blank=True)
    text_fa = models.CharField(_("text (Persian)"), max_length=300, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.text()

    def text(self, language: str | None = None) -> str:
        language = (language or get_language() or "vi")[:2]
        return getattr(self, f"text_{language}", "") or self.text_vi


class Question(TranslatedText):
    code = models.SlugField(
        _("code"), max_length=50, unique=True, help_text=_("Stable: reports follow it.")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=QuestionKind.choices)
    factor = models.CharField(_("factor"), max_length=16, choices=Factor.choices, blank=True)
    reasons = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"kind__in": [QuestionKind.CHOICE, QuestionKind.MULTI]},
        verbose_name=_("reasons question"),
        help_text=_("Asked next when the answer is low (1–2) or 'no'."),
    )

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind__in=["scale5", "yesno"]) | ~Q(factor=""),
                name="question_scored_has_factor",
                violation_error_message=_("Scale and yes/no questions need a factor."),
            )
        ]

    # What an answer means: frozen once the question has answers (history never changes;
    # new wording is a new question, whose code reports follow from then on).
    FROZEN_FIELDS = ("code", "kind", "factor", "reasons_id", "text_vi", "text_en", "text_fa")

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk and self.is_answered:
            stored = Question.objects.filter(pk=self.pk).values(*self.FROZEN_FIELDS).first()
            if stored and any(stored[f] != getattr(self, f) for f in self.FROZEN_FIELDS):
                raise FrozenQuestionError(self.code)
        super().save(*args, **kwargs)

    @property
    def is_scored(self) -> bool:
        return self.kind in (QuestionKind.SCALE5, QuestionKind.YESNO)

    @property
    def has_choices(self) -> bool:
        return self.kind in (QuestionKind.CHOICE, QuestionKind.MULTI)

    @property
    def is_answered(self) -> bool:
        return bool(self.pk) and Answer.objects.filter(question_id=self.pk).exists()

    def correct_text(
        self, language: str, text: str, *, by: HttpRequest | User | None = None, reason: str
    ) -> None:
        """Fix a typo in one translation of an answered question, audited: the only change
        an answered question allows (its kind, factor and choices never change)."""
        from offices.models import AuditEvent

        if language not in ("vi", "en", "fa") or not text.strip() or not reason.strip():
            raise ValueError("a correction needs a language, the new text and a reason")
        field = f"text_{language}"
        old = getattr(self, field)
        Question.objects.filter(pk=self.pk).update(**{field: text})
        setattr(self, field, text)
        AuditEvent.record(
            by,
            "question.corrected",
            self,
            question_id=self.pk,
            language=language,
            old=old,
            new=text,
            reason=reason,
        )

    def corrections(self) -> models.QuerySet[AuditEvent]:
        """The audited typo corrections of this question's wording, newest first: each
        keeps the old and the new text (the log is append-only)."""
        from offices.models import AuditEvent

        return AuditEvent.objects.filter(action="question.corrected", detail__question_id=self.pk)

    def is_low(self, score: int | None) -> bool:
        if self.kind == QuestionKind.SCALE5:
            return score is not None and score <= LOW_MAX
        if self.kind == QuestionKind.YESNO:
            return score == NO
        return False


class Choice(TranslatedText):
    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="choices", verbose_name=_("question")
    )
    code = models.SlugField(_("code"), max_length=50)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("choice")
        verbose_name_plural = _("choices")
        ordering = ["question", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["question", "code"], name="choice_code_unique")
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        _guard_choice(self)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if _choice_frozen(self):
            raise FrozenQuestionError(self.code)
        return super().delete(*args, **kwargs)


def _choice_frozen(choice: Choice) -> bool:
    return (
        bool(choice.question_id) and Answer.objects.filter(question_id=choice.question_id).exists()
    )


def _guard_choice(choice: Choice) -> None:
    """An answered question's existing choices never change (a new choice may be added)."""
    if choice.pk and _choice_frozen(choice):
        fields = ("question_id", "code", "position", "text_vi", "text_en", "text_fa")
        stored = Choice.objects.filter(pk=choice.pk).values(*fields).first()
        if stored and any(stored[f] != getattr(choice, f) for f in fields):
            raise FrozenQuestionError(choice.code)


class FrozenQuestionError(Exception):
    """An answered question (or one of its choices) cannot change: make a new one."""


class Variant(models.TextChoices):
    FULL = "full", _("Full (phone and web)")
    KIOSK = "kiosk", _("Short (kiosk)")


class SurveyQuerySet(models.QuerySet):
    def core_for(self, office: Office, variant: str) -> Survey | None:
        """The core survey that applies to `office`: the one in force defined nearest above
        it (the kiosk itself reads surveys.publication, which follows the same rule)."""
        ancestor_paths = [
            office.unit.path[:i]
            for i in range(
                AdministrativeUnit.steplen, len(office.unit.path) + 1, AdministrativeUnit.steplen
            )
        ]
        # A locked core is never shadowed by a lower one: the highest locked core wins.
        cores = self.in_force().filter(variant=variant, unit__path__in=ancestor_paths)
        return (
            cores.filter(is_locked=True).order_by("unit__depth", "pk").first()
            or cores.order_by("-unit__depth", "pk").first()
        )

    def extension_for(self, office: Office, variant: str) -> Survey | None:
        return self.in_force().filter(variant=variant, office=office).order_by("pk").first()

    def in_force(self, at: datetime | None = None) -> SurveyQuerySet:
        """Active surveys with a version published by `at` (a survey of drafts serves nothing)."""
        published = SurveyVersion.objects.filter(
            survey=models.OuterRef("pk"), published_at__lte=at or timezone.now()
        )
        return self.filter(models.Exists(published), is_active=True)


class Survey(models.Model):
    """A questionnaire. A core survey is defined at a unit and applies to every office
    below it; an office may add an extension survey whose questions follow the core."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    variant = models.CharField(
        _("variant"), max_length=8, choices=Variant.choices, default=Variant.FULL
    )
    unit = models.ForeignKey(
        AdministrativeUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="surveys",
        verbose_name=_("core survey for unit"),
    )
    office = models.ForeignKey(
        Office,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="extension_surveys",
        verbose_name=_("extension for office"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_locked = models.BooleanField(
        _("locked core"),
        default=False,
        help_text=_(
            "A locked core (the national or provincial set) applies to every office below "
            "its unit: lower units cannot replace it, only add their own extension questions."
        ),
    )

    objects = SurveyQuerySet.as_manager()

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(unit__isnull=False, office__isnull=True)
                | Q(unit__isnull=True, office__isnull=False),
                name="survey_core_xor_extension",
                violation_error_message=_(
                    "A survey is either a core survey of a unit or an extension of an office."
                ),
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """A core below a locked core of the same variant would replace it: refused."""
        unit = self.unit
        if unit is None:
            return
        ancestors = [
            unit.path[:i]
            for i in range(AdministrativeUnit.steplen, len(unit.path), AdministrativeUnit.steplen)
        ]
        locked = Survey.objects.filter(
            is_active=True, is_locked=True, variant=self.variant, unit__path__in=ancestors
        ).exclude(pk=self.pk)
        if locked.exists():
            raise ValidationError(
                _("A locked core survey applies here: add an office extension survey instead.")
            )

    def current_version(self, at: datetime | None = None) -> SurveyVersion | None:
        """The version in force at `at` (default now): the latest published by then.
        Drafts and versions published from a later date are never served."""
        return (
            self.versions.filter(published_at__lte=at or timezone.now())
            .order_by("-published_at", "-number")
            .first()
        )


# A kiosk switches to a newly published version at its next idle start screen, and an
# offline kiosk keeps asking the old one until it is back: ratings against the version
# a newer one replaced are accepted when given up to this long after the replacement
# (the server's limit for queued ratings, surveys.submission.OFFLINE_MAX_AGE).
SUPERSEDED_GRACE = timedelta(days=14)


def version_in_force(
    timeline: list[tuple[int, datetime]], version_id: int, moment: datetime
) -> str:
    """Whether a rating given at `moment` may be recorded against `version_id`.

    `timeline` is the survey's published versions as (id, published_at). Returns "" when
    it may, else why not: "draft" (never published), "not_yet" (published from a later
    date) or "superseded" (replaced more than SUPERSEDED_GRACE before `moment`).
    """
    published = dict(timeline)
    if version_id not in published:
        return "draft"
    start = published[version_id]
    if start > moment:
        return "not_yet"
    later = [at for vid, at in timeline if vid != version_id and at > start]
    if later and min(later) + SUPERSEDED_GRACE <= moment:
        return "superseded"
    return ""


class SurveyVersion(models.Model):
    """A frozen list of questions once any response uses it; edits make a new version."""

    survey = models.ForeignKey(
        Survey, on_delete=models.CASCADE, related_name="versions", verbose_name=_("survey")
    )
    number = models.PositiveIntegerField(_("version"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    # A draft (no publication time) is never served; see `publish`.
    published_at = models.DateTimeField(_("published from"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
    )

    class Meta:
        verbose_name = _("survey version")
        verbose_name_plural = _("survey versions")
        ordering = ["survey", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "number"], name="survey_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.survey} v{self.number}"

    @property
    def is_frozen(self) -> bool:
        """Published (or answered): what it asks can no longer change."""
        if self.published_at is not None:
            return True
        return (
            Response.objects.filter(Q(survey_version=self) | Q(extension_version=self)).exists()
            if self.pk
            else False
        )

    @property
    def is_draft(self) -> bool:
        return self.published_at is None

    def status(self, at: datetime | None = None) -> str:
        """draft, scheduled, current or superseded (at `at`, default now)."""
        at = at or timezone.now()
        if self.published_at is None:
            return "draft"
        if self.published_at > at:
            return "scheduled"
        current = self.survey.current_version(at)
        return "current" if current and current.pk == self.pk else "superseded"

    def publish(self, by: User | AnonymousUser | None = None, at: datetime | None = None) -> None:
        """Put this draft in force from `at` (default now). Only an admin-role user may
        (the admin checks `offices.models.role_over`); a version without questions,
        or one already published, cannot be."""
        if self.published_at is not None:
            raise PublishError(_("This version is already published."))
        if not self.items.exists():
            raise PublishError(_("A version without questions cannot be published."))
        self.published_at = at or timezone.now()
        self.published_by = by if by is not None and by.is_authenticated else None
        self.save(update_fields=["published_at", "published_by"])

    @transaction.atomic
    def new_version(self, note: str = "") -> SurveyVersion:
        """Copy this version's items into the next version number, ready to edit."""
        latest = self.survey.versions.select_for_update().order_by("-number").first()
        version = SurveyVersion.objects.create(
            survey=self.survey,
            number=latest.number + 1,  # type: ignore[union-attr]
            note=note,
        )
        SurveyItem.objects.bulk_create(
            SurveyItem(
                version=version, question=i.question, position=i.position, required=i.required
            )
            for i in self.items.all()
        )
        return version

    def ordered_items(self) -> models.QuerySet[SurveyItem]:
        return self.items.select_related("question", "question__reasons").order_by("position", "pk")


class FrozenVersionError(Exception):
    pass


class PublishError(Exception):
    def __init__(self, message: StrOrPromise) -> None:
        super().__init__(message)
        self.message = message


class SurveyItem(models.Model):
    version = models.ForeignKey(
        SurveyVersion, on_delete=models.CASCADE, related_name="items", verbose_name=_("version")
    )
    question = models.ForeignKey(
        Question, on_delete=models.PROTECT, related_name="+", verbose_name=_("question")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    required = models.BooleanField(_("required"), default=False)

    class Meta:
        verbose_name = _("survey item")
        verbose_name_plural = _("survey items")
        ordering = ["version", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["version", "question"], name="survey_item_unique")
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.question.code}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.version.is_frozen:
            raise FrozenVersionError(str(self.version))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if self.version.is_frozen:
            raise FrozenVersionError(str(self.version))
        return super().delete(*args, **kwargs)


# A rating can also come from a counter tablet or another system through the integration
# API; suggestions cannot, so this channel is the ratings' own.
API_CHANNEL = "api"
RATING_CHANNELS = [*Channel.choices, (API_CHANNEL, _("Counter tablet or other system (API)"))]


class DossierAlreadyRated(Exception):
    """A receipt's dossier code was used for a rating already."""


class ResponseQuerySet(models.QuerySet):
    def record(self, response: Response, answers: list[Answer]) -> bool:
        """Store a response, its answers and the roll-up increments in one transaction.

        Returns False, writing nothing, when a response with this id is already
        stored (a kiosk resending after a lost acknowledgement). Raises
        DossierAlreadyRated when the dossier code was rated before.
        """
        try:
            with transaction.atomic():
                self.record_unguarded(response, answers)
        except IntegrityError as exc:
            constraint = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", "")
            if constraint == "response_one_per_dossier":
                raise DossierAlreadyRated(response.dossier_code) from exc
            if self.filter(pk=response.pk).exists():
                return False
            raise
        return True

    def record_unguarded(
        self, response: Response, answers: list[Answer], also: tuple[str, ...] = ()
    ) -> None:
        """Store a response, its answers, its roll-up increments and the statements
        `also` (already bound SQL) in one round trip, inside the caller's transaction.

        Raises IntegrityError (a replayed id, a dossier rated before) with the caller's
        transaction then unusable: `record` wraps this in a savepoint; the kiosk path
        lets its whole transaction roll back instead, which costs no extra round trip
        when nothing goes wrong."""
        mark_if_late(response)  # no query for a rating of the current month
        response.has_comment = any(answer.text for answer in answers)
        for answer in answers:
            answer.response = response
        with connection.cursor() as wrapper:
            raw = wrapper.cursor  # psycopg2's own, for mogrify
            statements = [_insert_sql(raw, Response, [response])]
            if answers:
                statements.append(_insert_sql(raw, Answer, answers))
            response_row, answer_rows = rollup_rows(response, answers)
            statements += rollup_statements(
                raw, [response_row], answer_rows, partial_rows(response)
            )
            # Through Django's wrapper (no parameters: everything is bound above), so the
            # round trip is seen by query counts and logs like any other.
            wrapper.execute(";\n".join([*statements, *also]))
        response._state.adding = False
        for answer in answers:
            answer._state.adding = False

    def valid(self) -> Self:
        return self.filter(is_misuse=False)

    def in_period(self, start: datetime, end: datetime) -> Self:
        return self.filter(submitted_at__gte=start, submitted_at__lt=end)


class Response(models.Model):
    """One citizen's rating of one visit.

    The primary key is generated by the client (kiosk or phone) and doubles as
    the idempotency key: sending the same rating twice stores it once. New ids are time
    ordered (UUID version 7, common/ids.py), so inserts stay at the end of its indexes;
    any UUID a client sends is accepted.
    """

    id = models.UUIDField(primary_key=True, default=time_ordered_uuid, editable=False)
    survey_version = models.ForeignKey(
        SurveyVersion, on_delete=models.PROTECT, related_name="responses", verbose_name=_("survey")
    )
    extension_version = models.ForeignKey(
        SurveyVersion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="extension_responses",
        verbose_name=_("office extension"),
    )
    office = models.ForeignKey(
        Office, on_delete=models.PROTECT, related_name="responses", verbose_name=_("office")
    )
    desk = models.ForeignKey(
        Desk,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="responses",
        verbose_name=_("desk"),
    )
    staff = models.ForeignKey(
        StaffMember,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="responses",
        verbose_name=_("staff member"),
    )
    kiosk = models.ForeignKey(
        Kiosk,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="responses",
        verbose_name=_("kiosk"),
    )
    channel = models.CharField(_("channel"), max_length=8, choices=RATING_CHANNELS)
    language = models.CharField(_("language"), max_length=8, default="vi")
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted"), db_index=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    is_misuse = models.BooleanField(_("flagged as misuse"), default=False)
    misuse_reason = models.CharField(_("misuse reason"), max_length=200, blank=True)
    completed = models.BooleanField(
        _("completed in full"),
        default=True,
        db_default=True,  # bulk loaders (generate_ratings, bench) write rows with COPY
        help_text=_("False when the citizen stopped before the last question (kiosk)."),
    )
    dossier_code = models.CharField(_("dossier code"), max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    has_comment = models.BooleanField(
        _("has a comment"),
        default=False,
        db_default=False,  # bulk loaders (generate_ratings, bench) write rows with COPY
        editable=False,
        help_text=_("One of its answers is a written comment (set when it is stored)."),
    )
    # A rating that arrived dated into a month already closed (its report sent, or the
    # closing day passed): stored and counted in the month it was given, marked late.
    arrived_late = models.BooleanField(
        _("arrived late"),
        default=False,
        db_default=False,  # bulk loaders (generate_ratings, bench) write rows with COPY
        help_text=_("It arrived after its month was closed (the month's report was sent)."),
    )
    late_after = models.ForeignKey(
        "ClosedMonth",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,  # the partial index below: live ratings cost it nothing
        related_name="late_ratings",
        verbose_name=_("arrived after the closing of"),
    )

    objects = ResponseQuerySet.as_manager()

    class Meta:
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        ordering = ["-submitted_at"]
        indexes = [
            models.Index(fields=["office", "submitted_at"], name="response_office_time_idx"),
            # The misuse check looks for the same kiosk's neighbouring ratings in time.
            models.Index(
                fields=["kiosk", "submitted_at"],
                name="response_kiosk_time_idx",
                condition=Q(kiosk__isnull=False),
            ),
            # "What arrived in the last minutes" (the alert jobs, late queued ratings too).
            # BRIN: rows arrive in received order, so it is tiny and costs inserts nothing.
            BrinIndex(fields=["received_at"], name="response_received_brin"),
            models.Index(
                fields=["late_after"],
                name="response_late_idx",
                condition=Q(late_after__isnull=False),
            ),
            # A report's newest comments: the few ratings that carry one, in time order, so
            # a province's or the country's ten newest do not sort a month of its ratings.
            models.Index(
                fields=["submitted_at"],
                name="response_comment_time_idx",
                condition=Q(has_comment=True),
            ),
            # The flag review list and the report's "excluded by reason": flagged ratings
            # are few, so this index stays small whatever the number of ratings.
            models.Index(
                fields=["office", "submitted_at"],
                name="response_flagged_idx",
                condition=Q(is_misuse=True),
            ),
        ]
        constraints = [
            # One rating per dossier (receipt QR codes), per office.
            models.UniqueConstraint(
                fields=["office", "dossier_code"],
                condition=~Q(dossier_code=""),
                name="response_one_per_dossier",
            )
        ]

    def __str__(self) -> str:
        return f"{self.office} {self.submitted_at:%Y-%m-%d %H:%M}"

    def local_day(self) -> date:
        return timezone.localtime(self.submitted_at, self.office.tz).date()

    def review_flag(
        self, decision: str, *, by: User, reason: str, request: HttpRequest | None = None
    ) -> FlagReview:
        """A manager's decision on this flagged rating, kept as a FlagReview and audited.

        Lifting brings the rating into the figures: `is_misuse` is cleared (the reason it
        was flagged stays, with the review, as its history) and the roll-ups move it from
        `flagged` to `valid` and add its answers, in the same transaction. Confirming
        changes no figure. Raises FlagReviewError when the rating is not flagged (any
        more: a colleague lifted it a moment earlier) or the reason is blank.
        """
        from offices.models import AuditEvent

        if decision not in FlagDecision.values or not reason.strip():
            raise FlagReviewError(_("A decision and a reason are needed."))
        with transaction.atomic():
            locked = Response.objects.select_for_update().select_related("office").get(pk=self.pk)
            if not locked.is_misuse:
                raise FlagReviewError(_("This rating is not flagged (any more)."))
            review = FlagReview.objects.create(
                response=locked,
                decision=decision,
                reason=reason.strip(),
                flag_reason=locked.misuse_reason,
                reviewed_by=by,
            )
            if decision == FlagDecision.LIFTED:
                Response.objects.filter(pk=locked.pk).update(is_misuse=False)
                locked.is_misuse = False
                move_to_valid(locked, list(locked.answers.all()))
            AuditEvent.record(
                request or by,
                f"rating.flag_{decision}",
                locked.office,
                rating=str(locked.pk),
                reason=review.reason,
                flagged_for=locked.misuse_reason,
            )
        self.is_misuse = locked.is_misuse
        return review


class ClosureReason(models.TextChoices):
    REPORT_SENT = "report", _("its monthly report was sent")
    CLOSING_DAY = "day", _("the closing day passed")


class ClosedMonth(models.Model):
    """A month closed for an office: its report has been sent (by e-mail, the office's
    own or a unit's above it) or the closing day of the next month has passed
    (settings.MONTH_CLOSE_DAY). Written by `close_month` (surveys/closing.py) and never
    changed: a rating that arrives later dated into that month is stored, counted in
    its month and marked late after this row."""

    office = models.ForeignKey(
        Office, on_delete=models.CASCADE, related_name="+", verbose_name=_("office")
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    closed_at = models.DateTimeField(_("closed"), default=timezone.now)
    reason = models.CharField(_("closed because"), max_length=8, choices=ClosureReason.choices)

    class Meta:
        verbose_name = _("closed month")
        verbose_name_plural = _("closed months")
        ordering = ["-month", "office"]
        constraints = [
            models.UniqueConstraint(fields=["office", "month"], name="closed_month_once"),
            models.CheckConstraint(condition=Q(month__day=1), name="closed_month_is_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.office} {self.month:%m/%Y}"


def closing_moment(office: Office, month_start: date) -> datetime:
    """When `month_start`'s month closes for `office` at the latest: the closing day
    (settings.MONTH_CLOSE_DAY) of the next month, at midnight in the office's zone."""
    following = (month_start.replace(day=28) + timedelta(days=4)).replace(day=1)
    day = min(max(settings.MONTH_CLOSE_DAY, 1), 28)
    return datetime(following.year, following.month, day, tzinfo=office.tz)


# PostgreSQL advisory lock class of "a month being closed" (the second key is the month).
MONTH_CLOSING_LOCK = 7301


def lock_month(month_start: date, *, closing: bool) -> None:
    """Order the closing of a month against ratings dated into it, for the transaction.

    A closing takes the month exclusively, writes its rows, builds and sends the report,
    and commits; a rating dated into an earlier month takes it shared before it looks
    for a closing. So a rating either commits before the closing starts (and is in the
    figures sent) or waits and then finds the closing (and is late): none falls between
    the sent figures and the late ones. Ratings never wait for each other."""
    function = "pg_advisory_xact_lock" if closing else "pg_advisory_xact_lock_shared"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {function}(%s, %s)",
            [MONTH_CLOSING_LOCK, month_start.year * 100 + month_start.month],
        )


def mark_if_late(response: Response) -> None:
    """Mark `response` late when it arrives dated into a closed month.

    Only an earlier month than the one it arrives in can be closed, so a rating given
    and received in the same local month (every live rating) costs no query. For an
    earlier month: the month's lock (shared, `lock_month`), then its closing row, or,
    when the closing day has passed and the job has not written one yet, the row written
    now. Must run inside the transaction that stores the rating."""
    tz = response.office.tz
    given = timezone.localtime(response.submitted_at, tz).date().replace(day=1)
    arrived = response.received_at
    if given >= timezone.localtime(arrived, tz).date().replace(day=1):
        return
    lock_month(given, closing=False)
    # Any closing visible once the lock is held was committed, with its report, before this
    # rating is stored: the rating is not in those figures, whatever its arrival time.
    closure = ClosedMonth.objects.filter(office_id=response.office_id, month=given).first()
    if closure is None:
        deadline = closing_moment(response.office, given)
        if arrived < deadline:
            return
        closure, _created = ClosedMonth.objects.get_or_create(
            office_id=response.office_id,
            month=given,
            defaults={"closed_at": deadline, "reason": ClosureReason.CLOSING_DAY},
        )
        if closure.closed_at > arrived:
            return
    response.arrived_late = True
    response.late_after = closure


class Answer(models.Model):
    """A typed answer: a score (1–5, or 1/0 for yes/no), a choice, or text."""

    response = models.ForeignKey(
        Response, on_delete=models.CASCADE, related_name="answers", verbose_name=_("response")
    )
    question = models.ForeignKey(
        Question, on_delete=models.PROTECT, related_name="answers", verbose_name=_("question")
    )
    score = models.SmallIntegerField(_("score"), null=True, blank=True)
    choice = models.ForeignKey(
        Choice,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="answers",
        verbose_name=_("choice"),
    )
    text = models.TextField(_("text"), blank=True)
    is_hidden = models.BooleanField(
        _("hidden as abusive"), default=False, help_text=_("Hidden from report pages and exports.")
    )

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=5),
                name="answer_score_range",
            ),
            models.CheckConstraint(
                condition=(
                    Q(score__isnull=False, choice__isnull=True, text="")
                    | Q(score__isnull=True, choice__isnull=False, text="")
                    | Q(score__isnull=True, choice__isnull=True)
                ),
                name="answer_one_value",
            ),
        ]

    def __str__(self) -> str:
        value = self.score if self.score is not None else self.choice or self.text[:30]
        return f"{self.question.code}: {value}"


class PhoneSource(models.Model):
    """Recent phone and QR ratings from one device cookie or one address at one office:
    the counter the phone misuse check bumps (surveys/phone_misuse.py) in the rating's
    transaction. `key` is a keyed hash (HMAC with SECRET_KEY) of the cookie or the
    address, so neither is stored here; rows older than a day are purged nightly."""

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="+", db_index=False)
    key = models.CharField(max_length=80)
    window_started_at = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)
    last_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["office", "key"], name="phone_source_key")]

    def __str__(self) -> str:
        return f"{self.office_id} {self.key[:10]}: {self.count}"


class FlagDecision(models.TextChoices):
    CONFIRMED = "confirmed", _("Flag confirmed")
    LIFTED = "lifted", _("Flag lifted")


class FlagReviewError(Exception):
    def __init__(self, message: StrOrPromise) -> None:
        super().__init__(message)
        self.message = message


class FlagReview(models.Model):
    """A manager's decision on a flagged rating: who, when, what and why. Never changed
    or deleted (history): a lifted rating shows it was flagged, for what, and lifted."""

    response = models.ForeignKey(
        Response, on_delete=models.PROTECT, related_name="flag_reviews", verbose_name=_("rating")
    )
    decision = models.CharField(_("decision"), max_length=10, choices=FlagDecision.choices)
    reason = models.TextField(_("reason"))
    flag_reason = models.CharField(_("flagged for"), max_length=200, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), default=timezone.now)

    class Meta:
        verbose_name = _("flag review")
        verbose_name_plural = _("flag reviews")
        ordering = ["-reviewed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.response_id} {self.decision} {self.reviewed_at:%Y-%m-%d %H:%M}"


def _storable(text: str) -> str:
    """Text PostgreSQL can hold: no NUL, no lone surrogate (both arrive in hostile JSON)."""
    return text.encode("utf-8", "replace").decode("utf-8").replace("\x00", "")


class RefusedSubmission(models.Model):
    """A kiosk rating the server refused for good (a final refusal, docs/kiosk.md).

    Kept with the body as it arrived, so nothing a citizen gave is lost even when it can
    never be counted; the kiosk also reports the ids and codes it dropped with its next
    heartbeat (`reported_at`). One row per kiosk and rating id.
    """

    kiosk = models.ForeignKey(
        Kiosk,
        on_delete=models.CASCADE,
        related_name="refused_submissions",
        verbose_name=_("kiosk"),
    )
    rating_id = models.UUIDField(_("rating id"), null=True, blank=True)
    code = models.CharField(_("code"), max_length=40)
    message = models.CharField(_("message"), max_length=300, blank=True)
    field = models.CharField(_("field"), max_length=100, blank=True)
    body = models.TextField(_("body as received"), blank=True)
    refused_at = models.DateTimeField(_("refused at"), default=timezone.now, db_index=True)
    reported_at = models.DateTimeField(_("reported by the kiosk at"), null=True, blank=True)

    class Meta:
        verbose_name = _("refused submission")
        verbose_name_plural = _("refused submissions")
        ordering = ["-refused_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["kiosk", "rating_id"],
                condition=Q(rating_id__isnull=False),
                name="refused_submission_once_per_kiosk",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kiosk_id} {self.rating_id or '?'} {self.code}"

    @classmethod
    def store(
        cls,
        kiosk: Kiosk,
        rating_id: uuid.UUID | None,
        *,
        code: str,
        message: str,
        field: str,
        body: str,
    ) -> RefusedSubmission:
        """Keep a refusal (the latest one wins when the same rating is refused again)."""
        values = {
            "code": _storable(code)[:40],
            "message": _storable(message)[:300],
            "field": _storable(field)[:100],
            "body": _storable(body),
            "refused_at": timezone.now(),
        }
        if rating_id is None:
            return cls.objects.create(kiosk=kiosk, **values)
        refusal, _created = cls.objects.update_or_create(
            kiosk=kiosk, rating_id=rating_id, defaults=values
        )
        return refusal

    @classmethod
    def reported(cls, kiosk: Kiosk, entries: list[tuple[uuid.UUID, str]]) -> list[str]:
        """The kiosk's heartbeat names the ratings it dropped: mark them, or keep the
        report alone when the refusal itself never reached us. Returns the ids kept."""
        now = timezone.now()
        known = set(
            cls.objects.filter(kiosk=kiosk, rating_id__in=[i for i, _c in entries]).values_list(
                "rating_id", flat=True
            )
        )
        cls.objects.filter(kiosk=kiosk, rating_id__in=known, reported_at__isnull=True).update(
            reported_at=now
        )
        cls.objects.bulk_create(
            [
                cls(kiosk=kiosk, rating_id=i, code=c[:40], refused_at=now, reported_at=now)  # type: ignore[misc]
                for i, c in entries
                if i not in known
            ],
            ignore_conflicts=True,
        )
        return [str(i) for i, _c in entries]


# --- Roll-ups ------------------------------------------------------------------
# Written only by `add_to_rollups` (same transaction as the response) and by the
# `rebuild_rollups` command. Keys include NULL desk/staff, hence NULLS NOT DISTINCT.


class AnswerRollup(models.Model):
    """Count of valid (not misuse) answers per local day, office, desk, staff, question, value."""

    day = models.DateField()
    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="+")
    desk = models.ForeignKey(Desk, on_delete=models.CASCADE, null=True, related_name="+")
    staff = models.ForeignKey(StaffMember, on_delete=models.CASCADE, null=True, related_name="+")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    score = models.SmallIntegerField(null=True)
    choice = models.ForeignKey(Choice, on_delete=models.CASCADE, null=True, related_name="+")
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "office", "desk", "staff", "question", "score", "choice"],
                name="answer_rollup_key",
                nulls_distinct=False,
            )
        ]
        indexes = [models.Index(fields=["office", "day"], name="answer_rollup_office_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.office_id} {self.question_id}={self.score or self.choice_id}"


class ResponseRollup(models.Model):
    """Count of responses per local day and hour, office, desk, staff and channel;
    `flagged` counts those set aside as misuse (not in `valid`)."""

    day = models.DateField()
    hour = models.SmallIntegerField()
    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="+")
    desk = models.ForeignKey(Desk, on_delete=models.CASCADE, null=True, related_name="+")
    staff = models.ForeignKey(StaffMember, on_delete=models.CASCADE, null=True, related_name="+")
    channel = models.CharField(max_length=8, choices=RATING_CHANNELS)
    valid = models.PositiveIntegerField(default=0)
    flagged = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "hour", "office", "desk", "staff", "channel"],
                name="response_rollup_key",
                nulls_distinct=False,
            )
        ]
        indexes = [models.Index(fields=["office", "day"], name="response_rollup_office_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.hour}h {self.office_id}: {self.valid}+{self.flagged}"


class MonthlyAnswerRollup(models.Model):
    """The answer counts per local calendar month, office and value — no desk, staff or day.

    Unit and office figures, trends, rankings and response rates read this grain, so
    a city's year is a bounded number of rows however many citizens rated: an
    office-month has at most one row per question and value. Desk, staff and
    procedure-field tables read MonthlyDeskAnswerRollup.
    """

    month = models.DateField()
    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="+")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    score = models.SmallIntegerField(null=True)
    choice = models.ForeignKey(Choice, on_delete=models.CASCADE, null=True, related_name="+")
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "office", "question", "score", "choice"],
                name="monthly_answer_rollup_key",
                nulls_distinct=False,
            )
        ]
        indexes = [models.Index(fields=["office", "month"], name="monthly_answer_office_month")]

    def __str__(self) -> str:
        return (
            f"{self.month:%Y-%m} {self.office_id} {self.question_id}={self.score or self.choice_id}"
        )


class MonthlyResponseRollup(models.Model):
    """Ratings per local calendar month and office: valid, and flagged as misuse."""

    month = models.DateField()
    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="+")
    valid = models.PositiveIntegerField(default=0)
    flagged = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["office", "month"], name="monthly_response_rollup_key")
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.office_id}: {self.valid}+{self.flagged}"


# The three tables below are written on every rating: no index beyond the key, which
# starts with (office, month) for the reports, since each extra index is one more
# write per rating. Deleting a
# desk, officer or question (rare, admin only) scans them instead.


class ValueCount(models.Model):
    """How many valid answers gave one value (a score, or a choice) to one question: the
    counted part of the monthly desk and unit answer grains, whose keys lead with their
    own columns (the indexes they are read through), so no index of its own here."""

    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    score = models.SmallIntegerField(null=True)
    choice = models.ForeignKey(
        Choice, on_delete=models.CASCADE, null=True, related_name="+", db_index=False
    )
    count = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


class MonthlyDeskGrain(models.Model):
    """The key of the monthly desk-level grains: local calendar month, office, desk and
    staff member (desk and staff empty when unknown, never guessed)."""

    month = models.DateField()
    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="+", db_index=False)
    desk = models.ForeignKey(
        Desk, on_delete=models.CASCADE, null=True, related_name="+", db_index=False
    )
    staff = models.ForeignKey(
        StaffMember, on_delete=models.CASCADE, null=True, related_name="+", db_index=False
    )

    class Meta:
        abstract = True


def by_desk_index(name: str) -> models.Index:
    """The desk grain's rows of one desk, whichever office they were rated at: what a
    change of the desk's procedure fields re-sums (`regroup_desk_fields`, under a lock
    that holds up ratings) and what deleting a desk cascades to. Without it both read
    the whole table: ~80 ms a table at 1.6 M rows on this machine, against under 1 ms."""
    return models.Index(fields=["desk"], name=name, condition=Q(desk__isnull=False))


class MonthlyDeskAnswerRollup(MonthlyDeskGrain, ValueCount):
    """Answer counts per local calendar month, office, desk and staff member, and value.

    The desk, staff and procedure-field tables of a month, and the reports of one desk
    or one officer, read this grain: an office-month has at most one row per
    (desk, officer) pair seen, question and value, however many citizens rated.
    """

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["office", "month", "desk", "staff", "question", "score", "choice"],
                name="monthly_desk_answer_rollup_key",
                nulls_distinct=False,
            )
        ]
        indexes = [by_desk_index("monthly_desk_answer_by_desk")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.office_id} {self.desk_id}/{self.staff_id}"


class MonthlyDeskResponseRollup(MonthlyDeskGrain):
    """Ratings per local calendar month, office, desk and staff member: valid and flagged."""

    valid = models.PositiveIntegerField(default=0)
    flagged = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["office", "month", "desk", "staff"],
                name="monthly_desk_response_rollup_key",
                nulls_distinct=False,
            )
        ]
        indexes = [by_desk_index("monthly_desk_response_by_desk")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.office_id} {self.desk_id}/{self.staff_id}"


class MonthlyHourRollup(MonthlyDeskGrain):
    """Valid ratings per local calendar month, office, desk, staff member, ISO weekday
    (1 = Monday) and local hour: the hour × weekday map of a month, at most 168 cells
    per (desk, officer) pair."""

    weekday = models.SmallIntegerField()
    hour = models.SmallIntegerField()
    valid = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["office", "month", "desk", "staff", "weekday", "hour"],
                name="monthly_hour_rollup_key",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.office_id} {self.weekday}/{self.hour}h: {self.valid}"


class MonthlyPartialRollup(MonthlyDeskGrain):
    """Valid ratings the citizen left before the last question (`Response.completed`
    false), per local calendar month, office, desk and staff member: the reports' "completed
    in full" is the valid ratings less these. Written only for such ratings."""

    partial = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["office", "month", "desk", "staff"],
                name="monthly_partial_rollup_key",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.office_id} {self.desk_id}/{self.staff_id}: {self.partial}"


# The unit grain: what a unit's own report reads (headline, trend, previous month and
# last year, its sub-units ranked), kept for every ancestor unit of the rated office,
# its own unit included. A unit-month has at most one row per shard, question and value
# whatever the number of offices below it or of ratings, so the national report reads
# the same few hundred rows at 100 k ratings as at 10 M. Rows are split into UNIT_SHARDS
# shards by office id, so concurrent kiosks under one province (or the national root)
# do not all wait on the same row; readers sum the shards.

UNIT_SHARDS = 8


class UnitMonthlyGrain(models.Model):
    """The key of the unit grains: local calendar month, unit and shard (office id
    modulo UNIT_SHARDS)."""

    month = models.DateField()
    unit = models.ForeignKey(
        AdministrativeUnit, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    shard = models.SmallIntegerField()

    class Meta:
        abstract = True


class UnitMonthlyAnswerRollup(UnitMonthlyGrain, ValueCount):
    """Valid answer counts per local calendar month, unit (its whole subtree), shard and
    value: MonthlyAnswerRollup summed over the offices under the unit."""

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "month", "shard", "question", "score", "choice"],
                name="unit_monthly_answer_rollup_key",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} unit {self.unit_id}/{self.shard} {self.question_id}"


class UnitMonthlyResponseRollup(UnitMonthlyGrain):
    """Ratings per local calendar month, unit (its whole subtree) and shard: valid,
    flagged as misuse, and valid ones left before the last question (`partial`)."""

    valid = models.PositiveIntegerField(default=0)
    flagged = models.PositiveIntegerField(default=0)
    partial = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "month", "shard"], name="unit_monthly_response_rollup_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} unit {self.unit_id}/{self.shard}: {self.valid}+{self.flagged}"


class UnitMonthlyHourRollup(UnitMonthlyGrain):
    """Valid ratings per local calendar month, unit (its whole subtree), shard, ISO
    weekday and local hour: the hour × weekday map of a unit, at most 168 cells a shard."""

    weekday = models.SmallIntegerField()
    hour = models.SmallIntegerField()
    valid = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "month", "shard", "weekday", "hour"],
                name="unit_monthly_hour_rollup_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} unit {self.unit_id}/{self.shard} {self.weekday}/{self.hour}h"


class UnitMonthlyFieldAnswerRollup(UnitMonthlyGrain, ValueCount):
    """Valid answer counts per local calendar month, unit (its whole subtree), shard,
    procedure field of the desk rated (its fields now: kept right when a desk's fields
    change) and value; a desk with two fields counts in both."""

    field = models.ForeignKey(
        ProcedureField, on_delete=models.CASCADE, related_name="+", db_index=False
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "month", "shard", "field", "question", "score", "choice"],
                name="unit_monthly_field_answer_key",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} unit {self.unit_id}/{self.shard} field {self.field_id}"


class UnitMonthlyFieldResponseRollup(UnitMonthlyGrain):
    """Ratings per local calendar month, unit, shard and procedure field of the desk
    rated: valid and flagged."""

    field = models.ForeignKey(
        ProcedureField, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    valid = models.PositiveIntegerField(default=0)
    flagged = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "month", "shard", "field"], name="unit_monthly_field_response_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} unit {self.unit_id}/{self.shard} field {self.field_id}"


# The SQL below is literal (no string building): it spells UNIT_SHARDS (8) and the
# tree's step (AdministrativeUnit.steplen, 4 characters; tests check both). Every
# ancestor unit of an office, its own unit included, is a unit whose path is a prefix of
# the office's unit path, one per tree step: found through the unique index on path.
# Rows are grouped (one statement may carry several offices) and sorted by key, so
# concurrent ratings lock the rows they share in the same order.
UNIT_RESPONSE_UPSERT = (
    """INSERT INTO surveys_unitmonthlyresponserollup AS r
 (month, unit_id, shard, valid, flagged, partial)
 SELECT v.month::date, u.id, (v.office % 8)::smallint,
 sum(v.valid)::integer, sum(v.flagged)::integer, sum(v.partial)::integer
 FROM (VALUES {}) AS v(month, office, valid, flagged, partial)
 JOIN offices_office o ON o.id = v.office
 JOIN offices_administrativeunit ou ON ou.id = o.unit_id
 JOIN offices_administrativeunit u ON u.path = ANY(ARRAY(
 SELECT substr(ou.path, 1, n) FROM generate_series(4, length(ou.path), 4) AS n))
 GROUP BY 1, 2, 3 ORDER BY 2, 1, 3
 ON CONFLICT (unit_id, month, shard) DO UPDATE SET valid = r.valid + EXCLUDED.valid,
 flagged = r.flagged + EXCLUDED.flagged, partial = r.partial + EXCLUDED.partial""",
    "(%s, %s, %s, %s, %s)",
)
UNIT_ANSWER_UPSERT = (
    """INSERT INTO surveys_unitmonthlyanswerrollup AS r
 (month, unit_id, shard, question_id, score, choice_id, count)
 SELECT v.month::date, u.id, (v.office % 8)::smallint, v.question::integer,
 v.score::smallint, v.choice::integer, sum(v.n)::integer
 FROM (VALUES {}) AS v(month, office, question, score, choice, n)
 JOIN offices_office o ON o.id = v.office
 JOIN offices_administrativeunit ou ON ou.id = o.unit_id
 JOIN offices_administrativeunit u ON u.path = ANY(ARRAY(
 SELECT substr(ou.path, 1, n) FROM generate_series(4, length(ou.path), 4) AS n))
 GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 2, 1, 3, 4, 5, 6
 ON CONFLICT (unit_id, month, shard, question_id, score, choice_id)
 DO UPDATE SET count = r.count + EXCLUDED.count""",
    "(%s, %s, %s, %s, %s, %s)",
)
UNIT_HOUR_UPSERT = (
    """INSERT INTO surveys_unitmonthlyhourrollup AS r
 (month, unit_id, shard, weekday, hour, valid)
 SELECT v.month::date, u.id, (v.office % 8)::smallint, v.weekday::smallint,
 v.hour::smallint, sum(v.n)::integer
 FROM (VALUES {}) AS v(month, office, weekday, hour, n)
 JOIN offices_office o ON o.id = v.office
 JOIN offices_administrativeunit ou ON ou.id = o.unit_id
 JOIN offices_administrativeunit u ON u.path = ANY(ARRAY(
 SELECT substr(ou.path, 1, n) FROM generate_series(4, length(ou.path), 4) AS n))
 GROUP BY 1, 2, 3, 4, 5 ORDER BY 2, 1, 3, 4, 5
 ON CONFLICT (unit_id, month, shard, weekday, hour)
 DO UPDATE SET valid = r.valid + EXCLUDED.valid""",
    "(%s, %s, %s, %s, %s)",
)
UNIT_FIELD_RESPONSE_UPSERT = (
    """INSERT INTO surveys_unitmonthlyfieldresponserollup AS r
 (month, unit_id, shard, field_id, valid, flagged)
 SELECT v.month::date, u.id, (v.office % 8)::smallint, df.procedurefield_id,
 sum(v.valid)::integer, sum(v.flagged)::integer
 FROM (VALUES {}) AS v(month, office, desk, valid, flagged)
 JOIN offices_desk_procedure_fields df ON df.desk_id = v.desk
 JOIN offices_office o ON o.id = v.office
 JOIN offices_administrativeunit ou ON ou.id = o.unit_id
 JOIN offices_administrativeunit u ON u.path = ANY(ARRAY(
 SELECT substr(ou.path, 1, n) FROM generate_series(4, length(ou.path), 4) AS n))
 GROUP BY 1, 2, 3, 4 ORDER BY 2, 1, 3, 4
 ON CONFLICT (unit_id, month, shard, field_id) DO UPDATE
 SET valid = r.valid + EXCLUDED.valid, flagged = r.flagged + EXCLUDED.flagged""",
    "(%s, %s, %s, %s, %s)",
)
UNIT_FIELD_ANSWER_UPSERT = (
    """INSERT INTO surveys_unitmonthlyfieldanswerrollup AS r
 (month, unit_id, shard, field_id, question_id, score, choice_id, count)
 SELECT v.month::date, u.id, (v.office % 8)::smallint, df.procedurefield_id,
 v.question::integer, v.score::smallint, v.choice::integer, sum(v.n)::integer
 FROM (VALUES {}) AS v(month, office, desk, question, score, choice, n)
 JOIN offices_desk_procedure_fields df ON df.desk_id = v.desk
 JOIN offices_office o ON o.id = v.office
 JOIN offices_administrativeunit ou ON ou.id = o.unit_id
 JOIN offices_administrativeunit u ON u.path = ANY(ARRAY(
 SELECT substr(ou.path, 1, n) FROM generate_series(4, length(ou.path), 4) AS n))
 GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 2, 1, 3, 4, 5, 6, 7
 ON CONFLICT (unit_id, month, shard, field_id, question_id, score, choice_id)
 DO UPDATE SET count = r.count + EXCLUDED.count""",
    "(%s, %s, %s, %s, %s, %s, %s)",
)
# One lifted rating of an office: `flagged` less one on each of its units' rows (the
# valid increment comes with the lifted rating's upserts). Parameters: month, office.
UNIT_FLAG_LIFTED_SQL = """UPDATE surveys_unitmonthlyfieldresponserollup
 SET flagged = flagged - 1
 WHERE month = %(month)s AND shard = %(office)s %% 8 AND flagged > 0
 AND field_id IN (SELECT procedurefield_id FROM offices_desk_procedure_fields
 WHERE desk_id = %(desk)s) AND unit_id IN
 (SELECT u.id FROM (VALUES (%(office)s)) AS v(office)
 JOIN offices_office o ON o.id = v.office
 JOIN offices_administrativeunit ou ON ou.id = o.unit_id
 JOIN offices_administrativeunit u ON u.path = ANY(ARRAY(
 SELECT substr(ou.path, 1, n) FROM generate_series(4, length(ou.path), 4) AS n)));
UPDATE surveys_unitmonthlyresponserollup
 SET flagged = flagged - 1
 WHERE month = %(month)s AND shard = %(office)s %% 8 AND flagged > 0 AND unit_id IN
 (SELECT u.id FROM (VALUES (%(office)s)) AS v(office)
 JOIN offices_office o ON o.id = v.office
 JOIN offices_administrativeunit ou ON ou.id = o.unit_id
 JOIN offices_administrativeunit u ON u.path = ANY(ARRAY(
 SELECT substr(ou.path, 1, n) FROM generate_series(4, length(ou.path), 4) AS n)))"""


def unit_rows(
    monthly_responses: list[tuple],
    monthly_answers: list[tuple],
    partial: list[tuple],
    hour_rows: list[tuple],
    desk_responses: list[tuple] = (),  # type: ignore[assignment]
    desk_answers: list[tuple] = (),  # type: ignore[assignment]
) -> tuple[list[tuple], list[tuple], list[tuple], list[tuple], list[tuple]]:
    """The unit-grain increments (before the ancestors are joined in SQL): per (month,
    office) valid, flagged and partial ratings, the office-month answer rows, and the
    hour cells per (month, office, weekday, hour)."""
    partial_by: Counter = Counter()
    for month, office, _desk, _staff, count in partial:
        partial_by[(month, office)] += count
    responses = {(m, o): [v, f, 0] for m, o, v, f in monthly_responses}
    for key, count in partial_by.items():
        responses.setdefault(key, [0, 0, 0])[2] += count
    response_rows = [(*key, *counts) for key, counts in sorted(responses.items())]
    hours: Counter = Counter()
    for month, office, _desk, _staff, weekday, hour, valid in hour_rows:
        hours[(month, office, weekday, hour)] += valid
    field_responses: Counter = Counter()
    for month, office, desk, _staff, valid, flagged in desk_responses:
        if desk is not None:
            field_responses[(month, office, desk, "v")] += valid
            field_responses[(month, office, desk, "f")] += flagged
    keys = sorted({k[:3] for k in field_responses})
    field_rows = [(*k, field_responses[(*k, "v")], field_responses[(*k, "f")]) for k in keys]
    field_answers: Counter = Counter()
    for month, office, desk, _staff, question, score, choice, count in desk_answers:
        if desk is not None:
            field_answers[(month, office, desk, question, score, choice)] += count
    return (
        response_rows,
        list(monthly_answers),
        [(*k, n) for k, n in sorted(hours.items())],
        field_rows,
        [(*k, n) for k, n in sorted(field_answers.items(), key=lambda kv: _nulls_first(kv[0]))],
    )


# The rebuild: every unit when %(all)s, else only the unit ids in %(units)s.
REBUILD_UNIT_SQL = """
CREATE TEMPORARY TABLE unit_grain_offices ON COMMIT DROP AS
    SELECT o.id AS office_id, u.id AS unit_id
    FROM offices_office o
    JOIN offices_administrativeunit ou ON ou.id = o.unit_id
    CROSS JOIN LATERAL generate_series(4, length(ou.path), 4) AS n(len)
    JOIN offices_administrativeunit u ON u.path = substr(ou.path, 1, n.len)
    WHERE %(all)s OR u.id = ANY(%(units)s);
ANALYZE unit_grain_offices;
DELETE FROM surveys_unitmonthlyresponserollup WHERE %(all)s OR unit_id = ANY(%(units)s);
DELETE FROM surveys_unitmonthlyanswerrollup WHERE %(all)s OR unit_id = ANY(%(units)s);
DELETE FROM surveys_unitmonthlyhourrollup WHERE %(all)s OR unit_id = ANY(%(units)s);
DELETE FROM surveys_unitmonthlyfieldresponserollup WHERE %(all)s OR unit_id = ANY(%(units)s);
DELETE FROM surveys_unitmonthlyfieldanswerrollup WHERE %(all)s OR unit_id = ANY(%(units)s);
INSERT INTO surveys_unitmonthlyresponserollup (month, unit_id, shard, valid, flagged, partial)
    SELECT m.month, a.unit_id, (m.office_id %% 8)::smallint,
           sum(m.valid), sum(m.flagged), coalesce(sum(p.partial), 0)
    FROM surveys_monthlyresponserollup m
    JOIN unit_grain_offices a ON a.office_id = m.office_id
    LEFT JOIN (SELECT month, office_id, sum(partial) AS partial
               FROM surveys_monthlypartialrollup GROUP BY 1, 2) p
        ON p.month = m.month AND p.office_id = m.office_id
    GROUP BY 1, 2, 3;
INSERT INTO surveys_unitmonthlyanswerrollup
    (month, unit_id, shard, question_id, score, choice_id, count)
    SELECT m.month, a.unit_id, (m.office_id %% 8)::smallint,
           m.question_id, m.score, m.choice_id, sum(m.count)
    FROM surveys_monthlyanswerrollup m
    JOIN unit_grain_offices a ON a.office_id = m.office_id
    WHERE m.count > 0
    GROUP BY 1, 2, 3, 4, 5, 6;
INSERT INTO surveys_unitmonthlyhourrollup (month, unit_id, shard, weekday, hour, valid)
    SELECT m.month, a.unit_id, (m.office_id %% 8)::smallint, m.weekday, m.hour, sum(m.valid)
    FROM surveys_monthlyhourrollup m
    JOIN unit_grain_offices a ON a.office_id = m.office_id
    WHERE m.valid > 0
    GROUP BY 1, 2, 3, 4, 5;
INSERT INTO surveys_unitmonthlyfieldresponserollup
    (month, unit_id, shard, field_id, valid, flagged)
    SELECT m.month, a.unit_id, (m.office_id %% 8)::smallint, df.procedurefield_id,
           sum(m.valid), sum(m.flagged)
    FROM surveys_monthlydeskresponserollup m
    JOIN offices_desk_procedure_fields df ON df.desk_id = m.desk_id
    JOIN unit_grain_offices a ON a.office_id = m.office_id
    GROUP BY 1, 2, 3, 4;
INSERT INTO surveys_unitmonthlyfieldanswerrollup
    (month, unit_id, shard, field_id, question_id, score, choice_id, count)
    SELECT m.month, a.unit_id, (m.office_id %% 8)::smallint, df.procedurefield_id,
           m.question_id, m.score, m.choice_id, sum(m.count)
    FROM surveys_monthlydeskanswerrollup m
    JOIN offices_desk_procedure_fields df ON df.desk_id = m.desk_id
    JOIN unit_grain_offices a ON a.office_id = m.office_id
    WHERE m.count > 0
    GROUP BY 1, 2, 3, 4, 5, 6, 7;
DROP TABLE unit_grain_offices;
"""


# A desk's procedure fields changed: the (desk, field) pairs in %(desks)s / %(fields)s
# (two arrays of equal length) gain (ADD) or lose (SUBTRACT) the desk's whole desk grain
# on the field grain of every unit above the office rated.
_FIELD_DELTA = """
    WITH pairs AS (
        SELECT unnest(%(desks)s::bigint[]) AS desk, unnest(%(fields)s::bigint[]) AS field
    ), units AS (
        SELECT o.id AS office_id, u.id AS unit_id
        FROM offices_office o
        JOIN offices_administrativeunit ou ON ou.id = o.unit_id
        CROSS JOIN LATERAL generate_series(4, length(ou.path), 4) AS n(len)
        JOIN offices_administrativeunit u ON u.path = substr(ou.path, 1, n.len)
    )"""
_FIELD_RESPONSES = """
    SELECT m.month, a.unit_id, (m.office_id %% 8)::smallint AS shard, p.field,
           sum(m.valid)::integer AS valid, sum(m.flagged)::integer AS flagged
    FROM surveys_monthlydeskresponserollup m
    JOIN pairs p ON p.desk = m.desk_id
    JOIN units a ON a.office_id = m.office_id
    GROUP BY 1, 2, 3, 4"""
_FIELD_ANSWERS = """
    SELECT m.month, a.unit_id, (m.office_id %% 8)::smallint AS shard, p.field,
           m.question_id, m.score, m.choice_id, sum(m.count)::integer AS count
    FROM surveys_monthlydeskanswerrollup m
    JOIN pairs p ON p.desk = m.desk_id
    JOIN units a ON a.office_id = m.office_id
    WHERE m.count > 0
    GROUP BY 1, 2, 3, 4, 5, 6, 7"""
ADD_DESK_FIELDS_SQL = (
    _FIELD_DELTA
    + """
INSERT INTO surveys_unitmonthlyfieldresponserollup AS r
    (month, unit_id, shard, field_id, valid, flagged)"""
    + _FIELD_RESPONSES
    + """
    ON CONFLICT (unit_id, month, shard, field_id) DO UPDATE
    SET valid = r.valid + EXCLUDED.valid, flagged = r.flagged + EXCLUDED.flagged;
"""
    + _FIELD_DELTA
    + """
INSERT INTO surveys_unitmonthlyfieldanswerrollup AS r
    (month, unit_id, shard, field_id, question_id, score, choice_id, count)"""
    + _FIELD_ANSWERS
    + """
    ON CONFLICT (unit_id, month, shard, field_id, question_id, score, choice_id)
    DO UPDATE SET count = r.count + EXCLUDED.count;
"""
)
SUBTRACT_DESK_FIELDS_SQL = (
    _FIELD_DELTA
    + """
UPDATE surveys_unitmonthlyfieldresponserollup r
    SET valid = r.valid - d.valid, flagged = r.flagged - d.flagged
    FROM ("""
    + _FIELD_RESPONSES
    + """) d
    WHERE r.unit_id = d.unit_id AND r.month = d.month AND r.shard = d.shard
        AND r.field_id = d.field;
"""
    + _FIELD_DELTA
    + """
UPDATE surveys_unitmonthlyfieldanswerrollup r SET count = r.count - d.count
    FROM ("""
    + _FIELD_ANSWERS
    + """) d
    WHERE r.unit_id = d.unit_id AND r.month = d.month AND r.shard = d.shard
        AND r.field_id = d.field AND r.question_id = d.question_id
        AND r.score IS NOT DISTINCT FROM d.score AND r.choice_id IS NOT DISTINCT FROM d.choice_id;
DELETE FROM surveys_unitmonthlyfieldresponserollup
    WHERE valid = 0 AND flagged = 0 AND field_id = ANY(%(fields)s);
DELETE FROM surveys_unitmonthlyfieldanswerrollup
    WHERE count = 0 AND field_id = ANY(%(fields)s);
"""
)


def regroup_desk_fields(pairs: list[tuple[int, int]], *, added: bool) -> None:
    """Desks gained (`added`) or lost procedure fields, as (desk id, field id) pairs: each
    desk's ratings join or leave those fields on the unit field grain. Same transaction
    as the change; the unit field tables are locked first (see rebuild_unit_grain)."""
    if not pairs:
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "LOCK TABLE surveys_unitmonthlyfieldresponserollup,"
            " surveys_unitmonthlyfieldanswerrollup IN EXCLUSIVE MODE"
        )
        desks, fields = zip(*sorted(set(pairs)), strict=True)
        cursor.execute(
            ADD_DESK_FIELDS_SQL if added else SUBTRACT_DESK_FIELDS_SQL,
            {"desks": list(desks), "fields": list(fields)},
        )


# The unit tables: (table, key columns besides unit_id, count columns, the same rows for
# one office from its own grains). Constants only; %(office)s is a parameter.
_UNIT_TABLES = (
    (
        "surveys_unitmonthlyresponserollup",
        "month, shard",
        "valid, flagged, partial",
        "SELECT m.month, (m.office_id %% 8)::smallint, m.valid, m.flagged,"
        " coalesce(p.partial, 0) FROM surveys_monthlyresponserollup m"
        " LEFT JOIN (SELECT month, sum(partial)::integer AS partial"
        " FROM surveys_monthlypartialrollup WHERE office_id = %(office)s GROUP BY 1) p"
        " ON p.month = m.month WHERE m.office_id = %(office)s",
    ),
    (
        "surveys_unitmonthlyanswerrollup",
        "month, shard, question_id, score, choice_id",
        "count",
        "SELECT month, (office_id %% 8)::smallint, question_id, score, choice_id, count"
        " FROM surveys_monthlyanswerrollup WHERE office_id = %(office)s AND count > 0",
    ),
    (
        "surveys_unitmonthlyhourrollup",
        "month, shard, weekday, hour",
        "valid",
        "SELECT month, (office_id %% 8)::smallint, weekday, hour, sum(valid)::integer"
        " FROM surveys_monthlyhourrollup WHERE office_id = %(office)s AND valid > 0"
        " GROUP BY 1, 2, 3, 4",
    ),
    (
        "surveys_unitmonthlyfieldresponserollup",
        "month, shard, field_id",
        "valid, flagged",
        "SELECT m.month, (m.office_id %% 8)::smallint, df.procedurefield_id,"
        " sum(m.valid)::integer, sum(m.flagged)::integer"
        " FROM surveys_monthlydeskresponserollup m"
        " JOIN offices_desk_procedure_fields df ON df.desk_id = m.desk_id"
        " WHERE m.office_id = %(office)s GROUP BY 1, 2, 3",
    ),
    (
        "surveys_unitmonthlyfieldanswerrollup",
        "month, shard, field_id, question_id, score, choice_id",
        "count",
        "SELECT m.month, (m.office_id %% 8)::smallint, df.procedurefield_id, m.question_id,"
        " m.score, m.choice_id, sum(m.count)::integer"
        " FROM surveys_monthlydeskanswerrollup m"
        " JOIN offices_desk_procedure_fields df ON df.desk_id = m.desk_id"
        " WHERE m.office_id = %(office)s AND m.count > 0 GROUP BY 1, 2, 3, 4, 5, 6",
    ),
)


def _shift_sql(table: str, key: str, counts: str, rows: str) -> str:
    """Add `rows` (columns: key then counts) to every unit in %(gained)s and take them
    from every unit in %(lost)s (rows left at zero go), for one unit table."""
    keys, values = key.split(", "), counts.split(", ")
    added = ", ".join(f"{c} = r.{c} + EXCLUDED.{c}" for c in values)
    less = ", ".join(f"{c} = r.{c} - d.{c}" for c in values)
    same = " AND ".join(
        f"r.{k} IS NOT DISTINCT FROM d.{k}" if k in ("score", "choice_id") else f"r.{k} = d.{k}"
        for k in keys
    )
    zero = " AND ".join(f"{c} = 0" for c in values)
    names = f"unit, {key}, {counts}"
    # Table and column names are the constants above; the values are parameters.
    return (
        f"INSERT INTO {table} AS r (unit_id, {key}, {counts})"  # noqa: S608
        f" SELECT g.unit, s.* FROM ({rows}) AS s"
        " CROSS JOIN unnest(%(gained)s::bigint[]) AS g(unit)"
        f" ORDER BY 1 ON CONFLICT (unit_id, {key}) DO UPDATE SET {added};"
        f" UPDATE {table} r SET {less}"
        f" FROM (SELECT l.unit, s.* FROM ({rows}) AS s"
        f" CROSS JOIN unnest(%(lost)s::bigint[]) AS l(unit)) AS d({names})"
        f" WHERE r.unit_id = d.unit AND {same};"
        f" DELETE FROM {table} WHERE unit_id = ANY(%(lost)s::bigint[]) AND {zero};"
    )


# A unit's own rows (its whole subtree): %(office)s stands for the moved unit here.
SHIFT_UNIT_SQL = "\n".join(
    _shift_sql(t, k, c, f"SELECT {k}, {c} FROM {t} WHERE unit_id = %(office)s")  # noqa: S608
    for t, k, c, _office in _UNIT_TABLES
)
SHIFT_OFFICE_SQL = "\n".join(_shift_sql(t, k, c, rows) for t, k, c, rows in _UNIT_TABLES)


def shift_unit_grain(moved: int, gained: set[int], lost: set[int]) -> None:
    """A unit moved in the tree: its own grain (its whole subtree, which the move leaves
    as it was) is added to the units now above it that were not before (`gained`) and
    taken from those no longer above it (`lost`). Cost: the moved unit's rows, whatever
    the size of the units above. Locks as rebuild_unit_grain does."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_LOCK_UNIT_TABLES)
        cursor.execute(
            SHIFT_UNIT_SQL, {"office": moved, "gained": sorted(gained), "lost": sorted(lost)}
        )


def shift_office_grain(office: int, gained: set[int], lost: set[int]) -> None:
    """An office moved to another unit: its own grains (office-month, hours, its desks'
    fields) are added to the units it joined and taken from those it left. Cost: the
    office's rows. Locks as rebuild_unit_grain does."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_LOCK_UNIT_TABLES)
        cursor.execute(
            SHIFT_OFFICE_SQL, {"office": office, "gained": sorted(gained), "lost": sorted(lost)}
        )


_LOCK_UNIT_TABLES = (
    "LOCK TABLE surveys_unitmonthlyresponserollup, surveys_unitmonthlyanswerrollup,"
    " surveys_unitmonthlyhourrollup, surveys_unitmonthlyfieldresponserollup,"
    " surveys_unitmonthlyfieldanswerrollup IN EXCLUSIVE MODE"
)


def rebuild_unit_grain(units: list[int] | None = None) -> None:
    """Recompute the unit grain from the office-month grain: every unit, or only `units`
    (those whose subtree gained or lost offices when an office or a unit moved).

    The unit tables are locked first (EXCLUSIVE): a rating in flight that has already
    added to them is waited for (and is then in the office grain read here); one that
    has not waits, and then adds to the units of the tree as it is after the move."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_LOCK_UNIT_TABLES)
        cursor.execute(REBUILD_UNIT_SQL, {"all": units is None, "units": list(units or [])})


def partial_rows(response: Response) -> list[tuple]:
    """The MonthlyPartialRollup increment of one response: none unless valid and partial."""
    if response.is_misuse or response.completed:
        return []
    month = timezone.localtime(response.submitted_at, response.office.tz).date().replace(day=1)
    return [(month, response.office_id, response.desk_id, response.staff_id, 1)]


def move_to_valid(response: Response, answers: list[Answer]) -> None:
    """Roll-ups of a flagged rating whose flag was lifted (`is_misuse` already false):
    its answers, hour cell and completion are added as a new rating's would be, and the
    rating moves from `flagged` to `valid` on every grain. Same transaction as the lift."""
    response_row, answer_rows = rollup_rows(response, answers)
    add_to_rollups([response_row], answer_rows, partial_rows(response))
    day, hour, office, desk, staff, channel = response_row[:6]
    month = day.replace(day=1)
    less = {"flagged": F("flagged") - 1}
    ResponseRollup.objects.filter(
        day=day, hour=hour, office=office, desk=desk, staff=staff, channel=channel, flagged__gt=0
    ).update(**less)
    MonthlyResponseRollup.objects.filter(month=month, office=office, flagged__gt=0).update(**less)
    MonthlyDeskResponseRollup.objects.filter(
        month=month, office=office, desk=desk, staff=staff, flagged__gt=0
    ).update(**less)
    with connection.cursor() as cursor:
        cursor.execute(UNIT_FLAG_LIFTED_SQL, {"month": month, "office": office, "desk": desk})


def rollup_rows(response: Response, answers: list[Answer]) -> tuple[tuple, list[tuple]]:
    """The increments one response makes: (response row, answer rows)."""
    local = timezone.localtime(response.submitted_at, response.office.tz)
    key = (local.date(), response.office_id, response.desk_id, response.staff_id)
    response_row = (
        *key[:1],
        local.hour,
        *key[1:],
        response.channel,
        0 if response.is_misuse else 1,
        1 if response.is_misuse else 0,
    )
    if response.is_misuse:
        return response_row, []
    counts: Counter = Counter(
        (*key, a.question_id, a.score, a.choice_id)
        for a in answers
        if a.score is not None or a.choice_id is not None
    )
    return response_row, [(*k, n) for k, n in sorted(counts.items(), key=_sort_key)]


def _sort_key(item: tuple[tuple, int]) -> tuple:
    # Rows of one response share day, office, desk and staff; ordering the rest the
    # same way in every transaction keeps concurrent kiosks from deadlocking.
    return tuple(-1 if v is None else v for v in item[0][4:])


def monthly_rows(
    response_rows: list[tuple], answer_rows: list[tuple]
) -> tuple[list[tuple], list[tuple]]:
    """The monthly increments implied by daily ones (keys as in the monthly tables)."""
    responses: Counter = Counter()
    for day, _hour, office, _desk, _staff, _channel, valid, flagged in response_rows:
        key = (day.replace(day=1), office)
        responses[key + ("valid",)] += valid
        responses[key + ("flagged",)] += flagged
    monthly_responses = sorted(
        {(m, o, responses[(m, o, "valid")], responses[(m, o, "flagged")]) for m, o, _ in responses}
    )
    answers: Counter = Counter()
    for day, office, _desk, _staff, question, score, choice, count in answer_rows:
        answers[(day.replace(day=1), office, question, score, choice)] += count
    monthly_answers = [
        (*key, count)
        for key, count in sorted(
            answers.items(), key=lambda kv: tuple(-1 if v is None else v for v in kv[0][1:])
        )
    ]
    return monthly_responses, monthly_answers


def _nulls_first(values: tuple) -> tuple:
    return tuple(-1 if v is None else v for v in values)


def monthly_desk_rows(
    response_rows: list[tuple], answer_rows: list[tuple]
) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """The desk-and-officer monthly increments and the hour × weekday cells implied by
    daily rows: (desk responses, desk answers, hours), keys as in their tables."""
    responses: Counter = Counter()
    hours: Counter = Counter()
    for day, hour, office, desk, staff, _channel, valid, flagged in response_rows:
        key = (day.replace(day=1), office, desk, staff)
        responses[key + ("valid",)] += valid
        responses[key + ("flagged",)] += flagged
        if valid:
            hours[(*key, day.isoweekday(), hour)] += valid
    keys = sorted({k[:4] for k in responses}, key=_nulls_first)
    desk_responses = [(*k, responses[k + ("valid",)], responses[k + ("flagged",)]) for k in keys]
    answers: Counter = Counter()
    for day, office, desk, staff, question, score, choice, count in answer_rows:
        answers[(day.replace(day=1), office, desk, staff, question, score, choice)] += count
    desk_answers = [(*k, n) for k, n in sorted(answers.items(), key=lambda kv: _nulls_first(kv[0]))]
    hour_rows = [(*k, n) for k, n in sorted(hours.items(), key=lambda kv: _nulls_first(kv[0]))]
    return desk_responses, desk_answers, hour_rows


_UPSERTS = (
    (
        "INSERT INTO surveys_responserollup AS r"
        " (day, hour, office_id, desk_id, staff_id, channel, valid, flagged) VALUES {}"
        " ON CONFLICT (day, hour, office_id, desk_id, staff_id, channel) DO UPDATE"
        " SET valid = r.valid + EXCLUDED.valid, flagged = r.flagged + EXCLUDED.flagged",
        "(%s, %s, %s, %s, %s, %s, %s, %s)",
    ),
    (
        "INSERT INTO surveys_answerrollup AS r"
        " (day, office_id, desk_id, staff_id, question_id, score, choice_id, count) VALUES {}"
        " ON CONFLICT (day, office_id, desk_id, staff_id, question_id, score, choice_id)"
        " DO UPDATE SET count = r.count + EXCLUDED.count",
        "(%s, %s, %s, %s, %s, %s, %s, %s)",
    ),
    (
        "INSERT INTO surveys_monthlyresponserollup AS r (month, office_id, valid, flagged)"
        " VALUES {} ON CONFLICT (office_id, month) DO UPDATE"
        " SET valid = r.valid + EXCLUDED.valid, flagged = r.flagged + EXCLUDED.flagged",
        "(%s, %s, %s, %s)",
    ),
    (
        "INSERT INTO surveys_monthlyanswerrollup AS r"
        " (month, office_id, question_id, score, choice_id, count) VALUES {}"
        " ON CONFLICT (month, office_id, question_id, score, choice_id)"
        " DO UPDATE SET count = r.count + EXCLUDED.count",
        "(%s, %s, %s, %s, %s, %s)",
    ),
    (
        "INSERT INTO surveys_monthlydeskresponserollup AS r"
        " (month, office_id, desk_id, staff_id, valid, flagged) VALUES {}"
        " ON CONFLICT (office_id, month, desk_id, staff_id) DO UPDATE"
        " SET valid = r.valid + EXCLUDED.valid, flagged = r.flagged + EXCLUDED.flagged",
        "(%s, %s, %s, %s, %s, %s)",
    ),
    (
        "INSERT INTO surveys_monthlydeskanswerrollup AS r"
        " (month, office_id, desk_id, staff_id, question_id, score, choice_id, count) VALUES {}"
        " ON CONFLICT (office_id, month, desk_id, staff_id, question_id, score, choice_id)"
        " DO UPDATE SET count = r.count + EXCLUDED.count",
        "(%s, %s, %s, %s, %s, %s, %s, %s)",
    ),
    (
        "INSERT INTO surveys_monthlyhourrollup AS r"
        " (month, office_id, desk_id, staff_id, weekday, hour, valid) VALUES {}"
        " ON CONFLICT (office_id, month, desk_id, staff_id, weekday, hour)"
        " DO UPDATE SET valid = r.valid + EXCLUDED.valid",
        "(%s, %s, %s, %s, %s, %s, %s)",
    ),
)


PARTIAL_UPSERT = (
    "INSERT INTO surveys_monthlypartialrollup AS r"
    " (month, office_id, desk_id, staff_id, partial) VALUES {}"
    " ON CONFLICT (office_id, month, desk_id, staff_id) DO UPDATE"
    " SET partial = r.partial + EXCLUDED.partial",
    "(%s, %s, %s, %s, %s)",
)


def rollup_statements(
    cursor: PgCursor,
    response_rows: list[tuple],
    answer_rows: list[tuple],
    partial: list[tuple] = (),  # type: ignore[assignment]
) -> list[str]:
    """The INSERT … ON CONFLICT DO UPDATE statements that add these daily rows and the
    monthly increments they imply, and the partial ratings' (`partial_rows`); `cursor`
    is psycopg2's own (for mogrify)."""
    monthly = monthly_rows(response_rows, answer_rows)
    desk = monthly_desk_rows(response_rows, answer_rows)
    tables = (
        response_rows,
        answer_rows,
        *monthly,
        *desk,
        list(partial),
        *unit_rows(monthly[0], monthly[1], list(partial), desk[2], desk[0], desk[1]),
    )
    upserts = (
        *_UPSERTS,
        PARTIAL_UPSERT,
        UNIT_RESPONSE_UPSERT,
        UNIT_ANSWER_UPSERT,
        UNIT_HOUR_UPSERT,
        UNIT_FIELD_RESPONSE_UPSERT,
        UNIT_FIELD_ANSWER_UPSERT,
    )
    return [
        statement.format(b",".join(cursor.mogrify(row_sql, row) for row in rows).decode())
        for (statement, row_sql), rows in zip(upserts, tables, strict=True)
        if rows
    ]


def _insert_sql(raw_cursor: PgCursor, model: type[models.Model], objs: list) -> str:
    """The INSERT Django's own compiler writes for `objs` (every concrete field but an
    unset auto id, with pre_save and database conversions applied), bound with mogrify;
    its text compiled once per process (common.compiled)."""
    from django.db.models import AutoField

    fields = [
        f
        for f in model._meta.local_concrete_fields
        if not (isinstance(f, AutoField) and getattr(objs[0], f.attname) is None)
    ]
    return compiled.insert_sql(raw_cursor, model, fields, objs)


def update_sql(raw_cursor: PgCursor, model: type[models.Model], pk: Any, values: dict) -> str:
    """An `UPDATE … WHERE pk = …` of `values`, bound with mogrify (to send with others);
    its text compiled once per process and set of fields (common.compiled)."""
    return compiled.update_sql(raw_cursor, model, pk, values)


def add_to_rollups(
    response_rows: list[tuple],
    answer_rows: list[tuple],
    partial: list[tuple] = (),  # type: ignore[assignment]
) -> None:
    """Increment the daily and monthly roll-ups: the upserts sent in one round trip
    (this is on every rating's path)."""
    with connection.cursor() as wrapper:
        statements = rollup_statements(wrapper.cursor, response_rows, answer_rows, partial)
        if statements:
            wrapper.cursor.execute(";\n".join(statements))


REBUILD_MONTHLY_SQL = """
DELETE FROM surveys_monthlyresponserollup;
DELETE FROM surveys_monthlyanswerrollup;
INSERT INTO surveys_monthlyresponserollup (month, office_id, valid, flagged)
    SELECT date_trunc('month', day)::date, office_id, sum(valid), sum(flagged)
    FROM surveys_responserollup GROUP BY 1, 2;
INSERT INTO surveys_monthlyanswerrollup (month, office_id, question_id, score, choice_id, count)
    SELECT date_trunc('month', day)::date, office_id, question_id, score, choice_id, sum(count)
    FROM surveys_answerrollup WHERE count > 0 GROUP BY 1, 2, 3, 4, 5;
DELETE FROM surveys_monthlydeskresponserollup;
DELETE FROM surveys_monthlydeskanswerrollup;
DELETE FROM surveys_monthlyhourrollup;
INSERT INTO surveys_monthlydeskresponserollup (month, office_id, desk_id, staff_id, valid, flagged)
    SELECT date_trunc('month', day)::date, office_id, desk_id, staff_id, sum(valid), sum(flagged)
    FROM surveys_responserollup GROUP BY 1, 2, 3, 4;
INSERT INTO surveys_monthlydeskanswerrollup
    (month, office_id, desk_id, staff_id, question_id, score, choice_id, count)
    SELECT date_trunc('month', day)::date, office_id, desk_id, staff_id,
           question_id, score, choice_id, sum(count)
    FROM surveys_answerrollup WHERE count > 0 GROUP BY 1, 2, 3, 4, 5, 6, 7;
INSERT INTO surveys_monthlyhourrollup (month, office_id, desk_id, staff_id, weekday, hour, valid)
    SELECT date_trunc('month', day)::date, office_id, desk_id, staff_id,
           EXTRACT(ISODOW FROM day)::smallint, hour, sum(valid)
    FROM surveys_responserollup WHERE valid > 0 GROUP BY 1, 2, 3, 4, 5, 6;
"""


# --- Dossier arming (integration API) --------------------------------------------------


class DossierArmingQuerySet(models.QuerySet):
    def active_for(self, desk_id: int, moment: datetime) -> DossierArming | None:
        """The arming a rating given at `moment` at desk `desk_id` takes: the latest one
        armed by then, not yet used and not expired (None when the desk is not armed)."""
        # The stubs type the rows of this unparametrised queryset as `_Row`: armings.
        return (
            self.filter(desk_id=desk_id, used_at=None, armed_at__lte=moment, expires_at__gt=moment)  # type: ignore[return-value]
            .order_by("-armed_at", "-pk")
            .first()
        )


class DossierArming(models.Model):
    """ "Dossier D was returned to the citizen at desk Y by officer X": for a while, the
    desk's kiosk rating that follows carries D and X, and D can be rated only once.

    Created by the integration API (a dossier or queue system). A new arming at the same
    desk ends the previous unused one; using one is recorded with the response, so an
    arming serves one rating at most.
    """

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="+")
    desk = models.ForeignKey(Desk, on_delete=models.CASCADE, related_name="armings")
    staff = models.ForeignKey(
        StaffMember, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    dossier_code = models.CharField(_("dossier code"), max_length=64)
    armed_at = models.DateTimeField(_("armed at"))
    expires_at = models.DateTimeField(_("armed until"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    response = models.OneToOneField(
        Response, on_delete=models.SET_NULL, null=True, blank=True, related_name="arming"
    )
    client = models.ForeignKey(
        "offices.ApiClient", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = DossierArmingQuerySet.as_manager()

    class Meta:
        verbose_name = _("dossier arming")
        verbose_name_plural = _("dossier armings")
        ordering = ["-armed_at"]
        indexes = [
            models.Index(
                fields=["desk", "armed_at"],
                name="arming_open_desk_idx",
                condition=Q(used_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.desk} · {self.dossier_code} · {self.armed_at:%Y-%m-%d %H:%M}"

    @classmethod
    def arm(
        cls,
        desk: Desk,
        dossier_code: str,
        *,
        staff: StaffMember | None,
        at: datetime,
        seconds: int,
        client: ApiClient | None = None,
    ) -> DossierArming:
        """Arm `desk` for `dossier_code` from `at` for `seconds`; the desk's previous
        unused arming ends at `at`. Raises DossierAlreadyRated when the dossier has a
        rating already (each dossier is rated once)."""
        with transaction.atomic():
            Desk.objects.select_for_update().filter(pk=desk.pk).first()  # one change at a time
            if Response.objects.filter(
                office_id=desk.office_id, dossier_code=dossier_code
            ).exists():
                raise DossierAlreadyRated(dossier_code)
            cls.objects.filter(desk=desk, used_at=None, expires_at__gt=at).update(expires_at=at)
            return cls.objects.create(
                office_id=desk.office_id,
                desk=desk,
                staff=staff,
                dossier_code=dossier_code,
                armed_at=at,
                expires_at=at + timedelta(seconds=seconds),
                client=client,
            )

    def carry(self, response: Response) -> None:
        """Put this arming's dossier, desk and officer on a rating about to be recorded."""
        response.dossier_code = self.dossier_code
        response.desk_id = self.desk_id
        response.staff_id = self.staff_id

    def mark_used(self, response: Response) -> bool:
        """Record that `response` used this arming (inside the response's transaction);
        False when another rating took it first."""
        used = DossierArming.objects.filter(pk=self.pk, used_at=None).update(
            used_at=timezone.now(), response=response
        )
        return bool(used)
