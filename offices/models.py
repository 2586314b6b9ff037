"""Administrative units, one-stop offices and who may see them.

This module is the single answer to "which offices may this user see":
`Office.objects.visible_to(user)` for lists and `get_in_scope()` (scope.py)
for one object. Scope is a membership's unit and its whole subtree.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, NoReturn, Self, TypeAlias
from zoneinfo import ZoneInfo, available_timezones

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models, transaction
from django.db.models import F, Q
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node, MP_NodeManager, MP_NodeQuerySet

from common.net import client_ip
from offices.files import PrivateImageField

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User
    from django.http import HttpRequest
    from django_stubs_ext import StrOrPromise

    # Whom a scope check is about: an official (or an anonymous visitor), or an API client.
    Principal: TypeAlias = "User | AnonymousUser | ApiClient"


class Role(models.TextChoices):
    VIEWER = "viewer", _("Viewer (reads reports)")
    MANAGER = "manager", _("Manager (acts on suggestions, enters figures)")
    ADMIN = "admin", _("Administrator (configures the unit)")


ROLE_RANK: dict[str, int] = {Role.VIEWER: 1, Role.MANAGER: 2, Role.ADMIN: 3}


def is_active_superuser(user: Principal) -> bool:
    """A superuser counts only while logged in and active: an inactive one is nobody."""
    return bool(user.is_authenticated and user.is_active and user.is_superuser)


def memberships_of(user: Principal, min_role: str = Role.VIEWER) -> list[Membership]:
    """The user's memberships with at least `min_role`, loaded once per user object.

    Anonymous and inactive users hold none. An API client (ApiClient) is a principal
    too: its grant is one viewer membership over its unit, so every scope check treats
    it exactly like an official there (a revoked client is inactive: none).
    """
    if not user.is_authenticated or not user.is_active:
        return []
    cached = getattr(user, "_memberships_cache", None)
    if cached is None and isinstance(user, ApiClient):
        cached = [Membership(unit=user.unit, role=Role.VIEWER)]
        user._memberships_cache = cached  # type: ignore[attr-defined]
    if cached is None:
        # An ApiClient got its cache just above: `user` is a User here.
        cached = list(Membership.objects.filter(user=user).select_related("unit"))  # type: ignore[misc]
        user._memberships_cache = cached  # type: ignore[union-attr]
    return [m for m in cached if ROLE_RANK[m.role] >= ROLE_RANK[min_role]]


def memberships_over(user: Principal, unit: AdministrativeUnit) -> list[Membership]:
    """The user's memberships that cover `unit` (held on it or on an ancestor)."""
    return [m for m in memberships_of(user) if unit.path.startswith(m.unit.path)]


def role_over(user: Principal, unit: AdministrativeUnit) -> str | None:
    """The strongest role the user holds over `unit` (through it or an ancestor)."""
    if is_active_superuser(user):
        return Role.ADMIN
    roles = [m.role for m in memberships_over(user, unit)]
    return max(roles, key=ROLE_RANK.__getitem__, default=None)


def has_role(user: Principal, unit: AdministrativeUnit, min_role: str = Role.VIEWER) -> bool:
    """Whether the user holds at least `min_role` over `unit`: the one role check."""
    role = role_over(user, unit)
    return role is not None and ROLE_RANK[role] >= ROLE_RANK[min_role]


def holds_role_anywhere(user: Principal, min_role: str = Role.VIEWER) -> bool:
    """Whether the user holds at least `min_role` over some unit (e.g. to show a menu)."""
    return is_active_superuser(user) or bool(memberships_of(user, min_role))


def visible_lineage(user: Principal, unit: AdministrativeUnit) -> list[AdministrativeUnit]:
    """The breadcrumb from the highest unit the user may see down to `unit`."""
    lineage = unit.lineage()
    if is_active_superuser(user):
        return lineage
    roots = [m.unit.path for m in memberships_of(user)]
    return [u for u in lineage if any(u.path.startswith(root) for root in roots)]


def subtree_filter(paths: Iterable[str], field: str = "path") -> Q:
    """A Q matching rows whose unit path `field` lies under one of `paths` (a unit's path
    is a prefix of its whole subtree's); no paths match nothing."""
    conditions = [Q(**{f"{field}__startswith": path}) for path in paths]
    if not conditions:
        return Q(pk__in=[])
    condition = conditions[0]
    for other in conditions[1:]:
        condition |= other
    return condition


def _scope_filter(user: Principal, path_field: str, min_role: str = Role.VIEWER) -> Q | None:
    """A Q matching rows whose unit path lies under one of the user's memberships.

    Returns None for (active) superusers: no restriction. Anyone else without
    memberships, inactive or anonymous gets a Q that matches nothing.
    """
    if is_active_superuser(user):
        return None
    return subtree_filter((m.unit.path for m in memberships_of(user, min_role)), path_field)


class UnitLevel(models.TextChoices):
    NATION = "nation", _("Nation (the root above the provinces)")
    PROVINCE = "province", _("Province / centrally-run city")
    DISTRICT = "district", _("District (before 2025)")
    WARD = "ward", _("Ward")
    COMMUNE = "commune", _("Commune")
    SPECIAL_ZONE = "special_zone", _("Special zone")


class AdministrativeUnitQuerySet(MP_NodeQuerySet):
    def visible_to(self, user: Principal, min_role: str = Role.VIEWER) -> Self:
        condition = _scope_filter(user, "path", min_role)
        return self if condition is None else self.filter(condition)


# Sent (inside the move's transaction) when offices changed units above them, because
# a unit or an office moved in the tree: `gained` and `lost` are the ids of the units
# whose subtree gained or lost offices; `unit` is the moved unit (its own subtree
# unchanged) or `office` the moved office (the other one None). Apps that keep per-unit figures (the
# ratings' unit grain) bring those units up to date; offices knows none of them.
units_regrouped = Signal()


def unit_and_ancestor_ids(path: str) -> set[int]:
    """Ids of the unit at `path` and of every unit above it (one indexed query)."""
    step = AdministrativeUnit.steplen
    prefixes = [path[:end] for end in range(step, len(path) + 1, step)]
    return set(AdministrativeUnit.objects.filter(path__in=prefixes).values_list("pk", flat=True))


class AdministrativeUnitManager(MP_NodeManager):
    def get_queryset(self) -> AdministrativeUnitQuerySet:
        return AdministrativeUnitQuerySet(self.model, using=self._db).order_by("path")

    def move(
        self, node: AdministrativeUnit, target: AdministrativeUnit, pos: str | None = None
    ) -> None:
        """Treebeard's move, and `units_regrouped` for the units above the moved subtree
        before and not after (or after and not before), in one transaction."""
        with transaction.atomic():
            before = unit_and_ancestor_ids(node.path) - {node.pk}
            result = super().move(node, target, pos)
            after = unit_and_ancestor_ids(self.get(pk=node.pk).path) - {node.pk}
            if before != after:
                units_regrouped.send(
                    sender=self.model,
                    unit=node.pk,
                    office=None,
                    gained=after - before,
                    lost=before - after,
                )
        return result

    def visible_to(
        self, user: Principal, min_role: str = Role.VIEWER
    ) -> AdministrativeUnitQuerySet:
        return self.get_queryset().visible_to(user, min_role)


class AdministrativeUnit(MP_Node):
    """A province, (pre-2025) district, ward, commune or special zone.

    Materialised path tree: a whole subtree is one `path LIKE 'prefix%'`
    served by the pattern index below, in both the three-level structure
    (city › district › ward) and the two-tier one (province › commune).
    """

    code = models.CharField(_("official code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=200)
    level = models.CharField(_("level"), max_length=16, choices=UnitLevel.choices)
    head_email = models.EmailField(
        _("head's e-mail"),
        blank=True,
        help_text=_(
            "Receives the monthly report of the whole unit. Empty: the unit's managers "
            "receive it (units with sub-units only; an office's head gets the office's)."
        ),
    )

    # No node_order_by: children are appended, so a unit's path never changes when a
    # sibling is added (sorted insertion would renumber siblings' whole subtrees).
    objects = AdministrativeUnitManager()

    class Meta:
        verbose_name = _("administrative unit")
        verbose_name_plural = _("administrative units")
        indexes = [
            models.Index(
                fields=["path"], name="unit_path_prefix_idx", opclasses=["varchar_pattern_ops"]
            )
        ]

    def __str__(self) -> str:
        return self.name

    def subtree(self) -> AdministrativeUnitQuerySet:
        """This unit and everything under it, as one indexed prefix query."""
        return AdministrativeUnit.objects.filter(path__startswith=self.path)

    def lineage(self) -> list[AdministrativeUnit]:
        """Ancestors from the root down to this unit (for breadcrumbs)."""
        return [*AdministrativeUnit.objects.get_ancestors(self), self]


class OfficeQuerySet(models.QuerySet):
    def visible_to(self, user: Principal, min_role: str = Role.VIEWER) -> Self:
        condition = _scope_filter(user, "unit__path", min_role)
        return self if condition is None else self.filter(condition)

    def in_subtree(self, unit: AdministrativeUnit) -> Self:
        return self.filter(unit__path__startswith=unit.path)


WEEKDAY_NAMES = {
    1: _("Monday"),
    2: _("Tuesday"),
    3: _("Wednesday"),
    4: _("Thursday"),
    5: _("Friday"),
    6: _("Saturday"),
    7: _("Sunday"),
}


def _validate_open_days(value: str) -> None:
    """ISO weekday digits, each at most once: "12345" is Monday to Friday."""
    if not value or any(c not in "1234567" for c in value) or len(set(value)) != len(value):
        raise ValidationError(
            _("Opening days are ISO weekday digits 1 (Monday) to 7 (Sunday), e.g. 12345.")
        )


def _validate_timezone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


class Office(models.Model):
    """The one-stop department (Bộ phận một cửa) of an administrative unit."""

    unit = models.ForeignKey(
        AdministrativeUnit, on_delete=models.PROTECT, related_name="offices", verbose_name=_("unit")
    )
    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("address"), max_length=300, blank=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Asia/Ho_Chi_Minh", validators=[_validate_timezone]
    )
    # Opening hours, in the office's time zone: the same hours every opening day.
    # Counter sessions end at `closes_at`; a kiosk is "silent" only while the office is open.
    open_days = models.CharField(
        _("opening days"),
        max_length=7,
        default="12345",
        validators=[_validate_open_days],
        help_text=_("ISO weekday digits: 1 Monday … 7 Sunday. 123456 adds Saturday."),
    )
    opens_at = models.TimeField(_("opens at"), default=time(7, 30))
    closes_at = models.TimeField(_("closes at"), default=time(17, 0))
    head_email = models.EmailField(
        _("head's e-mail"), blank=True, help_text=_("Receives the monthly report.")
    )
    public_board = models.BooleanField(
        _("public suggestion board"),
        default=False,
        help_text=_("Show suggestions marked public, with their replies, on a public page."),
    )
    transparency_board = models.BooleanField(
        _("public transparency board"),
        default=False,
        help_text=_(
            "Publish this office's satisfaction index (13 months), response rate and "
            "answered suggestions on a public page with a printable QR poster. Figures "
            "below the minimum number of ratings and staff names are never shown."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = OfficeQuerySet.as_manager()

    class Meta:
        verbose_name = _("office")
        verbose_name_plural = _("offices")
        ordering = ["unit__path", "name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save; an office moved to another unit sends `units_regrouped` for the units
        it left and joined (same transaction)."""
        fields = kwargs.get("update_fields")
        if self._state.adding or self.pk is None or (fields is not None and "unit" not in fields):
            return super().save(*args, **kwargs)
        before = Office.objects.filter(pk=self.pk).values_list("unit__path", "unit_id").first()
        if before is None or before[1] == self.unit_id:
            return super().save(*args, **kwargs)
        with transaction.atomic():
            super().save(*args, **kwargs)
            after = AdministrativeUnit.objects.get(pk=self.unit_id).path
            left, joined = unit_and_ancestor_ids(before[0]), unit_and_ancestor_ids(after)
            units_regrouped.send(
                sender=Office, unit=None, office=self.pk, gained=joined - left, lost=left - joined
            )

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def clean(self) -> None:
        if self.opens_at and self.closes_at and self.opens_at >= self.closes_at:
            raise ValidationError({"closes_at": _("The office must close after it opens.")})

    def is_open_day(self, day: date) -> bool:
        return str(day.isoweekday()) in self.open_days

    def is_open_at(self, moment: datetime) -> bool:
        """Whether `moment` falls in opening hours on an opening day, in the office's zone."""
        local = timezone.localtime(moment, self.tz)
        return self.is_open_day(local.date()) and self.opens_at <= local.time() <= self.closes_at

    def closing_time_on(self, day: date) -> datetime | None:
        """When the office closes on local `day` (an aware instant), None on a closed day."""
        if not self.is_open_day(day):
            return None
        return datetime.combine(day, self.closes_at, tzinfo=self.tz)

    def session_deadline(self, start: datetime) -> datetime:
        """When a counter session begun at `start` ends by itself: the day's closing
        time, or — for a session begun after closing or on a closed day — the end of
        that local day. Nobody is ever shown as serving into the next day."""
        local = timezone.localtime(start, self.tz)
        closing = self.closing_time_on(local.date())
        if closing is not None and closing > start:
            return closing
        next_day = local.date() + timedelta(days=1)
        return datetime.combine(next_day, time(0), tzinfo=self.tz)


class ProcedureField(models.Model):
    """A field of administrative procedures (civil status, land, business registration…)."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        verbose_name = _("procedure field")
        verbose_name_plural = _("procedure fields")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Desk(models.Model):
    """A counter in an office, handling some procedure fields."""

    office = models.ForeignKey(
        Office, on_delete=models.CASCADE, related_name="desks", verbose_name=_("office")
    )
    number = models.CharField(_("counter number"), max_length=20)
    name = models.CharField(_("name"), max_length=200)
    procedure_fields = models.ManyToManyField(
        ProcedureField, blank=True, related_name="desks", verbose_name=_("procedure fields")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("desk")
        verbose_name_plural = _("desks")
        ordering = ["office", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["office", "number"], name="desk_number_unique_in_office"
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} · {self.name}"

    def open_sessions(self, at: datetime | None = None) -> list[CounterSession]:
        """The counter sessions open at this desk at `at` (default now), oldest first."""
        sessions = CounterSession.objects.open_at(at or timezone.now()).filter(desk=self)
        return list(sessions.select_related("staff").order_by("started_at", "pk"))

    def serving_now(self, at: datetime | None = None) -> list[StaffMember]:
        """The officers with an open counter session at this desk at `at` (default now),
        in the order they started. Empty when nobody signed in: never a guess."""
        return [session.staff for session in self.open_sessions(at)]

    def start_serving(
        self,
        officer: StaffMember,
        *,
        how: str,
        at: datetime | None = None,
        alone: bool = False,
        by: User | None = None,
    ) -> CounterSession:
        """See CounterSession.start."""
        return CounterSession.start(officer, self, how=how, at=at, alone=alone, by=by)

    def stop_serving(
        self,
        officer: StaffMember,
        *,
        how: str,
        at: datetime | None = None,
        by: User | None = None,
    ) -> CounterSession | None:
        """See CounterSession.stop."""
        return CounterSession.stop(officer, desk=self, how=how, at=at, by=by)


class StaffMember(models.Model):
    office = models.ForeignKey(
        Office, on_delete=models.CASCADE, related_name="staff", verbose_name=_("office")
    )
    desk = models.ForeignKey(
        Desk,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("desk"),
    )
    full_name = models.CharField(_("full name"), max_length=200)
    title = models.CharField(_("title"), max_length=200, blank=True)
    # Private: shown by the kiosk of the officer's office and to officials over it, never
    # at a public address (offices:staff_photo checks who asks).
    photo = PrivateImageField(
        _("photo"), upload_to="staff/", blank=True, view_name="offices:staff_photo"
    )
    is_active = models.BooleanField(_("active"), default=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="staff_member",
        verbose_name=_("login"),
        help_text=_("The officer's own login: they start and stop serving at a desk with it."),
    )
    pin_hash = models.CharField(max_length=128, blank=True, editable=False)

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff members")
        ordering = ["office", "full_name"]

    def __str__(self) -> str:
        return self.full_name

    def clean(self) -> None:
        desk = self.desk  # None without a query when no desk is set
        if desk is not None and desk.office_id != self.office_id:
            raise ValidationError({"desk": _("The desk must belong to the same office.")})

    # --- Personal PIN for the kiosk's staff corner --------------------------------
    PIN_LENGTHS = range(4, 9)

    @classmethod
    def pin_is_well_formed(cls, raw: str) -> bool:
        return (
            isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) in cls.PIN_LENGTHS
        )

    def set_pin(self, raw: str) -> None:
        """Store a 4–8 digit PIN (hashed like a password); "" removes it."""
        from django.contrib.auth.hashers import make_password

        if raw and not self.pin_is_well_formed(raw):
            raise ValidationError(_("A PIN is 4 to 8 digits."))
        self.pin_hash = make_password(raw) if raw else ""
        self.save(update_fields=["pin_hash"])

    def check_pin(self, raw: str) -> bool:
        from django.contrib.auth.hashers import check_password

        return (
            bool(self.pin_hash)
            and self.pin_is_well_formed(raw)
            and check_password(raw, self.pin_hash)
        )

    def current_session(self, at: datetime | None = None) -> CounterSession | None:
        return CounterSession.objects.open_at(at or timezone.now()).filter(staff=self).first()


class SessionStart(models.TextChoices):
    WEB = "web", _("Own phone or PC, after logging in")
    KIOSK_PIN = "kiosk_pin", _("PIN on the kiosk")
    API = "api", _("Counter / queue system (API)")
    ADMIN = "admin", _("Administrator")


class SessionEnd(models.TextChoices):
    STOPPED = "stopped", _("Stopped by the officer")
    TAKEN_OVER = "taken_over", _("Another officer took the desk alone")
    MOVED = "moved", _("The officer started at another desk")
    CLOSING = "closing", _("Office closing time")
    API = "api", _("Counter / queue system (API)")
    ADMIN = "admin", _("Administrator")


class CounterSessionError(Exception):
    """A session cannot start or stop; `message` is translated for the person asking."""

    def __init__(self, message: StrOrPromise) -> None:
        super().__init__(message)
        self.message = message


class CounterSessionQuerySet(models.QuerySet):
    def open_at(self, moment: datetime) -> Self:
        """Sessions in force at `moment`: begun, not stopped, before the closing deadline."""
        return self.filter(
            Q(ended_at__isnull=True) | Q(ended_at__gt=moment),
            started_at__lte=moment,
            closes_at__gt=moment,
        )

    def visible_to(self, user: Principal, min_role: str = Role.VIEWER) -> Self:
        condition = _scope_filter(user, "desk__office__unit__path", min_role)
        return self if condition is None else self.filter(condition)


class CounterSession(models.Model):
    """An officer serving at a desk: who is shown on the kiosk, and who a rating credits.

    A session is open from `started_at` until the earlier of `ended_at` (stopped, taken
    over, moved) and `closes_at` (the office's closing time that day, fixed when it
    starts), so closing time ends it without any scheduled job. Rows are never deleted:
    they are the history admins read per desk and per officer.
    """

    staff = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("officer")
    )
    desk = models.ForeignKey(
        Desk, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("desk")
    )
    started_at = models.DateTimeField(_("started"))
    started_how = models.CharField(_("started from"), max_length=16, choices=SessionStart.choices)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    closes_at = models.DateTimeField(_("ends at the latest"))
    ended_at = models.DateTimeField(_("stopped"), null=True, blank=True)
    ended_how = models.CharField(
        _("stopped because"), max_length=16, choices=SessionEnd.choices, blank=True
    )
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("stopped by"),
    )

    objects = CounterSessionQuerySet.as_manager()

    class Meta:
        verbose_name = _("counter session")
        verbose_name_plural = _("counter sessions")
        ordering = ["-started_at", "-pk"]
        indexes = [
            models.Index(
                fields=["desk", "started_at"],
                name="session_open_desk_idx",
                condition=Q(ended_at__isnull=True),
            ),
            models.Index(fields=["staff", "started_at"], name="session_staff_time_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("started_at")),
                name="session_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(closes_at__gt=F("started_at")), name="session_deadline_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.staff} · {self.desk} · {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def ends_at(self) -> datetime:
        """When it ended or will end by itself (the earlier of stop and closing time)."""
        return min(self.ended_at, self.closes_at) if self.ended_at else self.closes_at

    @property
    def end_reason(self) -> str:
        """Why it ended ("" while it is still open)."""
        if self.ended_at and self.ended_at <= self.closes_at:
            return self.get_ended_how_display()
        if self.closes_at <= timezone.now():
            return str(SessionEnd.CLOSING.label)
        return ""

    def is_open_at(self, moment: datetime) -> bool:
        return self.started_at <= moment < self.ends_at

    @classmethod
    def start(
        cls,
        officer: StaffMember,
        desk: Desk,
        *,
        how: str,
        at: datetime | None = None,
        alone: bool = False,
        by: User | None = None,
    ) -> CounterSession:
        """Begin `officer`'s session at `desk` (at `at`, default now) and return it.

        The one entry point for the officer's page, the kiosk PIN and the integration
        API. Starting again where already serving returns the open session. The
        officer's open session at another desk ends ("moved"). With `alone`, the other
        officers at this desk stop ("taken_over"). Ends by itself at closing time.
        """
        from django.db import transaction

        at = at or timezone.now()
        if how not in SessionStart.values:
            raise ValueError(f"unknown way to start a session: {how}")
        if officer.office_id != desk.office_id:
            raise CounterSessionError(_("This desk belongs to another office."))
        if not (officer.is_active and desk.is_active and desk.office.is_active):
            raise CounterSessionError(_("This officer or desk is not active."))
        with transaction.atomic():
            Desk.objects.select_for_update().filter(pk=desk.pk).first()  # one change at a time
            open_now = cls.objects.open_at(at).select_for_update()
            mine = open_now.filter(staff=officer, desk=desk).first()
            ending = SessionEnd.ADMIN if how == SessionStart.ADMIN else SessionEnd.MOVED
            open_now.filter(staff=officer).exclude(desk=desk).update(
                ended_at=at, ended_how=ending, ended_by=by
            )
            if alone:
                open_now.filter(desk=desk).exclude(staff=officer).update(
                    ended_at=at, ended_how=SessionEnd.TAKEN_OVER, ended_by=by
                )
            if mine is not None:
                return mine
            return cls.objects.create(
                staff=officer,
                desk=desk,
                started_at=at,
                started_how=how,
                started_by=by,
                closes_at=desk.office.session_deadline(at),
            )

    @classmethod
    def stop(
        cls,
        officer: StaffMember,
        *,
        how: str,
        desk: Desk | None = None,
        at: datetime | None = None,
        by: User | None = None,
    ) -> CounterSession | None:
        """End `officer`'s open session (at `desk` when given); None when there was none."""
        at = at or timezone.now()
        if how not in SessionEnd.values:
            raise ValueError(f"unknown way to stop a session: {how}")
        sessions = cls.objects.open_at(at).filter(staff=officer)
        if desk is not None:
            sessions = sessions.filter(desk=desk)
        session = sessions.order_by("-started_at").first()
        if session is None:
            return None
        session.ended_at, session.ended_how, session.ended_by = at, how, by
        session.save(update_fields=["ended_at", "ended_how", "ended_by"])
        return session


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


# The cookie that carries a kiosk's device credential (set by its enrolment, see surveys).
KIOSK_COOKIE = "kiosk_credential"


class Kiosk(models.Model):
    """A touchscreen device at an office (optionally at one desk).

    The device holds a long random credential; only its SHA-256 is stored here,
    so a database leak does not let anyone rate as the kiosk.
    """

    office = models.ForeignKey(
        Office, on_delete=models.CASCADE, related_name="kiosks", verbose_name=_("office")
    )
    desk = models.ForeignKey(
        Desk,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="kiosks",
        verbose_name=_("desk"),
    )
    name = models.CharField(_("name"), max_length=100)
    idle_seconds = models.PositiveIntegerField(
        _("idle reset (seconds)"),
        default=45,
        help_text=_("Return to the start screen after this long without a touch."),
    )
    min_seconds_between_ratings = models.PositiveIntegerField(
        _("minimum seconds between ratings"),
        default=8,
        help_text=_("Ratings closer together than this are flagged as possible misuse."),
    )
    enrolment_token_hash = models.CharField(max_length=64, blank=True, editable=False)
    enrolment_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    credential_hash = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    enrolled_at = models.DateTimeField(_("enrolled at"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True, editable=False)
    # What the kiosk last said about itself (heartbeat) and when the server last heard from
    # it at all (heartbeat or rating): the alerts read these (docs/kiosk.md, "Heartbeat").
    last_heard_at = models.DateTimeField(_("last heard"), null=True, blank=True, editable=False)
    queue_length = models.PositiveIntegerField(
        _("ratings waiting on the device"), null=True, blank=True, editable=False
    )
    queue_reported_at = models.DateTimeField(
        _("queue reported at"), null=True, blank=True, editable=False
    )
    # The misuse check's state, read and written under a lock on this row (surveys.misuse):
    # when the last "fresh" rating (sent as soon as it was given) arrived, the latest time a
    # delivered rating was given, and the live ratings counted in the current minute.
    last_fresh_rating_at = models.DateTimeField(null=True, blank=True, editable=False)
    latest_rating_given_at = models.DateTimeField(null=True, blank=True, editable=False)
    live_window_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    live_window_count = models.PositiveIntegerField(default=0, editable=False)
    # Since when the kiosk has its current office and desk (None: since it was set up):
    # a rating given after this is the current office's without reading the history.
    assigned_at = models.DateTimeField(_("at this office since"), null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("kiosk")
        verbose_name_plural = _("kiosks")
        ordering = ["office", "name"]

    def __str__(self) -> str:
        return f"{self.office} · {self.name}"

    # How long after a move a rating may still name the old office: the page learns of
    # the move at its next heartbeat and reloads only on an idle start screen.
    MOVE_GRACE = timedelta(minutes=15)

    # Written by the kiosk's own traffic (heartbeats, ratings under the row lock), never by
    # a form: a full save of an object loaded earlier must not put their old values back.
    RUNTIME_FIELDS = frozenset(
        {
            "last_seen_at",
            "last_heard_at",
            "queue_length",
            "queue_reported_at",
            "last_fresh_rating_at",
            "latest_rating_given_at",
            "live_window_started_at",
            "live_window_count",
        }
    )

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Keep the assignment history: a change of office or desk closes the current
        assignment and opens a new one, so ratings keep the office they were given at.
        A full save of an existing kiosk (the admin's form) leaves RUNTIME_FIELDS alone."""
        if kwargs.get("update_fields") is None and not self._state.adding:
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name not in self.RUNTIME_FIELDS
            ]
        fields = kwargs.get("update_fields")
        if fields is not None and not {"office", "desk", "office_id", "desk_id"} & set(fields):
            return super().save(*args, **kwargs)
        from django.db import transaction

        with transaction.atomic():
            before = (
                Kiosk.objects.filter(pk=self.pk).values("office_id", "desk_id").first()
                if self.pk
                else None
            )
            moved = before is not None and (before["office_id"], before["desk_id"]) != (
                self.office_id,
                self.desk_id,
            )
            now = timezone.now()
            if moved:
                self.assigned_at = now
                if fields is not None:
                    kwargs["update_fields"] = {*fields, "assigned_at"}
            super().save(*args, **kwargs)
            if moved:
                self.assignments.filter(valid_until__isnull=True).update(valid_until=now)
            if moved or before is None:
                KioskAssignment.objects.create(
                    kiosk=self,
                    office_id=self.office_id,
                    desk_id=self.desk_id,
                    valid_from=now if moved else None,
                )

    def assignment_for(
        self, moment: datetime, office_id: int | None = None
    ) -> KioskAssignment | None:
        """Where this kiosk was when a rating was given at `moment`: the assignment
        covering it, or — when the rating names its office — that office's assignment,
        allowing MOVE_GRACE after it ended. None: the kiosk was not there then."""
        current = office_id is None or office_id == self.office_id
        if current and (self.assigned_at is None or moment >= self.assigned_at):
            return KioskAssignment(
                kiosk=self, office=self.office, desk=self.desk, valid_from=self.assigned_at
            )
        candidates = self.assignments.select_related("office__unit", "desk").filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=moment)
        )
        if office_id is None:
            return candidates.filter(
                Q(valid_until__isnull=True) | Q(valid_until__gt=moment)
            ).first()
        return (
            candidates.filter(office_id=office_id)
            .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=moment - self.MOVE_GRACE))
            .order_by("-valid_from")
            .first()
        )

    def clean(self) -> None:
        desk = self.desk  # None without a query when no desk is set
        if desk is not None and desk.office_id != self.office_id:
            raise ValidationError({"desk": _("The desk must belong to the same office.")})

    def issue_enrolment_token(self, valid_hours: int = 24) -> str:
        """A one-time token for the enrolment link; the previous one stops working."""
        raw = secrets.token_urlsafe(24)
        self.enrolment_token_hash = hash_token(raw)
        self.enrolment_expires_at = timezone.now() + timedelta(hours=valid_hours)
        self.save(update_fields=["enrolment_token_hash", "enrolment_expires_at"])
        return raw

    @property
    def is_enrolled(self) -> bool:
        return bool(self.credential_hash) and self.revoked_at is None

    # --- Device credential -------------------------------------------------------
    # The credential is "<kiosk id>.<random secret>" signed with SECRET_KEY: a forged or
    # mangled value is refused before any query, and only its SHA-256 is stored, so a
    # database leak does not let anyone rate as the kiosk. Revoking keeps the hash (to
    # tell a revoked device apart from an unknown one); rotating clears it.

    CREDENTIAL_SALT = "offices.kiosk.credential"
    SILENT_AFTER = timedelta(minutes=15)

    @classmethod
    def enrol(cls, raw_token: str) -> tuple[Kiosk, str] | None:
        """Exchange a one-time enrolment token for a device credential.

        Returns (kiosk, credential) or None when the token is unknown, used or expired.
        The token stops working at once; a previously enrolled device is replaced.
        """
        from django.core import signing
        from django.db import transaction

        if not raw_token or len(raw_token) > 200:
            return None
        with transaction.atomic():
            kiosk = (
                cls.objects.select_for_update()
                .filter(
                    enrolment_token_hash=hash_token(raw_token),
                    enrolment_expires_at__gt=timezone.now(),
                )
                .first()
            )
            if kiosk is None:
                return None
            signer = signing.Signer(salt=cls.CREDENTIAL_SALT)
            credential = signer.sign(f"{kiosk.pk}.{secrets.token_urlsafe(32)}")
            kiosk.credential_hash = hash_token(credential)
            kiosk.enrolled_at = timezone.now()
            kiosk.revoked_at = None
            kiosk.enrolment_token_hash = ""
            kiosk.enrolment_expires_at = None
            kiosk.save(
                update_fields=[
                    "credential_hash",
                    "enrolled_at",
                    "revoked_at",
                    "enrolment_token_hash",
                    "enrolment_expires_at",
                ]
            )
        return kiosk, credential

    @classmethod
    def id_from_credential(cls, credential: str) -> int | None:
        """The kiosk id a well-signed credential names, or None (no query)."""
        from django.core import signing

        if not credential or len(credential) > 300:
            return None
        try:
            value = signing.Signer(salt=cls.CREDENTIAL_SALT).unsign(credential)
        except signing.BadSignature:
            return None
        kiosk_id, _, secret = value.partition(".")
        return int(kiosk_id) if kiosk_id.isdigit() and secret else None

    @classmethod
    def for_credential(cls, credential: str) -> tuple[Kiosk | None, str]:
        """(kiosk, "") for a valid device credential, else (None, "unknown" | "revoked")."""
        kiosk_id = cls.id_from_credential(credential)
        if kiosk_id is None:
            return None, "unknown"
        kiosk = cls.objects.select_related("office__unit", "desk").filter(pk=kiosk_id).first()
        if kiosk is None or not kiosk.credential_matches(credential):
            return None, "unknown"
        if kiosk.revoked_at is not None or not kiosk.office.is_active:
            return None, "revoked"
        return kiosk, ""

    def credential_matches(self, credential: str) -> bool:
        import hmac

        return bool(self.credential_hash) and hmac.compare_digest(
            self.credential_hash, hash_token(credential)
        )

    def revoke(self) -> None:
        """Refuse this device from now on; a new enrolment link (rotate) re-enables it."""
        self.revoked_at = timezone.now()
        self.enrolment_token_hash = ""
        self.enrolment_expires_at = None
        self.save(update_fields=["revoked_at", "enrolment_token_hash", "enrolment_expires_at"])

    def rotate(self, valid_hours: int = 24) -> str:
        """Drop the device credential and return a new one-time enrolment token."""
        self.credential_hash = ""
        self.enrolled_at = None
        self.revoked_at = None
        self.save(update_fields=["credential_hash", "enrolled_at", "revoked_at"])
        return self.issue_enrolment_token(valid_hours)

    def seen_now(self, queue_length: int | None = None) -> None:
        """Heartbeat: one UPDATE, no read. `queue_length`: ratings the device still holds."""
        now = timezone.now()
        fields: dict[str, object] = {"last_seen_at": now, "last_heard_at": now}
        if queue_length is not None:
            fields.update(queue_length=queue_length, queue_reported_at=now)
        for name, value in fields.items():
            setattr(self, name, value)
        Kiosk.objects.filter(pk=self.pk).update(**fields)

    @property
    def last_heard(self) -> datetime | None:
        """When the device last spoke to the server (a heartbeat, a rating, or its
        enrolment when it has said nothing since)."""
        return self.last_heard_at or self.last_seen_at or self.enrolled_at

    def is_quiet(self, now: datetime, after: timedelta) -> bool:
        """Nothing heard for longer than `after`, whatever the opening hours."""
        last = self.last_heard
        return last is None or now - last > after

    def is_silent(self, now: datetime | None = None, after: timedelta | None = None) -> bool:
        """An enrolled kiosk not heard for `after` (15 minutes) while its office is open:
        the one definition the admin's list and the kiosk-silent alert share."""
        now = now or timezone.now()
        if not self.is_enrolled or not self.office.is_open_at(now):
            return False
        return self.is_quiet(now, after or self.SILENT_AFTER)


class KioskAssignment(models.Model):
    """Which office (and desk) a kiosk belonged to, from when until when.

    Written by `Kiosk.save` whenever the office or desk changes; never edited. A rating
    is credited to the office its kiosk belonged to when it was given.
    """

    kiosk = models.ForeignKey(
        Kiosk, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("kiosk")
    )
    office = models.ForeignKey(
        Office, on_delete=models.CASCADE, related_name="+", verbose_name=_("office")
    )
    desk = models.ForeignKey(
        Desk,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("desk"),
    )
    valid_from = models.DateTimeField(
        _("from"), null=True, blank=True, help_text=_("Empty: since the kiosk was set up.")
    )
    valid_until = models.DateTimeField(_("until"), null=True, blank=True)

    class Meta:
        verbose_name = _("kiosk assignment")
        verbose_name_plural = _("kiosk assignments")
        ordering = ["kiosk", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["kiosk"],
                condition=Q(valid_until__isnull=True),
                name="kiosk_one_current_assignment",
            )
        ]

    def __str__(self) -> str:
        span = f"{self.valid_from or '…'} – {self.valid_until or '…'}"
        return f"{self.kiosk_id} @ {self.office_id} {span}"


class Membership(models.Model):
    """A user's role at a unit; it reaches the unit's whole subtree."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("user"),
    )
    unit = models.ForeignKey(
        AdministrativeUnit,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("unit"),
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.VIEWER)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "unit"], name="membership_unique_user_unit")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.unit} · {self.get_role_display()}"


class SubtreeGrant(models.Model):
    """A capability held by `user` over `unit`'s subtree, outside the role hierarchy.

    `inspections.Inspector` (reads and records inspections in the subtree) and
    `reform.Appraiser` (appraises the units strictly below) are the two: one shape, so
    one abstract model. It adds no table; each subclass keeps its own, its field names,
    its `user` field (declared again there: a related name with %(class)s would be a
    migration) and its constraint name (`<model>_unique_user_unit`), so extracting it
    changed no schema.
    """

    # Each subclass declares `user` again with its own related name (`<model>_entries`).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    unit = models.ForeignKey(
        AdministrativeUnit, on_delete=models.CASCADE, related_name="+", verbose_name=_("unit")
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["unit__path", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["user", "unit"], name="%(class)s_unique_user_unit")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.unit}"

    @classmethod
    def unit_paths(cls, user: User | AnonymousUser) -> list[str]:
        """Paths of the units this user holds the grant at (an inactive user holds none),
        loaded once per user object."""
        if not user.is_authenticated or not user.is_active:
            return []
        attribute = f"_{cls._meta.model_name}_paths_cache"
        cached = getattr(user, attribute, None)
        if cached is None:
            grants = cls._default_manager.filter(user=user)
            cached = list(grants.values_list("unit__path", flat=True))
            setattr(user, attribute, cached)
        return cached


class ApiClientQuerySet(models.QuerySet):
    def visible_to(self, user: Principal, min_role: str = Role.ADMIN) -> Self:
        condition = _scope_filter(user, "unit__path", min_role)
        return self if condition is None else self.filter(condition)


class ApiClient(models.Model):
    """An outside system calling the integration API (/api/v1/): a dossier system, a
    queue system, a counter tablet, a city BI tool.

    Created by an administrator per integration. It sees exactly what an official with
    a viewer membership over `unit` sees (the unit's whole subtree) and may do what its
    abilities allow. Its bearer token is shown once when issued; only its SHA-256 is
    stored, so a database leak does not let anyone call the API as the client.
    """

    TOKEN_PREFIX = "osk_"  # noqa: S105 — a public marker, not a secret

    name = models.CharField(
        _("name"), max_length=100, help_text=_("The integration, e.g. “iQMS Nghĩa Tân”.")
    )
    unit = models.ForeignKey(
        AdministrativeUnit,
        on_delete=models.PROTECT,
        related_name="api_clients",
        verbose_name=_("unit"),
        help_text=_("The client reaches this unit and its whole subtree."),
    )
    can_read = models.BooleanField(
        _("may read"), default=True, help_text=_("Units, offices and monthly figures.")
    )
    can_ingest = models.BooleanField(
        _("may send data"),
        default=False,
        help_text=_("Service events, ratings and dossiers handled."),
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_hint = models.CharField(_("token begins"), max_length=12, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("created by"),
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)

    objects = ApiClientQuerySet.as_manager()

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")
        ordering = ["unit__path", "name"]

    def __str__(self) -> str:
        return self.name

    # A principal for the scope primitive (memberships_of, _scope_filter, role_over).
    is_superuser = False
    is_authenticated = True

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def get_username(self) -> str:
        return f"api:{self.name}"[:150]

    def issue_token(self) -> str:
        """A new bearer token (the previous one stops working); returned once, kept hashed."""
        raw = self.TOKEN_PREFIX + secrets.token_urlsafe(32)
        self.token_hash = hash_token(raw)
        self.token_hint = raw[:10]
        if self.pk:
            self.save(update_fields=["token_hash", "token_hint"])
        return raw

    def revoke(self) -> None:
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])

    @classmethod
    def for_token(cls, raw: str) -> ApiClient | None:
        """The client holding `raw` (revoked ones included: the caller tells them apart)."""
        if not raw or len(raw) > 200 or not raw.startswith(cls.TOKEN_PREFIX):
            return None
        return cls.objects.select_related("unit").filter(token_hash=hash_token(raw)).first()

    def used_now(self) -> None:
        """At most one UPDATE a minute per client: reading must not write on every call."""
        now = timezone.now()
        if self.last_used_at is None or now - self.last_used_at > timedelta(minutes=1):
            self.last_used_at = now
            ApiClient.objects.filter(pk=self.pk).update(last_used_at=now)


def first_of_month(day: date) -> date:
    return day.replace(day=1)


class DossierCount(models.Model):
    """Dossiers an office handled in a month: the denominator of the response rate."""

    office = models.ForeignKey(
        Office, on_delete=models.CASCADE, related_name="dossier_counts", verbose_name=_("office")
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    dossiers_handled = models.PositiveIntegerField(_("dossiers handled"))

    class Meta:
        verbose_name = _("dossiers handled in a month")
        verbose_name_plural = _("dossiers handled per month")
        ordering = ["-month", "office"]
        constraints = [
            models.UniqueConstraint(fields=["office", "month"], name="dossier_count_unique_month"),
            models.CheckConstraint(
                condition=Q(month__day=1), name="dossier_count_month_is_first_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.office} {self.month:%m/%Y}: {self.dossiers_handled}"


class AuditEvent(models.Model):
    """Append-only record of who did what, when and from where.

    Rows are only ever inserted (see `record`); the admin shows them read-only.
    """

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )
    username = models.CharField(_("username"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_repr = models.CharField(_("object"), max_length=300, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("from"), null=True, blank=True)
    # The unit the event's object belongs to, so a unit's admins read their subtree's
    # events. No database constraint and no cascade: a unit deleted later leaves its
    # events as they were (the log is append-only, see migration 0009).
    unit = models.ForeignKey(
        AdministrativeUnit,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("unit"),
    )

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise ValueError("Audit events are append-only.")

    @classmethod
    def record(
        cls,
        actor: HttpRequest | User | AnonymousUser | None,
        action: str,
        obj: object = None,
        *,
        user: User | AnonymousUser | None = None,
        username: str = "",
        unit: AdministrativeUnit | None = None,
        **detail: Any,
    ) -> AuditEvent:
        """Record an action. `actor` is the request when there is one (it gives the
        address and the user), else the user or None (a command). The event's unit is
        `unit`, else the one `obj` hangs under."""
        request = actor if hasattr(actor, "META") else None
        if user is None:
            # `request` is `actor` exactly when it is a request: mypy cannot follow hasattr.
            user = getattr(request, "user", None) if request is not None else actor  # type: ignore[assignment]
        if user is not None and not user.is_authenticated:
            user = None
        return cls.objects.create(
            user=user,
            username=(user.get_username() if user else username)[:150],
            action=action,
            object_repr=str(obj)[:300] if obj is not None else "",
            detail=detail,
            ip_address=client_ip(request) if request is not None else None,  # type: ignore[arg-type]
            unit_id=unit.pk if unit is not None else unit_id_of_object(obj),
        )


# How an audited object leads to its unit: the first of these it has that is set.
_UNIT_PATH_STEPS = (
    "unit",
    "office",
    "desk",
    "kiosk",
    "staff",
    "survey",
    "version",
    "suggestion",
    "response",
    "inspection",
    "assessment",
)


def unit_id_of_object(obj: object, depth: int = 5) -> int | None:
    """The id of the unit an object belongs to (its own for a unit), following its own
    relations and reading a unit's id without fetching the unit; None for what belongs to
    no unit (a user, a national question)."""
    for _step in range(depth):
        if obj is None or isinstance(obj, AdministrativeUnit):
            return obj.pk if obj is not None else None
        if not isinstance(obj, models.Model):
            return None
        step = None
        for name in _UNIT_PATH_STEPS:
            try:
                field = obj._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            if not (field.concrete and (field.many_to_one or field.one_to_one)):
                continue  # forward relations only
            if field.related_model is AdministrativeUnit:
                unit_id = getattr(obj, field.attname)
                if unit_id is not None:
                    return unit_id
                continue
            step = getattr(obj, name, None)
            if step is not None:
                break
        obj = step
    return None
