"""Demo suggestions across the demo offices, in every state. Idempotent.

Run after `load_demo` (it needs the offices and the officials). Each demo
suggestion has a fixed tracking code; one that exists already is left exactly as
it is (its stamps are immutable anyway), so running the command twice changes
nothing. Ages are relative to the first run, so some are overdue from the start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from offices.models import Office
from suggestions.models import (
    Category,
    Channel,
    Reply,
    SeenStamp,
    Status,
    Suggestion,
    normalise_code,
    signing_role,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

NGHIA_TAN = "HN-CG-NT"
DICH_VONG = "HN-CG-DV"
MY_DINH_1 = "HN-NTL-MD1"
BA_DINH = "00004"
PUBLIC_BOARDS = [NGHIA_TAN, MY_DINH_1]
# Who reads and answers each office's demo suggestions (load_demo's users); elsewhere "admin".
OFFICIALS = {NGHIA_TAN: "ward_nghiatan", MY_DINH_1: "ward_mydinh1"}


@dataclass
class Demo:
    code: str
    unit: str
    category: str
    text: str
    days_ago: float
    channel: str = Channel.WEB
    name: str = ""
    contact: str = ""
    seen_after: float | None = None  # days after arrival
    reply: str = ""
    reply_after: float | None = None
    closed_after: float | None = None
    public: bool = False
    second_stamp_after: float | None = None  # a district official's stamp too


DEMOS = [
    Demo(
        "NT2K7PQA",
        NGHIA_TAN,
        Category.PROCEDURES,
        "Nên niêm yết rõ danh mục giấy tờ cần mang khi làm thủ tục khai sinh ngay tại quầy.",
        40,
        Channel.KIOSK,
        seen_after=0.8,
        reply="Cảm ơn ông/bà. Bộ phận một cửa đã dán danh mục giấy tờ tại quầy số 01 từ tuần này.",
        reply_after=4,
        closed_after=6,
        public=True,
    ),
    Demo(
        "NT3MX8RB",
        NGHIA_TAN,
        Category.PREMISES,
        "Ghế chờ ở sảnh quá ít, người cao tuổi phải đứng lâu. Đề nghị bổ sung thêm ghế.",
        25,
        Channel.QR,
        seen_after=1.2,
        reply="Phường đã bổ sung 10 ghế chờ và ưu tiên người cao tuổi, người khuyết tật.",
        reply_after=7,
        public=True,
        second_stamp_after=3,
    ),
    Demo(
        "NT4HW9SC",
        NGHIA_TAN,
        Category.CONDUCT,
        "Cán bộ quầy hộ tịch hướng dẫn rất tận tình, tôi muốn gửi lời cảm ơn.",
        12,
        Channel.KIOSK,
        seen_after=0.3,
        reply="Cảm ơn ông/bà đã ghi nhận. Ý kiến đã được chuyển tới cán bộ.",
        reply_after=1,
        public=True,
    ),
    Demo(
        "NT5JV2TD",
        NGHIA_TAN,
        Category.FEES,
        "Tôi chưa rõ lệ phí chứng thực bản sao tính theo trang hay theo bản.",
        16,
        Channel.WEB,
        name="Trần Thị Mai",
        contact="0912345678",
        seen_after=5,  # stamped late
    ),
    Demo(
        "NT6FU3XE",
        NGHIA_TAN,
        Category.PROCEDURES,
        "Thời gian chờ lấy số thứ tự buổi sáng thứ Hai quá lâu, nên mở thêm quầy.",
        6,
        Channel.KIOSK,
    ),
    Demo(
        "NT7GT4YF",
        NGHIA_TAN,
        Category.OTHER,
        "Đề nghị có thêm chỗ để xe máy cho người dân đến làm thủ tục.",
        0.2,
        Channel.QR,
    ),
    Demo(
        "DV8CS5ZG",
        DICH_VONG,
        Category.PREMISES,
        "Máy lấy số thứ tự bị hỏng từ đầu tuần, người dân phải xếp hàng tự phát.",
        15,
        Channel.KIOSK,
    ),
    Demo(
        "DV9BR6AH",
        DICH_VONG,
        Category.CONDUCT,
        "Một cán bộ trả lời điện thoại riêng trong lúc tiếp dân.",
        3,
        Channel.WEB,
        name="Nguyễn Văn Hùng",
        contact="hung.nguyen@example.vn",
    ),
    Demo(
        "MD2AQ7BJ",
        MY_DINH_1,
        Category.PROCEDURES,
        "Nên cho phép nộp hồ sơ đăng ký tạm trú trực tuyến để giảm tải cho quầy.",
        30,
        Channel.WEB,
        seen_after=1,
        reply="Phường đã hướng dẫn nộp trực tuyến qua Cổng dịch vụ công; "
        "cán bộ hỗ trợ tại quầy số 02.",
        reply_after=12,  # answered late
        closed_after=14,
        public=True,
    ),
    Demo(
        "MD3ZP8CK",
        MY_DINH_1,
        Category.FEES,
        "Biên lai thu phí không ghi rõ tên thủ tục.",
        8,
        Channel.QR,
        seen_after=1.5,
    ),
    Demo(
        "MD4YN9DM",
        MY_DINH_1,
        Category.PREMISES,
        "Nhà vệ sinh khu một cửa cần được dọn thường xuyên hơn.",
        1,
        Channel.KIOSK,
        seen_after=0.2,
        reply="Phường đã tăng lịch vệ sinh lên 3 lần mỗi ngày.",
        reply_after=0.5,
        public=True,
    ),
    Demo(
        "BD5XM2EN",
        BA_DINH,
        Category.OTHER,
        "Trung tâm nên có bảng hướng dẫn bằng tiếng Anh cho người nước ngoài.",
        4,
        Channel.WEB,
    ),
]


class Command(BaseCommand):
    help = "Load demo suggestions, stamps and replies for the demo offices. Idempotent."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("Demo data is never loaded in production.")
        offices = {o.unit.code: o for o in Office.objects.select_related("unit")}
        missing = {d.unit for d in DEMOS} - offices.keys()
        if missing:
            raise CommandError("Run `manage.py load_demo` first (offices missing).")
        users = {u.username: u for u in get_user_model().objects.all()}
        if not {*OFFICIALS.values(), "admin"} <= users.keys():
            raise CommandError("Run `manage.py load_demo` first (officials missing).")
        created = 0
        with transaction.atomic():
            # These offices also publish the transparency board (/board/<id>/, docs/board.md).
            Office.objects.filter(unit__code__in=PUBLIC_BOARDS).update(
                public_board=True, transparency_board=True
            )
            now = timezone.now()
            for demo in DEMOS:
                if normalise_code(demo.code) != demo.code:
                    raise CommandError(f"Demo code {demo.code} is not a valid tracking code.")
                if Suggestion.objects.filter(code=demo.code).exists():
                    continue
                self.create(demo, offices[demo.unit], users, now)
                created += 1
        self.stdout.write(
            self.style.SUCCESS(f"Demo suggestions ready: {created} new, {len(DEMOS)} in total.")
        )

    def create(self, demo: Demo, office: Office, users: dict[str, User], now: datetime) -> None:
        arrived = now - timedelta(days=demo.days_ago)
        suggestion = Suggestion(
            code=demo.code,
            office=office,
            category=demo.category,
            text=demo.text,
            name=demo.name,
            contact=demo.contact,
            contact_consent=bool(demo.contact),
            channel=demo.channel,
            language="vi",
            created_at=arrived,
        )
        suggestion.save()
        official = users[OFFICIALS.get(demo.unit, "admin")]  # handle() checked they exist
        if demo.seen_after is not None:
            self.stamp(suggestion, official, arrived + timedelta(days=demo.seen_after))
        if demo.second_stamp_after is not None:
            self.stamp(
                suggestion, users["admin"], arrived + timedelta(days=demo.second_stamp_after)
            )
        if demo.reply:
            role, unit_name = signing_role(official, office.unit)
            reply = Reply.objects.create(
                suggestion=suggestion,
                author=official,
                role=role,
                role_unit=unit_name,
                text=demo.reply,
                is_public=demo.public,
                created_at=arrived + timedelta(days=demo.reply_after),  # type: ignore[arg-type]
            )
            suggestion.answered_at = reply.created_at
            suggestion.status = Status.ANSWERED
        if demo.closed_after is not None:
            suggestion.closed_at = arrived + timedelta(days=demo.closed_after)
            suggestion.status = Status.CLOSED
        suggestion.is_public = demo.public
        suggestion.save()

    def stamp(self, suggestion: Suggestion, user: User, at: datetime) -> None:
        role, unit_name = signing_role(user, suggestion.office.unit)
        SeenStamp.objects.create(
            suggestion=suggestion,
            user=user,
            signer_name=user.get_full_name() or user.get_username(),
            role=role,
            role_unit=unit_name,
            at=at,
        )
        if suggestion.first_seen_at is None:
            suggestion.first_seen_at = at
            suggestion.status = Status.SEEN
