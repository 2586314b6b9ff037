"""Whole-month reports read the monthly grains, never the daily one, and get the same
numbers as the daily grain would give."""

import re
from datetime import date, datetime

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import F
from django.db.models.functions import TruncMonth
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from common.months import Month
from reports import indices
from tests.reports.conftest import HANOI

pytestmark = pytest.mark.django_db
MONTH = Month(2026, 3)
DAILY_TABLES = re.compile(r'"?\bsurveys_(answerrollup|responserollup)\b"?')


@pytest.fixture(autouse=True)
def _language_restored():
    """Pages activate the request's language in this thread; later tests expect the default."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def rated(tree, rate):
    """Ratings at ward A over two desks, with and without an officer, at several hours
    and days of March, one flagged as misuse; one at ward B; one in April."""
    from tests.factories import DeskFactory

    other_desk = DeskFactory(office=tree.office_a, number="02", name="Đất đai")
    for day, hour, score, desk, staff in [
        (2, 8, 5, tree.desk_a, tree.staff_a),
        (2, 8, 4, tree.desk_a, tree.staff_a),
        (3, 14, 2, tree.desk_a, None),
        (9, 10, 4, other_desk, None),
        (31, 23, 1, None, None),
    ]:
        rate(
            tree.office_a,
            when=datetime(2026, 3, day, hour, 15, tzinfo=HANOI),
            access=score,
            officials=score,
            greet=1 if score > 2 else 0,
            reasons=["slow", "rude"] if score <= 2 else [],
            desk=desk,
            staff=staff,
        )
    rate(tree.office_a, access=1, misuse=True, desk=tree.desk_a, staff=tree.staff_a)
    rate(tree.office_b, access=3, when=datetime(2026, 3, 20, 9, 0, tzinfo=HANOI))
    rate(tree.office_a, access=5, desk=tree.desk_a, when=datetime(2026, 4, 1, 0, 30, tzinfo=HANOI))
    return tree


def _report_urls(tree):
    def url(name, kind, obj, fmt=None):
        kwargs = {"kind": kind, "pk": obj.pk, "month": str(MONTH)}
        return reverse(f"reports:{name}", kwargs={**kwargs, **({"fmt": fmt} if fmt else {})})

    return [
        reverse("reports:dashboard"),
        url("report", "unit", tree.city),
        url("report", "unit", tree.district_a),
        url("report", "unit", tree.ward_a),
        url("report", "office", tree.office_a),
        url("report", "desk", tree.desk_a),
        url("report", "staff", tree.staff_a),
        url("export_tables", "unit", tree.ward_a, "csv"),
        url("export_tables", "office", tree.office_a, "xlsx"),
        url("export_pdf", "unit", tree.ward_a),
    ]


def test_whole_month_report_pages_read_no_daily_rollup(client_for, carol, rated):
    client = client_for(carol)
    for url in _report_urls(rated):
        with CaptureQueriesContext(connection) as queries:
            page = client.get(url)
        assert page.status_code == 200, url
        daily = [q["sql"] for q in queries if DAILY_TABLES.search(q["sql"])]
        assert daily == [], url
        tables = " ".join(q["sql"] for q in queries)
        monthly = ("surveys_monthlyanswerrollup", "monthlydesk", "surveys_unitmonthlyanswer")
        assert any(grain in tables for grain in monthly), url


def test_desk_report_shows_the_desk_figures_from_the_monthly_grain(
    client_for, carol, rated, settings
):
    # Desk A's ratings credit Lan alone: below the staff minimum its figures would be
    # withheld (tests/reports/test_staff_anonymity.py); here the grain is under test.
    settings.SURVEY = {**settings.SURVEY, "STAFF_MIN_N": 1}
    report = client_for(carol).get(_report_urls(rated)[5]).context["report"]
    # Desk A in March: three valid ratings (5, 4, 2); the misuse one is excluded.
    assert (report.summary.n, report.summary.excluded) == (3, 1)
    assert sum(report.heat.values()) == 3
    assert report.heat[(1, 8)] == 2 and report.heat[(2, 14)] == 1  # Mon 2, Tue 3 March


def test_an_unaligned_period_still_reads_the_daily_grain(rated):
    with CaptureQueriesContext(connection) as queries:
        counts = indices.weekday_hour_counts(
            [rated.office_a.pk], date(2026, 3, 2), date(2026, 3, 3)
        )
    assert counts == {(1, 8): 2}
    assert any(DAILY_TABLES.search(q["sql"]) for q in queries)


def _daily(monkeypatch):
    monkeypatch.setattr(indices, "_grain", lambda *args: "daily")


@pytest.mark.parametrize(
    "group",
    [
        None,
        {"desk": F("desk_id")},
        {"staff": F("staff_id")},
        {"field": F("desk__procedure_fields")},
        {"office": F("office_id"), "month": TruncMonth("day")},
    ],
)
@pytest.mark.parametrize("subject", ["offices", "desk", "staff"])
def test_monthly_grains_give_the_numbers_of_the_daily_grain(rated, monkeypatch, group, subject):
    from django.db.models import Q

    from offices.models import ProcedureField

    for code in ("civil", "land"):
        ProcedureField.objects.create(code=code, name=code).desks.add(rated.desk_a)
    where = {"offices": None, "desk": Q(desk_id=rated.desk_a.pk), "staff": Q(staff_id=None)}
    offices = [rated.office_a.pk, rated.office_b.pk]
    args = (offices, MONTH.start, MONTH.minus(-1).end)  # March and April

    def figures():
        return (
            indices.grouped_summaries(*args, where=where[subject], group=group),
            indices.top_reasons(*args, where=where[subject]),
            indices.weekday_hour_counts(*args, where=where[subject]),
        )

    monthly = figures()
    assert monthly[0]
    _daily(monkeypatch)
    assert figures() == monthly


# Filler rows for the planner, as a large deployment looks to it: 400 offices, and 4,000
# of their desks over 6 months in the desk grain, a row each (ids from F + 1 on, clear of
# anything a factory makes). The test deletes them before it ends, when Django checks
# the deferred foreign keys they break.
F = 1_000_000
_FILLER_OFFICES = """
    INSERT INTO offices_office (id, name, address, time_zone, opens_at, closes_at, head_email,
        public_board, is_active, unit_id, open_days, transparency_board)
    SELECT 1000000 + n, 'filler', '', 'Asia/Ho_Chi_Minh', '07:30', '17:00', '', false, true,
        1000000, '12345', false
    FROM generate_series(1, 400) n"""
_FILLER = {
    "response": """
        INSERT INTO surveys_monthlydeskresponserollup (month, office_id, desk_id, valid, flagged)
        SELECT DATE '2026-01-01' + n / 4000 * 31, 1000001 + n % 400, 1000001 + n % 4000, 1, 0
        FROM generate_series(0, 23999) n""",
    "answer": """
        INSERT INTO surveys_monthlydeskanswerrollup
            (month, office_id, desk_id, question_id, score, count)
        SELECT DATE '2026-01-01' + n / 4000 * 31, 1000001 + n % 400, 1000001 + n % 4000, 1, 3, 1
        FROM generate_series(0, 23999) n""",
}


@pytest.mark.django_db
@pytest.mark.parametrize("rows", ["_FIELD_RESPONSES", "_FIELD_ANSWERS"])
def test_a_desk_field_change_finds_the_desks_rows_by_index(rows):
    """What `regroup_desk_fields` sums, under a lock that holds up ratings, is found through
    the desk grain's index on desk: with many offices and desks in the tables and fresh
    statistics, the planner reads two desks' rows by that index, not the whole table nor
    every office's part of it. (On nearly empty tables its choice is a coin toss, so the
    test fills them first.)"""
    from surveys import models as surveys_models

    kind = "response" if rows == "_FIELD_RESPONSES" else "answer"
    sql = surveys_models._FIELD_DELTA + getattr(surveys_models, rows)
    with connection.cursor() as cursor:
        cursor.execute(_FILLER_OFFICES)
        cursor.execute(_FILLER[kind])
        cursor.execute(f"ANALYZE offices_office, surveys_monthlydesk{kind}rollup")
        cursor.execute("EXPLAIN " + sql, {"desks": [F + 1, F + 2], "fields": [3, 3]})
        plan = "\n".join(line for (line,) in cursor.fetchall())
        cursor.execute(f"DELETE FROM surveys_monthlydesk{kind}rollup WHERE office_id > %s", [F])  # noqa: S608
        cursor.execute("DELETE FROM offices_office WHERE id > %s", [F])
    assert re.search(
        rf"(Bitmap )?Index (Only )?Scan (using|on) monthly_desk_{kind}_by_desk", plan
    ), plan
    assert f"Seq Scan on surveys_monthlydesk{kind}rollup" not in plan, plan
