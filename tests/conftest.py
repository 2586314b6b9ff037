"""Shared fixtures: the tree and the named personas every access test uses.

The tree (the pre-2025 three levels, and one 2025 ward straight under the city):

    Hà Nội (city)
    ├── Cầu Giấy district
    │   └── Nghĩa Tân ward ........ office A (desk A1, staff Lan)
    ├── Nam Từ Liêm district
    │   └── Mỹ Đình 1 ward ........ office B
    └── Phường Ba Đình (2025) ..... office C

Personas: anonymous, alice (ward A official, manager), bob (ward B official),
dora (district official over A, viewer), carol (city official, viewer), admin (superuser).
"""

import os
import shutil
from dataclasses import dataclass

import pytest

from offices.models import Role
from tests.factories import (
    DeskFactory,
    MembershipFactory,
    OfficeFactory,
    StaffFactory,
    UserFactory,
    make_unit,
)

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path_factory):
    """Private files (inspection attachments) land in a temporary folder, never the repo."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path_factory.getbasetemp() / "private"
    return settings.PRIVATE_MEDIA_ROOT


@dataclass
class Tree:
    city: object
    district_a: object
    ward_a: object
    district_b: object
    ward_b: object
    ward_c: object
    office_a: object
    office_b: object
    office_c: object
    desk_a: object
    staff_a: object


@pytest.fixture
def tree(db) -> Tree:
    city = make_unit("01", "Thành phố Hà Nội", "province")
    district_a = make_unit("HN-CG", "Quận Cầu Giấy", "district", city)
    ward_a = make_unit("HN-CG-NT", "Phường Nghĩa Tân", "ward", district_a)
    district_b = make_unit("HN-NTL", "Quận Nam Từ Liêm", "district", city)
    ward_b = make_unit("HN-NTL-MD1", "Phường Mỹ Đình 1", "ward", district_b)
    ward_c = make_unit("00004", "Phường Ba Đình", "ward", city)
    office_a = OfficeFactory(unit=ward_a, name="Một cửa Nghĩa Tân")
    office_b = OfficeFactory(unit=ward_b, name="Một cửa Mỹ Đình 1")
    office_c = OfficeFactory(unit=ward_c, name="Trung tâm HCC Ba Đình")
    desk_a = DeskFactory(office=office_a, number="01", name="Tư pháp - Hộ tịch")
    staff_a = StaffFactory(office=office_a, desk=desk_a, full_name="Nguyễn Thị Lan")
    return Tree(
        city,
        district_a,
        ward_a,
        district_b,
        ward_b,
        ward_c,
        office_a,
        office_b,
        office_c,
        desk_a,
        staff_a,
    )


def _member(username: str, unit, role: str):
    user = UserFactory(username=username)
    MembershipFactory(user=user, unit=unit, role=role)
    return user


@pytest.fixture
def alice(tree):
    """Official of ward A (Nghĩa Tân), manager."""
    return _member("alice", tree.ward_a, Role.MANAGER)


@pytest.fixture
def bob(tree):
    """Official of ward B (Mỹ Đình 1), manager."""
    return _member("bob", tree.ward_b, Role.MANAGER)


@pytest.fixture
def dora(tree):
    """District official over ward A (Cầu Giấy), read-only viewer."""
    return _member("dora", tree.district_a, Role.VIEWER)


@pytest.fixture
def carol(tree):
    """City official (Hà Nội), viewer."""
    return _member("carol", tree.city, Role.VIEWER)


@pytest.fixture
def admin_user(tree):
    return UserFactory(username="admin", is_staff=True, is_superuser=True)


@pytest.fixture
def client_for(client):
    """Log a persona in on the test client: client_for(alice).get(...)."""

    def login(user):
        client.force_login(user)
        return client

    return login


# --- Browser tests --------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium_path():
    """Debian's Chromium; CI must have it, a newcomer's machine may skip with a reason."""
    if not (os.path.exists(CHROMIUM) and shutil.which(CHROMIUM)):
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture(scope="session")
def browser(chromium_path):
    # Playwright's sync API runs an event loop in this thread; the live server
    # and ORM calls in the test itself are synchronous and safe here.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session")
def screenshot_dir():
    from django.conf import settings

    path = settings.BASE_DIR / "artifacts" / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path
