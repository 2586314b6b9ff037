"""The monthly report e-mails: who is due which report, and sending each exactly once.

Recipients: every active office's head (`Office.head_email`) gets the office's report;
a unit's head (`AdministrativeUnit.head_email`) gets the report of the unit's whole
subtree; a unit with sub-units and no head e-mail sends it to its managers instead.

A month's report is due from `MONTHLY_REPORT_DAY` at `MONTHLY_REPORT_HOUR` (local) of
the next month. Every (subject, month, recipient) is a `ReportDelivery` row: created
when due, locked while its e-mail is sent (a second worker skips it), marked sent in
the same transaction. A failed send is retried at the next run, then recorded failed.

Sending a report closes its month for the offices it covers (surveys/closing.py) in the
same transaction, and the delivery keeps the figures it sent (n, excluded, index, late).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from common.months import Month
from offices.models import AdministrativeUnit, AuditEvent, Membership, Office, Role
from reports.comments import newest_comments
from reports.models import DeliveryStatus, ReportDelivery
from reports.monthly import build_monthly_report, late_count
from reports.subjects import Crumb, Subject
from surveys.closing import close_month
from surveys.models import ClosureReason

logger = logging.getLogger(__name__)


def report_month(now: datetime, tz: ZoneInfo) -> Month | None:
    """Last month, once its report is due at `now` in zone `tz` (None before that moment).

    Any run later in the month sends what is still unsent (a worker that was down on
    the 1st catches up); a new head's address gets last month's report.
    """
    local = timezone.localtime(now, tz)
    sent_from = (settings.MONTHLY_REPORT_DAY, settings.MONTHLY_REPORT_HOUR)
    return Month.of(local.date()).previous() if (local.day, local.hour) >= sent_from else None


def office_subject(office: Office) -> Subject:
    """The report subject of one office for a system job (no user: the office itself)."""
    crumbs = [Crumb(u.name, "unit", u.pk) for u in office.unit.lineage()]
    return Subject(
        "office",
        office,
        Office.objects.filter(pk=office.pk),
        crumbs=crumbs,
        office=office,
        time_zone=office.time_zone,
    )


def unit_subject(unit: AdministrativeUnit) -> Subject:
    crumbs = [Crumb(u.name, "unit", u.pk) for u in unit.lineage()[:-1]]
    return Subject("unit", unit, Office.objects.in_subtree(unit), crumbs=crumbs)


@dataclass
class Due:
    """One subject's report for one month, and who should receive it."""

    kind: str  # "office" or "unit"
    obj: Office | AdministrativeUnit
    month: Month
    recipients: list[str] = field(default_factory=list)

    @property
    def key(self) -> tuple:
        return (self.kind, self.obj.pk, self.month.start)

    def subject(self) -> Subject:
        return office_subject(self.obj) if self.kind == "office" else unit_subject(self.obj)  # type: ignore[arg-type]


def _unit_recipients() -> dict[int, list[str]]:
    """Units that receive their subtree's report → addresses (one query each kind)."""
    recipients: dict[int, list[str]] = defaultdict(list)
    for unit_id, email in AdministrativeUnit.objects.exclude(head_email="").values_list(
        "pk", "head_email"
    ):
        recipients[unit_id].append(email)
    managers = (
        Membership.objects.filter(
            role__in=[Role.MANAGER, Role.ADMIN],
            unit__numchild__gt=0,
            unit__head_email="",
            user__is_active=True,
        )
        .exclude(user__email="")
        .values_list("unit_id", "user__email")
        .order_by("unit_id", "user__email")
    )
    for unit_id, email in managers:
        if email not in recipients[unit_id]:
            recipients[unit_id].append(email)
    return recipients


def due_reports(
    now: datetime, *, month: Month | None = None, office_ids: Collection[int] | None = None
) -> list[Due]:
    """Every report due at `now` (or, with `month`, that month's), with its recipients."""
    offices = Office.objects.filter(is_active=True).exclude(head_email="").select_related("unit")
    if office_ids:
        offices = offices.filter(pk__in=office_ids)
    due = []
    for office in offices:
        office_month = month or report_month(now, office.tz)
        if office_month is not None:
            due.append(Due("office", office, office_month, [office.head_email]))
    unit_month = month or report_month(now, ZoneInfo(settings.TIME_ZONE))
    if office_ids or unit_month is None:
        return due
    recipients = _unit_recipients()
    for unit in AdministrativeUnit.objects.filter(pk__in=list(recipients)):
        if Office.objects.in_subtree(unit).exists():
            due.append(Due("unit", unit, unit_month, recipients[unit.pk]))
    return due


@dataclass
class Outcome:
    sent: int = 0
    failed: int = 0  # attempts that failed in this run
    given_up: int = 0  # of which tried for the last time

    def __str__(self) -> str:
        return f"Sent {self.sent} report(s); {self.failed} failed."


def _delivery_key(d: ReportDelivery) -> tuple:
    return ("office", d.office_id, d.month) if d.office_id else ("unit", d.unit_id, d.month)


def send_due_reports(now: datetime | None = None, **filters: Any) -> Outcome:
    """Send every due report not yet sent. Safe to run again and from two workers."""
    now = now or timezone.now()
    due = {d.key: d for d in due_reports(now, **filters)}
    ReportDelivery.objects.bulk_create(
        [
            ReportDelivery(  # type: ignore[misc]
                office=d.obj if d.kind == "office" else None,
                unit=d.obj if d.kind == "unit" else None,
                month=d.month.start,
                recipient=recipient,
            )
            for d in due.values()
            for recipient in d.recipients
        ],
        ignore_conflicts=True,
    )
    pending: dict[tuple, list[int]] = defaultdict(list)
    months = {d.month.start for d in due.values()}
    for delivery in ReportDelivery.objects.filter(
        status=DeliveryStatus.PENDING, month__in=months
    ).order_by("pk"):
        key = _delivery_key(delivery)
        if key in due and delivery.recipient in due[key].recipients:
            pending[key].append(delivery.pk)
    outcome = Outcome()
    with translation.override(settings.LANGUAGE_CODE):
        for key, delivery_ids in pending.items():
            _send_subject(due[key], delivery_ids, outcome)
    return outcome


def _send_subject(due: Due, delivery_ids: list[int], outcome: Outcome) -> None:
    message = None  # built at the first delivery this worker claims
    sent: dict = {}
    # In id order: two workers closing overlapping subtrees wait on each other, never deadlock.
    offices = (
        [due.obj]
        if due.kind == "office"
        else list(Office.objects.in_subtree(due.obj).order_by("pk"))  # type: ignore[arg-type]
    )
    for delivery_id in delivery_ids:
        with transaction.atomic():
            delivery = (
                ReportDelivery.objects.select_for_update(skip_locked=True)
                .filter(pk=delivery_id, status=DeliveryStatus.PENDING)
                .first()
            )
            if delivery is None:  # sent meanwhile, or being sent by another worker
                continue
            try:
                with transaction.atomic():  # a failed send does not close the month
                    # Closed first: a rating arriving from now on is late, not lost from view.
                    close_month(due.month, offices, reason=ClosureReason.REPORT_SENT)
                    if message is None:
                        message, sent = _report_message(due)
                    message.to = [delivery.recipient]
                    message.send()
            except Exception as exc:  # one recipient's failure must not stop the others
                logger.exception("Monthly report %s to %s failed", due.key, delivery.recipient)
                delivery.attempts += 1
                delivery.last_error = f"{type(exc).__name__}: {exc}"[:500]
                if delivery.attempts >= settings.MONTHLY_REPORT_ATTEMPTS:
                    delivery.status = DeliveryStatus.FAILED
                    outcome.given_up += 1
                delivery.save(update_fields=["attempts", "last_error", "status"])
                outcome.failed += 1
                continue
            delivery.attempts += 1
            delivery.status = DeliveryStatus.SENT
            delivery.sent_at = timezone.now()
            delivery.last_error = ""
            for name, value in sent.items():
                setattr(delivery, name, value)
            delivery.save(update_fields=["attempts", "status", "sent_at", "last_error", *sent])
            AuditEvent.record(
                None,
                "report_emailed",
                due.obj,
                kind=due.kind,
                month=str(due.month),
                to=delivery.recipient,
            )
            outcome.sent += 1


def _report_message(due: Due) -> tuple[EmailMessage, dict]:
    """The e-mail with its PDF, and the figures it sends (kept on the delivery)."""
    from reports.pdf import PDF_COMMENTS, render_pdf

    subject = due.subject()
    report = build_monthly_report(subject, due.month)
    comments = newest_comments(subject, due.month, include_hidden=False, limit=PDF_COMMENTS)
    pdf = render_pdf(report, comments=comments)
    summary = report.summary
    names = {"month": due.month.label, "name": subject.name}
    link = settings.SITE_URL + reverse(
        "reports:report", kwargs={"kind": due.kind, "pk": due.obj.pk, "month": str(due.month)}
    )
    body = _(
        "Attached is the citizens' satisfaction report of %(name)s for %(month)s.\n"
        "Valid ratings: %(n)s. Excluded as misuse: %(excluded)s.\n"
        "The report on line: %(link)s\n"
    ) % {**names, "n": summary.n, "excluded": summary.excluded, "link": link}
    message = EmailMessage(subject=_("Satisfaction report %(month)s: %(name)s") % names, body=body)
    message.attach(f"report-{due.kind}-{due.obj.pk}-{due.month}.pdf", pdf, "application/pdf")
    figures = {
        "sent_n": summary.n,
        "sent_excluded": summary.excluded,
        "sent_index": summary.overall,
        "sent_late": late_count(subject, due.month),
    }
    return message, figures
