"""A kiosk that restarts without network: the service worker shows the survey, with its
queue, and everything rated meanwhile is stored once when the network returns."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from surveys.models import Answer, Response
from tests.surveys.browser import rate, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def cached_for_offline(page) -> bool:
    return page.evaluate(
        """async () => {
          if (!navigator.serviceWorker.controller) return false;
          const cache = await caches.open('kiosk-v1');
          const found = await Promise.all(
            ['/kiosk/', ...[...document.querySelectorAll('link[rel=stylesheet], script[src]')]
              .map(e => new URL(e.href || e.src).pathname)].map(u => cache.match(u)));
          return found.every(Boolean);
        }"""
    )


def test_a_kiosk_restarted_offline_shows_the_survey_and_sends_its_ratings_later(
    kiosk_page, live_server, screenshot_dir
):
    page = kiosk_page
    assert wait_until(lambda: cached_for_offline(page), page=page)
    context = page.context
    context.set_offline(True)
    page.close()  # the kiosk restarts: a new page in the same profile
    rebooted = context.new_page()
    rebooted.goto(live_server.url + reverse("surveys:kiosk"))
    rebooted.wait_for_selector("#screen-start.is-active #start-options .face-5")
    rebooted.screenshot(path=str(screenshot_dir / "kiosk-offline-restart.png"))
    for score in (5, 4, 3):
        rate(rebooted, overall=score)
        rebooted.click("[data-action=restart]")
    assert "3" in rebooted.locator("#pending").inner_text()
    assert Response.objects.count() == 0

    context.set_offline(False)
    rebooted.evaluate("window.dispatchEvent(new Event('online'))")
    assert wait_until(lambda: Response.objects.count() == 3, timeout=15, page=rebooted)
    assert wait_until(lambda: rebooted.locator("#pending").is_hidden(), page=rebooted)
    scores = sorted(Answer.objects.filter(question__code="overall").values_list("score", flat=True))
    assert scores == [3, 4, 5]


def test_back_online_the_page_shows_a_new_survey_version(
    kiosk_page, live_server, kiosk_version, bank
):
    page = kiosk_page
    assert wait_until(lambda: cached_for_offline(page), page=page)
    new = kiosk_version.new_version(note="headline reworded")
    new.published_at = timezone.now() - timedelta(seconds=1)  # published: the kiosks ask it
    new.save()
    bank.overall.text_vi = "Câu hỏi mới"
    bank.overall.save()
    page.reload()  # online: network first, so the new version is shown and cached
    page.wait_for_selector("#screen-start.is-active")
    assert page.locator("#start-question").inner_text() == "Câu hỏi mới"
    config = page.evaluate("JSON.parse(document.getElementById('kiosk-config').textContent)")
    assert config["version"] == new.pk
    page.context.set_offline(True)
    page.reload()
    page.wait_for_selector("#screen-start.is-active")
    assert (
        page.evaluate("JSON.parse(document.getElementById('kiosk-config').textContent).version")
        == new.pk
    )
