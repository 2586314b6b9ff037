"""Helpers for the kiosk's browser tests (fixtures `device` and `kiosk_page` are in conftest)."""

import time


def wait_until(condition, timeout=10.0, page=None):
    """Poll `condition`; with `page`, let Playwright dispatch its events while waiting."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        if page is not None:
            page.wait_for_timeout(100)
        else:
            time.sleep(0.1)
    return condition()


def tap(page, selector):
    page.locator(f"#screen-question.is-active {selector}").first.click()


def rate(page, *, overall=4, polite="yes", reasons=(), comment=""):
    page.click(f"#screen-start .face-{overall}")
    for reason in reasons:
        tap(page, f".option.toggle:has-text('{reason}')")
    if reasons or overall <= 2:
        tap(page, "[data-action=next]")
    tap(page, f".option.{polite}")
    if comment:
        page.fill("#answer-text", comment)
    tap(page, "[data-action=next]")
    page.wait_for_selector("#screen-thanks.is-active")
