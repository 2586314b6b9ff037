"""Alerts: every rule fires on hand-built data and not just below its threshold; an open
alert is never doubled; it resolves itself when the condition clears; it reaches the
office head and managers by e-mail (no citizen's words); managers acknowledge it."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

from offices.models import AuditEvent, Kiosk
from reports.alerts import (
    Outcome,
    Policies,
    evaluate_all,
    evaluate_best_month,
    evaluate_index_drop,
    evaluate_recent,
)
from reports.models import Alert, AlertRule, AlertSettings, AlertStatus
from suggestions.models import Suggestion
from surveys.models import MonthlyDeskResponseRollup, RefusedSubmission
from tests.factories import DeskFactory

pytestmark = pytest.mark.django_db
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 3, 17, 10, 0, tzinfo=HANOI)  # a Tuesday, offices open 07:30–17:00
LOW, GOOD = {"access": 1, "officials": 2}, {"access": 5, "officials": 4}


@pytest.fixture(autouse=True)
def locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def ratings(rate):
    """ratings(office, "LLGLL", end=NOW, **fields): one rating a minute, oldest first,
    L low and G good; the last at `end` minus 30 seconds."""

    def record(office, pattern, *, end=NOW, **fields):
        for i, kind in enumerate(reversed(pattern)):
            scores = LOW if kind == "L" else GOOD
            when = end - timedelta(seconds=30) - timedelta(minutes=i)
            rate(office, when=when, **scores, **fields)

    return record


def open_alerts(rule=None):
    alerts = Alert.objects.filter(status=AlertStatus.OPEN)
    return alerts.filter(rule=rule) if rule else alerts


def keys(rule) -> set[str]:
    return set(open_alerts(rule).values_list("subject_key", flat=True))


# --- Low ratings -------------------------------------------------------------------------


def test_five_low_ratings_in_a_row_open_an_alert_four_do_not(tree, ratings):
    ratings(tree.office_a, "GLLLLL")
    ratings(tree.office_b, "LGLLLL")  # four in a row, the fifth back was good
    evaluate_recent(NOW)
    assert keys(AlertRule.LOW_STREAK) == {f"office:{tree.office_a.pk}"}
    alert = open_alerts(AlertRule.LOW_STREAK).get()
    assert alert.detail == {"n": 5} and alert.office == tree.office_a
    assert AuditEvent.objects.filter(action="alert_opened", detail__alert=alert.pk).exists()


def test_a_low_streak_at_one_desk_is_alerted_for_the_desk(tree, ratings):
    ratings(tree.office_a, "LLLLL", desk=tree.desk_a)
    evaluate_recent(NOW)
    assert keys(AlertRule.LOW_STREAK) == {f"office:{tree.office_a.pk}", f"desk:{tree.desk_a.pk}"}
    assert open_alerts(AlertRule.LOW_STREAK).get(desk=tree.desk_a).office == tree.office_a


def test_forty_percent_low_among_the_last_twenty_opens_an_alert_35_do_not(tree, ratings):
    ratings(tree.office_a, "LGLGLGLGLGLGLGLGGGGG")  # 8 of 20, never two in a row
    ratings(tree.office_b, "LGLGLGLGLGLGLGGGGGGG")  # 7 of 20
    ratings(tree.office_c, "LGLGLGLGLGLGLGLG")  # 8 of 16: too few ratings yet
    evaluate_recent(NOW)
    assert keys(AlertRule.LOW_SHARE) == {f"office:{tree.office_a.pk}"}
    assert open_alerts(AlertRule.LOW_SHARE).get().detail == {"low": 8, "of": 20}
    assert not open_alerts(AlertRule.LOW_STREAK).exists()


def test_ratings_flagged_as_misuse_do_not_count(tree, rate):
    for i in range(5):
        rate(tree.office_a, when=NOW - timedelta(minutes=i + 1), misuse=True, **LOW)
    evaluate_recent(NOW)
    assert not open_alerts().exists()


def test_an_open_alert_is_never_doubled(tree, ratings):
    ratings(tree.office_a, "LLLLL")
    evaluate_recent(NOW)
    ratings(tree.office_a, "L", end=NOW + timedelta(minutes=1))
    evaluate_recent(NOW + timedelta(minutes=1))
    evaluate_all(NOW + timedelta(minutes=2))
    assert open_alerts(AlertRule.LOW_STREAK).count() == 1
    assert Alert.objects.filter(rule=AlertRule.LOW_STREAK).count() == 1


def test_the_streak_alert_resolves_itself_when_a_good_rating_breaks_it(tree, ratings):
    ratings(tree.office_a, "LLLLL")
    evaluate_recent(NOW)
    alert = open_alerts(AlertRule.LOW_STREAK).get()
    later = NOW + timedelta(minutes=3)
    ratings(tree.office_a, "G", end=later)
    evaluate_recent(later)
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED and alert.resolved_at == later
    assert AuditEvent.objects.filter(action="alert_resolved", detail__alert=alert.pk).exists()
    ratings(tree.office_a, "LLLLL", end=later + timedelta(minutes=10))
    evaluate_recent(later + timedelta(minutes=10))  # a new streak is a new alert
    assert Alert.objects.filter(rule=AlertRule.LOW_STREAK).count() == 2


def test_a_rating_raises_its_alert_at_the_next_minute_run(tree, ratings):
    assert settings.SCHEDULED_JOBS["alerts-minute"] == (
        "reports.tasks.evaluate_recent_alerts",
        "* * * * *",
    )
    ratings(tree.office_a, "LLLL", end=NOW - timedelta(minutes=30))  # older, already looked at
    evaluate_recent(NOW - timedelta(minutes=29))
    assert not open_alerts().exists()
    ratings(tree.office_a, "L", end=NOW)  # the fifth low rating, 30 s before the run
    evaluate_recent(NOW)
    assert keys(AlertRule.LOW_STREAK) == {f"office:{tree.office_a.pk}"}


def test_ratings_queued_offline_are_looked_at_when_they_arrive(tree, rate):
    three_hours_ago = NOW - timedelta(hours=3)
    for i in range(5):  # given three hours ago at a kiosk without network, sent just now
        when = three_hours_ago + timedelta(minutes=i)
        rate(tree.office_a, when=when, received_at=NOW - timedelta(seconds=20), **LOW)
    evaluate_recent(NOW)
    assert keys(AlertRule.LOW_STREAK) == {f"office:{tree.office_a.pk}"}


def test_the_minute_evaluation_costs_a_bounded_number_of_queries(
    tree, ratings, django_assert_max_num_queries
):
    for office in (tree.office_a, tree.office_b, tree.office_c):
        ratings(office, "GGGG", desk=None)
    evaluate_recent(NOW)
    # Fixed: Policies, the rated offices, one LATERAL for their latest ratings, their units,
    # the kiosks and refusals, and two per rule (open alerts to resolve, already open).
    with django_assert_max_num_queries(16):  # however many offices were rated
        evaluate_recent(NOW)


# --- Settings per unit, inherited ---------------------------------------------------------


def test_thresholds_are_inherited_down_the_tree_and_overridden_below(tree, ratings):
    AlertSettings.objects.create(unit=tree.city, low_streak=3)
    AlertSettings.objects.create(unit=tree.district_a, low_streak=0)  # off under Cầu Giấy
    for office in (tree.office_a, tree.office_b, tree.office_c):
        ratings(office, "GLLL")
    evaluate_recent(NOW)
    assert keys(AlertRule.LOW_STREAK) == {
        f"office:{tree.office_b.pk}",
        f"office:{tree.office_c.pk}",
    }
    policies = Policies()
    assert policies.for_path(tree.ward_c.path).low_streak == 3
    assert policies.for_path(tree.ward_c.path).low_window == settings.ALERTS["low_window"]
    assert policies.for_path(tree.ward_a.path).low_streak == 0


# --- The month's index ------------------------------------------------------------------------


def test_an_index_drop_beyond_the_interval_opens_an_alert_a_small_one_does_not(tree, rate):
    AlertSettings.objects.create(unit=tree.city, index_drop_min_n=12)
    february = datetime(2026, 2, 10, 9, 0, tzinfo=HANOI)
    for office in (tree.office_a, tree.office_b):
        for i in range(12):
            rate(office, when=february + timedelta(hours=i), access=5, officials=5)
    for i in range(12):  # A: mostly dissatisfied; B: one dissatisfied rating
        rate(tree.office_a, when=NOW - timedelta(hours=i + 1), **(LOW if i < 10 else GOOD))
        rate(tree.office_b, when=NOW - timedelta(hours=i + 1), **(LOW if i < 1 else GOOD))
    rate(tree.office_c, when=NOW - timedelta(hours=1), **LOW)  # no February to compare
    evaluate_all(NOW)
    assert keys(AlertRule.INDEX_DROP) == {f"office:{tree.office_a.pk}"}
    detail = open_alerts(AlertRule.INDEX_DROP).get().detail
    assert detail["month"] == "2026-03" and detail["previous"] == 1.0
    assert detail["ci"][1] < detail["previous_ci"][0]
    # Enough good ratings later in the month: the intervals overlap again → resolved.
    for i in range(60):
        rate(tree.office_a, when=NOW + timedelta(minutes=i + 1), **GOOD)
    evaluate_all(NOW + timedelta(hours=2))
    assert not open_alerts(AlertRule.INDEX_DROP).exists()


# --- Kiosks -----------------------------------------------------------------------------------


@pytest.fixture
def kiosk(tree):
    return Kiosk.objects.create(
        office=tree.office_a,
        name="Kiosk sảnh",
        credential_hash="x" * 64,
        enrolled_at=NOW - timedelta(days=30),
    )


def heard(kiosk, when, queue=None):
    Kiosk.objects.filter(pk=kiosk.pk).update(
        last_heard_at=when, last_seen_at=when, queue_length=queue, queue_reported_at=when
    )


def test_a_kiosk_silent_over_30_minutes_while_open_is_alerted_29_is_not(tree, kiosk):
    heard(kiosk, NOW - timedelta(minutes=29))
    evaluate_recent(NOW)
    assert not open_alerts(AlertRule.KIOSK_SILENT).exists()
    evaluate_recent(NOW + timedelta(minutes=2))  # now 31 minutes
    alert = open_alerts(AlertRule.KIOSK_SILENT).get()
    assert alert.kiosk == kiosk and alert.subject_key == f"kiosk:{kiosk.pk}"


def test_a_silent_kiosk_is_not_alerted_after_hours_and_resolves_when_heard(tree, kiosk):
    evening = datetime(2026, 3, 17, 19, 0, tzinfo=HANOI)
    heard(kiosk, evening - timedelta(hours=2))
    evaluate_recent(evening)
    assert not open_alerts(AlertRule.KIOSK_SILENT).exists()
    morning = datetime(2026, 3, 18, 8, 0, tzinfo=HANOI)
    evaluate_recent(morning)
    alert = open_alerts(AlertRule.KIOSK_SILENT).get()
    evaluate_recent(datetime(2026, 3, 18, 18, 0, tzinfo=HANOI))  # closed: left as it is
    alert.refresh_from_db()
    assert alert.is_open
    heard(kiosk, datetime(2026, 3, 19, 7, 55, tzinfo=HANOI))  # plugged in again
    evaluate_recent(datetime(2026, 3, 19, 8, 0, tzinfo=HANOI))
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED


def test_a_large_reported_queue_is_alerted_one_below_is_not(tree, kiosk):
    heard(kiosk, NOW, queue=settings.ALERTS["kiosk_queue_max"] - 1)
    evaluate_recent(NOW)
    assert not open_alerts(AlertRule.KIOSK_QUEUE).exists()
    heard(kiosk, NOW, queue=settings.ALERTS["kiosk_queue_max"])
    evaluate_recent(NOW)
    assert open_alerts(AlertRule.KIOSK_QUEUE).get().detail == {"queue": 50}
    heard(kiosk, NOW, queue=0)
    evaluate_recent(NOW)
    assert not open_alerts(AlertRule.KIOSK_QUEUE).exists()


def test_refused_ratings_of_the_last_day_are_alerted_older_ones_are_not(tree, kiosk):
    heard(kiosk, NOW)
    old = RefusedSubmission.objects.create(
        kiosk=kiosk, code="bad_version", refused_at=NOW - timedelta(hours=25)
    )
    evaluate_recent(NOW)
    assert not open_alerts(AlertRule.KIOSK_REFUSED).exists()
    RefusedSubmission.objects.create(
        kiosk=kiosk, code="bad_version", refused_at=NOW - timedelta(hours=1)
    )
    evaluate_recent(NOW)
    assert open_alerts(AlertRule.KIOSK_REFUSED).get().detail == {"refused": 1}
    assert old.pk


# --- Suggestions --------------------------------------------------------------------------------


def test_suggestions_past_their_deadline_are_alerted_fresh_ones_are_not(tree, alice):
    fresh = Suggestion(office=tree.office_b, category="other", text="Thêm ghế", created_at=NOW)
    fresh.save()
    late = Suggestion(
        office=tree.office_a, category="other", text="Thêm ghế", created_at=NOW - timedelta(days=7)
    )
    late.save()
    evaluate_all(NOW)
    assert keys(AlertRule.SUGGESTIONS_OVERDUE) == {f"office:{tree.office_a.pk}"}
    assert open_alerts(AlertRule.SUGGESTIONS_OVERDUE).get().detail == {"count": 1}
    late.add_reply(alice, "Đã bổ sung ghế chờ.")
    evaluate_all(NOW)
    assert not open_alerts(AlertRule.SUGGESTIONS_OVERDUE).exists()


# --- A desk's best month -------------------------------------------------------------------


def test_a_desks_best_month_is_a_positive_alert(tree, rate):
    AlertSettings.objects.create(unit=tree.city, best_month_min_n=4)
    for month, good in ((11, 2), (12, 3), (1, 2), (2, 3), (3, 4)):  # of 4 ratings each
        year = 2025 if month > 6 else 2026
        for i in range(4):
            scores = GOOD if i < good else LOW
            when = datetime(year, month, 10, 9, i, tzinfo=HANOI)
            rate(tree.office_a, when=when, desk=tree.desk_a, **scores)
    april = datetime(2026, 4, 2, 9, 0, tzinfo=HANOI)
    evaluate_best_month(april, Policies(), Outcome())
    alert = open_alerts(AlertRule.BEST_MONTH).get()
    assert alert.desk == tree.desk_a and alert.is_positive
    assert alert.detail["month"] == "2026-03" and alert.detail["index"] == 1.0
    # February was not its best (it tied December): nothing for February.
    evaluate_best_month(datetime(2026, 3, 2, 9, 0, tzinfo=HANOI), Policies(), Outcome())
    assert keys(AlertRule.BEST_MONTH) == set()  # and March's was resolved: a new month


def test_a_month_equal_to_an_earlier_one_is_not_a_best_month(tree, rate):
    AlertSettings.objects.create(unit=tree.city, best_month_min_n=2)
    for month in (12, 1, 2, 3):
        year = 2025 if month == 12 else 2026
        for i in range(2):
            rate(
                tree.office_a,
                when=datetime(year, month, 5, 9, i, tzinfo=HANOI),
                desk=tree.desk_a,
                **GOOD,
            )
    evaluate_best_month(datetime(2026, 4, 2, 9, 0, tzinfo=HANOI), Policies(), Outcome())
    assert not open_alerts(AlertRule.BEST_MONTH).exists()


def test_a_thin_month_does_not_set_the_bar_and_too_few_full_ones_give_no_best_month(tree, rate):
    """Months with fewer ratings than the floor neither count as history nor set the bar:
    desk A's one perfect rating of December is not the best to beat; desk B, with only two
    earlier months above the floor, has no best month at all."""
    AlertSettings.objects.create(unit=tree.city, best_month_min_n=3)
    april = datetime(2026, 4, 2, 9, 0, tzinfo=HANOI)

    def month(desk, year, number, good, of):
        for i in range(of):
            when = datetime(year, number, 10, 9, i, tzinfo=HANOI)
            rate(tree.office_a, when=when, desk=desk, **(GOOD if i < good else LOW))

    month(tree.desk_a, 2025, 12, 1, 1)  # thin: one rating, index 1.0
    for number in (1, 2, 11):
        month(tree.desk_a, 2025 + (number < 6), number, 1, 3)
    month(tree.desk_a, 2026, 3, 2, 3)
    desk_b = DeskFactory(office=tree.office_a, number="02")
    month(desk_b, 2026, 1, 1, 3)
    month(desk_b, 2026, 2, 1, 3)
    month(desk_b, 2026, 3, 3, 3)
    evaluate_best_month(april, Policies(), Outcome())
    alert = open_alerts(AlertRule.BEST_MONTH).get()
    assert alert.desk == tree.desk_a and alert.detail["n"] == 3
    assert alert.detail["previous_best"] < alert.detail["index"] < 1.0


def test_best_months_read_no_answers_when_no_desk_has_enough_ratings(tree, rate):
    """The rule counts first: below the floor everywhere, no answer roll-up is read."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    AlertSettings.objects.create(unit=tree.city, best_month_min_n=5)
    for number in (11, 12, 1, 2, 3):
        for i in range(4):
            when = datetime(2025 + (number < 6), number, 10, 9, i, tzinfo=HANOI)
            rate(tree.office_a, when=when, desk=tree.desk_a, **GOOD)
    with CaptureQueriesContext(connection) as queries:
        evaluate_best_month(datetime(2026, 4, 2, 9, 0, tzinfo=HANOI), Policies(), Outcome())
    assert not open_alerts(AlertRule.BEST_MONTH).exists()
    read = " ".join(q["sql"] for q in queries.captured_queries)
    assert MonthlyDeskResponseRollup._meta.db_table in read and "answerrollup" not in read


# --- The e-mail ----------------------------------------------------------------------------


def test_the_email_reaches_the_office_head_and_managers_links_to_the_alert_without_comments(
    tree, rate, alice, bob, dora, carol
):
    tree.office_a.head_email = "truong@nghiatan.example.vn"
    tree.office_a.save()
    for i in range(5):
        rate(
            tree.office_a,
            when=NOW - timedelta(minutes=i + 1),
            comment="Cán bộ Lan quát tháo",
            **LOW,
        )
    evaluate_recent(NOW)
    (message,) = mail.outbox
    alert = open_alerts(AlertRule.LOW_STREAK).get()
    assert message.to == ["truong@nghiatan.example.vn", "alice@example.vn"]  # not dora, carol, bob
    assert f"{settings.SITE_URL}/alerts/{alert.pk}/" in message.body
    assert "quát tháo" not in message.body and "quát tháo" not in message.subject
    assert "Nghĩa Tân" in message.subject
    alert.refresh_from_db()
    assert alert.notified_at == NOW
    evaluate_recent(NOW + timedelta(minutes=1))
    assert len(mail.outbox) == 1  # e-mailed once


def test_a_failed_alert_email_is_retried_at_the_next_run(tree, ratings, alice, settings):
    from tests.mail_backends import RefusingBackend

    settings.EMAIL_BACKEND = "tests.mail_backends.RefusingBackend"
    RefusingBackend.FAILURES, RefusingBackend.refused = 1, 0
    ratings(tree.office_a, "LLLLL")
    evaluate_recent(NOW)
    alert = open_alerts().get()
    assert alert.notified_at is None and "SMTPServerDisconnected" in alert.notify_error
    evaluate_recent(NOW + timedelta(minutes=1))
    alert.refresh_from_db()
    assert alert.notified_at and alert.notify_attempts == 2
    assert [m.to for m in mail.outbox] == [["alice@example.vn"]]


# --- Pages: the list, the count, acknowledging ----------------------------------------------------


@pytest.fixture
def streak_alert(tree, ratings):
    ratings(tree.office_a, "LLLLL")
    evaluate_recent(NOW)
    return open_alerts(AlertRule.LOW_STREAK).get()


def test_the_navigation_counts_open_alerts_in_scope(client_for, alice, bob, streak_alert):
    page = client_for(alice).get("/offices/").content.decode()
    assert 'id="nav-alert-count"' in page and ">1</span>" in page
    page = client_for(bob).get("/offices/").content.decode()
    assert 'id="nav-alert-count"' not in page


def test_the_alert_list_per_unit_is_scoped(client_for, alice, bob, dora, streak_alert, tree):
    page = client_for(dora).get(f"/alerts/?unit={tree.district_a.pk}")
    assert page.status_code == 200
    assert "Một cửa Nghĩa Tân" in page.content.decode()
    assert "The last 5 ratings at Một cửa Nghĩa Tân were all at 1–2." in page.content.decode()
    assert client_for(bob).get(f"/alerts/?unit={tree.ward_a.pk}").status_code == 404
    assert client_for(bob).get(f"/alerts/?office={tree.office_a.pk}").status_code == 404
    assert "Một cửa Nghĩa Tân" not in client_for(bob).get("/alerts/").content.decode()
    assert client_for(bob).get(f"/alerts/{streak_alert.pk}/").status_code == 404
    assert client_for(alice).get("/alerts/?unit=abc").status_code == 400


def test_a_viewer_cannot_acknowledge_a_manager_can_with_a_comment(
    client_for, alice, dora, streak_alert
):
    url = reverse("alerts:acknowledge", kwargs={"pk": streak_alert.pk})
    detail = client_for(dora).get(f"/alerts/{streak_alert.pk}/").content.decode()
    assert "The last 5 ratings" in detail and 'name="comment"' not in detail
    assert client_for(dora).post(url, {"comment": "Đã xem"}).status_code == 403
    streak_alert.refresh_from_db()
    assert streak_alert.acknowledged_at is None
    assert client_for(alice).post(url, {"comment": "   "}).status_code == 400
    response = client_for(alice).post(url, {"comment": "Đã nhắc nhở cán bộ quầy 01."})
    assert response.status_code == 302
    streak_alert.refresh_from_db()
    assert streak_alert.acknowledged_by == alice and streak_alert.is_open
    assert streak_alert.acknowledgement == "Đã nhắc nhở cán bộ quầy 01."
    event = AuditEvent.objects.get(action="alert_acknowledged")
    assert event.user == alice and event.detail["alert"] == streak_alert.pk
    page = client_for(alice).get(f"/alerts/{streak_alert.pk}/").content.decode()
    assert "Đã nhắc nhở cán bộ quầy 01." in page and "Acknowledged by alice" in page
    assert 'id="nav-alert-count"' not in page  # acknowledged: no longer counted


def test_the_index_rule_costs_the_same_few_queries_however_many_offices_are_rated(
    tree, rate, django_assert_num_queries
):
    AlertSettings.objects.create(unit=tree.city, index_drop_min_n=2)
    february = datetime(2026, 2, 10, 9, 0, tzinfo=HANOI)

    def rate_months(office):
        for i in range(2):
            rate(office, when=february + timedelta(hours=i), access=5, officials=5)
            rate(office, when=NOW - timedelta(hours=i + 1), **GOOD)

    def evaluate():
        evaluate_index_drop(NOW, Policies(), Outcome())

    rate_months(tree.office_a)
    # Policies; the active offices and their units; their office-month rating counts; the
    # scored answers of those with enough ratings in both months; their questions; and the
    # open alerts to resolve (no finding here, so no "already open" query nor insert).
    with django_assert_num_queries(6):
        evaluate()
    rate_months(tree.office_b)
    rate_months(tree.office_c)
    with django_assert_num_queries(6):
        evaluate()
    assert not open_alerts(AlertRule.INDEX_DROP).exists()
