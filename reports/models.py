"""What the reports app writes: the record of every monthly report e-mailed.

(The figures themselves are read from the surveys roll-ups; nothing here holds them.)
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from offices.models import AdministrativeUnit, Office


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
