"""The board on a phone and the poster as printed, in a real browser (screenshots)."""

import pytest
from django.core.cache import cache

from tests.factories import QuestionFactory, make_response, survey_version

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def opted_in(tree, settings):
    settings.BOARD = {**settings.BOARD, "MIN_N": 3}
    cache.clear()
    office = tree.office_a
    office.transparency_board = True
    office.save()
    question = QuestionFactory(code="officials-attentive")
    version = survey_version(tree.city, [question])
    for score in (5, 4, 4, 3, 5):
        make_response(version, office, {question: score})
    yield office
    cache.clear()


def test_board_fits_a_phone_and_the_poster_prints(browser, live_server, opted_in, screenshot_dir):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN")
    page = context.new_page()
    violations = []
    page.on(
        "console", lambda m: violations.append(m.text) if "Content Security" in m.text else None
    )
    page.goto(f"{live_server.url}/board/{opted_in.pk}/?lang=vi")
    assert page.locator(".board-index").first.inner_text() == "80 %"
    # Nothing wider than the phone: no sideways scrolling of the page.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    page.screenshot(path=str(screenshot_dir / "board-phone-vi.png"), full_page=True)
    page.goto(f"{live_server.url}/board/{opted_in.pk}/?lang=fa")
    assert page.locator("html").get_attribute("dir") == "rtl"
    page.screenshot(path=str(screenshot_dir / "board-phone-fa.png"), full_page=True)
    page.goto(f"{live_server.url}/board/{opted_in.pk}/poster/?lang=vi")
    page.emulate_media(media="print")
    assert page.locator("[data-print]").is_hidden()
    assert page.locator(".board-poster-qr svg").is_visible()
    page.screenshot(path=str(screenshot_dir / "board-poster-print.png"), full_page=True)
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    assert not violations, violations
    context.close()
