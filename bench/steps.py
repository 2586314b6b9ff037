"""Benchmark steps that need Django: `python -m bench.steps NAME OUT.json` (bench.settings).

reports  — the monthly report of a ward, of Hà Nội (126 units) and of the whole country
           (page and data build); for Hà Nội, the roll-ups against a plain
           GROUP BY over the raw responses and answers giving the same numbers, and
           against the same numbers read from the daily roll-ups.
alerts   — the alert jobs at national scale: the minute job (rating-driven and kiosk rules)
           and the quarter-hour sweep (every rule), at the moment of the latest rating;
           the alerts they open are rolled back, the database is left as it was.
kiosks   — enrol kiosks through the product's own enrolment and write bench/out/kiosks.lua.
count    — how many responses are stored (to check the load test lost and doubled nothing).
national — put the provinces under one national root unit (a national report subject).
session  — a signed-in superuser's session cookie for report pages fetched over HTTP.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from common.months import Month, instant_window  # noqa: E402
from offices.models import AdministrativeUnit, Kiosk, Office  # noqa: E402
from reports.indices import (  # noqa: E402
    QuestionTally,
    monthly_summaries,
    summarise,
)
from reports.monthly import TREND_MONTHS, build_monthly_report  # noqa: E402
from reports.subjects import resolve_subject  # noqa: E402
from surveys.models import Response, SurveyItem  # noqa: E402

REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
# Report pages and their data take 50-200 ms, where one busy moment of this shared machine
# moves a median of three by a fifth: more runs for those (the slow queries keep REPEAT).
PAGE_REPEAT = int(os.environ.get("BENCH_PAGE_REPEAT", "7"))

# The same numbers as the report's 13-month trend, straight from the raw rows: valid
# scored answers per local month, question and score; valid and flagged ratings per month.
RAW_ANSWERS = """
SELECT date_trunc('month', (r.submitted_at AT TIME ZONE o.time_zone))::date AS month,
    q.id, q.code, q.kind, q.factor, q.text_vi, q.text_en, q.text_fa, a.score, count(*)
FROM surveys_answer a
JOIN surveys_response r ON r.id = a.response_id
JOIN offices_office o ON o.id = r.office_id
JOIN surveys_question q ON q.id = a.question_id
WHERE r.office_id = ANY(%(offices)s) AND r.submitted_at >= %(from)s AND r.submitted_at < %(to)s
    AND (r.submitted_at AT TIME ZONE o.time_zone)::date >= %(start)s
    AND (r.submitted_at AT TIME ZONE o.time_zone)::date < %(end)s
    AND NOT r.is_misuse AND a.score IS NOT NULL
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
"""
RAW_RATINGS = """
SELECT date_trunc('month', (r.submitted_at AT TIME ZONE o.time_zone))::date,
    count(*) FILTER (WHERE NOT r.is_misuse), count(*) FILTER (WHERE r.is_misuse)
FROM surveys_response r JOIN offices_office o ON o.id = r.office_id
WHERE r.office_id = ANY(%(offices)s) AND r.submitted_at >= %(from)s AND r.submitted_at < %(to)s
    AND (r.submitted_at AT TIME ZONE o.time_zone)::date >= %(start)s
    AND (r.submitted_at AT TIME ZONE o.time_zone)::date < %(end)s
GROUP BY 1
"""
# The same numbers from the daily roll-ups (the grain reports read before the monthly one).
DAILY_ANSWERS = """
SELECT date_trunc('month', d.day)::date, q.id, q.code, q.kind, q.factor, q.text_vi, q.text_en,
    q.text_fa, d.score, sum(d.count)
FROM surveys_answerrollup d JOIN surveys_question q ON q.id = d.question_id
WHERE d.office_id = ANY(%(offices)s) AND d.day >= %(start)s AND d.day < %(end)s
    AND d.score IS NOT NULL
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
"""
DAILY_RATINGS = """
SELECT date_trunc('month', day)::date, sum(valid), sum(flagged) FROM surveys_responserollup
WHERE office_id = ANY(%(offices)s) AND day >= %(start)s AND day < %(end)s GROUP BY 1
"""


def timed(function, repeat: int = REPEAT) -> tuple[float, object]:
    """Median wall time in ms of `repeat` runs after one warm-up run, and the last result."""
    result = function()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def summaries_from_sql(answers_sql: str, ratings_sql: str, params: dict, months: list[Month]):
    """[(month, SatisfactionSummary)] built by the reports' own summarise() from SQL rows."""
    tallies: dict = {}
    with connection.cursor() as cursor:
        cursor.execute(answers_sql, params)
        for month, qid, code, kind, factor, vi, en, fa, score, count in cursor.fetchall():
            by_question = tallies.setdefault(month, {})
            tally = by_question.get(qid) or by_question.setdefault(
                qid, QuestionTally(qid, code, kind, factor, {"vi": vi, "en": en, "fa": fa})
            )
            tally.add(score, int(count))
        cursor.execute(ratings_sql, params)
        counts = {month: (int(v), int(f)) for month, v, f in cursor.fetchall()}
    return [(m, summarise(tallies.get(m.start, {}), *counts.get(m.start, (0, 0)))) for m in months]


def reports(out: Path) -> None:
    month = Month.parse(os.environ["BENCH_REPORT_MONTH"], latest=Month(2100, 1))
    months = month.last(TREND_MONTHS)
    city = AdministrativeUnit.objects.get(code="01")
    user = bench_admin()
    subject = resolve_subject(user, "unit", city.pk)
    office_ids = list(subject.offices.values_list("pk", flat=True))
    start, end = months[0].start, months[-1].end
    window_from, window_to = instant_window(start, end)
    params = {"offices": office_ids, "start": start, "end": end}
    params.update({"from": window_from, "to": window_to})

    client = signed_in(Client(SERVER_NAME="127.0.0.1"), user)
    url = reverse("reports:report", kwargs={"kind": "unit", "pk": city.pk, "month": str(month)})

    def page():
        response = client.get(url)
        assert response.status_code == 200, response.status_code
        return len(response.content)

    # Every page measured here once before any is timed: the first pages a new process
    # serves pay for what it caches and what PostgreSQL reads into its buffers, and that
    # fell on whichever page came first (on 2026-12-08 the same Hà Nội page took 182 ms
    # timed first and 146 ms timed a few seconds later in the same process).
    units = scope_units()
    for _, unit in units:
        warm_url = reverse(
            "reports:report", kwargs={"kind": "unit", "pk": unit.pk, "month": str(month)}
        )
        assert client.get(warm_url).status_code == 200
    page_ms, page_bytes = timed(page, PAGE_REPEAT)
    data_ms, _ = timed(lambda: build_monthly_report(subject, month), PAGE_REPEAT)
    scopes = {name: scope_timings(client, user, unit, month) for name, unit in units}
    # As the report reads it: a unit's trend comes from the unit grain.
    rollup_ms, from_rollups = timed(
        lambda: monthly_summaries(subject.offices, months, units=subject.units)
    )
    raw_ms, from_raw = timed(lambda: summaries_from_sql(RAW_ANSWERS, RAW_RATINGS, params, months))
    # Only where django-survey-and-report is given the same answers (the small database).
    all_ms, national_n = every_answer(month) if os.environ.get("BENCH_EVERY_ANSWER") else (0, 0)
    daily_ms, from_daily = timed(
        lambda: summaries_from_sql(DAILY_ANSWERS, DAILY_RATINGS, params, months)
    )
    result = {
        "scopes": scopes,
        "report_month": str(month),
        "offices": len(office_ids),
        "page_ms": page_ms,
        "page_bytes": page_bytes,
        "report_data_ms": data_ms,
        "trend_rollup_ms": rollup_ms,
        "trend_raw_ms": raw_ms,
        "trend_daily_rollup_ms": daily_ms,
        "all_answers_rollup_ms": all_ms,
        "all_answers_valid_ratings": national_n,
        "raw_equals_rollup": from_raw == from_rollups,
        "daily_equals_rollup": from_daily == from_rollups,
        "ratings_in_window": sum(s.n + s.excluded for _, s in from_rollups),
        "ratings_in_month": from_rollups[-1][1].n + from_rollups[-1][1].excluded,
        **table_sizes(office_ids, start, end),
        "unit_rows_in_window": unit_rows(city.pk, start, end),
    }
    out.write_text(json.dumps(result, indent=2, default=str))


def scope_units() -> list[tuple[str, AdministrativeUnit]]:
    """A ward of Hà Nội, Hà Nội (unit 01), and the national root when there is one."""
    city = AdministrativeUnit.objects.get(code="01")
    ward = (
        AdministrativeUnit.objects.filter(path__startswith=city.path, depth=city.depth + 1)
        .filter(offices__isnull=False)
        .order_by("path")
        .first()
    )
    units = [("ward", ward), ("province", city)]
    nation = AdministrativeUnit.objects.filter(level="nation", depth=1).first()
    if nation is not None:
        units.append(("nation", nation))
    return units


def scope_timings(client, user, unit: AdministrativeUnit, month: Month) -> dict:
    """The monthly report page (HTTP through the test client) and its data alone."""
    subject = resolve_subject(user, "unit", unit.pk)
    url = reverse("reports:report", kwargs={"kind": "unit", "pk": unit.pk, "month": str(month)})

    def page():
        response = client.get(url)
        assert response.status_code == 200, response.status_code
        return len(response.content)

    page_ms, page_bytes = timed(page, PAGE_REPEAT)
    data_ms, report = timed(lambda: build_monthly_report(subject, month), PAGE_REPEAT)
    return {
        "unit": unit.name,
        "offices": subject.offices.count(),
        "units_below": AdministrativeUnit.objects.filter(
            path__startswith=unit.path, depth__gt=unit.depth
        ).count(),
        "page_ms": page_ms,
        "page_bytes": page_bytes,
        "data_ms": data_ms,
        "ratings_in_month": report.summary.n + report.summary.excluded,
    }


def national(out: Path) -> None:
    """Put the provinces under one national root (what a national deployment has), so the
    whole country is one report subject."""
    nation = AdministrativeUnit.objects.filter(code="VN").first()
    if nation is None:
        nation = AdministrativeUnit.add_root(code="VN", name="Việt Nam", level="nation")
    moved = 0
    for province in AdministrativeUnit.objects.filter(depth=1).exclude(pk=nation.pk):
        province.move(nation, "last-child")
        moved += 1
    out.write_text(json.dumps({"provinces_moved": moved}))


def bench_admin():
    """The benchmark's superuser, with a confirmed authenticator (production asks
    superusers for a second factor: offices/second_factor.py)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_superuser": True, "is_staff": True}
    )
    TOTPDevice.objects.get_or_create(user=user, name="bench", defaults={"confirmed": True})
    return user


def signed_in(client: Client, user) -> Client:
    """`client` logged in as `user` with the second factor given, as after the code page
    (django_otp keeps the verified device in the session)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user, name="bench").persistent_id
    session.save()
    return client


def session(out: Path) -> None:
    """A signed-in superuser's session cookie, for report pages fetched over HTTP."""
    client = signed_in(Client(), bench_admin())
    out.write_text(json.dumps({"sessionid": client.cookies["sessionid"].value}))


def every_answer(month: Month) -> tuple[float, int]:
    """The index of every office for every month generated (all stored answers: what
    django-survey-and-report's aggregation reads), by month as the trend does."""
    months = month.last(int(os.environ.get("BENCH_MONTHS", "24")))
    ms, summaries = timed(lambda: monthly_summaries(Office.objects.all(), months))
    return ms, sum(s.n for _, s in summaries)


def all_answers(out: Path) -> None:
    month = Month.parse(os.environ["BENCH_REPORT_MONTH"], latest=Month(2100, 1))
    ms, n = every_answer(month)
    out.write_text(json.dumps({"all_answers_rollup_ms": ms, "all_answers_valid_ratings": n}))


def unit_rows(unit_id: int, start, end) -> int:
    """Rows of the unit grain (answers) that the unit's trend reads."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM surveys_unitmonthlyanswerrollup WHERE unit_id = %s "
            "AND month >= %s AND month < %s",
            [unit_id, start, end],
        )
        return cursor.fetchone()[0]


def table_sizes(office_ids: list[int], start, end) -> dict:
    counts = {}
    with connection.cursor() as cursor:
        for table in ("surveys_response", "surveys_answer", "surveys_answerrollup"):
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 — fixed names
            counts[f"{table}_rows"] = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FROM surveys_answerrollup WHERE office_id = ANY(%s) "
            "AND day >= %s AND day < %s",
            [office_ids, start, end],
        )
        counts["rollup_rows_in_window"] = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FROM surveys_monthlyanswerrollup WHERE office_id = ANY(%s) "
            "AND month >= %s AND month < %s",
            [office_ids, start, end],
        )
        counts["monthly_rows_in_window"] = cursor.fetchone()[0]
        cursor.execute("SELECT pg_database_size(current_database())")
        counts["database_bytes"] = cursor.fetchone()[0]
    return counts


def kiosks(out: Path) -> None:
    """Enrol kiosks (at most BENCH_KIOSKS) and write their credentials for wrk.

    Enough kiosks that a saturated run sends ratings that count: at 400 ratings/s,
    8,000 kiosks each rate every 20 s, within a real kiosk's pace (surveys/misuse.py:
    8 s between fresh ratings, 4 live ones a minute), so none is flagged as misuse and
    skips the answer roll-ups, or costs the neighbour look-up a flagged one does.
    One transaction: a commit per kiosk made this step minutes long."""
    wanted = int(os.environ.get("BENCH_KIOSKS", "8000"))
    entries = []
    chosen = (
        Kiosk.objects.filter(desk__isnull=False, office__is_active=True)
        .select_related("office__unit", "desk")
        .order_by("pk")[:wanted]
    )
    items_by_version: dict[int, tuple[list[str], list[str]]] = {}
    question_ids: dict[int, list] = {}
    direct: list[dict] = []  # the same ratings for bench/direct.py (psycopg, no Django view)
    with transaction.atomic():
        _enrol_kiosks(chosen, items_by_version, question_ids, direct, entries)
    out.write_text("return {\n" + ",\n".join(entries) + "\n}\n")
    out.with_suffix(".json").write_text(json.dumps(direct))
    print(f"{len(entries)} kiosks enrolled")


def _enrol_kiosks(chosen, items_by_version, question_ids, direct, entries) -> None:
    from surveys.models import Survey

    versions: dict[int, object] = {}  # office id -> its kiosk survey's current version
    for kiosk in chosen:
        version = versions.get(kiosk.office_id)
        if version is None:
            version = Survey.objects.core_for(kiosk.office, "kiosk").current_version()
            versions[kiosk.office_id] = version
        if version.pk not in items_by_version:
            items = SurveyItem.objects.filter(version=version).select_related("question")
            items_by_version[version.pk] = (
                [i.question.code for i in items if i.question.kind == "scale5"],
                [i.question.code for i in items if i.question.kind == "yesno"],
            )
            question_ids[version.pk] = [
                [i.question_id, i.question.kind] for i in items if i.question.is_scored
            ]
        staff = kiosk.desk.staff.filter(is_active=True).order_by("pk").first()
        _, credential = Kiosk.enrol(kiosk.issue_enrolment_token())
        scale, yesno = items_by_version[version.pk]
        direct.append(
            {
                "kiosk": kiosk.pk,
                "office": kiosk.office_id,
                "desk": kiosk.desk_id,
                "staff": staff.pk,
                "version": version.pk,
                "questions": question_ids[version.pk],
            }
        )
        scale_codes = ",".join(json.dumps(c) for c in scale)
        yesno_codes = ",".join(json.dumps(c) for c in yesno)
        entries.append(
            f"{{credential={json.dumps(credential)}, version={version.pk}, desk={kiosk.desk_id}, "
            f"staff={staff.pk}, scale={{{scale_codes}}}, yesno={{{yesno_codes}}}}}"
        )


class _RollBack(Exception):
    pass


def alerts(out: Path) -> None:
    """Time `reports.alerts` on the whole database; nothing is kept (one rolled-back
    transaction) and no e-mail leaves (the in-memory backend)."""
    from datetime import timedelta

    from django.conf import settings
    from django.db import transaction
    from django.test.utils import CaptureQueriesContext

    from reports import alerts as rules

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    latest = Response.objects.order_by("-submitted_at").values_list("submitted_at", flat=True)[0]
    now = latest + timedelta(seconds=30)
    recent = Response.objects.filter(
        submitted_at__gte=now - rules.RECENT_LOOKBACK, submitted_at__lte=now
    )
    result = {
        "alerts_at": now.isoformat(),
        "alerts_offices": Office.objects.count(),
        "alerts_recent_offices": recent.values("office_id").distinct().count(),
        "alerts_recent_ratings": recent.count(),
        "alerts_load_before": os.getloadavg()[0],
    }
    try:
        with transaction.atomic():
            started = time.perf_counter()
            first = rules.evaluate_all(now)  # opens (and "e-mails") whatever holds now
            result["alerts_first_sweep_ms"] = (time.perf_counter() - started) * 1000
            result["alerts_opened"] = len(first.opened)
            result["alerts_recent_ms"], _ = timed(lambda: rules.evaluate_recent(now))
            with CaptureQueriesContext(connection) as queries:
                rules.evaluate_recent(now)
            result["alerts_recent_queries"] = len(queries)
            result["alerts_sweep_ms"], _ = timed(lambda: rules.evaluate_all(now), repeat=1)
            result["alerts_best_month_ms"], _ = timed(
                lambda: rules.evaluate_best_month(now, rules.Policies(), rules.Outcome()),
                repeat=1,
            )
            raise _RollBack
    except _RollBack:
        pass
    result["alerts_load_after"] = os.getloadavg()[0]
    out.write_text(json.dumps(result, indent=1))
    print(json.dumps(result))


def count(out: Path) -> None:
    out.write_text(
        json.dumps({"responses": Response.objects.count(), "offices": Office.objects.count()})
    )


if __name__ == "__main__":
    steps = {
        "reports": reports,
        "kiosks": kiosks,
        "count": count,
        "all": all_answers,
        "national": national,
        "session": session,
        "alerts": alerts,
    }
    steps[sys.argv[1]](Path(sys.argv[2]))
