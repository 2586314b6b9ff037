"""Demo units, offices, desks, staff and users for Hà Nội. Idempotent: run it twice, same data.

Hà Nội and its 126 commune-level units come from the real 2025 data in
../shared/data. The pre-2025 three-level example (Cầu Giấy district › Nghĩa Tân
ward, Nam Từ Liêm district › Mỹ Đình 1 ward) is built by hand under the same
city; its codes start with "HN-" to mark them as demo codes, not official ones.
"""

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from offices.importing import UnitRow, import_units, read_rows
from offices.models import (
    AdministrativeUnit,
    Desk,
    Membership,
    Office,
    ProcedureField,
    Role,
    StaffMember,
)

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


class Command(BaseCommand):
    help = "Load the demo data for Hà Nội (units, offices, desks, staff, users). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--units-csv", default=str(UNITS_CSV))

    def handle(self, *args, units_csv, **options):
        if settings.PRODUCTION:
            raise CommandError("Demo data is never loaded in production.")
        with open(Path(units_csv), encoding="utf-8", newline="") as handle:
            rows = [r for r in read_rows(handle) if HANOI in (r.code, r.parent_code)]
        with transaction.atomic():
            import_units(rows + OLD_STRUCTURE)
            offices = self.load_offices()
            self.load_users()
        self.stdout.write(self.style.SUCCESS(f"Demo data ready: {len(offices)} offices."))

    def load_offices(self) -> list[Office]:
        fields = {
            code: ProcedureField.objects.update_or_create(code=code, defaults={"name": name})[0]
            for code, name in PROCEDURE_FIELDS.items()
        }
        offices = []
        for unit_code, name, address in OFFICES:
            unit = AdministrativeUnit.objects.get(code=unit_code)
            office, _ = Office.objects.update_or_create(
                unit=unit, name=name, defaults={"address": address}
            )
            for number, desk_name, field_codes, people in DESKS:
                desk, _ = Desk.objects.update_or_create(
                    office=office, number=number, defaults={"name": desk_name}
                )
                desk.procedure_fields.set([fields[c] for c in field_codes])
                for full_name, title in people:
                    StaffMember.objects.update_or_create(
                        office=office, full_name=full_name, defaults={"desk": desk, "title": title}
                    )
            offices.append(office)
        return offices

    def load_users(self) -> None:
        User = get_user_model()
        for username, first, last, unit_code, role, superuser in USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@example.vn",
                    "is_staff": superuser,
                    "is_superuser": superuser,
                },
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            if unit_code:
                Membership.objects.update_or_create(
                    user=user,
                    unit=AdministrativeUnit.objects.get(code=unit_code),
                    defaults={"role": role},
                )
