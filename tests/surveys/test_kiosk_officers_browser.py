"""The kiosk in Chromium: the citizen taps the officer who served them; a queued rating
keeps the officer shown at the time; an officer signs in with a PIN."""

import pytest
from django.urls import reverse

from offices.models import Kiosk, SessionEnd
from surveys.models import Response
from tests.factories import StaffFactory
from tests.surveys.test_kiosk_browser import tap, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def minh(tree):
    return StaffFactory(
        office=tree.office_a, desk=tree.desk_a, full_name="Trần Văn Minh", title="Công chức"
    )


@pytest.fixture
def open_kiosk(page, live_server, tree, kiosk_version):
    def open_it():
        device = Kiosk.objects.create(
            office=tree.office_a, desk=tree.desk_a, name="Kiosk 1", min_seconds_between_ratings=0
        )
        token = device.issue_enrolment_token()
        page.goto(live_server.url + reverse("surveys:kiosk_enrol", args=[token]))
        page.click("#enrol-device")
        page.wait_for_selector("#screen-start.is-active")
        return page

    return open_it


def answer_and_send(page):
    page.wait_for_selector("#screen-question.is-active .face-5")
    tap(page, ".face-5")
    tap(page, ".option.yes")
    tap(page, "[data-action=next]")
    page.wait_for_selector("#screen-thanks.is-active")


def test_the_citizen_taps_the_second_officer_and_the_rating_credits_them(
    open_kiosk, tree, minh, screenshot_dir
):
    tree.desk_a.start_serving(tree.staff_a, how="web")
    tree.desk_a.start_serving(minh, how="web")
    page = open_kiosk()
    assert page.locator(".officer-choice").count() == 2
    page.screenshot(path=str(screenshot_dir / "kiosk-officers-choose.png"))
    page.click(f".officer-choice[data-staff='{minh.pk}']")
    answer_and_send(page)
    assert wait_until(lambda: Response.objects.count() == 1, page=page)
    assert Response.objects.get().staff == minh


def test_starting_without_choosing_among_two_credits_nobody(open_kiosk, tree, minh):
    tree.desk_a.start_serving(tree.staff_a, how="web")
    tree.desk_a.start_serving(minh, how="web")
    page = open_kiosk()
    page.click(".btn-start")
    answer_and_send(page)
    assert wait_until(lambda: Response.objects.count() == 1, page=page)
    assert Response.objects.get().staff is None


def test_a_rating_queued_offline_keeps_the_officer_shown_at_the_time(open_kiosk, tree, minh):
    tree.desk_a.start_serving(tree.staff_a, how="web")
    page = open_kiosk()
    page.context.set_offline(True)
    # One officer: the headline's faces are on the start screen and the first tap rates.
    page.click("#screen-start .face-5")
    tap(page, ".option.yes")
    tap(page, "[data-action=next]")
    page.wait_for_selector("#screen-thanks.is-active")
    # While the kiosk is offline Lan stops and Minh takes the desk alone.
    tree.desk_a.stop_serving(tree.staff_a, how=SessionEnd.STOPPED)
    tree.desk_a.start_serving(minh, how="web", alone=True)
    assert Response.objects.count() == 0
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    assert wait_until(lambda: Response.objects.count() == 1, timeout=15, page=page)
    assert Response.objects.get().staff == tree.staff_a


def test_an_officer_signs_in_on_the_staff_corner_and_the_start_screen_shows_them(
    open_kiosk, tree, minh, screenshot_dir
):
    minh.set_pin("4321")
    page = open_kiosk()
    assert page.locator(".officer").count() == 0
    page.click("[data-action=staff-open]")
    page.wait_for_selector("#screen-staff.is-active")
    page.click(f"[data-staff-pick='{minh.pk}']")
    page.fill("#staff-pin", "9999")
    page.click("[data-mode=start]")
    page.wait_for_selector("#staff-message:not(:empty)")
    page.screenshot(path=str(screenshot_dir / "kiosk-staff-corner.png"))
    assert tree.desk_a.serving_now() == []
    page.fill("#staff-pin", "4321")
    page.click("[data-mode=start]")
    page.wait_for_selector(".officer .officer-name:has-text('Trần Văn Minh')")
    page.screenshot(path=str(screenshot_dir / "kiosk-officer-signed-in.png"))
    assert tree.desk_a.serving_now() == [minh]
