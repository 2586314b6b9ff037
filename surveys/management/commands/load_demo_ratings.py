"""Thirteen months of plausible demo ratings for the demo offices, and their dossier counts.

Run after `load_demo` and `load_demo_surveys`. Every rating goes through
`Response.objects.record()` (so the roll-ups are the real ones) with a UUID derived
from the seed, office, month and number: running the command again stores nothing
new (later in the current month it adds only the ratings whose time has come).

What the data shows, on purpose:
* offices of different quality, desks and officers that differ inside an office
  (land and construction is slower and less liked), a slow improvement over the year;
* ratings on weekdays inside opening hours, a morning peak and a lunch dip, some on
  Saturday mornings; most on the kiosk (short survey), some by phone (full survey);
* low scores followed by reasons, some free-text comments (a few abusive);
* misuse bursts: many "very satisfied" seconds apart on one kiosk, stored flagged;
* dossiers handled per office and month, with one office that has no figures for
  its older months (the response rate shows as unknown there).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from offices.demo import OFFICES
from offices.models import DossierCount, Kiosk, Office
from surveys.misuse import note_latest_given
from surveys.models import Answer, Choice, QuestionKind, Response, Survey, SurveyVersion

if TYPE_CHECKING:
    from offices.models import Desk
    from surveys.models import Question

NAMESPACE = uuid.UUID("6f1d4d2e-8a57-4c1e-9d0b-3f5e0c7a9b21")

# Quality and volume per demo office (by unit code): (satisfaction level, ratings / month).
OFFICE_PROFILE = {
    "HN-CG-NT": (0.86, 120),
    "HN-CG-DV": (0.74, 100),
    "HN-NTL-MD1": (0.64, 90),
    "00166": (0.80, 110),
    "00160": (0.70, 60),
    "00004": (0.90, 75),
}
DESK_SHIFT = {"01": 0.04, "02": -0.12, "03": 0.0}
DESK_WEIGHTS = {"01": 0.45, "02": 0.35, "03": 0.20}
# Hour weights inside opening hours: a morning peak and a lunch dip.
HOURS = {7: 2, 8: 9, 9: 12, 10: 11, 11: 6, 12: 1, 13: 4, 14: 8, 15: 8, 16: 6}
REASON_WEIGHTS = {
    "01": {"waited-too-long": 3, "unclear-guidance": 2, "impolite": 1, "other": 1},
    "02": {"waited-too-long": 4, "extra-documents": 4, "unofficial-payment": 1, "other": 1},
    "03": {"unclear-guidance": 3, "waited-too-long": 2, "impolite": 1, "other": 1},
}
GOOD_COMMENTS = [
    "Cán bộ hướng dẫn rất tận tình, cảm ơn!",
    "Thủ tục nhanh gọn, không phải chờ lâu.",
    "Nơi làm việc sạch sẽ, có nước uống và chỗ ngồi.",
    "Chị cán bộ quầy 1 rất nhiệt tình.",
    "Rất hài lòng, trả kết quả đúng hẹn.",
]
BAD_COMMENTS = [
    "Phải chờ gần hai tiếng mới đến lượt.",
    "Hướng dẫn chưa rõ, tôi phải đi lại ba lần.",
    "Nên có thêm quầy vào buổi sáng.",
    "Yêu cầu bản sao công chứng dù đã có bản chính.",
    "Máy lấy số thứ tự bị hỏng.",
    "Thái độ cán bộ quầy địa chính chưa tốt.",
]
ABUSIVE_COMMENTS = ["Đồ vô dụng, làm ăn như hạch!"]


@dataclass
class Forms:
    """The core surveys that apply to an office, with their questions."""

    kiosk: SurveyVersion
    full: SurveyVersion | None
    kiosk_items: list[Question]
    full_items: list[Question]
    reasons: dict[str, Choice]


def _months(count: int, today: date) -> list[date]:
    first = today.replace(day=1)
    months = []
    for back in range(count - 1, -1, -1):
        index = first.year * 12 + first.month - 1 - back
        months.append(date(index // 12, index % 12 + 1, 1))
    return months


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


class Command(BaseCommand):
    help = "Load ~13 months of plausible demo ratings and dossier counts. Idempotent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--months", type=int, default=13)
        parser.add_argument("--seed", type=int, default=2025)
        parser.add_argument(
            "--volume", type=float, default=1.0, help="Scale the number of ratings (tests: 0.05)"
        )

    def handle(self, *args: Any, months: int, seed: int, volume: float, **options: Any) -> None:
        self.volume = volume
        if settings.PRODUCTION:
            raise CommandError("Demo data is never loaded in production.")
        offices = [
            o
            for code, name, _a in OFFICES
            for o in Office.objects.filter(unit__code=code, name=name).select_related("unit")
        ]
        if not offices:
            self.stdout.write("No demo offices: run `manage.py load_demo` first. Nothing done.")
            return
        found = {office.pk: self.forms_for(office) for office in offices}
        forms = {pk: f for pk, f in found.items() if f is not None}
        if len(forms) < len(found):
            self.stdout.write(
                "No kiosk survey applies to the demo offices: run `manage.py load_demo_surveys` "
                "first. Nothing done."
            )
            return
        now = timezone.now()
        stored = skipped = 0
        for office in offices:
            for month in _months(months, timezone.localdate(now, office.tz)):
                new, old = self.load_month(office, forms[office.pk], month, seed, now)
                stored, skipped = stored + new, skipped + old
        # Stored with Response.objects.record, not through the kiosk API: keep the kiosks'
        # "latest rating given" no earlier than these (surveys/misuse.py).
        note_latest_given()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ratings: {stored} stored, {skipped} already there "
                f"({len(offices)} offices, {months} months)."
            )
        )

    def forms_for(self, office: Office) -> Forms | None:
        kiosk_survey = Survey.objects.core_for(office, "kiosk")
        kiosk = kiosk_survey.current_version() if kiosk_survey else None
        if kiosk is None:
            return None
        full_survey = Survey.objects.core_for(office, "full")
        full = full_survey.current_version() if full_survey else None
        kiosk_items = [i.question for i in kiosk.ordered_items()]
        full_items = [i.question for i in full.ordered_items()] if full else []
        reason_questions = {q.reasons_id for q in kiosk_items + full_items if q.reasons_id}
        reasons = {c.code: c for c in Choice.objects.filter(question_id__in=reason_questions)}
        return Forms(kiosk, full, kiosk_items, full_items, reasons)

    @transaction.atomic
    def load_month(
        self, office: Office, forms: Forms, month: date, seed: int, now: datetime
    ) -> tuple[int, int]:
        rng = random.Random(f"{seed}-{office.unit.code}-{month}")
        level, volume = OFFICE_PROFILE.get(office.unit.code, (0.75, 80))
        months_ago = (now.year - month.year) * 12 + now.month - month.month
        level = min(level + 0.05 - 0.006 * months_ago, 0.97)  # a slow improvement
        desks = list(office.desks.filter(is_active=True).prefetch_related("staff"))
        kiosk = Kiosk.objects.filter(office=office).first()
        planned = self.plan(rng, office, month, volume)
        prefix = f"{seed}-{office.unit.code}-{month}-"
        existing = set(
            Response.objects.filter(
                office=office, id__in=[uuid.uuid5(NAMESPACE, prefix + str(i)) for i in planned]
            ).values_list("id", flat=True)
        )
        stored = 0
        for number, (when, misuse) in planned.items():
            rating_id = uuid.uuid5(NAMESPACE, prefix + str(number))
            if when > now or rating_id in existing:
                continue
            # Each rating draws from its own generator: its content never depends on
            # which other ratings were already stored.
            response, answers = self.rating(
                random.Random(rating_id.int),
                office,
                forms,
                desks,
                kiosk,
                level,
                when,
                misuse,
                rating_id,
            )
            stored += Response.objects.record(response, answers)
        self.dossiers(rng, office, month, now)
        return stored, len(existing)

    def plan(
        self, rng: random.Random, office: Office, month: date, volume: int
    ) -> dict[int, tuple[datetime, bool]]:
        """When each rating of the month happens (the whole month, known in advance)."""
        days = []
        day = month
        while day < _next_month(month):
            if day.weekday() < 5 or (day.weekday() == 5 and rng.random() < 0.5):
                days.append(day)
            day += timedelta(days=1)
        count = max(int(rng.gauss(volume, volume * 0.12) * self.volume), 3)
        hours, weights = list(HOURS), list(HOURS.values())
        planned = {}
        for number in range(count):
            day = rng.choice(days)
            hour = rng.choices(hours, weights)[0] if day.weekday() < 5 else rng.choice([8, 9, 10])
            moment = datetime.combine(day, time(hour, rng.randrange(60), rng.randrange(60)))
            planned[number] = (moment.replace(tzinfo=office.tz), False)
        if rng.random() < 0.35:  # a misuse burst: 12–30 ratings seconds apart
            start = planned[rng.randrange(count)][0]
            for k in range(rng.randint(12, 30)):
                planned[count + k] = (start + timedelta(seconds=3 * k + 1), True)
        return planned

    def rating(
        self,
        rng: random.Random,
        office: Office,
        forms: Forms,
        desks: list[Desk],
        kiosk: Kiosk | None,
        level: float,
        when: datetime,
        misuse: bool,
        rating_id: uuid.UUID,
    ) -> tuple[Response, list[Answer]]:
        weights = [DESK_WEIGHTS.get(d.number, 0.2) for d in desks]
        desk = desks[0] if misuse else rng.choices(desks, weights)[0]
        staff = list(desk.staff.all())
        person = rng.choice(staff) if staff else None
        on_kiosk = misuse or forms.full is None or rng.random() < 0.72
        version = forms.kiosk if on_kiosk else forms.full
        items = forms.kiosk_items if on_kiosk else forms.full_items
        mood = level + DESK_SHIFT.get(desk.number, 0) + rng.gauss(0, 0.12)
        if person is not None:
            mood += ((person.pk * 37) % 11 - 5) / 100  # each officer a little different
        response = Response(
            id=rating_id,
            survey_version=version,
            office=office,
            desk=desk,
            staff=person,
            kiosk=kiosk if on_kiosk else None,
            channel="kiosk" if on_kiosk else rng.choice(["qr", "qr", "web"]),
            language="vi" if rng.random() < 0.97 else rng.choice(["en", "fa"]),
            started_at=when - timedelta(seconds=rng.randint(8, 60)),
            submitted_at=when,
            is_misuse=misuse,
            # The words the server itself records for a burst (surveys/misuse.py), so the
            # flag review counts the demo's bursts under their kind, not "Other".
            misuse_reason="arrived 3.0 s after another rating from this kiosk" if misuse else "",
        )
        return response, self.answers(rng, items, forms, desk, mood, misuse)

    def answers(
        self,
        rng: random.Random,
        items: list[Question],
        forms: Forms,
        desk: Desk,
        mood: float,
        misuse: bool,
    ) -> list[Answer]:
        answers, low = [], False
        for question in items:
            if question.kind == QuestionKind.SCALE5:
                if not misuse and question.factor == "feedback" and rng.random() < 0.3:
                    continue  # optional, often skipped
                score = 5 if misuse else self.score(rng, mood)
                low = low or score <= 2
                answers.append(Answer(question=question, score=score))
            elif question.kind == QuestionKind.YESNO:
                yes = misuse or rng.random() < min(mood + 0.08, 0.99)
                low = low or not yes
                answers.append(Answer(question=question, score=1 if yes else 0))
            elif question.kind == QuestionKind.TEXT and not misuse:
                text = self.comment(rng, mood)
                if text:
                    answers.append(Answer(question=question, text=text))
        if low and forms.reasons and rng.random() < 0.75:
            weights = REASON_WEIGHTS.get(desk.number, {"other": 1})
            codes = [c for c in weights if c in forms.reasons]
            chosen = set(rng.choices(codes, [weights[c] for c in codes], k=rng.randint(1, 2)))
            answers += [
                Answer(question=forms.reasons[c].question, choice=forms.reasons[c]) for c in chosen
            ]
        return answers

    @staticmethod
    def score(rng: random.Random, mood: float) -> int:
        if rng.random() < mood:
            return 5 if rng.random() < 0.55 else 4
        return rng.choices([3, 2, 1], [5, 3, 2])[0]

    @staticmethod
    def comment(rng: random.Random, mood: float) -> str:
        if rng.random() > 0.07:
            return ""
        if rng.random() < 0.03:
            return rng.choice(ABUSIVE_COMMENTS)
        return rng.choice(GOOD_COMMENTS if rng.random() < mood else BAD_COMMENTS)

    @staticmethod
    def dossiers(rng: random.Random, office: Office, month: date, now: datetime) -> None:
        """Dossiers handled: for past months only, and not for Nghĩa Đô's older months."""
        if month >= timezone.localdate(now, office.tz).replace(day=1):
            return
        if office.unit.code == "00160" and month < now.date().replace(day=1) - timedelta(days=95):
            return
        valid = Response.objects.filter(
            office=office,
            is_misuse=False,
            submitted_at__gte=datetime.combine(month, time.min, office.tz),
            submitted_at__lt=datetime.combine(_next_month(month), time.min, office.tz),
        ).count()
        rate = 0.25 + 0.3 * random.Random(f"rate-{office.unit.code}-{month}").random()
        DossierCount.objects.update_or_create(
            office=office, month=month, defaults={"dossiers_handled": max(int(valid / rate), 1)}
        )
