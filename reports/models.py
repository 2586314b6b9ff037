"""What the reports app writes: the monthly report e-mails sent, and the alerts.

(The figures themselves are read from the surveys roll-ups; nothing here holds them.)
Alerts live here, on the reading side, because their rules read the roll-ups, the
suggestion book and the kiosks together, and the index rule needs the report's index
and interval (reports.indices); nothing imports reports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from offices.models import AdministrativeUnit, Desk, Kiosk, Office, Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("To send")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class ReportDelivery(models.Model):
    """One monthly report e-mail: an office's or a unit's report, a month, a recipient.

    Unique per (subject, month, recipient), and claimed with a row lock while it is
    sent, so a rerun or a second worker never sends it twice. A failed send stays
    pending until it has been tried `MONTHLY_REPORT_ATTEMPTS` times, then is failed.
    """

    office = models.ForeignKey(
        Office, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    unit = models.ForeignKey(
        AdministrativeUnit, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    recipient = models.EmailField(_("recipient"))
    status = models.CharField(
        _("status"), max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("due since"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    # What the report said when it was sent: a late rating or a lifted flag changes the
    # figures afterwards, and the page then shows "sent: X, now: Y" (history never changes).
    sent_n = models.PositiveIntegerField(_("valid ratings sent"), null=True, blank=True)
    sent_excluded = models.PositiveIntegerField(_("excluded ratings sent"), null=True, blank=True)
    sent_index = models.FloatField(_("index sent"), null=True, blank=True)
    sent_late = models.PositiveIntegerField(_("late ratings sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("monthly report e-mail")
        verbose_name_plural = _("monthly report e-mails")
        ordering = ["-month", "recipient"]
        constraints = [
            models.CheckConstraint(
                condition=Q(office__isnull=True, unit__isnull=False)
                | Q(office__isnull=False, unit__isnull=True),
                name="report_delivery_office_xor_unit",
            ),
            models.UniqueConstraint(
                fields=["office", "unit", "month", "recipient"],
                name="report_delivery_once",
                nulls_distinct=False,
            ),
            models.CheckConstraint(
                condition=Q(month__day=1), name="report_delivery_month_is_first_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.office or self.unit} {self.month:%m/%Y} → {self.recipient}"


# --- Alerts ----------------------------------------------------------------------------


class AlertRule(models.TextChoices):
    LOW_STREAK = "low_streak", _("Low ratings in a row")
    LOW_SHARE = "low_share", _("Many low ratings among the latest")
    INDEX_DROP = "index_drop", _("Index fell beyond its interval")
    KIOSK_SILENT = "kiosk_silent", _("Kiosk silent while the office is open")
    KIOSK_QUEUE = "kiosk_queue", _("Kiosk holding many unsent ratings")
    KIOSK_REFUSED = "kiosk_refused", _("Kiosk ratings refused")
    SUGGESTIONS_OVERDUE = "suggestions_overdue", _("Suggestions past their deadline")
    BEST_MONTH = "best_month", _("A desk's best month")


POSITIVE_RULES = {AlertRule.BEST_MONTH}


class AlertSettings(models.Model):
    """Alert thresholds for a unit and everything under it.

    An empty field inherits the value of the nearest unit above that sets it, and
    otherwise the default (settings.ALERTS); 0 switches a rule off.
    """

    unit = models.OneToOneField(
        AdministrativeUnit,
        on_delete=models.CASCADE,
        related_name="alert_settings",
        verbose_name=_("unit"),
    )
    low_streak = models.PositiveSmallIntegerField(
        _("low ratings in a row"),
        null=True,
        blank=True,
        help_text=_("Alert after this many consecutive ratings at 1–2 at a desk or office."),
    )
    low_window = models.PositiveSmallIntegerField(
        _("latest ratings looked at"), null=True, blank=True
    )
    low_share_percent = models.PositiveSmallIntegerField(
        _("share of low ratings (%)"),
        null=True,
        blank=True,
        help_text=_("Alert when at least this share of the latest ratings is at 1–2."),
    )
    index_drop_min_n = models.PositiveSmallIntegerField(
        _("index drop: minimum ratings"),
        null=True,
        blank=True,
        help_text=_("Both months need this many valid ratings before a drop is alerted."),
    )
    kiosk_silent_minutes = models.PositiveSmallIntegerField(
        _("kiosk silent after (minutes)"), null=True, blank=True
    )
    kiosk_queue_max = models.PositiveSmallIntegerField(
        _("kiosk queue: ratings waiting"), null=True, blank=True
    )
    kiosk_refused_max = models.PositiveSmallIntegerField(
        _("kiosk: refused ratings in 24 hours"), null=True, blank=True
    )
    suggestions_overdue = models.PositiveSmallIntegerField(
        _("overdue suggestions"),
        null=True,
        blank=True,
        help_text=_("Alert when at least this many suggestions are past their deadline."),
    )
    best_month_min_n = models.PositiveSmallIntegerField(
        _("best month: minimum ratings"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("alert settings")
        verbose_name_plural = _("alert settings")

    def __str__(self) -> str:
        return str(self.unit)


class AlertStatus(models.TextChoices):
    OPEN = "open", _("Open")
    RESOLVED = "resolved", _("Resolved")


class AlertQuerySet(models.QuerySet):
    def visible_to(self, user: User | AnonymousUser, min_role: str = Role.VIEWER) -> Self:
        return self.filter(office__in=Office.objects.visible_to(user, min_role))

    def open(self) -> Self:
        return self.filter(status=AlertStatus.OPEN)


class Alert(models.Model):
    """Something an office head should know: opened once per rule and subject while its
    condition holds, resolved by itself when the condition clears.

    `detail` holds figures only (counts, shares, times), never a citizen's text.
    """

    rule = models.CharField(_("rule"), max_length=24, choices=AlertRule.choices)
    subject_key = models.CharField(max_length=64, editable=False)
    office = models.ForeignKey(
        Office, on_delete=models.CASCADE, related_name="+", verbose_name=_("office")
    )
    desk = models.ForeignKey(
        Desk,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("desk"),
    )
    kiosk = models.ForeignKey(
        Kiosk,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("kiosk"),
    )
    status = models.CharField(
        _("status"), max_length=8, choices=AlertStatus.choices, default=AlertStatus.OPEN
    )
    detail = models.JSONField(_("figures"), default=dict, blank=True)
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acknowledged by"),
    )
    acknowledgement = models.TextField(_("comment"), max_length=1000, blank=True)
    notified_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)
    notify_attempts = models.PositiveSmallIntegerField(default=0)
    notify_error = models.CharField(max_length=500, blank=True)

    objects = AlertQuerySet.as_manager()

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-opened_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "subject_key"],
                condition=Q(status="open"),
                name="alert_open_once_per_rule_and_subject",
            )
        ]
        indexes = [
            models.Index(
                fields=["office", "rule"], name="alert_open_office", condition=Q(status="open")
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_rule_display()} · {self.office}"

    @property
    def is_positive(self) -> bool:
        return self.rule in POSITIVE_RULES

    @property
    def is_open(self) -> bool:
        return self.status == AlertStatus.OPEN
