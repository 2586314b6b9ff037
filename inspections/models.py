"""Public-service inspections of units and offices, and the disciplinary cases they lead to.

Who reads: officials with any membership over the inspected unit, and inspectors
over it. Who records: only users with an `Inspector` entry over the inspected
unit (an admin-managed capability, kept apart from the reading roles in offices).
"""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, Self

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.db import models
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from offices.files import PrivateFileField
from offices.models import (
    AdministrativeUnit,
    Office,
    StaffMember,
    SubtreeGrant,
    is_active_superuser,
    memberships_of,
    subtree_filter,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User
    from django.db.models import QuerySet

ATTACHMENT_EXTENSIONS = ["pdf", "doc", "docx", "odt", "xls", "xlsx", "ods", "jpg", "jpeg", "png"]
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
EARLIEST_DATE = date(2000, 1, 1)


class InspectingLevel(models.TextChoices):
    CITY = "city", _("City inspection team")
    DEPARTMENT = "department", _("City department")
    DISTRICT = "district", _("District level")
    WARD = "ward", _("Ward or commune level")


class InspectionKind(models.TextChoices):
    PLANNED = "planned", _("Planned")
    SURPRISE = "surprise", _("Surprise")


class Measure(models.TextChoices):
    REPRIMAND = "reprimand", _("Reprimand")
    WARNING = "warning", _("Warning")
    DEMOTION = "demotion", _("Demotion")
    DISMISSAL = "dismissal", _("Dismissal")
    OTHER = "other", _("Other measure")


# --- Who may record ---------------------------------------------------------------


class Inspector(SubtreeGrant):
    """May read and record inspections for `unit` and its whole subtree."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="inspector_entries",
        verbose_name=_("user"),
    )
    note = models.CharField(
        _("note"), max_length=200, blank=True, help_text=_("For example the inspection team.")
    )

    class Meta(SubtreeGrant.Meta):
        verbose_name = _("inspector")
        verbose_name_plural = _("inspectors")


def inspector_paths(user: User | AnonymousUser) -> list[str]:
    """Unit paths the user inspects, loaded once per user object."""
    return Inspector.unit_paths(user)


def is_inspector_over(user: User | AnonymousUser, unit: AdministrativeUnit) -> bool:
    if is_active_superuser(user):
        return True
    return any(unit.path.startswith(path) for path in inspector_paths(user))


def may_record_any(user: User | AnonymousUser) -> bool:
    return is_active_superuser(user) or bool(inspector_paths(user))


def reader_paths(user: User | AnonymousUser) -> list[str] | None:
    """Roots of the subtrees whose inspections the user may read; None means everything."""
    if is_active_superuser(user):
        return None
    if not user.is_authenticated or not user.is_active:
        return []
    paths = {m.unit.path for m in memberships_of(user)} | set(inspector_paths(user))
    # Keep only the highest roots: a path under another adds nothing.
    return sorted(p for p in paths if not any(p != q and p.startswith(q) for q in paths))


def readable_units(user: User | AnonymousUser) -> QuerySet[AdministrativeUnit]:
    """Units whose inspections the user may read (for filters and report pickers)."""
    paths = reader_paths(user)
    units = AdministrativeUnit.objects.all()
    return units if paths is None else units.filter(subtree_filter(paths, "path"))


def recordable_units(user: User | AnonymousUser) -> QuerySet[AdministrativeUnit]:
    """Units the user may record inspections for."""
    units = AdministrativeUnit.objects.all()
    if is_active_superuser(user):
        return units
    return units.filter(subtree_filter(inspector_paths(user), "path"))


# --- Inspections ----------------------------------------------------------------------


class InspectionQuerySet(models.QuerySet):
    def visible_to(self, user: User | AnonymousUser) -> Self:
        paths = reader_paths(user)
        return self if paths is None else self.filter(subtree_filter(paths, "unit__path"))

    def in_subtree(self, unit: AdministrativeUnit) -> Self:
        return self.filter(unit__path__startswith=unit.path)

    def in_period(self, start: date | None, end_exclusive: date | None) -> Self:
        qs = self
        if start:
            qs = qs.filter(date__gte=start)
        if end_exclusive:
            qs = qs.filter(date__lt=end_exclusive)
        return qs

    def with_case_count(self) -> Self:
        return self.annotate(case_count=Count("cases"))


def attachment_path(instance: Inspection, filename: str) -> str:
    # A random folder per upload: names never collide and are not guessable.
    name = PurePath(filename).name[-100:]
    return f"inspections/{timezone.now():%Y/%m}/{uuid.uuid4().hex}/{name}"


class Inspection(models.Model):
    """One inspection of a unit (optionally of one of its offices)."""

    unit = models.ForeignKey(
        AdministrativeUnit,
        on_delete=models.PROTECT,
        related_name="inspections",
        verbose_name=_("inspected unit"),
    )
    office = models.ForeignKey(
        Office,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inspections",
        verbose_name=_("inspected office"),
        help_text=_("Leave empty when the inspection covered the unit as a whole."),
    )
    inspecting_body = models.CharField(
        _("inspecting body"),
        max_length=200,
        help_text=_("For example: Thanh tra Sở Nội vụ Hà Nội."),
    )
    inspecting_level = models.CharField(
        _("level of the inspecting body"), max_length=16, choices=InspectingLevel.choices
    )
    kind = models.CharField(
        _("planned or surprise"),
        max_length=16,
        choices=InspectionKind.choices,
        default=InspectionKind.PLANNED,
    )
    date = models.DateField(_("date"))
    scope = models.TextField(_("scope"), help_text=_("What was inspected."))
    findings = models.TextField(_("findings"), blank=True)
    outcome = models.TextField(_("outcome"), blank=True, help_text=_("Conclusions and requests."))
    attachment = PrivateFileField(  # outside the public media root, served in scope only
        _("attachment"),
        view_name="inspections:attachment",
        upload_to=attachment_path,
        blank=True,
        max_length=250,
        validators=[FileExtensionValidator(ATTACHMENT_EXTENSIONS)],
        help_text=_("Optional: the inspection report or conclusion (PDF, office document, image)."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    objects = InspectionQuerySet.as_manager()

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["date"], name="inspection_date_idx")]

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y} · {self.inspected_name} · {self.inspecting_body}"

    @property
    def inspected_name(self) -> str:
        return self.office.name if self.office else self.unit.name

    def clean(self) -> None:
        # The office, when given, decides the unit, so the scope follows the office.
        office = self.office  # None without a query when no office is chosen
        if office is not None:
            self.unit = office.unit
        errors = {}
        if self.date and not (EARLIEST_DATE <= self.date <= timezone.localdate()):
            errors["date"] = _("The date must lie between 2000 and today.")
        if errors:
            raise ValidationError(errors)

    def satisfaction_office_ids(self) -> list[int]:
        """Offices whose ratings tell whether this inspection changed anything."""
        if self.office_id:
            return [self.office_id]
        return list(self.unit.offices.values_list("pk", flat=True))


def describe_staff(staff: StaffMember | None) -> str:
    """The name and title kept with a case (it outlives the staff record)."""
    if staff is None:
        return ""
    title = f", {staff.title}" if staff.title else ""
    return f"{staff.full_name}{title}"[:200]


class DisciplinaryCase(models.Model):
    """A person disciplined after an inspection."""

    inspection = models.ForeignKey(
        Inspection, on_delete=models.CASCADE, related_name="cases", verbose_name=_("inspection")
    )
    staff = models.ForeignKey(
        StaffMember,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("staff member"),
    )
    person = models.CharField(
        _("person"),
        max_length=200,
        blank=True,
        help_text=_("Name and position, when the person is not in the system."),
    )
    breach = models.TextField(_("breach"))
    measure = models.CharField(_("measure taken"), max_length=16, choices=Measure.choices)
    date = models.DateField(_("date of the decision"))
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("disciplinary case")
        verbose_name_plural = _("disciplinary cases")
        ordering = ["date", "pk"]

    def __str__(self) -> str:
        return f"{self.person_name} · {self.get_measure_display()}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Keep the name with the case: it must survive the staff record being removed.
        if self.staff_id and not self.person:
            self.person = describe_staff(self.staff)
        super().save(*args, **kwargs)

    @property
    def person_name(self) -> str:
        return self.person or (self.staff.full_name if self.staff else "—")

    def clean(self) -> None:
        errors = {}
        if not self.staff_id and not self.person.strip():
            errors["person"] = _("Choose a staff member or describe the person.")
        staff = self.staff  # None without a query when no staff member is chosen
        if staff is not None and self.inspection_id:
            unit_path = self.inspection.unit.path
            if not staff.office.unit.path.startswith(unit_path):
                errors["staff"] = _("The staff member must work under the inspected unit.")
        if self.date and self.inspection_id:
            if self.date < self.inspection.date:
                errors["date"] = _("The decision cannot come before the inspection.")
            elif self.date > timezone.localdate():
                errors["date"] = _("The date cannot be in the future.")
        if errors:
            raise ValidationError(errors)
