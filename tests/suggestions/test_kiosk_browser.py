"""In Chromium: from the kiosk's "Leave a suggestion" button to the tracking page, vi and fa."""

import re

import pytest
from django.urls import reverse

from offices.models import Kiosk
from suggestions.models import Channel, Suggestion, format_code
from tests.factories import QuestionFactory, survey_version

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def kiosk_page(page, live_server, tree):
    """A kiosk at office A, enrolled through its one-time link as an operator would."""
    survey_version(tree.city, [QuestionFactory(code="overall")], variant="kiosk")
    device = Kiosk.objects.create(office=tree.office_a, desk=tree.desk_a, name="Kiosk 1")
    token = device.issue_enrolment_token()
    page.goto(live_server.url + reverse("surveys:kiosk_enrol", args=[token]))
    page.click("#enrol-device")
    page.wait_for_url(live_server.url + reverse("surveys:kiosk"))
    page.wait_for_selector("#screen-start.is-active")
    return page


def write_and_send(page, text: str) -> str:
    page.locator("input[name=category][value=premises]").check()
    page.fill("textarea[name=text]", text)
    page.click("button.sg-send")
    page.wait_for_url(re.compile(r"/suggestions/sent/"))
    return page.inner_text("#tracking-code")


def test_kiosk_button_to_tracking_page_in_vietnamese(kiosk_page, live_server, tree, screenshot_dir):
    page = kiosk_page
    page.click("a.suggest")
    page.wait_for_url(re.compile(r"/suggestions/new/\?office=\d+&channel=kiosk"))
    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.locator(".sg-kiosk-back").is_visible()
    assert page.locator(".navbar").is_hidden()  # nothing to wander off to
    page.screenshot(path=str(screenshot_dir / "suggestion-kiosk-form-vi.png"), full_page=True)

    code = write_and_send(page, "Sảnh chờ thiếu ghế cho người cao tuổi.")
    suggestion = Suggestion.objects.get()
    assert code == format_code(suggestion.code)
    assert (suggestion.office, suggestion.channel) == (tree.office_a, Channel.KIOSK)
    assert page.locator("svg.sg-qr").is_visible()
    page.screenshot(path=str(screenshot_dir / "suggestion-kiosk-sent-vi.png"), full_page=True)

    page.click("a.sg-status-link")
    page.wait_for_url(re.compile(r"/suggestions/track/"))
    assert code in page.inner_text("main")
    assert "Đã tiếp nhận" in page.inner_text(".sg-steps")  # "Received"
    page.screenshot(path=str(screenshot_dir / "suggestion-status-vi.png"), full_page=True)

    # Still a kiosk page: the next citizen gets the rating screen back.
    page.click(".sg-kiosk-back")
    page.wait_for_url(live_server.url + reverse("surveys:kiosk"))
    page.wait_for_selector("#screen-start.is-active")

    # Typing the code (in lower case, without the dash) finds the same page.
    page.goto(live_server.url + reverse("suggestions:track"))
    page.fill("input[name=code]", code.replace("-", "").lower())
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/suggestions/track/\w{8}/"))
    assert code in page.inner_text("main")


def test_kiosk_button_to_tracking_page_in_persian(kiosk_page, tree, screenshot_dir):
    page = kiosk_page
    page.click("[data-lang=fa]")
    page.click("a.suggest")
    # The kiosk's button carries the language the citizen chose on the kiosk.
    page.wait_for_url(re.compile(r"/suggestions/new/\?office=\d+&channel=kiosk&lang=fa"))
    html = page.locator("html")
    assert (html.get_attribute("lang"), html.get_attribute("dir")) == ("fa", "rtl")
    # Mirrored for real: the send button sits at the right edge.
    send = page.locator("button.sg-send").bounding_box()
    assert send["x"] > page.viewport_size["width"] / 2
    page.screenshot(path=str(screenshot_dir / "suggestion-kiosk-form-fa.png"), full_page=True)

    code = write_and_send(page, "لطفاً راهنمای انگلیسی هم نصب کنید.")
    assert page.locator("html").get_attribute("dir") == "rtl"
    page.screenshot(path=str(screenshot_dir / "suggestion-kiosk-sent-fa.png"), full_page=True)

    page.click("a.sg-status-link")
    page.wait_for_url(re.compile(r"/suggestions/track/\w{8}/\?lang=fa"))
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert code in page.inner_text("main")
    assert "دریافت شد" in page.inner_text(".sg-steps")  # "Received"
    page.screenshot(path=str(screenshot_dir / "suggestion-status-fa.png"), full_page=True)
