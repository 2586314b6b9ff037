"""Inspection fixtures on top of the shared tree and personas (tests/conftest.py).

ivan (tests/conftest.py) inspects the Cầu Giấy district (so ward A), no office membership;
alice (ward A manager) reads ward A's inspections but is no inspector.
"""

from datetime import date

import pytest

from inspections.models import DisciplinaryCase, Inspection


def make_inspection(unit, office=None, **fields) -> Inspection:
    values = {
        "inspecting_body": "Thanh tra Sở Nội vụ",
        "inspecting_level": "department",
        "kind": "planned",
        "date": date(2025, 3, 12),
        "scope": "Kỷ luật, kỷ cương hành chính",
        "findings": "Không có vi phạm",
        "outcome": "Đạt yêu cầu",
    }
    values.update(fields)
    return Inspection.objects.create(unit=office.unit if office else unit, office=office, **values)


def make_case(inspection, **fields) -> DisciplinaryCase:
    values = {
        "person": "Nguyễn Văn Bình, công chức",
        "breach": "Vắng mặt trong giờ làm việc",
        "measure": "reprimand",
        "date": inspection.date,
    }
    values.update(fields)
    return DisciplinaryCase.objects.create(inspection=inspection, **values)


@pytest.fixture
def inspection_a(tree):
    return make_inspection(tree.ward_a, tree.office_a)


@pytest.fixture
def inspection_b(tree):
    return make_inspection(tree.ward_b, tree.office_b, inspecting_body="UBND quận Nam Từ Liêm")
