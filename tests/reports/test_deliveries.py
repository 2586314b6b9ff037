"""The monthly report e-mails: the right heads, once each, retried, recorded."""

import io
import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection
from pypdf import PdfReader

from common.months import Month
from offices.models import AuditEvent, Membership, Role
from reports.deliveries import report_month, send_due_reports
from reports.models import DeliveryStatus, ReportDelivery
from reports.tasks import JobFailed, send_monthly_reports
from tests.factories import MembershipFactory, UserFactory
from tests.mail_backends import RefusingBackend

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
APRIL_1ST = datetime(2026, 4, 1, 7, 30, tzinfo=HANOI)  # March's reports are due


@pytest.fixture
def heads(tree, rate, settings):
    """Office A's head; the Cầu Giấy district head (an e-mail on the unit); the city's
    manager (no e-mail on the unit). Ratings in March at offices A and B."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    tree.office_a.head_email = "truong@nghiatan.example.vn"
    tree.office_a.save()
    tree.district_a.head_email = "chutich@caugiay.example.vn"
    tree.district_a.save()
    manager = UserFactory(username="city_manager", email="vanphong@hanoi.example.vn")
    MembershipFactory(user=manager, unit=tree.city, role=Role.MANAGER)
    MembershipFactory(user=UserFactory(username="city_viewer"), unit=tree.city, role=Role.VIEWER)
    rate(tree.office_a, access=5, officials=4, comment="Cán bộ nhiệt tình")
    rate(tree.office_b, access=2, officials=2)
    return tree


def pdf_text(message) -> str:
    (_name, pdf, mimetype) = message.attachments[0]
    assert mimetype == "application/pdf"
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def by_recipient() -> dict:
    return {m.to[0]: m for m in mail.outbox}


def test_a_month_is_due_from_the_configured_day_and_hour(settings):
    settings.MONTHLY_REPORT_DAY, settings.MONTHLY_REPORT_HOUR = 1, 7
    assert report_month(datetime(2026, 4, 1, 6, 59, tzinfo=HANOI), HANOI) is None
    assert report_month(datetime(2026, 4, 1, 7, 0, tzinfo=HANOI), HANOI) == Month(2026, 3)
    assert report_month(datetime(2026, 4, 20, 1, 0, tzinfo=HANOI), HANOI) == Month(2026, 3)


def test_office_district_and_city_heads_get_their_subtree_report(heads):
    outcome = send_due_reports(APRIL_1ST)
    assert outcome.sent == 3
    mails = by_recipient()
    assert set(mails) == {
        "truong@nghiatan.example.vn",
        "chutich@caugiay.example.vn",
        "vanphong@hanoi.example.vn",  # the city has no e-mail of its own: its manager
    }  # not the city's viewer, not ward B (no head)
    office = pdf_text(mails["truong@nghiatan.example.vn"])
    assert "Một cửa Nghĩa Tân" in office and "Mỹ Đình 1" not in office
    district = pdf_text(mails["chutich@caugiay.example.vn"])
    assert "Quận Cầu Giấy" in district and "Mỹ Đình 1" not in district
    city = pdf_text(mails["vanphong@hanoi.example.vn"])
    assert "Thành phố Hà Nội" in city and "Quận Nam Từ Liêm" in city and "Quận Cầu Giấy" in city
    assert "03/2026" in mails["vanphong@hanoi.example.vn"].subject
    assert f"/reports/unit/{heads.city.pk}/2026-03/" in mails["vanphong@hanoi.example.vn"].body
    rows = ReportDelivery.objects.filter(status=DeliveryStatus.SENT)
    assert {(r.office_id, r.unit_id, r.recipient) for r in rows} == {
        (heads.office_a.pk, None, "truong@nghiatan.example.vn"),
        (None, heads.district_a.pk, "chutich@caugiay.example.vn"),
        (None, heads.city.pk, "vanphong@hanoi.example.vn"),
    }
    assert all(r.sent_at and r.month.isoformat() == "2026-03-01" for r in rows)
    assert AuditEvent.objects.filter(action="report_emailed").count() == 3


def test_running_the_monthly_job_twice_sends_each_report_once(heads):
    assert send_monthly_reports(APRIL_1ST).startswith("Sent 3")
    assert send_monthly_reports(APRIL_1ST).startswith("Sent 0")
    assert send_monthly_reports(datetime(2026, 4, 2, 7, 30, tzinfo=HANOI)).startswith("Sent 0")
    assert len(mail.outbox) == 3
    assert ReportDelivery.objects.count() == 3
    # Before the send hour nothing of March goes out.
    mail.outbox.clear()
    ReportDelivery.objects.all().delete()
    assert send_due_reports(datetime(2026, 4, 1, 6, 0, tzinfo=HANOI)).sent == 0
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_report_once(heads):
    start = threading.Barrier(2)
    errors = []

    def worker():
        try:
            start.wait()
            send_due_reports(APRIL_1ST)
        except Exception as exc:  # reported below, a thread cannot fail the test itself
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        ["truong@nghiatan.example.vn", "chutich@caugiay.example.vn", "vanphong@hanoi.example.vn"]
    )
    assert ReportDelivery.objects.filter(status=DeliveryStatus.SENT).count() == 3


def test_a_failed_send_is_retried_at_the_next_run(heads, settings):
    settings.EMAIL_BACKEND = "tests.mail_backends.RefusingBackend"
    RefusingBackend.FAILURES, RefusingBackend.refused = 1, 0
    with pytest.raises(JobFailed):  # the job shows as failed in the admin
        send_monthly_reports(APRIL_1ST)
    failed = ReportDelivery.objects.get(attempts=1, status=DeliveryStatus.PENDING)
    assert "SMTPServerDisconnected" in failed.last_error
    assert len(mail.outbox) == 2  # the other two went out
    send_monthly_reports(APRIL_1ST)
    failed.refresh_from_db()
    assert (failed.status, failed.attempts, failed.last_error) == (DeliveryStatus.SENT, 2, "")
    assert len(mail.outbox) == 3 and len(by_recipient()) == 3


def test_a_send_that_keeps_failing_is_recorded_failed_and_not_tried_again(heads, settings):
    settings.EMAIL_BACKEND = "tests.mail_backends.RefusingBackend"
    settings.MONTHLY_REPORT_ATTEMPTS = 3
    RefusingBackend.FAILURES, RefusingBackend.refused = 1000, 0
    heads.district_a.head_email = ""
    heads.district_a.save()
    Membership.objects.filter(unit=heads.city).delete()  # office A's head only: one PDF a run
    for _ in range(3):
        with pytest.raises(JobFailed):
            send_monthly_reports(APRIL_1ST)
    assert set(ReportDelivery.objects.values_list("status", "attempts")) == {
        (DeliveryStatus.FAILED, 3)
    }
    tried = RefusingBackend.refused
    assert send_monthly_reports(APRIL_1ST).startswith("Sent 0")  # given up: no fourth try
    assert RefusingBackend.refused == tried
    assert mail.outbox == []
