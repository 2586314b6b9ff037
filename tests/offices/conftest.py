"""Delegated-admin personas of the shared tree (tests/conftest.py): an `admin` membership
and nothing else — no staff flag, no model permissions."""

import pytest

from offices.models import Role
from tests.factories import MembershipFactory, UserFactory


def unit_admin(username: str, unit):
    user = UserFactory(username=username)
    MembershipFactory(user=user, unit=unit, role=Role.ADMIN)
    return user


@pytest.fixture
def admin_a(tree):
    """Administers ward A (Nghĩa Tân)."""
    return unit_admin("admin_a", tree.ward_a)


@pytest.fixture
def admin_b(tree):
    """Administers ward B (Mỹ Đình 1)."""
    return unit_admin("admin_b", tree.ward_b)


@pytest.fixture
def admin_district(tree):
    """Administers the district over ward A."""
    return unit_admin("admin_district", tree.district_a)
