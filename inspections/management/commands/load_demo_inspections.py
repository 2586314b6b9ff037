"""Demo inspections over the demo wards, their disciplinary cases, and a demo inspector.

Idempotent: each inspection is keyed by what does not move (unit, office, body,
scope) and updated in place; dates are set relative to the current month so the
default report period and the before/after windows always show something.
Run after `load_demo`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from common.months import add_months
from inspections.models import DisciplinaryCase, Inspection, Inspector, describe_staff
from offices.demo import DEMO_PASSWORD, HANOI
from offices.models import AdministrativeUnit, Office, StaffMember

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    # (staff name or "", person description, breach, measure, days after the inspection)
    DemoCase = tuple[str, str, str, str, int]

INSPECTOR = ("inspector_hanoi", "Thanh", "Trịnh", "Tổ kiểm tra công vụ Thành phố")

CITY_TEAM = "Tổ kiểm tra công vụ của UBND Thành phố Hà Nội"
HOME_AFFAIRS = "Sở Nội vụ Hà Nội"
JUSTICE = "Sở Tư pháp Hà Nội"
CABINET = "Văn phòng UBND Thành phố (Phòng Kiểm soát thủ tục hành chính)"
DISTRICT_CG = "UBND quận Cầu Giấy"
DISTRICT_NTL = "UBND quận Nam Từ Liêm"

DISCIPLINE = "Kiểm tra việc chấp hành kỷ luật, kỷ cương hành chính và văn hóa công sở"
CIVIL_STATUS = "Giải quyết thủ tục hành chính lĩnh vực hộ tịch, chứng thực"
POSTING = "Niêm yết, công khai thủ tục hành chính và tiếp nhận phản ánh, kiến nghị"
LAND = "Giải quyết hồ sơ đất đai, xây dựng; tình trạng hồ sơ trễ hẹn"
REFORM = "Công tác cải cách hành chính và chuyển đổi số của phường"
HOURS = "Kiểm tra đột xuất giờ giấc làm việc và thái độ phục vụ tại Bộ phận một cửa"

# (unit code, office at the unit?, body, level, kind, scope, months ago, day,
#  findings, outcome, [(staff name or "", person description, breach, measure, days after)])
# fmt: off
INSPECTIONS = [
    (
        "HN-CG-NT", True, CITY_TEAM, "city", "surprise", HOURS, 14, 9,
        "01 công chức vắng mặt không lý do lúc 8 giờ 15; 02 hồ sơ hộ tịch trễ hẹn "
        "không có phiếu xin lỗi.",
        "Yêu cầu kiểm điểm cá nhân vi phạm, gửi thư xin lỗi công dân có hồ sơ trễ hẹn.",
        [("Trần Văn Minh", "", "Vắng mặt trong giờ làm việc không có lý do", "reprimand", 20)],
    ),
    (
        "HN-CG-NT", True, JUSTICE, "department", "planned", CIVIL_STATUS, 8, 16,
        "Hồ sơ được giải quyết đúng hạn; sổ hộ tịch ghi chép đầy đủ.",
        "Đạt yêu cầu; đề nghị số hoá sổ hộ tịch cũ trước quý sau.",
        [],
    ),
    (
        "HN-CG-NT", True, DISTRICT_CG, "district", "planned", POSTING, 3, 11,
        "Bảng niêm yết còn 03 thủ tục đã hết hiệu lực.",
        "Cập nhật bảng niêm yết trong 07 ngày.",
        [],
    ),
    (
        "HN-CG-DV", True, DISTRICT_CG, "district", "surprise", HOURS, 12, 5,
        "Công chức tiếp nhận có thái độ thiếu hoà nhã với công dân (có ghi hình).",
        "Kiểm điểm trước tập thể; tập huấn lại quy tắc ứng xử.",
        [("Lê Hoàng Nam", "", "Thái độ thiếu hoà nhã khi tiếp công dân", "warning", 25)],
    ),
    (
        "HN-CG-DV", True, CABINET, "department", "planned", POSTING, 6, 20,
        "Hòm thư góp ý không được mở định kỳ; chưa có sổ theo dõi phản ánh.",
        "Lập sổ theo dõi, mở hòm thư hằng tuần và công khai kết quả trả lời.",
        [],
    ),
    (
        "HN-CG-DV", True, CITY_TEAM, "city", "surprise", LAND, 2, 8,
        "09 hồ sơ đất đai trễ hẹn; 01 trường hợp yêu cầu nộp thêm giấy tờ ngoài quy định.",
        "Chuyển hồ sơ vi phạm để xem xét kỷ luật; rà soát toàn bộ hồ sơ tồn.",
        [
            ("Phạm Thu Hà", "", "Yêu cầu công dân bổ sung giấy tờ ngoài quy định", "demotion", 30),
            ("", "Nguyễn Văn Khải, cán bộ hợp đồng (đã nghỉ việc)", "Nhận tiền của công dân để "
             "giải quyết hồ sơ nhanh", "dismissal", 30),
        ],
    ),
    (
        "HN-NTL-MD1", True, DISTRICT_NTL, "district", "planned", DISCIPLINE, 13, 22,
        "Thực hiện tốt; một số công chức chưa đeo thẻ.",
        "Nhắc nhở chung.",
        [],
    ),
    (
        "HN-NTL-MD1", True, HOME_AFFAIRS, "department", "surprise", HOURS, 7, 3,
        "02 công chức rời vị trí làm việc trong giờ hành chính.",
        "Kiểm điểm, rút kinh nghiệm; tăng cường camera giám sát.",
        [
            ("Đỗ Minh Châu", "", "Rời vị trí làm việc trong giờ hành chính", "other", 14),
            ("Lê Hoàng Nam", "", "Rời vị trí làm việc trong giờ hành chính", "reprimand", 14),
        ],
    ),
    (
        "HN-NTL-MD1", True, "UBND phường Mỹ Đình 1", "ward", "planned", CIVIL_STATUS, 1, 6,
        "Tự kiểm tra: 01 hồ sơ chứng thực trả chậm 1 ngày.",
        "Xin lỗi công dân; điều chỉnh lịch trực.",
        [],
    ),
    (
        "00166", True, HOME_AFFAIRS, "department", "planned", DISCIPLINE, 5, 14,
        "Trung tâm mới sáp nhập, quy trình tiếp nhận còn lúng túng.",
        "Ban hành quy chế làm việc của Trung tâm trong tháng.",
        [],
    ),
    (
        "00166", False, CITY_TEAM, "city", "planned", REFORM, 4, 18,
        "Tỷ lệ hồ sơ trực tuyến toàn trình thấp (31%).",
        "Giao chỉ tiêu 50% hồ sơ trực tuyến toàn trình trong 6 tháng.",
        [],
    ),
    (
        "00160", True, CITY_TEAM, "city", "surprise", HOURS, 9, 27,
        "Bố trí thiếu công chức tại quầy đất đai giờ cao điểm.",
        "Điều chỉnh bố trí nhân sự; báo cáo kết quả sau 30 ngày.",
        [],
    ),
    (
        "00160", True, "UBND phường Nghĩa Đô", "ward", "planned", POSTING, 2, 13,
        "Đã khắc phục các tồn tại của đợt kiểm tra trước.",
        "Đạt yêu cầu.",
        [],
    ),
    (
        "00004", True, JUSTICE, "department", "planned", CIVIL_STATUS, 10, 10,
        "Thu phí chứng thực không đúng biểu phí đối với 04 hồ sơ.",
        "Hoàn trả tiền thu sai cho công dân; kỷ luật cá nhân vi phạm.",
        [("Nguyễn Thị Lan", "", "Thu phí chứng thực sai quy định", "warning", 21)],
    ),
    (
        "00004", True, HOME_AFFAIRS, "department", "surprise", HOURS, 3, 4,
        "Chấp hành tốt giờ giấc; khu vực chờ thiếu ghế cho người cao tuổi.",
        "Bổ sung ghế và lối đi cho người khuyết tật.",
        [],
    ),
    (
        "00004", False, "UBND phường Ba Đình", "ward", "planned", REFORM, 1, 19,
        "Tự kiểm tra việc thực hiện cải cách hành chính quý trước.",
        "Tiếp tục duy trì.",
        [],
    ),
]
# fmt: on


class Command(BaseCommand):
    help = "Load demo inspections over the demo wards and the inspector_hanoi user. Idempotent."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("Demo data is never loaded in production.")
        if not AdministrativeUnit.objects.filter(code=HANOI).exists():
            raise CommandError("Run `manage.py load_demo` first.")
        with transaction.atomic():
            inspector = self.load_inspector()
            count = sum(self.load_inspection(inspector, *row) for row in INSPECTIONS)
        self.stdout.write(self.style.SUCCESS(f"Demo inspections ready: {count} cases."))

    def load_inspector(self) -> User:
        username, first, last, note = INSPECTOR
        user, created = get_user_model().objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": f"{username}@example.vn"},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        Inspector.objects.update_or_create(
            user=user, unit=AdministrativeUnit.objects.get(code=HANOI), defaults={"note": note}
        )
        return user

    def load_inspection(
        self,
        inspector: User,
        unit_code: str,
        at_office: bool,
        body: str,
        level: str,
        kind: str,
        scope: str,
        months_ago: int,
        day: int,
        findings: str,
        outcome: str,
        cases: list[DemoCase],
    ) -> int:
        unit = AdministrativeUnit.objects.get(code=unit_code)
        office = Office.objects.filter(unit=unit).order_by("pk").first() if at_office else None
        this_month = timezone.localdate().replace(day=1)
        when = add_months(this_month, -months_ago).replace(day=day)
        inspection, _ = Inspection.objects.update_or_create(
            unit=unit,
            office=office,
            inspecting_body=body,
            scope=scope,
            defaults={
                "inspecting_level": level,
                "kind": kind,
                "date": when,
                "findings": findings,
                "outcome": outcome,
                "created_by": inspector,
            },
        )
        for staff_name, person, breach, measure, days_after in cases:
            staff = StaffMember.objects.filter(office=office, full_name=staff_name).first()
            decided = min(when + timedelta(days=days_after), timezone.localdate())
            DisciplinaryCase.objects.update_or_create(
                inspection=inspection,
                breach=breach,
                person=person or describe_staff(staff),
                defaults={"staff": staff, "measure": measure, "date": decided},
            )
        return len(cases)
