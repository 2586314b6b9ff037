"""Late ratings: a month closes when its report is sent (or on the closing day), and a
rating that arrives dated into a closed month is stored, counted in its month, marked
late, and the month's report (page, PDF, exports, API) says it was revised."""

from __future__ import annotations

import contextlib
import threading
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from common.months import Month
from reports.deliveries import office_subject, send_due_reports, unit_subject
from reports.exports import ReportTablesExporter
from reports.models import ReportDelivery
from reports.monthly import build_monthly_report
from reports.pdf import render_report_html
from reports.tasks import close_last_month
from scheduling.models import JobRun
from surveys.closing import close_month
from surveys.models import ClosedMonth, ClosureReason, MonthlyResponseRollup, Response
from tests.api.conftest import Caller, make_api_client
from tests.surveys.conftest import enrol, rating_payload

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
MARCH = Month(2026, 3)


def at(*args) -> datetime:
    return datetime(*args, tzinfo=HANOI)


@pytest.fixture
def april_2nd():
    """The clock on 2 April 2026, 10:00 in Hà Nội (March's report is due since the 1st,
    07:00; March closes on its own on the 5th). Listed first, it runs before the tree."""
    with time_machine.travel(at(2026, 4, 2, 10, 0), tick=True) as clock:
        yield clock


@pytest.fixture
def kiosk_a(april_2nd, tree, version):
    """An enrolled kiosk of office A that has stood there since before March."""
    from offices.models import Kiosk

    device = Kiosk.objects.create(office=tree.office_a, desk=tree.desk_a, name="Kiosk 1")
    Kiosk.objects.filter(pk=device.pk).update(assigned_at=None)
    return enrol(Kiosk.objects.get(pk=device.pk))


@pytest.fixture
def march_sent(april_2nd, tree, rate, settings):
    """One March rating at office A, and March's report e-mailed to its head on 2 April."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    tree.office_a.head_email = "truong@nghiatan.example.vn"
    tree.office_a.save()
    rate(tree.office_a, access=5, officials=5, when=at(2026, 3, 10, 9, 0))
    assert send_due_reports(office_ids=[tree.office_a.pk]).sent == 1
    return ReportDelivery.objects.get()


def post_kiosk(client, kiosk, payload):
    return client.post(
        reverse("surveys:kiosk_api_rating"),
        data=payload,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Kiosk {kiosk.credential}",
    )


ANSWERS = [{"question": "access", "value": 4}, {"question": "officials", "value": 5}]


def late_payload(version, **fields):
    """A rating given on 31 March at 15:00 that a kiosk's queue delivers in April."""
    return rating_payload(version, when=at(2026, 3, 31, 15, 0), answers=ANSWERS, **fields)


# --- Closing --------------------------------------------------------------------------


def test_sending_the_report_closes_the_month_and_keeps_what_was_sent(march_sent, tree):
    closure = ClosedMonth.objects.get()
    assert (closure.office, closure.month, closure.reason) == (
        tree.office_a,
        MARCH.start,
        ClosureReason.REPORT_SENT,
    )
    assert closure.closed_at <= march_sent.sent_at
    assert (march_sent.sent_n, march_sent.sent_excluded, march_sent.sent_late) == (1, 0, 0)
    assert march_sent.sent_index == pytest.approx(1.0)
    # Offices without a report sent stay open until the closing day.
    assert not ClosedMonth.objects.filter(office=tree.office_b).exists()


def test_a_unit_report_closes_the_month_for_its_whole_subtree(april_2nd, tree, rate, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    tree.district_a.head_email = "chutich@caugiay.example.vn"
    tree.district_a.save()
    rate(tree.office_a, access=4, when=at(2026, 3, 10, 9, 0))
    assert send_due_reports().sent == 1
    closed = set(ClosedMonth.objects.values_list("office_id", flat=True))
    assert closed == {tree.office_a.pk}  # office A is under Cầu Giấy; B and C are not


def test_a_failed_send_does_not_close_the_month(april_2nd, tree, rate, settings, monkeypatch):
    from tests.mail_backends import RefusingBackend

    monkeypatch.setattr(RefusingBackend, "FAILURES", 1)
    monkeypatch.setattr(RefusingBackend, "refused", 0)
    settings.EMAIL_BACKEND = "tests.mail_backends.RefusingBackend"
    tree.office_a.head_email = "truong@nghiatan.example.vn"
    tree.office_a.save()
    rate(tree.office_a, access=4, when=at(2026, 3, 10, 9, 0))
    assert send_due_reports(office_ids=[tree.office_a.pk]).failed == 1
    assert not ClosedMonth.objects.exists()


def test_the_closing_job_closes_last_month_on_the_configured_day_once(tree, settings):
    settings.MONTH_CLOSE_DAY = 5
    with time_machine.travel(at(2026, 4, 4, 23, 50), tick=False) as clock:
        assert close_last_month() == "Nothing to close yet."
        assert not ClosedMonth.objects.exists() and not JobRun.objects.exists()
        clock.move_to(at(2026, 4, 5, 0, 5))
        assert close_last_month() == "Closed 2026-03."
        closed = ClosedMonth.objects.filter(month=MARCH.start)
        assert closed.count() == 3  # offices A, B and C
        assert {c.reason for c in closed} == {ClosureReason.CLOSING_DAY}
        run = JobRun.objects.get(job="close-month")
        assert run.period == "2026-03" and run.detail["closed"] == 3
        clock.move_to(at(2026, 4, 6, 0, 5))
        assert close_last_month() == "2026-03 was closed already."
        assert ClosedMonth.objects.count() == 3 and JobRun.objects.count() == 1


def test_close_month_keeps_the_first_closing(tree):
    first = at(2026, 4, 1, 8, 0)
    assert close_month(MARCH, [tree.office_a], reason=ClosureReason.REPORT_SENT, at=first) == 1
    assert close_month(MARCH, at=at(2026, 4, 5, 0, 0)) == 2  # B and C; A was closed
    closure = ClosedMonth.objects.get(office=tree.office_a)
    assert (closure.closed_at, closure.reason) == (first, ClosureReason.REPORT_SENT)


def test_past_the_closing_day_a_month_is_closed_even_if_the_job_did_not_run(tree, rate, settings):
    settings.MONTH_CLOSE_DAY = 5
    rating = rate(tree.office_a, access=4, when=at(2026, 2, 27, 9, 0), received_at=at(2026, 3, 6))
    rating.refresh_from_db()
    assert rating.arrived_late
    closure = rating.late_after
    assert (closure.office, closure.month) == (tree.office_a, Month(2026, 2).start)
    assert (closure.reason, closure.closed_at) == (ClosureReason.CLOSING_DAY, at(2026, 3, 5))
    # The day before the closing day, February was still open.
    earlier = rate(tree.office_b, access=4, when=at(2026, 2, 27, 9), received_at=at(2026, 3, 4))
    earlier.refresh_from_db()
    assert not earlier.arrived_late and earlier.late_after is None


# --- Late and not late --------------------------------------------------------------


def test_a_late_kiosk_rating_into_a_sent_month_is_stored_flagged_late_and_counted(
    march_sent, kiosk_a, version, client, tree
):
    payload = late_payload(version)
    reply = post_kiosk(client, kiosk_a, payload)
    assert reply.status_code == 201, reply.content
    rating = Response.objects.get(pk=payload["id"])
    assert rating.arrived_late and not rating.is_misuse
    assert rating.late_after == ClosedMonth.objects.get(office=tree.office_a, month=MARCH.start)
    march = MonthlyResponseRollup.objects.get(office=tree.office_a, month=MARCH.start)
    assert march.valid == 2  # counted in March, the month it was given
    assert not MonthlyResponseRollup.objects.filter(month=Month(2026, 4).start).exists()


def test_a_rating_into_a_closed_month_through_the_api_is_late_too(
    march_sent, version, client, tree
):
    _record, token = make_api_client(tree.ward_a, name="Máy tính bảng quầy", ingest=True)
    payload = late_payload(version, office=tree.office_a.pk)
    reply = Caller(client, token).post("/api/v1/ratings/", payload)
    assert reply.status_code == 201, reply.json()
    rating = Response.objects.get(pk=payload["id"])
    assert rating.arrived_late and rating.late_after.month == MARCH.start


def test_a_rating_into_the_open_month_is_not_late_and_asks_nothing_about_closings(
    march_sent, kiosk_a, version, client
):
    payload = rating_payload(version, answers=ANSWERS)  # given now, in April
    with CaptureQueriesContext(connection) as queries:
        reply = post_kiosk(client, kiosk_a, payload)
    assert reply.status_code == 201, reply.json()
    assert not any("surveys_closedmonth" in q["sql"] for q in queries.captured_queries)
    rating = Response.objects.get(pk=payload["id"])
    assert not rating.arrived_late and rating.late_after is None


def test_a_rating_into_last_month_before_it_closes_is_not_late(
    april_2nd, kiosk_a, version, client, tree
):
    payload = late_payload(version)  # March, no report sent, before the 5th
    assert post_kiosk(client, kiosk_a, payload).status_code == 201
    assert not Response.objects.get(pk=payload["id"]).arrived_late
    assert not ClosedMonth.objects.exists()


def test_a_late_rating_into_another_office_s_closed_month_does_not_touch_this_one(
    march_sent, tree, rate
):
    rating = rate(tree.office_b, access=3, when=at(2026, 3, 31, 15, 0), received_at=at(2026, 4, 2))
    rating.refresh_from_db()
    assert not rating.arrived_late  # March is closed for office A only


# --- What the report says -------------------------------------------------------------


@pytest.fixture
def late_arrived(march_sent, kiosk_a, version, client):
    assert post_kiosk(client, kiosk_a, late_payload(version)).status_code == 201
    return march_sent


def test_the_months_report_page_says_it_was_revised(
    late_arrived, client_for, alice, bob, english, tree
):
    url = reverse("reports:report", args=["office", tree.office_a.pk, "2026-03"])
    page = client_for(alice).get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Revised figures" in text
    assert "1 rating arrived after the report was sent." in text
    assert "As sent on 02/04/2026: valid ratings 1, index 100.0" in text
    assert "Now: valid ratings 2," in text
    # Bob (ward B) cannot see office A's report at all.
    assert client_for(bob).get(url).status_code == 404


def test_a_month_without_late_ratings_is_not_marked_revised(
    march_sent, client_for, alice, english, tree
):
    url = reverse("reports:report", args=["office", tree.office_a.pk, "2026-03"])
    text = client_for(alice).get(url).content.decode()
    assert "Revised figures" not in text and "arrived after" not in text


def test_the_pdf_and_the_exports_say_so_too(late_arrived, client_for, alice, english, tree):
    report = build_monthly_report(office_subject(tree.office_a), MARCH)
    assert report.revision.late == 1 and report.revision.revised
    html = render_report_html(report)
    assert "Revised figures" in html and "1 rating arrived after the report was sent." in html
    pdf = client_for(alice).get(
        reverse("reports:export_pdf", args=["office", tree.office_a.pk, "2026-03"])
    )
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    summary = next(iter(ReportTablesExporter(report).tables()))
    rows = {row[0]: row[1] for row in summary.rows}
    assert rows["Ratings that arrived late (after the month closed)"] == 1
    assert rows["Revised after the report was sent"] == "yes"
    assert rows["Valid ratings as sent"] == 1


def test_the_district_report_counts_the_late_rating_of_its_office(late_arrived, tree):
    report = build_monthly_report(unit_subject(tree.district_a), MARCH)
    assert report.revision.late == 1 and report.revision.revised
    assert report.revision.sent_at is None  # the district's report was never sent
    other = build_monthly_report(unit_subject(tree.district_b), MARCH)
    assert other.revision.late == 0 and not other.revision.revised


def test_the_api_late_field_carries_the_count(late_arrived, client, tree):
    _record, token = make_api_client(tree.ward_a, name="BI Nghĩa Tân")
    reader = Caller(client, token)
    body = reader.get("/api/v1/figures/offices/", {"from": "2026-03", "to": "2026-04"}).json()
    (office,) = body["results"]
    assert [(m["month"], m["late"]) for m in office["months"]] == [
        ("2026-03", 1),
        ("2026-04", 0),
    ]
    units = reader.get("/api/v1/figures/units/", {"from": "2026-03", "to": "2026-03"}).json()
    assert [u["months"][0]["late"] for u in units["results"]] == [1]
    csv = reader.get(
        "/api/v1/figures/offices/", {"from": "2026-03", "to": "2026-03", "format": "csv"}
    ).content.decode()
    header, line = csv.splitlines()[:2]
    assert line.split(",")[header.split(",").index("late")] == "1"
    # Ward B's client sees nothing of office A's late rating.
    _other, token_b = make_api_client(tree.ward_b, name="BI Mỹ Đình")
    other = Caller(client, token_b).get("/api/v1/figures/offices/", {"from": "2026-03"}).json()
    assert [r["office_id"] for r in other["results"]] == [tree.office_b.pk]
    assert all(m["late"] == 0 for m in other["results"][0]["months"])


def test_a_replayed_late_rating_is_stored_once(late_arrived, kiosk_a, version, client):
    payload = late_payload(version, id=str(uuid.uuid4()))
    assert post_kiosk(client, kiosk_a, payload).status_code == 201
    assert post_kiosk(client, kiosk_a, payload).status_code in (200, 201)
    assert Response.objects.filter(arrived_late=True).count() == 2


def test_a_flag_lifted_after_the_report_was_sent_marks_the_month_revised(
    april_2nd, tree, rate, settings, client_for, alice, english
):
    """Not a late rating, but the sent figures no longer hold: the page says the figures
    changed since sending, and keeps what was sent readable."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    tree.office_a.head_email = "truong@nghiatan.example.vn"
    tree.office_a.save()
    rate(tree.office_a, access=5, officials=5, when=at(2026, 3, 10, 9, 0))
    flagged = rate(tree.office_a, access=1, officials=1, misuse=True, when=at(2026, 3, 11, 9, 0))
    assert send_due_reports(office_ids=[tree.office_a.pk]).sent == 1
    url = reverse("reports:report", args=["office", tree.office_a.pk, "2026-03"])
    assert "Revised figures" not in client_for(alice).get(url).content.decode()

    flagged.review_flag("lifted", by=alice, reason="A real citizen, seen on the camera.")
    text = client_for(alice).get(url).content.decode()
    assert "Revised figures" in text
    assert "The figures have changed since the report was sent" in text
    assert "arrived after the report was sent" not in text  # nothing arrived late
    assert "As sent on 02/04/2026: valid ratings 1, index 100.0" in text
    assert "Now: valid ratings 2," in text


# --- A rating that arrives while the report is being sent -----------------------------


def _record_in_thread(rate, office, results: dict) -> threading.Thread:
    """Record a March rating of `office` on its own database connection, as a kiosk
    request would while the report is being built and sent."""

    def run() -> None:
        try:
            rating = rate(office, access=2, when=at(2026, 3, 31, 15, 0), received_at=at(2026, 4, 2))
            results["id"] = rating.pk
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("sent", [True, False], ids=["sent", "send-failed"])
def test_a_rating_arriving_while_the_report_is_sent_is_in_the_figures_or_late(
    april_2nd, tree, rate, sent
):
    """Office A's March report is being built and e-mailed (the closing is written, not yet
    committed) when a kiosk delivers a March rating. The rating waits for the closing's
    transaction: after a send it is late (the sent figures do not hold it); after a failed
    send (rolled back) it is an ordinary March rating. Never neither."""
    results: dict = {}
    refused = pytest.raises(RuntimeError) if not sent else contextlib.nullcontext()
    with refused, transaction.atomic():
        close_month(MARCH, [tree.office_a], reason=ClosureReason.REPORT_SENT)
        thread = _record_in_thread(rate, tree.office_a, results)
        thread.join(timeout=1.0)
        assert thread.is_alive(), "the rating did not wait for the closing's transaction"
        if not sent:
            raise RuntimeError("the mail server refused the report")
    thread.join(timeout=10)
    assert not thread.is_alive()
    rating = Response.objects.get(pk=results["id"])
    assert rating.arrived_late is sent
    assert ClosedMonth.objects.filter(office=tree.office_a).exists() is sent


@pytest.mark.django_db(transaction=True)
def test_ratings_into_an_earlier_month_do_not_wait_for_each_other(april_2nd, tree, rate):
    with transaction.atomic():
        first = rate(
            tree.office_a, access=4, when=at(2026, 3, 30, 9, 0), received_at=at(2026, 4, 2)
        )
        results: dict = {}
        thread = _record_in_thread(rate, tree.office_b, results)
        thread.join(timeout=10)
        assert not thread.is_alive()  # the first rating's transaction is still open
    assert not Response.objects.get(pk=first.pk).arrived_late
    assert not Response.objects.get(pk=results["id"]).arrived_late
