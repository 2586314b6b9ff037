"""E-mail each office head the PDF of last month's report.

Cron-able, e.g. at 07:00 on the 2nd of every month:
    0 7 2 * *  cd /srv/app && .venv/bin/python manage.py send_monthly_reports
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from common.months import Month, MonthError
from offices.models import AuditEvent, Office
from reports.comments import comments_for
from reports.monthly import build_monthly_report
from reports.pdf import PDF_COMMENTS, render_pdf
from reports.subjects import Crumb, Subject

logger = logging.getLogger(__name__)


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


class Command(BaseCommand):
    help = "E-mail each office head (Office.head_email) the PDF report of last month."

    def add_arguments(self, parser):
        parser.add_argument("--month", help="YYYY-MM (default: last month in each office's zone)")
        parser.add_argument("--office", type=int, action="append", help="Only this office id")

    def handle(self, *args, month=None, office=None, **options):
        try:
            fixed_month = Month.parse(month) if month else None
        except MonthError:
            raise CommandError(
                f"--month must be YYYY-MM, not later than this month: {month}"
            ) from None
        offices = Office.objects.filter(is_active=True).exclude(head_email="")
        if office:
            offices = offices.filter(pk__in=office)
        sent = failed = 0
        with translation.override(settings.LANGUAGE_CODE):
            for target in offices.select_related("unit"):
                report_month = fixed_month or Month.current(target.tz).previous()
                try:
                    self.send(target, report_month)
                    sent += 1
                except Exception:  # one office's failure must not stop the others
                    logger.exception("Monthly report for office %s failed", target.pk)
                    failed += 1
        self.stdout.write(f"Sent {sent} report(s); {failed} failed.")
        if failed:
            raise CommandError(f"{failed} report(s) could not be sent.")

    def send(self, office: Office, month: Month) -> None:
        subject = office_subject(office)
        report = build_monthly_report(subject, month)
        comments = list(comments_for(subject, month, include_hidden=False)[:PDF_COMMENTS])
        pdf = render_pdf(report, comments=comments)
        summary = report.summary
        title = _("Satisfaction report %(month)s: %(office)s") % {
            "month": month.label,
            "office": office.name,
        }
        body = _(
            "Attached is the citizens' satisfaction report of %(office)s for %(month)s.\n"
            "Valid ratings: %(n)s. Excluded as misuse: %(excluded)s.\n"
        ) % {
            "office": office.name,
            "month": month.label,
            "n": summary.n,
            "excluded": summary.excluded,
        }
        message = EmailMessage(subject=title, body=body, to=[office.head_email])
        message.attach(f"report-{office.pk}-{month}.pdf", pdf, "application/pdf")
        message.send()
        AuditEvent.record(None, "report_emailed", office, month=str(month), to=office.head_email)
