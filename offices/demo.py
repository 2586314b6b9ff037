"""The demo's fixed data for Hà Nội: units of the pre-2025 example, offices, desks, staff and
users. Plain constants, read by the load_demo* commands and by demo_info; nothing here
touches the database.

Hà Nội and its 126 commune-level units come from the real 2025 data in ../shared/data;
the three-level example (Cầu Giấy district › Nghĩa Tân ward, Nam Từ Liêm district ›
Mỹ Đình 1 ward) is built by hand under the same city, with codes starting "HN-" to mark
them as demo codes, not official ones.
"""

from django.conf import settings

from offices.importing import UnitRow
from offices.models import Role

UNITS_CSV = settings.BASE_DIR.parent / "shared" / "data" / "vn-admin-units-2025.csv"
HANOI = "01"
DEMO_PASSWORD = "demo-onestop-2025"  # noqa: S105 — demo only; load_demo refuses production

OLD_STRUCTURE = [
    UnitRow(0, "HN-CG", "Quận Cầu Giấy (trước 2025)", "district", HANOI),
    UnitRow(0, "HN-CG-NT", "Phường Nghĩa Tân", "ward", "HN-CG"),
    UnitRow(0, "HN-CG-DV", "Phường Dịch Vọng", "ward", "HN-CG"),
    UnitRow(0, "HN-NTL", "Quận Nam Từ Liêm (trước 2025)", "district", HANOI),
    UnitRow(0, "HN-NTL-MD1", "Phường Mỹ Đình 1", "ward", "HN-NTL"),
]

PROCEDURE_FIELDS = {
    "civil-status": "Hộ tịch",
    "certification": "Chứng thực",
    "land": "Đất đai",
    "construction": "Xây dựng",
    "business": "Đăng ký kinh doanh",
    "social-affairs": "Lao động - Thương binh và Xã hội",
}

# (unit code, office name, address)
OFFICES = [
    ("HN-CG-NT", "Bộ phận một cửa UBND phường Nghĩa Tân", "Số 1 Tô Hiệu, Nghĩa Tân, Cầu Giấy"),
    ("HN-CG-DV", "Bộ phận một cửa UBND phường Dịch Vọng", "Số 2 Trần Quốc Vượng, Dịch Vọng"),
    ("HN-NTL-MD1", "Bộ phận một cửa UBND phường Mỹ Đình 1", "Số 5 Nguyễn Cơ Thạch, Mỹ Đình 1"),
    ("00166", "Trung tâm Phục vụ hành chính công phường Cầu Giấy", "Số 36 Cầu Giấy"),
    ("00160", "Trung tâm Phục vụ hành chính công phường Nghĩa Đô", "Số 18 Hoàng Quốc Việt"),
    ("00004", "Trung tâm Phục vụ hành chính công phường Ba Đình", "Số 25 Liễu Giai"),
]

# (counter number, desk name, procedure fields, [(staff name, title)])
DESKS = [
    (
        "01",
        "Tư pháp - Hộ tịch",
        ["civil-status", "certification"],
        [("Nguyễn Thị Lan", "Công chức Tư pháp - Hộ tịch"), ("Trần Văn Minh", "Công chức Tư pháp")],
    ),
    (
        "02",
        "Địa chính - Xây dựng",
        ["land", "construction"],
        [("Lê Hoàng Nam", "Công chức Địa chính"), ("Phạm Thu Hà", "Công chức Xây dựng")],
    ),
    (
        "03",
        "Văn hóa - Xã hội",
        ["social-affairs", "business"],
        [("Đỗ Minh Châu", "Công chức Văn hóa - Xã hội")],
    ),
]

# (username, first name, last name, unit code, role, superuser)
USERS = [
    ("ward_nghiatan", "Hương", "Vũ", "HN-CG-NT", Role.MANAGER, False),
    ("ward_mydinh1", "Dũng", "Hoàng", "HN-NTL-MD1", Role.MANAGER, False),
    ("district_caugiay", "Thảo", "Ngô", "HN-CG", Role.VIEWER, False),
    ("city_hanoi", "Quang", "Bùi", HANOI, Role.VIEWER, False),
    ("admin", "Quản trị", "Hệ thống", None, None, True),
]
