"""Demo units, offices, desks, staff and users for Hà Nội. Idempotent: run it twice, same data.

Hà Nội and its 126 commune-level units come from the real 2025 data in
../shared/data. The pre-2025 three-level example (Cầu Giấy district › Nghĩa Tân
ward, Nam Từ Liêm district › Mỹ Đình 1 ward) is built by hand under the same
city; its codes start with "HN-" to mark them as demo codes, not official ones.
"""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from offices.demo import (
    DEMO_PASSWORD,
    DESKS,
    HANOI,
    OFFICES,
    OLD_STRUCTURE,
    PROCEDURE_FIELDS,
    UNITS_CSV,
    USERS,
)
from offices.importing import import_units, read_rows
from offices.models import (
    AdministrativeUnit,
    Desk,
    Membership,
    Office,
    ProcedureField,
    StaffMember,
)


class Command(BaseCommand):
    help = "Load the demo data for Hà Nội (units, offices, desks, staff, users). Idempotent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--units-csv", default=str(UNITS_CSV))

    def handle(self, *args: Any, units_csv: str, **options: Any) -> None:
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
            if unit_code and role:  # the superuser has no membership
                Membership.objects.update_or_create(
                    user=user,
                    unit=AdministrativeUnit.objects.get(code=unit_code),
                    defaults={"role": role},
                )
