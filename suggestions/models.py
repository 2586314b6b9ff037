"""The suggestion book: citizens' suggestions, the officials' "Seen" stamps and replies.

A suggestion goes received → seen (first stamp) → answered (first reply) → closed.
Its deadlines are fixed when it arrives (from the settings in force then, in the
office's time zone), and the first-seen / answered / closed instants are kept on
the row, so lists and monthly figures are plain indexed queries.

Seen stamps are immutable: the model refuses to change or delete them, the admin
offers neither, and a database trigger (migration 0002) rejects UPDATE and DELETE.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NoReturn, Self

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.choices import Channel
from offices.models import (
    ROLE_RANK,
    AdministrativeUnit,
    Membership,
    Office,
    Role,
    has_role,
    is_active_superuser,
    memberships_over,
)
from suggestions.deadlines import due_at

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User
    from django.db.models import QuerySet
    from django_stubs_ext import StrOrPromise

# No 0/O, 1/I/L: a code read off a screen or a receipt is typed back without doubt.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8


def new_tracking_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(raw: str) -> str | None:
    """The stored form of a typed code (upper case, no spaces or dashes), or None if malformed."""
    code = "".join(ch for ch in (raw or "").upper() if ch not in " -–.")
    if len(code) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
        return None
    return code


def format_code(code: str) -> str:
    """ABCD2345 → ABCD-2345: two groups of four are easier to read aloud and copy."""
    half = CODE_LENGTH // 2
    return f"{code[:half]}-{code[half:]}"


class Category(models.TextChoices):
    PROCEDURES = "procedures", _("Procedures")
    CONDUCT = "conduct", _("Staff conduct")
    PREMISES = "premises", _("Premises and equipment")
    FEES = "fees", _("Fees and charges")
    OTHER = "other", _("Other")


class Status(models.TextChoices):
    RECEIVED = "received", _("Received")
    SEEN = "seen", _("Seen")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")


# How a stamp or reply is signed for citizens: the role at the time, never a person's name.
PUBLIC_ROLE_LABELS: dict[str, StrOrPromise] = {
    Role.VIEWER: _("Official"),
    Role.MANAGER: _("Manager"),
    Role.ADMIN: _("Administrator"),
}


class SuggestionClosed(Exception):
    """An action that needs an open suggestion was attempted on a closed one."""


def signing_role(user: User | AnonymousUser, unit: AdministrativeUnit) -> tuple[str, str]:
    """(role, unit name) through which `user` acts on `unit`: the strongest, nearest first."""
    holding = memberships_over(user, unit)
    best = max(holding, key=lambda m: (ROLE_RANK[m.role], m.unit.depth), default=None)
    if is_active_superuser(user):
        return Role.ADMIN, best.unit.name if best else ""
    if best is None:
        raise PermissionDenied
    return best.role, best.unit.name


def _require_manager(user: User | AnonymousUser, office: Office) -> tuple[str, str]:
    if not has_role(user, office.unit, Role.MANAGER):
        raise PermissionDenied
    return signing_role(user, office.unit)


class SuggestionQuerySet(models.QuerySet):
    def visible_to(self, user: User | AnonymousUser, min_role: str = Role.VIEWER) -> Self:
        return self.filter(office__in=Office.objects.visible_to(user, min_role))

    def awaiting_reply(self) -> Self:
        """Neither answered nor closed: the office still owes the citizen something."""
        return self.filter(status__in=[Status.RECEIVED, Status.SEEN])

    def overdue(self, now: datetime | None = None) -> Self:
        """Awaiting a reply past the answer deadline, or still unseen past the seen deadline."""
        now = now or timezone.now()
        return self.awaiting_reply().filter(
            Q(answer_due_at__lt=now) | Q(first_seen_at__isnull=True, seen_due_at__lt=now)
        )

    def matching(
        self,
        *,
        user: User | None = None,
        status: str = "",
        office: Office | None = None,
        category: str = "",
        age: str = "",
        channel: str = "",
        overdue: bool = False,
        mine: bool = False,
        now: datetime | None = None,
    ) -> Self:
        """The officials' list filters (values as cleaned by SuggestionFilterForm)."""
        now = now or timezone.now()
        queryset = self
        if status:
            queryset = queryset.filter(status=status)
        if office is not None:
            queryset = queryset.filter(office=office)
        if category:
            queryset = queryset.filter(category=category)
        if channel:
            queryset = queryset.filter(channel=channel)
        if age == "older":
            queryset = queryset.filter(created_at__lt=now - timedelta(days=30))
        elif age:
            queryset = queryset.filter(created_at__gte=now - timedelta(days=int(age)))
        if overdue:
            queryset = queryset.overdue(now)
        if mine and user is not None:
            queryset = queryset.filter(assignee=user)
        return queryset

    def on_public_board(self) -> Self:
        return self.filter(is_public=True, office__public_board=True, office__is_active=True)

    def purge_personal_data(self, before: datetime) -> dict[str, int]:
        """Forget addresses, names and contact details of suggestions older than `before`.

        The suggestion, its stamps and replies stay (they are the office's record).
        """
        older = self.filter(created_at__lt=before)
        addresses = older.filter(submitter_ip__isnull=False).update(submitter_ip=None)
        contacts = older.exclude(name="", contact="").update(
            name="", contact="", contact_consent=False
        )
        return {"suggestions.addresses": addresses, "suggestions.contacts": contacts}


class Suggestion(models.Model):
    code = models.CharField(_("tracking code"), max_length=CODE_LENGTH, unique=True, editable=False)
    office = models.ForeignKey(
        Office, on_delete=models.PROTECT, related_name="suggestions", verbose_name=_("office")
    )
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    text = models.TextField(_("suggestion"), max_length=2000)
    name = models.CharField(_("name"), max_length=100, blank=True)
    contact = models.CharField(
        _("phone or e-mail"),
        max_length=120,
        blank=True,
        help_text=_("Only kept with the citizen's consent to be contacted; never shown publicly."),
    )
    contact_consent = models.BooleanField(_("agreed to be contacted"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.RECEIVED
    )
    is_public = models.BooleanField(_("on the public board"), default=False)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_suggestions",
        verbose_name=_("assigned to"),
    )
    channel = models.CharField(
        _("channel"), max_length=8, choices=Channel.choices, default=Channel.WEB
    )
    language = models.CharField(_("language"), max_length=8, blank=True)
    created_at = models.DateTimeField(_("received"), default=timezone.now, db_index=True)
    seen_due_at = models.DateTimeField(_("to be seen by"), editable=False)
    answer_due_at = models.DateTimeField(_("to be answered by"), editable=False)
    first_seen_at = models.DateTimeField(_("first seen"), null=True, blank=True, editable=False)
    answered_at = models.DateTimeField(_("first answered"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)
    submitter_ip = models.GenericIPAddressField(
        _("submitted from"), null=True, blank=True, editable=False
    )

    objects = SuggestionQuerySet.as_manager()

    class Meta:
        verbose_name = _("suggestion")
        verbose_name_plural = _("suggestions")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["office", "created_at"], name="suggestion_office_created")]
        constraints = [
            models.CheckConstraint(
                condition=Q(contact="") | Q(contact_consent=True),
                name="suggestion_contact_needs_consent",
            )
        ]

    def __str__(self) -> str:
        return format_code(self.code) if self.code else "—"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self._state.adding:
            if self.seen_due_at is None or self.answer_due_at is None:
                self.set_deadlines()
            if not self.code:
                return self._insert_with_fresh_code(*args, **kwargs)
        return super().save(*args, **kwargs)

    def _insert_with_fresh_code(self, *args: Any, **kwargs: Any) -> None:
        for _attempt in range(5):
            self.code = new_tracking_code()
            try:
                with transaction.atomic():
                    return super().save(*args, **kwargs)
            except IntegrityError:
                if not Suggestion.objects.filter(code=self.code).exists():
                    raise
        raise IntegrityError("No free tracking code after 5 attempts")

    @property
    def display_code(self) -> str:
        return format_code(self.code)

    def set_deadlines(self) -> None:
        tz = self.office.tz
        self.seen_due_at = due_at(
            self.created_at, settings.SUGGESTIONS["SEEN_WITHIN_WORKING_DAYS"], tz
        )
        self.answer_due_at = due_at(
            self.created_at, settings.SUGGESTIONS["ANSWER_WITHIN_WORKING_DAYS"], tz
        )

    # --- State -------------------------------------------------------------------

    @property
    def is_closed(self) -> bool:
        return self.status == Status.CLOSED

    def overdue_reason(self, now: datetime | None = None) -> str:
        """'' when on time; otherwise which deadline was missed (for highlighting)."""
        now = now or timezone.now()
        if self.status not in (Status.RECEIVED, Status.SEEN):
            return ""
        if self.first_seen_at is None and self.seen_due_at < now:
            return "seen"
        if self.answer_due_at < now:
            return "answer"
        return ""

    @property
    def is_overdue(self) -> bool:
        return bool(self.overdue_reason())

    def colleagues(self) -> QuerySet[User]:
        """Users who may act on this suggestion (manager or above over its office)."""
        unit_path = self.office.unit.path
        step = AdministrativeUnit.steplen
        ancestor_paths = [unit_path[:i] for i in range(step, len(unit_path) + 1, step)]
        acting = Membership.objects.filter(
            unit__path__in=ancestor_paths, role__in=[Role.MANAGER, Role.ADMIN]
        )
        return (
            get_user_model()
            .objects.filter(is_active=True, pk__in=acting.values("user_id"))
            .order_by("username")
        )

    # --- Official actions (each called inside the view that audit-logs it) ---------

    @transaction.atomic
    def stamp_seen(self, user: User) -> SeenStamp | None:
        """Add `user`'s "Seen" stamp; None when they had stamped it already."""
        role, unit_name = _require_manager(user, self.office)
        locked = Suggestion.objects.select_for_update().get(pk=self.pk)
        if locked.stamps.filter(user=user).exists():
            return None
        stamp = SeenStamp.objects.create(
            suggestion=locked,
            user=user,
            signer_name=(user.get_full_name() or user.get_username())[:150],
            role=role,
            role_unit=unit_name[:200],
        )
        if locked.first_seen_at is None:
            locked.first_seen_at = stamp.at
        if locked.status == Status.RECEIVED:
            locked.status = Status.SEEN
        locked.save(update_fields=["first_seen_at", "status"])
        self.first_seen_at, self.status = locked.first_seen_at, locked.status
        return stamp

    @transaction.atomic
    def add_reply(
        self, user: User, text: str, public: bool = False
    ) -> tuple[Reply, SeenStamp | None]:
        """Reply to the citizen. Nobody answers unseen: a first reply also stamps it as seen."""
        role, unit_name = _require_manager(user, self.office)
        locked = Suggestion.objects.select_for_update().get(pk=self.pk)
        if locked.is_closed:
            raise SuggestionClosed
        stamp = None if locked.stamps.exists() else locked.stamp_seen(user)
        reply = Reply.objects.create(
            suggestion=locked,
            author=user,
            role=role,
            role_unit=unit_name[:200],
            text=text,
            is_public=public,
        )
        locked.answered_at = locked.answered_at or reply.created_at
        locked.status = Status.ANSWERED
        locked.is_public = locked.is_public or public
        locked.save(update_fields=["answered_at", "status", "is_public"])
        self.answered_at, self.status, self.is_public = (
            locked.answered_at,
            locked.status,
            locked.is_public,
        )
        return reply, stamp

    def assign_to(self, user: User, assignee: User | None) -> None:
        _require_manager(user, self.office)
        if self.is_closed:
            raise SuggestionClosed
        self.assignee = assignee
        self.save(update_fields=["assignee"])

    def set_public(self, user: User, public: bool) -> None:
        _require_manager(user, self.office)
        self.is_public = public
        self.save(update_fields=["is_public"])

    def close(self, user: User) -> None:
        _require_manager(user, self.office)
        if self.is_closed:
            raise SuggestionClosed
        self.status = Status.CLOSED
        self.closed_at = timezone.now()
        self.save(update_fields=["status", "closed_at"])


class ImmutableStampError(Exception):
    pass


class SeenStamp(models.Model):
    """An official's "Seen" on a suggestion, like the signature and date on the paper page.

    Never changed or deleted; a second official's stamp is added beside the first.
    """

    suggestion = models.ForeignKey(
        Suggestion, on_delete=models.PROTECT, related_name="stamps", verbose_name=_("suggestion")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("official"),
    )
    signer_name = models.CharField(_("signed by"), max_length=150)
    role = models.CharField(_("role at the time"), max_length=16, choices=Role.choices)
    role_unit = models.CharField(_("unit of the role"), max_length=200, blank=True)
    at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("seen stamp")
        verbose_name_plural = _("seen stamps")
        ordering = ["at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["suggestion", "user"], name="seen_stamp_once_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.suggestion} · {self.signer_name} · {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableStampError("Seen stamps cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise ImmutableStampError("Seen stamps cannot be deleted.")

    @property
    def public_role(self) -> str:
        return str(PUBLIC_ROLE_LABELS.get(self.role, ""))


class Reply(models.Model):
    """An official's answer; the citizen reads it by tracking code, the public board if public."""

    suggestion = models.ForeignKey(
        Suggestion, on_delete=models.CASCADE, related_name="replies", verbose_name=_("suggestion")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("author"),
    )
    role = models.CharField(_("role at the time"), max_length=16, choices=Role.choices)
    role_unit = models.CharField(_("unit of the role"), max_length=200, blank=True)
    text = models.TextField(_("reply"), max_length=4000)
    is_public = models.BooleanField(_("on the public board"), default=False)
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("reply")
        verbose_name_plural = _("replies")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.suggestion} · {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def public_role(self) -> str:
        return str(PUBLIC_ROLE_LABELS.get(self.role, ""))
