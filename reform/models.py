"""The administrative reform index (PAR INDEX): criteria sets, and each unit's scores.

A criteria set is issued for one year and one level of unit (e.g. "Hà Nội 2026, commune
level") by a unit (the city) and applies to the units of that level under it. It holds
areas › criteria › sub-criteria, each with its maximum points; a criterion without
sub-criteria is scored by its rule from one value. Once a unit has started scoring
against a set, the set is frozen: history never changes, so a revised set is a new set
(copy last year's and edit the copy).

Who does what:
* the unit's managers (a membership at the unit itself) enter the self-assessment with
  evidence; the unit's admin submits it;
* an appraiser (an `Appraiser` entry at a unit above, like the inspector entry) adjusts
  each score with a reason; the self-assessed and the appraised values are both kept;
* readers: memberships over the unit and appraisers over it (`reader_paths`).

Criteria whose source is the satisfaction survey are not entered by anyone: the reports
app fills them from the product's own index for the year (this app knows only offices).
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator, MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from offices.files import private_storage
from offices.models import (
    ROLE_RANK,
    AdministrativeUnit,
    Role,
    SubtreeGrant,
    UnitLevel,
    is_active_superuser,
    memberships_of,
    subtree_filter,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

EVIDENCE_EXTENSIONS = ["pdf", "doc", "docx", "odt", "xls", "xlsx", "ods", "jpg", "jpeg", "png"]
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
EARLIEST_YEAR, LATEST_YEAR = 2012, 2100  # the first national PAR INDEX was scored for 2012
POINTS: dict[str, Any] = {"max_digits": 6, "decimal_places": 2}
VALUE: dict[str, Any] = {"max_digits": 12, "decimal_places": 2}


class FrozenSetError(ValidationError):
    """A change to a criteria set that scoring has already started on."""

    def __init__(self) -> None:
        super().__init__(
            _("This criteria set is frozen: scoring has started. Copy it to make a new set."),
            code="frozen",
        )


class SetLevel(models.TextChoices):
    PROVINCE = "province", _("Province level (departments)")
    DISTRICT = "district", _("District level")
    COMMUNE = "commune", _("Commune level (wards, communes, special zones)")


UNIT_LEVELS: dict[str, list[str]] = {
    SetLevel.PROVINCE: [UnitLevel.PROVINCE],
    SetLevel.DISTRICT: [UnitLevel.DISTRICT],
    SetLevel.COMMUNE: [UnitLevel.WARD, UnitLevel.COMMUNE, UnitLevel.SPECIAL_ZONE],
}


class Rule(models.TextChoices):
    YESNO = "yesno", _("Yes / no: the maximum or nothing")
    THRESHOLD = "threshold", _("By threshold: points of the highest threshold reached")
    PROPORTIONAL = "proportional", _("Proportional to a figure, up to the maximum")
    DIRECT = "direct", _("Points given directly, up to the maximum")


class Source(models.TextChoices):
    SELF = "self", _("Self-assessment")
    SURVEY = "survey", _("Satisfaction survey (filled from this product's index)")


class Status(models.TextChoices):
    DRAFT = "draft", _("Self-assessment in progress")
    SUBMITTED = "submitted", _("Submitted, awaiting appraisal")
    APPRAISED = "appraised", _("Appraised")


# --- Who may appraise ---------------------------------------------------------------


class Appraiser(SubtreeGrant):
    """May appraise the units strictly below `unit` (and read their scores)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="appraiser_entries",
        verbose_name=_("user"),
    )
    note = models.CharField(
        _("note"), max_length=200, blank=True, help_text=_("For example the appraisal council.")
    )

    class Meta(SubtreeGrant.Meta):
        verbose_name = _("appraiser")
        verbose_name_plural = _("appraisers")


def appraiser_paths(user: User | AnonymousUser) -> list[str]:
    """Unit paths the user appraises under, loaded once per user object."""
    return Appraiser.unit_paths(user)


def may_appraise(user: User | AnonymousUser, unit: AdministrativeUnit) -> bool:
    """An appraiser entry at a unit strictly above `unit` (a unit never appraises itself)."""
    if is_active_superuser(user):
        return True
    return any(unit.path.startswith(p) and unit.path != p for p in appraiser_paths(user))


def unit_role(user: User | AnonymousUser, unit: AdministrativeUnit) -> str | None:
    """The role the user holds at `unit` itself (not through an ancestor): the unit's own
    managers self-assess and its own admin submits, not the district above it."""
    if is_active_superuser(user):
        return Role.ADMIN
    roles = [m.role for m in memberships_of(user) if m.unit_id == unit.pk]
    return max(roles, key=ROLE_RANK.__getitem__, default=None)


def reader_paths(user: User | AnonymousUser) -> list[str] | None:
    """Roots of the subtrees whose scores the user may read; None means everything."""
    if is_active_superuser(user):
        return None
    if not user.is_authenticated or not user.is_active:
        return []
    paths = {m.unit.path for m in memberships_of(user)} | set(appraiser_paths(user))
    return sorted(p for p in paths if not any(p != q and p.startswith(q) for q in paths))


def readable_units(user: User | AnonymousUser) -> models.QuerySet[AdministrativeUnit]:
    """Units whose scores the user may read."""
    paths = reader_paths(user)
    units = AdministrativeUnit.objects.all()
    return units if paths is None else units.filter(subtree_filter(paths, "path"))


def may_read(user: User | AnonymousUser, unit: AdministrativeUnit) -> bool:
    paths = reader_paths(user)
    return paths is None or any(unit.path.startswith(p) for p in paths)


# --- Criteria sets ----------------------------------------------------------------------


class CriteriaSetQuerySet(models.QuerySet):
    def for_unit(self, unit: AdministrativeUnit) -> CriteriaSetQuerySet:
        """Sets that apply to `unit`: its level, issued by it or a unit above it."""
        levels = [lvl for lvl, units in UNIT_LEVELS.items() if unit.level in units]
        ancestors = [unit.path[:i] for i in range(len(unit.path), 0, -AdministrativeUnit.steplen)]
        return self.filter(level__in=levels, issuer__path__in=ancestors)


class CriteriaSet(models.Model):
    issuer = models.ForeignKey(
        AdministrativeUnit,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("issued by"),
        help_text=_("The set applies to the units of its level under this unit."),
    )
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(EARLIEST_YEAR), MaxValueValidator(LATEST_YEAR)]
    )
    level = models.CharField(_("level"), max_length=16, choices=SetLevel.choices)
    name = models.CharField(_("name"), max_length=200)
    copied_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("copied from"),
    )
    frozen_at = models.DateTimeField(
        _("frozen since"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Set when the first unit starts scoring; a frozen set never changes."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = CriteriaSetQuerySet.as_manager()

    class Meta:
        verbose_name = _("criteria set")
        verbose_name_plural = _("criteria sets")
        ordering = ["-year", "issuer__path", "level"]
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "year", "level"], name="criteria_set_unique_year_level"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("update_fields") != ["frozen_at"]:
            self.check_editable()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        self.check_editable()
        return super().delete(*args, **kwargs)

    @property
    def is_frozen(self) -> bool:
        return self.frozen_at is not None

    def check_editable(self) -> None:
        if self.pk and CriteriaSet.objects.filter(pk=self.pk, frozen_at__isnull=False).exists():
            raise FrozenSetError

    def freeze(self) -> None:
        """Called when scoring starts; a set already frozen keeps its first date."""
        if self.frozen_at is None:
            self.frozen_at = timezone.now()
            CriteriaSet.objects.filter(pk=self.pk, frozen_at__isnull=True).update(
                frozen_at=self.frozen_at
            )

    @property
    def max_points(self) -> Decimal:
        return sum((a.max_points for a in self.areas.all()), Decimal(0))

    def leaf_criteria(self) -> models.QuerySet[Criterion]:
        return Criterion.objects.filter(area__criteria_set=self, children__isnull=True)

    def units(self) -> models.QuerySet[AdministrativeUnit]:
        """The units this set applies to."""
        return self.issuer.subtree().filter(level__in=UNIT_LEVELS[self.level])

    def applies_to(self, unit: AdministrativeUnit) -> bool:
        return unit.level in UNIT_LEVELS[self.level] and unit.path.startswith(self.issuer.path)

    def previous(self) -> CriteriaSet | None:
        """Last year's set of the same issuer and level."""
        return CriteriaSet.objects.filter(
            issuer_id=self.issuer_id, level=self.level, year__lt=self.year
        ).first()

    @transaction.atomic
    def copy_to(self, year: int, name: str) -> CriteriaSet:
        """A new, editable set for `year` with the same areas, criteria and rules."""
        copy = CriteriaSet.objects.create(
            issuer=self.issuer, year=year, level=self.level, name=name, copied_from=self
        )
        criteria = list(
            Criterion.objects.filter(area__criteria_set=self).order_by("parent_id", "position")
        )
        for area in self.areas.all():
            new_area = Area.objects.create(
                criteria_set=copy,
                code=area.code,
                name=area.name,
                max_points=area.max_points,
                position=area.position,
            )
            new_ids: dict[int, Criterion] = {}
            # Parents first (their parent_id is None), so a sub-criterion finds its copy.
            for criterion in sorted(
                (c for c in criteria if c.area_id == area.pk), key=lambda c: c.parent_id is not None
            ):
                old_pk = criterion.pk
                criterion.pk = None
                criterion.area = new_area
                parent_id = criterion.parent_id
                criterion.parent = new_ids.get(parent_id) if parent_id is not None else None
                criterion.save()
                new_ids[old_pk] = criterion
        return copy


class FrozenGuard(models.Model):
    """Areas and criteria refuse any change once their set is frozen."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.owning_set().check_editable()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        self.owning_set().check_editable()
        return super().delete(*args, **kwargs)

    def owning_set(self) -> CriteriaSet:
        raise NotImplementedError


class Area(FrozenGuard):
    criteria_set = models.ForeignKey(
        CriteriaSet, on_delete=models.CASCADE, related_name="areas", verbose_name=_("criteria set")
    )
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=300)
    max_points = models.DecimalField(
        _("maximum points"), **POINTS, validators=[MinValueValidator(Decimal(0))]
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        ordering = ["criteria_set", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["criteria_set", "code"], name="area_unique_code")
        ]

    def __str__(self) -> str:
        return f"{self.code}. {self.name}"

    def owning_set(self) -> CriteriaSet:
        return self.criteria_set


def _plain(number: Decimal) -> str:
    """95.00 → "95", 0.50 → "0.5"."""
    text = f"{Decimal(number).normalize():f}"
    return text


class Criterion(FrozenGuard):
    """A criterion (no parent) or a sub-criterion (its parent is a criterion).

    Only criteria without sub-criteria are scored; a criterion with sub-criteria has
    the sum of theirs, capped at its own maximum.
    """

    area = models.ForeignKey(
        Area, on_delete=models.CASCADE, related_name="criteria", verbose_name=_("area")
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("criterion (for a sub-criterion)"),
    )
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=500)
    max_points = models.DecimalField(
        _("maximum points"), **POINTS, validators=[MinValueValidator(Decimal(0))]
    )
    rule = models.CharField(_("scoring rule"), max_length=16, choices=Rule.choices)
    source = models.CharField(
        _("source"), max_length=16, choices=Source.choices, default=Source.SELF
    )
    target = models.DecimalField(
        _("figure for full points"),
        **VALUE,
        null=True,
        blank=True,
        help_text=_("Proportional rule: the figure that earns the maximum (e.g. 100 for %)."),
    )
    thresholds = models.JSONField(
        _("thresholds"),
        default=list,
        blank=True,
        help_text=_("Threshold rule: [[lowest figure, points], …], e.g. [[95, 2], [80, 1]]."),
    )
    figure_label = models.CharField(
        _("figure"),
        max_length=100,
        blank=True,
        help_text=_("What the figure is, e.g. “dossiers on time, in percent”."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        ordering = ["area", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["area", "code"], name="criterion_unique_code")
        ]

    def __str__(self) -> str:
        return f"{self.code}. {self.name}"

    def owning_set(self) -> CriteriaSet:
        return self.area.criteria_set

    def threshold_pairs(self) -> list[tuple[Decimal, Decimal]]:
        """[(lowest figure, points)], highest figure first."""
        pairs = [(Decimal(str(low)), Decimal(str(points))) for low, points in self.thresholds]
        return sorted(pairs, reverse=True)

    def rule_text(self) -> str:
        """The rule in a few words, for the scoring page and the method."""
        if self.rule == Rule.THRESHOLD:
            return "; ".join(
                f"≥ {_plain(low)} → {_plain(points)}" for low, points in self.threshold_pairs()
            )
        if self.rule == Rule.PROPORTIONAL and self.target:
            return _("max × figure ÷ %(target)s") % {"target": _plain(self.target)}
        return str(self.get_rule_display())

    def clean(self) -> None:
        errors = {}
        parent = self.parent  # None without a query when there is no parent
        if parent is not None:
            if parent.parent_id:
                errors["parent"] = _("A sub-criterion cannot have sub-criteria.")
            elif parent.area_id != self.area_id:
                errors["parent"] = _("A sub-criterion belongs to its criterion's area.")
        if self.source == Source.SURVEY and self.rule not in (Rule.THRESHOLD, Rule.PROPORTIONAL):
            errors["rule"] = _(
                "A criterion from the survey needs a threshold or proportional rule."
            )
        if self.rule == Rule.PROPORTIONAL and not (self.target and self.target > 0):
            errors["target"] = _("The proportional rule needs a positive figure for full points.")
        if self.rule == Rule.THRESHOLD:
            try:
                pairs = self.threshold_pairs()
            except (TypeError, ValueError, ArithmeticError):
                pairs = None
            if not pairs:
                errors["thresholds"] = _("Give the thresholds as [[lowest figure, points], …].")
            elif any(points < 0 or points > self.max_points for _low, points in pairs):
                errors["thresholds"] = _("Threshold points must lie between 0 and the maximum.")
        if errors:
            raise ValidationError(errors)


# --- Scoring ------------------------------------------------------------------------


class Assessment(models.Model):
    """One unit's scoring against one criteria set."""

    criteria_set = models.ForeignKey(
        CriteriaSet,
        on_delete=models.PROTECT,
        related_name="assessments",
        verbose_name=_("criteria set"),
    )
    unit = models.ForeignKey(
        AdministrativeUnit,
        on_delete=models.PROTECT,
        related_name="reform_assessments",
        verbose_name=_("unit"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    appraised_at = models.DateTimeField(_("appraisal finished"), null=True, blank=True)
    appraised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("appraised by"),
    )
    created_at = models.DateTimeField(_("started"), auto_now_add=True)

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        ordering = ["-criteria_set__year", "unit__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["criteria_set", "unit"], name="assessment_unique_set_unit"
            )
        ]

    def __str__(self) -> str:
        return f"{self.criteria_set} · {self.unit}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.full_clean(exclude=["submitted_by", "appraised_by"])
        with transaction.atomic():
            super().save(*args, **kwargs)
            self.criteria_set.freeze()

    def clean(self) -> None:
        if self.criteria_set_id and self.unit_id and not self.criteria_set.applies_to(self.unit):
            raise ValidationError({"unit": _("This criteria set does not apply to this unit.")})

    @classmethod
    def start(cls, criteria_set: CriteriaSet, unit: AdministrativeUnit) -> Assessment:
        assessment = cls.objects.filter(criteria_set=criteria_set, unit=unit).first()
        return assessment or cls.objects.create(criteria_set=criteria_set, unit=unit)

    def submit(self, user: User | None) -> None:
        self.status, self.submitted_at, self.submitted_by = Status.SUBMITTED, timezone.now(), user
        self.save(update_fields=["status", "submitted_at", "submitted_by"])

    def finish_appraisal(self, user: User | None) -> None:
        self.status, self.appraised_at, self.appraised_by = Status.APPRAISED, timezone.now(), user
        self.save(update_fields=["status", "appraised_at", "appraised_by"])


class Score(models.Model):
    """The self-assessed and the appraised value of one scored criterion; both are kept."""

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="scores", verbose_name=_("assessment")
    )
    criterion = models.ForeignKey(
        Criterion, on_delete=models.PROTECT, related_name="+", verbose_name=_("criterion")
    )
    self_value = models.DecimalField(_("self-assessed figure"), **VALUE, null=True, blank=True)
    evidence_note = models.TextField(_("evidence"), blank=True)
    self_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("self-assessed by"),
    )
    self_at = models.DateTimeField(_("self-assessed"), null=True, blank=True)
    appraised_value = models.DecimalField(_("appraised figure"), **VALUE, null=True, blank=True)
    appraisal_reason = models.TextField(_("reason for the adjustment"), blank=True)
    appraised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("appraised by"),
    )
    appraised_at = models.DateTimeField(_("appraised"), null=True, blank=True)

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        ordering = ["assessment", "criterion__area__position", "criterion__position"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "criterion"], name="score_unique")
        ]

    def __str__(self) -> str:
        return f"{self.assessment} · {self.criterion.code}"

    @property
    def final_value(self) -> Decimal | None:
        return self.appraised_value if self.appraised_value is not None else self.self_value


def evidence_path(instance: Evidence, filename: str) -> str:
    name = PurePath(filename).name[-100:]
    return f"reform/{timezone.now():%Y/%m}/{uuid.uuid4().hex}/{name}"


class Evidence(models.Model):
    """A file backing a self-assessed score; readable only within the unit's scope."""

    assessment = models.ForeignKey(
        Assessment,
        on_delete=models.CASCADE,
        related_name="evidence",
        verbose_name=_("assessment"),
    )
    criterion = models.ForeignKey(
        Criterion, on_delete=models.PROTECT, related_name="+", verbose_name=_("criterion")
    )
    file = models.FileField(
        _("file"),
        upload_to=evidence_path,
        storage=private_storage,
        max_length=250,
        validators=[FileExtensionValidator(EVIDENCE_EXTENSIONS)],
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")
        ordering = ["criterion__position", "uploaded_at"]

    def __str__(self) -> str:
        return self.filename

    @property
    def filename(self) -> str:
        return (self.file.name or "").rsplit("/", 1)[-1]
