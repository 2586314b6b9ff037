"""Demo question bank, the Hà Nội core surveys (full and kiosk) and one kiosk per demo office.

Idempotent: questions and choices are updated in place; a survey's current version is
left alone when it already asks the demo questions (a frozen one that differs gets a
new version). Run after `load_demo`. Prints a fresh one-time enrolment link for the
Nghĩa Tân kiosk (each run issues a new one; an already enrolled device keeps working
until the link is used).
"""

from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from offices.demo import HANOI, OFFICES
from offices.models import AdministrativeUnit, Desk, Kiosk, Office
from surveys.models import Choice, Question, Survey, SurveyItem, SurveyVersion

# (code, factor, vi, en, fa) — each "How satisfied are you with …?" on the 5-level scale.
DEMO_PUBLISHED = datetime(2020, 1, 1, tzinfo=UTC)  # before the demo's oldest rating

SIPAS_QUESTIONS = [
    (
        "access-information",
        "access",
        "Ông/Bà hài lòng thế nào về thông tin thủ tục (dễ tìm, dễ hiểu)?",
        "How satisfied are you with the information about the procedure "
        "(easy to find and understand)?",
        "از اطلاعات مربوط به روند اداری (در دسترس و قابل فهم بودن) چقدر راضی هستید؟",
    ),
    (
        "access-premises",
        "access",
        "Ông/Bà hài lòng thế nào về nơi tiếp đón (sạch sẽ, đủ chỗ ngồi, trang thiết bị)?",
        "How satisfied are you with the premises (clean, enough seats and equipment)?",
        "از محل پذیرش (تمیزی، صندلی و تجهیزات کافی) چقدر راضی هستید؟",
    ),
    (
        "procedures-posted",
        "procedures",
        "Ông/Bà hài lòng thế nào về việc niêm yết công khai thủ tục, hồ sơ, phí và thời hạn?",
        "How satisfied are you with how the procedure, documents, fees and deadlines "
        "are posted publicly?",
        "از اعلام عمومی روند، مدارک، هزینه‌ها و مهلت‌ها چقدر راضی هستید؟",
    ),
    (
        "procedures-as-regulated",
        "procedures",
        "Ông/Bà hài lòng thế nào về việc chỉ phải nộp hồ sơ, phí đúng quy định?",
        "How satisfied are you that you were asked only for the documents and fees "
        "set by regulation?",
        "از اینکه فقط مدارک و هزینه‌های مقرر از شما خواسته شد چقدر راضی هستید؟",
    ),
    (
        "officials-attentive",
        "officials",
        "Ông/Bà hài lòng thế nào về công chức tiếp nhận hồ sơ (lịch sự, chu đáo)?",
        "How satisfied are you with the official who served you (polite, attentive)?",
        "از کارمندی که به کار شما رسیدگی کرد (ادب و دقت) چقدر راضی هستید؟",
    ),
    (
        "officials-guidance",
        "officials",
        "Ông/Bà hài lòng thế nào về hướng dẫn của công chức (rõ ràng, đầy đủ)?",
        "How satisfied are you with the official's guidance (clear and complete)?",
        "از راهنمایی کارمند (روشن و کامل بودن) چقدر راضی هستید؟",
    ),
    (
        "results-on-time",
        "results",
        "Ông/Bà hài lòng thế nào về thời gian nhận kết quả (đúng hẹn)?",
        "How satisfied are you with the time it took to get the result (on time)?",
        "از زمان دریافت نتیجه (به‌موقع بودن) چقدر راضی هستید؟",
    ),
    (
        "results-accurate",
        "results",
        "Ông/Bà hài lòng thế nào về kết quả (đầy đủ, chính xác, công bằng)?",
        "How satisfied are you with the result (complete, accurate, fair)?",
        "از نتیجه (کامل، دقیق و منصفانه بودن) چقدر راضی هستید؟",
    ),
    (
        "feedback-channels",
        "feedback",
        "Ông/Bà hài lòng thế nào về cách thức góp ý, phản ánh tại đây?",
        "How satisfied are you with the ways to make a comment or complaint here?",
        "از راه‌های ثبت نظر یا شکایت در اینجا چقدر راضی هستید؟",
    ),
    (
        "feedback-handled",
        "feedback",
        "Ông/Bà hài lòng thế nào về việc tiếp nhận, xử lý và trả lời góp ý, phản ánh?",
        "How satisfied are you with how comments and complaints are handled and answered?",
        "از نحوه رسیدگی و پاسخ به نظرات و شکایات چقدر راضی هستید؟",
    ),
]

# "4 please, 4 always": yes/no about the person who served you.
CONDUCT_QUESTIONS = [
    (
        "conduct-greeted",
        "Công chức có chào hỏi Ông/Bà không?",
        "Did the official greet you?",
        "آیا کارمند به شما سلام کرد؟",
    ),
    (
        "conduct-listened",
        "Công chức có lắng nghe Ông/Bà không?",
        "Did the official listen to you?",
        "آیا کارمند به حرف‌های شما گوش داد؟",
    ),
    (
        "conduct-gentle",
        "Công chức có nhẹ nhàng, tươi cười không?",
        "Was the official gentle, with a smile?",
        "آیا کارمند با ملایمت و لبخند برخورد کرد؟",
    ),
    (
        "conduct-helped",
        "Công chức có tận tình giúp đỡ Ông/Bà không?",
        "Did the official help you with what you needed?",
        "آیا کارمند در انجام کارتان به شما کمک کرد؟",
    ),
]

REASONS = (
    "reasons",
    "Điều gì chưa tốt?",
    "What went wrong?",
    "چه چیزی خوب نبود؟",
)
REASON_CHOICES = [
    ("waited-too-long", "Phải chờ đợi quá lâu", "I waited too long", "مدت زیادی منتظر ماندم"),
    (
        "extra-documents",
        "Bị yêu cầu thêm giấy tờ ngoài quy định",
        "I was asked for extra documents",
        "مدارک اضافی از من خواسته شد",
    ),
    (
        "unofficial-payment",
        "Bị gợi ý nộp tiền ngoài quy định",
        "I was asked for an unofficial payment",
        "از من پول غیررسمی خواسته شد",
    ),
    ("impolite", "Công chức thiếu lịch sự", "The official was impolite", "کارمند بی‌ادب بود"),
    (
        "unclear-guidance",
        "Hướng dẫn không rõ ràng",
        "The guidance was unclear",
        "راهنمایی‌ها روشن نبود",
    ),
    ("other", "Lý do khác", "Something else", "دلیل دیگر"),
]
COMMENT = (
    "comment",
    "Ông/Bà có góp ý gì thêm không? (không bắt buộc)",
    "Anything else you would like to tell us? (optional)",
    "نکته دیگری هست که بخواهید به ما بگویید؟ (اختیاری)",
)

# (code, name, variant, [(question code, required)])
SURVEYS = [
    (
        "hn-core-full",
        "Phiếu khảo sát mức độ hài lòng (SIPAS) – Hà Nội",
        "full",
        [
            *((code, factor != "feedback") for code, factor, *_t in SIPAS_QUESTIONS),
            *((code, False) for code, *_t in CONDUCT_QUESTIONS),
            ("comment", False),
        ],
    ),
    (
        "hn-core-kiosk",
        "Đánh giá nhanh tại kiosk – Hà Nội",
        "kiosk",
        [
            ("officials-attentive", True),
            ("procedures-as-regulated", True),
            ("conduct-listened", True),
            ("conduct-helped", True),
            ("comment", False),
        ],
    ),
]

DEMO_KIOSK_NAME = "Kiosk quầy 01"
ENROLMENT_OFFICE_UNIT = "HN-CG-NT"


class Command(BaseCommand):
    help = "Load the demo question bank, Hà Nội's core surveys and demo kiosks. Idempotent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--base-url",
            default="http://127.0.0.1:8000",
            help="Where the server runs, for the printed kiosk enrolment link.",
        )
        links = parser.add_mutually_exclusive_group()
        links.add_argument(
            "--no-link", action="store_true", help="Load the data; print no enrolment link."
        )
        links.add_argument(
            "--link-only",
            action="store_true",
            help="Load nothing; only print a fresh enrolment link (make run prints it last).",
        )

    def handle(
        self, *args: Any, base_url: str, no_link: bool, link_only: bool, **options: Any
    ) -> None:
        if settings.PRODUCTION:
            raise CommandError("Demo data is never loaded in production.")
        try:
            hanoi = AdministrativeUnit.objects.get(code=HANOI)
        except AdministrativeUnit.DoesNotExist:
            raise CommandError("Run `manage.py load_demo` first (Hà Nội is missing).") from None
        if link_only:
            kiosks = {
                k.office.unit.code: k
                for k in Kiosk.objects.filter(name=DEMO_KIOSK_NAME).select_related("office__unit")
            }
        else:
            with transaction.atomic():
                self.load_questions()
                for code, name, variant, items in SURVEYS:
                    self.load_survey(hanoi, code, name, variant, items)
                kiosks = self.load_kiosks()
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo surveys ready: {Question.objects.count()} questions, "
                    f"{len(kiosks)} kiosks."
                )
            )
        enrol = kiosks.get(ENROLMENT_OFFICE_UNIT)
        if enrol is not None and not no_link:
            token = enrol.issue_enrolment_token()
            self.stdout.write(
                f"Demo kiosk (Nghĩa Tân): {base_url.rstrip('/')}/kiosk/enrol/{token}/\n"
                "  (open it once in the browser that plays the kiosk; valid 24 hours)"
            )

    def load_questions(self) -> None:
        reasons = self.question(REASONS, "multi", "")
        for position, (code, vi, en, fa) in enumerate(REASON_CHOICES):
            Choice.objects.update_or_create(
                question=reasons,
                code=code,
                defaults={"text_vi": vi, "text_en": en, "text_fa": fa, "position": position},
            )
        for code, factor, vi, en, fa in SIPAS_QUESTIONS:
            self.question((code, vi, en, fa), "scale5", factor, reasons)
        for texts in CONDUCT_QUESTIONS:
            self.question(texts, "yesno", "conduct", reasons)
        self.question(COMMENT, "text", "")

    def question(
        self,
        texts: tuple[str, str, str, str],
        kind: str,
        factor: str,
        reasons: Question | None = None,
    ) -> Question:
        code, vi, en, fa = texts
        question, _created = Question.objects.update_or_create(
            code=code,
            defaults={
                "kind": kind,
                "factor": factor,
                "reasons": reasons,
                "text_vi": vi,
                "text_en": en,
                "text_fa": fa,
            },
        )
        return question

    def load_survey(
        self,
        unit: AdministrativeUnit,
        code: str,
        name: str,
        variant: str,
        items: list[tuple[str, bool]],
    ) -> SurveyVersion:
        survey, _created = Survey.objects.update_or_create(
            code=code, defaults={"name": name, "variant": variant, "unit": unit, "office": None}
        )
        wanted = [(question_code, required) for question_code, required in items]
        version = survey.versions.order_by("-number").first()
        if version is not None:
            have = [(i.question.code, i.required) for i in version.ordered_items()]
            if have == wanted and not version.is_draft:
                return version
            if version.is_frozen:
                version = version.new_version(note="Demo questions updated")
            version.items.all().delete()
        else:
            version = SurveyVersion.objects.create(survey=survey, number=1, note="Demo")
        questions = Question.objects.in_bulk([c for c, _r in wanted], field_name="code")
        for position, (question_code, required) in enumerate(wanted):
            SurveyItem.objects.create(
                version=version,
                question=questions[question_code],
                position=position,
                required=required,
            )
        # The demo's ratings reach back 13 months: its first version is in force from
        # before them; a changed demo version is published now.
        version.publish(at=DEMO_PUBLISHED if version.number == 1 else None)
        return version

    def load_kiosks(self) -> dict[str, Kiosk]:
        kiosks = {}
        for unit_code, office_name, _address in OFFICES:
            office = Office.objects.filter(unit__code=unit_code, name=office_name).first()
            if office is None:
                continue
            kiosk, _created = Kiosk.objects.get_or_create(
                office=office,
                name=DEMO_KIOSK_NAME,
                defaults={"desk": Desk.objects.filter(office=office, number="01").first()},
            )
            kiosks[unit_code] = kiosk
        return kiosks
