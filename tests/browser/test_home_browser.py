import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_home_switches_to_persian_right_to_left(live_server, page, screenshot_dir):
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("dir") == "ltr"
    with page.expect_navigation():
        page.select_option("#language-select", "fa")
    assert page.locator("html").get_attribute("lang") == "fa"
    assert page.locator("html").get_attribute("dir") == "rtl"
    # Mirrored for real: the brand sits at the right edge in Persian.
    brand = page.locator(".navbar-brand").bounding_box()
    assert brand["x"] > page.viewport_size["width"] / 2
    page.screenshot(path=str(screenshot_dir / "home-fa.png"), full_page=True)
