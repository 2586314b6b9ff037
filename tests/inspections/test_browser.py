"""What only a browser shows: the entry flow on a phone, and the confirm before removal."""

import pytest
from django.conf import settings

from inspections.models import DisciplinaryCase, Inspection

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, client, user):
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_inspector_records_an_inspection_and_a_case_on_a_phone(
    live_server, page, client, ivan, tree, screenshot_dir
):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server, client, ivan)
    page.goto(live_server.url + "/inspections/new/")
    assert fits_the_screen(page)
    page.select_option("#id_office", str(tree.office_a.pk))
    page.fill("#id_inspecting_body", "Thanh tra quận Cầu Giấy")
    page.select_option("#id_inspecting_level", "district")
    page.select_option("#id_kind", "surprise")
    page.fill("#id_date", "2025-06-03")
    page.fill("#id_scope", "Giờ giấc làm việc")
    with page.expect_navigation():
        page.click("#submit-id-save")
    inspection = Inspection.objects.get()
    assert page.url.endswith(f"/inspections/{inspection.pk}/")
    page.click(f"a[href='/inspections/{inspection.pk}/cases/new/']")
    page.select_option("#id_staff", str(tree.staff_a.pk))
    page.fill("#id_breach", "Đến muộn")
    page.select_option("#id_measure", "reprimand")
    page.fill("#id_date", "2025-06-10")
    with page.expect_navigation():
        page.click("#submit-id-save")
    assert "Nguyễn Thị Lan" in page.text_content("main")
    assert fits_the_screen(page)
    page.screenshot(path=str(screenshot_dir / "inspection-detail-phone.png"), full_page=True)

    remove = page.locator("form[data-confirm] button[type=submit]")
    page.once("dialog", lambda dialog: dialog.dismiss())
    remove.click()
    page.wait_for_timeout(200)
    assert DisciplinaryCase.objects.count() == 1  # dismissed: nothing removed
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        remove.click()
    assert DisciplinaryCase.objects.count() == 0
