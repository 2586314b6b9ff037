"""Fill the database with realistic synthetic ratings, fast, for benchmarks at national scale.

    .venv/bin/python bench/generate_ratings.py --offices 3321 --months 12 --ratings 1000000 --seed 7

(a benchmark tool, not part of the product: bench/run.py calls it; tests import `Command`)

What it makes:

* the office tree: one one-stop office per commune-level unit of the national CSV
  (Hà Nội first, in file order), or synthetic communes when --offices exceeds them;
  desks, staff and one kiosk per desk for offices that have none;
* a short SIPAS-style kiosk survey (one scale question per factor, a yes/no conduct
  question, a reasons question for low scores and a comment) wherever no active
  kiosk survey applies yet;
* R ratings over the M months ending with --end-month: busier offices in cities and
  wards, adoption growing over time, weekdays only, a time-of-day profile inside each
  office's opening hours (morning peak, lunch dip), a quality level per office and per
  officer, a few unhappy citizens who give reasons, and some misuse bursts (an officer
  pressing "very satisfied" every few seconds), stored flagged;
* the roll-ups, from the same rows, with set-based SQL (INSERT … SELECT … GROUP BY …
  ON CONFLICT DO UPDATE): exactly the increments `Response.objects.record()` makes.

Rows are produced inside PostgreSQL (generate_series and random(), seeded), one chunk
per month and half of the offices, in --jobs parallel sessions; each chunk commits.
For a large load the secondary indexes of the four big tables are dropped first and
rebuilt after, and the tables are analysed. Data is never generated in production.
"""

from __future__ import annotations

import math
import os
import random
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import django

if __name__ == "__main__":  # run as a script: set Django up before the app imports below
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()

from django.conf import settings  # noqa: E402
from django.core.management.base import BaseCommand, CommandError  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402

from offices.importing import ImportError_, import_units, read_rows  # noqa: E402
from offices.models import AdministrativeUnit, Desk, Kiosk, Office, StaffMember  # noqa: E402
from surveys.misuse import note_latest_given  # noqa: E402
from surveys.models import (  # noqa: E402
    Choice,
    Factor,
    Question,
    QuestionKind,
    Survey,
    SurveyItem,
    SurveyVersion,
    Variant,
    rebuild_unit_grain,
)

DEFAULT_UNITS = settings.BASE_DIR.parent / "shared" / "data" / "vn-admin-units-2025.csv"
BIG_TABLES = (
    "surveys_response",
    "surveys_answer",
    "surveys_answerrollup",
    "surveys_responserollup",
)
# Drop and rebuild secondary indexes when a load adds at least this many ratings and at
# least as many as the table holds (rebuilding once beats maintaining them row by row).
DROP_INDEXES_FROM = 200_000
GENERATED_SURVEYS_PUBLISHED = datetime(2000, 1, 1, tzinfo=UTC)

DESK_NAMES = [
    "Tư pháp - Hộ tịch",
    "Đất đai - Xây dựng",
    "Đăng ký kinh doanh",
    "Lao động - Thương binh và Xã hội",
    "Văn hoá - Xã hội",
    "Tiếp nhận tổng hợp",
]
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô"]
MIDDLE = ["Thị", "Văn", "Minh", "Thu", "Đức", "Ngọc", "Quang", "Thanh"]
GIVEN = ["Lan", "Hùng", "Mai", "Tuấn", "Hương", "Dũng", "Linh", "Nam", "Hà", "Phương", "Sơn"]
COMMENTS = [
    "Cán bộ nhiệt tình, hướng dẫn rõ ràng.",
    "Phải chờ lâu quá.",
    "Cảm ơn cán bộ đã hỗ trợ.",
    "Nên có thêm ghế chờ.",
    "Thủ tục nhanh gọn.",
]
# Share of ratings per local clock hour (7 means 07:00–07:59), stretched onto each
# office's own opening hours: a morning peak, a lunch dip, a smaller afternoon peak.
HOUR_PROFILE = {7: 3, 8: 14, 9: 17, 10: 15, 11: 8, 12: 2, 13: 7, 14: 13, 15: 12, 16: 9}
FACTOR_OFFSET = {
    Factor.ACCESS: 0.15,
    Factor.PROCEDURES: -0.15,
    Factor.OFFICIALS: 0.05,
    Factor.RESULTS: 0.0,
    Factor.FEEDBACK: -0.35,
}
BIG_CITIES = {"01": 2.5, "79": 2.5, "48": 1.6, "31": 1.6, "92": 1.4}  # HN, HCMC, ĐN, HP, CT
LEVEL_WEIGHT = {"ward": 2.0, "commune": 1.0, "special_zone": 0.5}


@dataclass
class OfficeInfo:
    office_id: int
    province: str
    level: str
    version_id: int
    staff: list[tuple[int, int, int | None]]  # (staff id, desk id, kiosk id)


class Command(BaseCommand):
    help = "Generate realistic synthetic offices and ratings fast (benchmarks; never production)."

    def add_arguments(self, parser):
        parser.add_argument("--offices", type=int, default=3321, help="Offices (one per unit).")
        parser.add_argument("--months", type=int, default=12, help="Months of ratings.")
        parser.add_argument("--ratings", type=int, default=100_000, help="Ratings in total.")
        parser.add_argument("--seed", type=int, default=2025)
        parser.add_argument(
            "--end-month", default="", help="Last month generated, YYYY-MM (default: last month)."
        )
        parser.add_argument("--units", default=str(DEFAULT_UNITS), help="Units CSV.")
        parser.add_argument("--jobs", type=int, default=2, help="Parallel database sessions.")
        parser.add_argument(
            "--drop-indexes",
            choices=["auto", "yes", "no"],
            default="auto",
            help="Drop secondary indexes during the load and rebuild them after.",
        )

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("generate_ratings writes fake ratings: refused in production.")
        for name in ("offices", "months", "jobs"):
            if options[name] < 1:
                raise CommandError(f"--{name} must be at least 1.")
        if options["ratings"] < 0:
            raise CommandError("--ratings cannot be negative.")
        rng = random.Random(options["seed"])
        started = time.monotonic()
        units = self.ensure_units(Path(options["units"]), options["offices"])
        offices = ensure_offices(units, rng)
        versions = ensure_surveys(offices)
        infos = office_infos(offices, versions)
        months = month_starts(options["end_month"], options["months"])
        plan = build_plan(infos, months, options["ratings"], rng)
        self.log(f"{len(infos)} offices ready in {time.monotonic() - started:.1f} s")
        loaded = time.monotonic()
        with bulk_load(options["drop_indexes"], options["ratings"], months, self.log) as load:
            generate(infos, plan, options["seed"], options["jobs"], load.fresh, self.log)
        summed = time.monotonic()
        rebuild_unit_grain()  # the unit grain: the office-month grain summed up the tree
        self.log(f"unit grain summed in {time.monotonic() - summed:.1f} s")
        # What every loader that stores kiosk ratings without the kiosk API owes the kiosk
        # rows (surveys/misuse.py): the latest time given among their ratings. Without it
        # each kiosk's first API rating looks for a neighbour in the index of 10 M ratings,
        # which a kiosk in service never does again after its first rating.
        noted = time.monotonic()
        note_latest_given()
        self.log(f"kiosks' latest rating times noted in {time.monotonic() - noted:.1f} s")
        self.log(
            f"{options['ratings']} ratings over {len(months)} months in "
            f"{time.monotonic() - loaded:.1f} s (total {time.monotonic() - started:.1f} s)"
        )

    def log(self, message: str) -> None:
        self.stdout.write(message)
        self.stdout.flush()

    def ensure_units(self, path: Path, wanted: int) -> list[AdministrativeUnit]:
        """The first `wanted` commune-level units of the file (plus synthetic ones)."""
        try:
            with path.open(encoding="utf-8", newline="") as lines:
                rows = read_rows(lines)
        except (OSError, ImportError_) as exc:
            raise CommandError(f"Cannot read units from {path}: {exc}") from exc
        provinces = [r for r in rows if not r.parent_code]
        communes = [r for r in rows if r.parent_code]
        chosen = communes[:wanted]
        for i in range(wanted - len(chosen)):
            parent = provinces[i % len(provinces)]
            chosen.append(
                type(parent)(0, f"SYN{i + 1:05d}", f"Xã Tổng hợp {i + 1}", "commune", parent.code)
            )
        parent_codes = {r.parent_code for r in chosen}
        needed = [r for r in provinces if r.code in parent_codes] + chosen
        existing = set(AdministrativeUnit.objects.values_list("code", flat=True))
        missing = [r for r in needed if r.code not in existing]
        if missing and not existing:
            bulk_create_tree(missing)
        elif missing:
            import_units(missing)
        by_code = AdministrativeUnit.objects.in_bulk([r.code for r in chosen], field_name="code")
        return [by_code[r.code] for r in chosen]


def bulk_create_tree(rows) -> None:
    """Create a two-level tree into an empty table, computing treebeard paths directly."""
    roots = [r for r in rows if not r.parent_code]
    children = defaultdict(list)
    for row in rows:
        if row.parent_code:
            children[row.parent_code].append(row)
    units = []
    for i, root in enumerate(roots, start=1):
        path = AdministrativeUnit._get_path(None, 1, i)
        kids = children[root.code]
        units.append(
            AdministrativeUnit(
                code=root.code,
                name=root.name,
                level=root.level,
                path=path,
                depth=1,
                numchild=len(kids),
            )
        )
        units.extend(
            AdministrativeUnit(
                code=kid.code,
                name=kid.name,
                level=kid.level,
                depth=2,
                numchild=0,
                path=AdministrativeUnit._get_path(path, 2, j),
            )
            for j, kid in enumerate(kids, start=1)
        )
    AdministrativeUnit.objects.bulk_create(units, batch_size=2000)


def ensure_offices(units: list[AdministrativeUnit], rng: random.Random) -> list[Office]:
    """One office per unit (an existing one is reused), each with desks, staff and kiosks."""
    first_office = {}
    for office in Office.objects.filter(unit__in=units).select_related("unit").order_by("pk"):
        first_office.setdefault(office.unit_id, office)
    new = [
        Office(unit=u, name=f"Bộ phận một cửa {u.name}"[:200])
        for u in units
        if u.pk not in first_office
    ]
    for office in Office.objects.bulk_create(new, batch_size=2000):
        first_office[office.unit_id] = office
    offices = [first_office[u.pk] for u in units]
    with_desks = set(Desk.objects.filter(office__in=offices).values_list("office_id", flat=True))
    desks = []
    for office in offices:
        if office.pk not in with_desks:
            count = 2 + (office.unit.level == "ward") + rng.randrange(3)
            desks += [
                Desk(office=office, number=f"{n + 1:02d}", name=DESK_NAMES[n % len(DESK_NAMES)])
                for n in range(count)
            ]
    Desk.objects.bulk_create(desks, batch_size=5000)
    staffed = set(
        StaffMember.objects.filter(office__in=offices).values_list("office_id", flat=True)
    )
    with_kiosks = set(Kiosk.objects.filter(office__in=offices).values_list("office_id", flat=True))
    staff, kiosks = [], []
    for desk in Desk.objects.filter(office__in=offices).order_by("pk"):
        if desk.office_id not in staffed:
            staff += [
                StaffMember(
                    office_id=desk.office_id,
                    desk=desk,
                    full_name=f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}",
                    title="Công chức",
                )
                for _ in range(1 + (rng.random() < 0.4))
            ]
        if desk.office_id not in with_kiosks:
            kiosks.append(Kiosk(office_id=desk.office_id, desk=desk, name=f"Kiosk {desk.number}"))
    StaffMember.objects.bulk_create(staff, batch_size=5000)
    Kiosk.objects.bulk_create(kiosks, batch_size=5000)
    return offices


def _question(code, kind, factor, vi, en, fa, reasons=None) -> Question:
    question, _ = Question.objects.get_or_create(
        code=code,
        defaults={
            "kind": kind,
            "factor": factor,
            "text_vi": vi,
            "text_en": en,
            "text_fa": fa,
            "reasons": reasons,
        },
    )
    return question


def generated_questions() -> list[Question]:
    """A short SIPAS-style kiosk questionnaire (created once, found by code after)."""
    reasons = _question(
        "gen-low-reasons",
        QuestionKind.MULTI,
        "",
        "Điều gì chưa tốt?",
        "What went wrong?",
        "چه چیزی خوب نبود؟",
    )
    for position, (code, vi, en) in enumerate(
        [
            ("slow", "Phải chờ lâu", "Long wait"),
            ("unclear", "Hướng dẫn chưa rõ", "Unclear guidance"),
            ("papers", "Yêu cầu thêm giấy tờ", "Extra documents asked"),
            ("attitude", "Thái độ chưa tốt", "Poor attitude"),
            ("crowded", "Nơi chờ chật chội", "Crowded waiting area"),
        ]
    ):
        Choice.objects.get_or_create(
            question=reasons,
            code=code,
            defaults={"text_vi": vi, "text_en": en, "position": position},
        )
    scale = [
        ("gen-access", Factor.ACCESS, "Nơi làm thủ tục thuận tiện?", "Was the office convenient?"),
        (
            "gen-procedures",
            Factor.PROCEDURES,
            "Thủ tục công khai, đúng quy định?",
            "Were procedures clear and as published?",
        ),
        (
            "gen-officials",
            Factor.OFFICIALS,
            "Cán bộ giải quyết tận tình?",
            "Was the official helpful?",
        ),
        (
            "gen-results",
            Factor.RESULTS,
            "Kết quả đúng hẹn, chính xác?",
            "Was the result on time and correct?",
        ),
        (
            "gen-feedback",
            Factor.FEEDBACK,
            "Góp ý được tiếp nhận?",
            "Are comments and complaints heard?",
        ),
    ]
    questions = [
        _question(code, QuestionKind.SCALE5, factor, vi, en, "", reasons)
        for code, factor, vi, en in scale
    ]
    questions.append(
        _question(
            "gen-courtesy",
            QuestionKind.YESNO,
            Factor.CONDUCT,
            "Cán bộ có chào hỏi, lắng nghe bạn?",
            "Did the official greet and listen to you?",
            "آیا کارمند به شما سلام کرد و گوش داد؟",
            reasons,
        )
    )
    questions.append(
        _question("gen-comment", QuestionKind.TEXT, "", "Ý kiến khác", "Other comments", "نظر دیگر")
    )
    return questions


def ensure_surveys(offices: list[Office]) -> dict[int, int]:
    """office id → the version of the kiosk survey that applies (created where none does)."""
    surveys = Survey.objects.filter(is_active=True, variant=Variant.KIOSK, unit__isnull=False)
    by_path = {s.unit.path: s for s in surveys.select_related("unit")}
    with_version = set(
        SurveyVersion.objects.filter(survey__in=surveys).values_list("survey_id", flat=True)
    )
    chosen, missing_roots = {}, set()
    for office in offices:
        path = office.unit.path
        prefixes = range(len(path), 0, -AdministrativeUnit.steplen)
        survey = next((by_path[path[:i]] for i in prefixes if path[:i] in by_path), None)
        if survey is None or survey.pk not in with_version:
            missing_roots.add(path[: AdministrativeUnit.steplen])
        else:
            chosen[office.pk] = survey
    if missing_roots:
        questions = generated_questions()
        for root in AdministrativeUnit.objects.filter(path__in=missing_roots):
            survey, _ = Survey.objects.get_or_create(
                code=f"gen-sipas-{root.code}",
                defaults={
                    "name": f"Phiếu SIPAS rút gọn – {root.name}",
                    "unit": root,
                    "variant": Variant.KIOSK,
                },
            )
            if survey.current_version() is None:
                # Published before any generated rating (they reach back years).
                version = SurveyVersion.objects.create(survey=survey, number=1)
                SurveyItem.objects.bulk_create(
                    SurveyItem(version=version, question=q, position=i, required=q.kind != "text")
                    for i, q in enumerate(questions)
                )
                version.publish(at=GENERATED_SURVEYS_PUBLISHED)
            by_path[root.path] = survey
        for office in offices:
            chosen.setdefault(office.pk, by_path[office.unit.path[: AdministrativeUnit.steplen]])
    versions = {s.pk: s.current_version().pk for s in set(chosen.values())}
    return {office_id: versions[s.pk] for office_id, s in chosen.items()}


def office_infos(offices: list[Office], versions: dict[int, int]) -> list[OfficeInfo]:
    kiosk_of_desk = {}
    for kiosk in Kiosk.objects.filter(office__in=offices, desk__isnull=False).order_by("pk"):
        kiosk_of_desk.setdefault(kiosk.desk_id, kiosk.pk)
    staff = defaultdict(list)
    for member in StaffMember.objects.filter(office__in=offices, is_active=True).order_by("pk"):
        staff[member.office_id].append(
            (member.pk, member.desk_id, kiosk_of_desk.get(member.desk_id))
        )
    return [
        OfficeInfo(
            office_id=o.pk,
            province=o.unit.path[: AdministrativeUnit.steplen],
            level=o.unit.level,
            version_id=versions[o.pk],
            staff=staff[o.pk] or [(None, None, None)],
        )
        for o in offices
    ]


def month_starts(end_month: str, count: int) -> list[date]:
    if end_month:
        try:
            year, number = (int(part) for part in end_month.split("-"))
            end = date(year, number, 1)
        except ValueError as exc:
            raise CommandError(f"--end-month must be YYYY-MM, not {end_month!r}.") from exc
    else:
        end = (date.today().replace(day=1) - timedelta(days=1)).replace(day=1)
    months = [end]
    for _ in range(count - 1):
        months.append((months[-1] - timedelta(days=1)).replace(day=1))
    return months[::-1]


def business_days(month: date) -> list[date]:
    following = (month + timedelta(days=32)).replace(day=1)
    days = (month + timedelta(days=i) for i in range((following - month).days))
    return [d for d in days if d.weekday() < 5]


@dataclass
class PlanRow:
    office_id: int
    month: date
    n: int
    burst: int = 0
    burst_day: date | None = None
    burst_second: int = 0
    burst_staff: int = 1


def build_plan(infos: list[OfficeInfo], months: list[date], total: int, rng) -> list[PlanRow]:
    """How many ratings each office gets each month: exactly `total` in all."""
    province_codes = dict(AdministrativeUnit.objects.filter(depth=1).values_list("path", "code"))
    office_weight = [
        LEVEL_WEIGHT.get(i.level, 1.0)
        * BIG_CITIES.get(province_codes.get(i.province, ""), 1.0)
        * rng.lognormvariate(0, 0.45)
        for i in infos
    ]
    # Adoption grows over the period; February (Tết) is quieter.
    month_weight = [
        (1 + 0.6 * k / max(len(months) - 1, 1)) * (0.7 if m.month == 2 else 1.0)
        for k, m in enumerate(months)
    ]
    cells = [(o, m) for o in range(len(infos)) for m in range(len(months))]
    expected = [office_weight[o] * month_weight[m] for o, m in cells]
    scale = total / sum(expected) if expected else 0
    counts = [math.floor(e * scale) for e in expected]
    remainder = total - sum(counts)
    by_fraction = sorted(range(len(cells)), key=lambda c: expected[c] * scale - counts[c])
    for c in by_fraction[len(by_fraction) - remainder :]:
        counts[c] += 1
    plan = []
    for (o, m), n in zip(cells, counts, strict=True):
        if n == 0:
            continue
        row = PlanRow(infos[o].office_id, months[m], n)
        if n >= 10 and rng.random() < 0.03:
            row.burst = min(n // 2, rng.randint(8, 30))
            row.burst_day = rng.choice(business_days(months[m]))
            row.burst_second = rng.randint(8 * 3600, 16 * 3600)
            row.burst_staff = rng.randint(1, len(infos[o].staff))
        plan.append(row)
    return plan


def hour_fractions(slots: int = 100) -> list[float]:
    """`slots` points in [0, 1) spread like HOUR_PROFILE over the opening hours."""
    hours = sorted(HOUR_PROFILE)
    weights = [HOUR_PROFILE[h] for h in hours]
    total = sum(weights)
    fractions = []
    for hour, weight in zip(hours, weights, strict=True):
        share = round(slots * weight / total)
        start = (hour - hours[0]) / len(hours)
        fractions += [start + (k + 0.5) / share / len(hours) for k in range(share)]
    return fractions


# --- Loading --------------------------------------------------------------------

SECONDARY_INDEXES = """
    SELECT i.relname, pg_get_indexdef(x.indexrelid)
    FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
    WHERE t.relname = ANY(%s) AND NOT x.indisunique AND NOT x.indisprimary
"""


FRESH_MONTHS = """
    SELECT NOT EXISTS (SELECT 1 FROM surveys_answerrollup WHERE day >= %s AND day < %s)
        AND NOT EXISTS (SELECT 1 FROM surveys_responserollup WHERE day >= %s AND day < %s)
"""
ROLLUP_KEYS = """
    SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
    FROM pg_constraint c
    WHERE c.conrelid IN ('surveys_answerrollup'::regclass, 'surveys_responserollup'::regclass)
        AND c.contype = 'u'
"""


class bulk_load:  # noqa: N801 — used as a context manager, reads like one
    """Prepare the big tables for a large load, and restore and analyse them after.

    `fresh` (the roll-ups hold nothing in the months generated) lets every chunk add
    its roll-up rows with a plain INSERT: chunks never share a key, as each holds
    whole office-months. For a large fresh load the roll-ups' unique keys are
    dropped too and rebuilt by one sort each, which also proves no key came twice.
    """

    def __init__(self, mode: str, ratings: int, months: list[date], log):
        self.mode, self.ratings, self.months, self.log = mode, ratings, months, log
        self.indexes: list[tuple[str, str]] = []
        self.keys: list[tuple[str, str, str]] = []
        self.fresh = False

    def __enter__(self):
        following = (self.months[-1] + timedelta(days=32)).replace(day=1)
        with connection.cursor() as cursor:
            cursor.execute(FRESH_MONTHS, [self.months[0], following] * 2)
            self.fresh = cursor.fetchone()[0]
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'surveys_response'")
            held = max(cursor.fetchone()[0], 0)
            drop = self.mode == "yes" or (
                self.mode == "auto" and self.ratings >= DROP_INDEXES_FROM and self.ratings >= held
            )
            if drop:
                cursor.execute(SECONDARY_INDEXES, [list(BIG_TABLES)])
                self.indexes = cursor.fetchall()
                for name, _ in self.indexes:
                    cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
            if drop and self.fresh:
                cursor.execute(ROLLUP_KEYS)
                self.keys = cursor.fetchall()
                for table, name, _ in self.keys:
                    cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        if drop:
            self.log(f"dropped {len(self.indexes) + len(self.keys)} indexes for the load")
        return self

    def __exit__(self, *exc_info):
        started = time.monotonic()
        statements = [f'ALTER TABLE {t} ADD CONSTRAINT "{n}" {d}' for t, n, d in self.keys]
        run_parallel(statements + [definition for _, definition in self.indexes], jobs=2)
        with connection.cursor() as cursor:
            for table in (*BIG_TABLES, "offices_office", "offices_desk", "offices_staffmember"):
                cursor.execute(f"ANALYZE {table}")
        self.log(
            f"rebuilt {len(statements) + len(self.indexes)} indexes and analysed in "
            f"{time.monotonic() - started:.1f} s"
        )
        return False


def run_parallel(statements: list[str], jobs: int) -> None:
    """Run independent statements on `jobs` sessions at once (index builds)."""
    pending = list(statements)
    lock = threading.Lock()
    errors = []

    def worker():
        try:
            with connections["default"].cursor() as cursor:
                cursor.execute("SET maintenance_work_mem = '512MB'")
                while True:
                    with lock:
                        if not pending:
                            return
                        statement = pending.pop(0)
                    cursor.execute(statement)
        except Exception as exc:  # reported in the main thread
            errors.append(exc)
        finally:
            connections["default"].close()

    threads = [threading.Thread(target=worker) for _ in range(min(jobs, len(pending)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def generate(infos, plan, seed: int, jobs: int, fresh: bool, log) -> None:
    """Insert every chunk (month × share of offices) on `jobs` parallel sessions."""
    months = sorted({row.month for row in plan})
    chunks = [(m, part) for m in months for part in range(jobs)]
    pending = list(enumerate(chunks))
    lock = threading.Lock()
    errors, done = [], [0]
    by_chunk = defaultdict(list)
    position = {info.office_id: k for k, info in enumerate(infos)}
    for row in plan:
        by_chunk[(row.month, position[row.office_id] % jobs)].append(row)
    started = time.monotonic()

    def worker():
        try:
            session = ChunkSession(infos, seed, fresh)
            while not errors:
                with lock:
                    if not pending:
                        return
                    number, key = pending.pop(0)
                session.load(number, by_chunk.get(key, []))
                with lock:
                    done[0] += 1
                    if done[0] % max(len(chunks) // 10, 1) == 0:
                        log(f"  {done[0]}/{len(chunks)} chunks, {time.monotonic() - started:.0f} s")
        except Exception as exc:
            errors.append(exc)
        finally:
            connections["default"].close()

    threads = [threading.Thread(target=worker) for _ in range(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


class ChunkSession:
    """One database session that loads chunks through its own temporary tables."""

    def __init__(self, infos: list[OfficeInfo], seed: int, fresh: bool):
        self.seed = seed
        self.statements = [
            item
            if isinstance(item, str)
            else item[0].replace("{on_conflict}", "" if fresh else item[1])
            for item in CHUNK_STATEMENTS
        ]
        self.cursor = connections["default"].cursor()
        cursor = self.cursor
        cursor.execute("SET temp_buffers = '256MB'")
        cursor.execute("SET work_mem = '256MB'")
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if cursor.fetchone()[0]:
            # The rows reference offices, questions and responses made just before, so
            # the per-row foreign-key triggers only cost time (as pg_restore's
            # --disable-triggers); the constraints stay declared and valid.
            cursor.execute("SET session_replication_role = replica")
        cursor.execute(TEMP_TABLES)
        from psycopg2.extras import execute_values

        execute_values(
            cursor.cursor,
            "INSERT INTO gen_office VALUES %s",
            [
                (
                    i.office_id,
                    i.version_id,
                    [s for s, _, _ in i.staff],
                    [d for _, d, _ in i.staff],
                    [k for _, _, k in i.staff],
                )
                for i in infos
            ],
            template="(%s, %s, %s::bigint[], %s::bigint[], %s::bigint[])",
            page_size=2000,
        )
        cursor.execute(OFFICE_DETAILS, [self.seed])
        cursor.execute("INSERT INTO gen_profile VALUES (%s)", [hour_fractions()])
        cursor.execute(VERSION_ITEMS, [[i.version_id for i in infos]])
        cursor.execute("ANALYZE gen_office")

    def load(self, number: int, rows: list[PlanRow]) -> None:
        if not rows:
            return
        from psycopg2.extras import execute_values

        cursor = self.cursor
        with transaction.atomic():
            cursor.execute("TRUNCATE gen_plan, gen_resp, gen_ans")
            execute_values(
                cursor.cursor,
                "INSERT INTO gen_plan VALUES %s",
                [
                    (
                        r.office_id,
                        r.month,
                        business_days(r.month),
                        r.n,
                        r.burst,
                        r.burst_day,
                        r.burst_second,
                        r.burst_staff,
                    )
                    for r in rows
                ],
                template="(%s, %s, %s::date[], %s, %s, %s, %s, %s)",
                page_size=2000,
            )
            cursor.execute(
                "SELECT setseed(%s)", [((self.seed * 7919 + number) % 20000) / 10000 - 1]
            )
            params = {"seed": f"{self.seed}:{rows[0].month}", "comments": COMMENTS}
            for number, statement in enumerate(self.statements):
                cursor.execute(statement, params)
                if number == 0:
                    cursor.execute("ANALYZE gen_resp")


TEMP_TABLES = """
CREATE TEMP TABLE gen_office (
    office_id bigint PRIMARY KEY, version_id bigint,
    staff_ids bigint[], desk_ids bigint[], kiosk_ids bigint[],
    tz text, opens_s int, span_s int, quality real, staff_offsets real[]
);
CREATE TEMP TABLE gen_profile (fractions float8[]);
CREATE TEMP TABLE gen_items (
    version_id bigint, question_id bigint, kind text, offset_ real, reasons_id bigint,
    reason_choices bigint[], own_choices bigint[]
);
CREATE TEMP TABLE gen_plan (
    office_id bigint, month date, days date[], n int, burst int, burst_day date,
    burst_second int, burst_staff int
);
CREATE TEMP TABLE gen_resp (
    id uuid, office_id bigint, version_id bigint, desk_id bigint, staff_id bigint,
    kiosk_id bigint, channel text, language text, started_at timestamptz,
    submitted_at timestamptz, received_at timestamptz, is_misuse boolean, misuse_reason text,
    quality real, mood real, comment int
);
CREATE TEMP TABLE gen_ans (
    response_id uuid, question_id bigint, score smallint, choice_id bigint, text text
);
"""

# Office quality ~ N(4.05, 0.35) and officer offsets ~ N(0, 0.25), drawn once per
# session from the seed: normal deviates by Box–Muller.
OFFICE_DETAILS = """
SELECT setseed((%s %% 9973) / 9973.0);
UPDATE gen_office g SET
    tz = o.time_zone,
    opens_s = extract(epoch FROM o.opens_at)::int,
    span_s = greatest(extract(epoch FROM o.closes_at - o.opens_at)::int, 60),
    quality = least(4.75, greatest(3.1, 4.05 + 0.35 * sqrt(-2 * ln(1 - random()))
        * cos(2 * pi() * random()))),
    staff_offsets = ARRAY(
        SELECT (0.25 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()))::real
        FROM unnest(g.staff_ids) WITH ORDINALITY AS s(v, k) ORDER BY k)
FROM offices_office o WHERE o.id = g.office_id;
"""

VERSION_ITEMS = """
INSERT INTO gen_items
SELECT DISTINCT i.version_id, q.id, q.kind,
    CASE q.factor WHEN 'access' THEN 0.15 WHEN 'procedures' THEN -0.15 WHEN 'officials' THEN 0.05
        WHEN 'feedback' THEN -0.35 ELSE 0 END,
    r.id,
    ARRAY(SELECT c.id FROM surveys_choice c WHERE c.question_id = r.id ORDER BY c.id),
    ARRAY(SELECT c.id FROM surveys_choice c WHERE c.question_id = q.id ORDER BY c.id)
FROM surveys_surveyitem i
JOIN surveys_question q ON q.id = i.question_id
LEFT JOIN surveys_question r ON r.id = q.reasons_id
WHERE i.version_id = ANY(%s);
"""

RESPONSE_ROLLUP_CONFLICT = """
ON CONFLICT (day, hour, office_id, desk_id, staff_id, channel) DO UPDATE
SET valid = t.valid + EXCLUDED.valid, flagged = t.flagged + EXCLUDED.flagged"""
ANSWER_ROLLUP_CONFLICT = """
ON CONFLICT (day, office_id, desk_id, staff_id, question_id, score, choice_id) DO UPDATE
SET count = t.count + EXCLUDED.count"""
MONTHLY_RESPONSE_ROLLUP_CONFLICT = """
ON CONFLICT (office_id, month) DO UPDATE
SET valid = t.valid + EXCLUDED.valid, flagged = t.flagged + EXCLUDED.flagged"""
MONTHLY_ANSWER_ROLLUP_CONFLICT = """
ON CONFLICT (month, office_id, question_id, score, choice_id) DO UPDATE
SET count = t.count + EXCLUDED.count"""
MONTHLY_DESK_RESPONSE_CONFLICT = """
ON CONFLICT (office_id, month, desk_id, staff_id) DO UPDATE
SET valid = t.valid + EXCLUDED.valid, flagged = t.flagged + EXCLUDED.flagged"""
MONTHLY_DESK_ANSWER_CONFLICT = """
ON CONFLICT (office_id, month, desk_id, staff_id, question_id, score, choice_id) DO UPDATE
SET count = t.count + EXCLUDED.count"""
MONTHLY_HOUR_CONFLICT = """
ON CONFLICT (office_id, month, desk_id, staff_id, weekday, hour) DO UPDATE
SET valid = t.valid + EXCLUDED.valid"""

# Each entry: SQL, or (SQL, the ON CONFLICT clause used when the months are not fresh).
CHUNK_STATEMENTS = [
    # Ratings: a burst (one officer, every 5 s, all top marks) first, then ordinary ones.
    """
INSERT INTO gen_resp
SELECT md5(%(seed)s || ':' || s.office_id || ':' || s.i)::uuid, s.office_id, s.version_id,
    s.desk_ids[s.k], s.staff_ids[s.k], CASE WHEN s.channel = 'kiosk' THEN s.kiosk_ids[s.k] END,
    s.channel, s.language, s.submitted_at - make_interval(secs => 25 + s.r_spent * 120),
    s.submitted_at, s.submitted_at + make_interval(secs => 0.2 + s.r_spent),
    s.burst, CASE WHEN s.burst THEN 'generated: burst of ratings seconds apart' ELSE '' END,
    s.quality + coalesce(s.staff_offsets[s.k], 0),
    CASE WHEN s.r_unhappy < 0.05 THEN -1.7 ELSE 0 END + (s.r1 + s.r2 + s.r3 - 1.5) * 0.7,
    CASE WHEN s.r_comment < 0.03 THEN 1 + floor(s.r_spent * 5)::int END
FROM (
    SELECT p.office_id, g.i, o.version_id, o.desk_ids, o.staff_ids, o.kiosk_ids, o.quality,
        o.staff_offsets, g.i <= p.burst AS burst,
        CASE WHEN g.i <= p.burst THEN p.burst_staff
            ELSE 1 + floor(random() * cardinality(o.staff_ids))::int END AS k,
        CASE WHEN g.i <= p.burst THEN 'kiosk' WHEN random() < 0.75 THEN 'kiosk'
            WHEN random() < 0.8 THEN 'qr' ELSE 'web' END AS channel,
        CASE WHEN random() < 0.95 THEN 'vi' WHEN random() < 0.8 THEN 'en' ELSE 'fa' END
            AS language,
        CASE WHEN g.i <= p.burst
            THEN (p.burst_day + make_interval(secs => p.burst_second + 5 * g.i))
                AT TIME ZONE o.tz
            ELSE (p.days[1 + floor(random() * cardinality(p.days))::int]
                + make_interval(secs => o.opens_s + floor(least(o.span_s - 1,
                    greatest(0, pr.fractions[1 + floor(random() * cardinality(pr.fractions))::int]
                        + (random() - 0.5) / 100) * o.span_s))))
                AT TIME ZONE o.tz
        END AS submitted_at,
        random() AS r_spent, random() AS r_unhappy, random() AS r_comment,
        random() AS r1, random() AS r2, random() AS r3
    FROM gen_plan p
    JOIN gen_office o USING (office_id)
    CROSS JOIN gen_profile pr
    CROSS JOIN LATERAL generate_series(1, p.n) AS g(i)
) s
""",
    # Scores: office and officer quality, the question's factor, the citizen's mood.
    """
INSERT INTO gen_ans
SELECT r.id, it.question_id,
    CASE WHEN it.kind = 'scale5' THEN
            CASE WHEN r.is_misuse THEN 5 ELSE least(5, greatest(1, round(
                r.quality + it.offset_ + r.mood + (random() + random() + random() - 1.5) * 0.9
            ))) END
        ELSE CASE WHEN r.is_misuse OR random() < (r.quality + r.mood - 2.0) / 2.4 THEN 1 ELSE 0 END
    END, NULL::bigint, ''
FROM gen_resp r JOIN gen_items it ON it.version_id = r.version_id
WHERE it.kind IN ('scale5', 'yesno')
""",
    # Reasons, once per response and reasons question, when an answer was low.
    """
INSERT INTO gen_ans
SELECT x.response_id, x.reasons_id, NULL, x.reason_choices[1 + (x.pick + extra) %% x.n], ''
FROM (
    SELECT DISTINCT ON (a.response_id, it.reasons_id) a.response_id, it.reasons_id,
        it.reason_choices, cardinality(it.reason_choices) AS n,
        floor(random() * cardinality(it.reason_choices))::int AS pick,
        random() < 0.4 AS two
    FROM gen_ans a
    JOIN gen_resp r ON r.id = a.response_id
    JOIN gen_items it ON it.version_id = r.version_id AND it.question_id = a.question_id
    WHERE cardinality(it.reason_choices) > 0
        AND ((it.kind = 'scale5' AND a.score <= 2) OR (it.kind = 'yesno' AND a.score = 0))
) x
CROSS JOIN LATERAL generate_series(0, CASE WHEN x.two AND x.n > 1 THEN 1 ELSE 0 END) AS extra
""",
    # Stand-alone choice questions get one choice; a few citizens leave a comment.
    """
INSERT INTO gen_ans
SELECT r.id, it.question_id,
    NULL, CASE WHEN it.kind IN ('choice', 'multi')
        THEN it.own_choices[1 + floor(random() * cardinality(it.own_choices))::int] END,
    CASE WHEN it.kind = 'text' THEN (%(comments)s::text[])[r.comment] ELSE '' END
FROM gen_resp r JOIN gen_items it ON it.version_id = r.version_id
WHERE NOT r.is_misuse AND (
    (it.kind = 'text' AND r.comment IS NOT NULL)
    OR (it.kind IN ('choice', 'multi') AND cardinality(it.own_choices) > 0
        AND NOT EXISTS (SELECT 1 FROM gen_items o
            WHERE o.version_id = it.version_id AND o.reasons_id = it.question_id))
)
""",
    """
INSERT INTO surveys_response (id, survey_version_id, extension_version_id, office_id, desk_id,
    staff_id, kiosk_id, channel, language, started_at, submitted_at, received_at, is_misuse,
    misuse_reason, dossier_code, ip_address, has_comment)
SELECT id, version_id, NULL, office_id, desk_id, staff_id, kiosk_id, channel, language,
    started_at, submitted_at, received_at, is_misuse, misuse_reason, '', NULL,
    id IN (SELECT response_id FROM gen_ans WHERE text <> '')
FROM gen_resp ORDER BY submitted_at
""",
    """
INSERT INTO surveys_answer (response_id, question_id, score, choice_id, text, is_hidden)
SELECT response_id, question_id, score, choice_id, text, false FROM gen_ans
""",
    # The roll-ups, grouped exactly as rollup_rows() keys one response's increments.
    (
        """
INSERT INTO surveys_responserollup AS t
    (day, hour, office_id, desk_id, staff_id, channel, valid, flagged)
SELECT (r.submitted_at AT TIME ZONE o.tz)::date,
    extract(hour FROM r.submitted_at AT TIME ZONE o.tz)::int,
    r.office_id, r.desk_id, r.staff_id, r.channel,
    count(*) FILTER (WHERE NOT r.is_misuse), count(*) FILTER (WHERE r.is_misuse)
FROM gen_resp r JOIN gen_office o USING (office_id)
GROUP BY 1, 2, 3, 4, 5, 6
{on_conflict}
""",
        RESPONSE_ROLLUP_CONFLICT,
    ),
    (
        """
INSERT INTO surveys_answerrollup AS t
    (day, office_id, desk_id, staff_id, question_id, score, choice_id, count)
SELECT (r.submitted_at AT TIME ZONE o.tz)::date, r.office_id, r.desk_id, r.staff_id,
    a.question_id, a.score, a.choice_id, count(*)
FROM gen_ans a
JOIN gen_resp r ON r.id = a.response_id
JOIN gen_office o USING (office_id)
WHERE NOT r.is_misuse AND (a.score IS NOT NULL OR a.choice_id IS NOT NULL)
GROUP BY 1, 2, 3, 4, 5, 6, 7
{on_conflict}
""",
        ANSWER_ROLLUP_CONFLICT,
    ),
    # The monthly grain (surveys.models.MonthlyAnswerRollup / MonthlyResponseRollup).
    (
        """
INSERT INTO surveys_monthlyresponserollup AS t (month, office_id, valid, flagged)
SELECT date_trunc('month', r.submitted_at AT TIME ZONE o.tz)::date, r.office_id,
    count(*) FILTER (WHERE NOT r.is_misuse), count(*) FILTER (WHERE r.is_misuse)
FROM gen_resp r JOIN gen_office o USING (office_id)
GROUP BY 1, 2
{on_conflict}
""",
        MONTHLY_RESPONSE_ROLLUP_CONFLICT,
    ),
    (
        """
INSERT INTO surveys_monthlyanswerrollup AS t
    (month, office_id, question_id, score, choice_id, count)
SELECT date_trunc('month', r.submitted_at AT TIME ZONE o.tz)::date, r.office_id,
    a.question_id, a.score, a.choice_id, count(*)
FROM gen_ans a
JOIN gen_resp r ON r.id = a.response_id
JOIN gen_office o USING (office_id)
WHERE NOT r.is_misuse AND (a.score IS NOT NULL OR a.choice_id IS NOT NULL)
GROUP BY 1, 2, 3, 4, 5
{on_conflict}
""",
        MONTHLY_ANSWER_ROLLUP_CONFLICT,
    ),
    # The desk-and-officer monthly grain and the hour × weekday cells (MonthlyDesk*Rollup,
    # MonthlyHourRollup), keyed as surveys.models.monthly_desk_rows() keys them.
    (
        """
INSERT INTO surveys_monthlydeskresponserollup AS t
    (month, office_id, desk_id, staff_id, valid, flagged)
SELECT date_trunc('month', r.submitted_at AT TIME ZONE o.tz)::date, r.office_id, r.desk_id,
    r.staff_id, count(*) FILTER (WHERE NOT r.is_misuse), count(*) FILTER (WHERE r.is_misuse)
FROM gen_resp r JOIN gen_office o USING (office_id)
GROUP BY 1, 2, 3, 4
{on_conflict}
""",
        MONTHLY_DESK_RESPONSE_CONFLICT,
    ),
    (
        """
INSERT INTO surveys_monthlydeskanswerrollup AS t
    (month, office_id, desk_id, staff_id, question_id, score, choice_id, count)
SELECT date_trunc('month', r.submitted_at AT TIME ZONE o.tz)::date, r.office_id, r.desk_id,
    r.staff_id, a.question_id, a.score, a.choice_id, count(*)
FROM gen_ans a
JOIN gen_resp r ON r.id = a.response_id
JOIN gen_office o USING (office_id)
WHERE NOT r.is_misuse AND (a.score IS NOT NULL OR a.choice_id IS NOT NULL)
GROUP BY 1, 2, 3, 4, 5, 6, 7
{on_conflict}
""",
        MONTHLY_DESK_ANSWER_CONFLICT,
    ),
    (
        """
INSERT INTO surveys_monthlyhourrollup AS t
    (month, office_id, desk_id, staff_id, weekday, hour, valid)
SELECT date_trunc('month', l.local)::date, l.office_id, l.desk_id, l.staff_id,
    extract(isodow FROM l.local)::int, extract(hour FROM l.local)::int, count(*)
FROM (
    SELECT r.submitted_at AT TIME ZONE o.tz AS local, r.office_id, r.desk_id, r.staff_id
    FROM gen_resp r JOIN gen_office o USING (office_id)
    WHERE NOT r.is_misuse
) l
GROUP BY 1, 2, 3, 4, 5, 6
{on_conflict}
""",
        MONTHLY_HOUR_CONFLICT,
    ),
]


if __name__ == "__main__":
    Command().run_from_argv(["bench/generate_ratings.py", "generate_ratings", *sys.argv[1:]])
