"""The kiosk's queue in Chromium: only a final refusal drops a rating, and it is kept.

A proxy's HTML 404, a bare 400 or 413, JSON without "final": all retried until the
server recovers, then each rating is stored exactly once.
"""

import json

import pytest

from surveys.models import Answer, RefusedSubmission, Response
from tests.surveys.browser import rate, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FAULTS = [
    (404, "text/html", "<!doctype html><html><body><h1>404 Not Found</h1>nginx</body></html>"),
    (400, "text/plain", "Bad Request"),
    (413, "text/html", "<html><body><h1>413 Request Entity Too Large</h1></body></html>"),
    (422, "application/json", json.dumps({"error": "maintenance"})),  # no "final": retried
]


def queued(page) -> list[dict]:
    return page.evaluate(
        "JSON.parse(localStorage.getItem(Object.keys(localStorage)"
        ".find(k => k.startsWith('kiosk-queue:'))) || '[]')"
    )


def refused_on_device(page) -> list[dict]:
    return page.evaluate(
        "JSON.parse(localStorage.getItem(Object.keys(localStorage)"
        ".find(k => k.startsWith('kiosk-refused:'))) || '[]')"
    )


def retry_now(page):
    """What the browser's "online" event does: retry at once instead of after backoff."""
    page.evaluate("window.dispatchEvent(new Event('online'))")


def test_error_pages_keep_queued_ratings_until_the_server_recovers(kiosk_page, screenshot_dir):
    page = kiosk_page
    answered = []

    def faulty_server(route):
        status, content_type, body = FAULTS[len(answered) % len(FAULTS)]
        answered.append(status)
        route.fulfill(status=status, content_type=content_type, body=body)

    page.route("**/kiosk/api/ratings/", faulty_server)
    for score in (5, 4, 3):
        rate(page, overall=score)
        page.click("[data-action=restart]")
    # Every kind of fault answered at least once, each time for the head of the queue.
    for attempt in range(2 * len(FAULTS)):
        if len(answered) >= 2 * len(FAULTS):
            break
        seen = len(answered)
        retry_now(page)
        assert wait_until(lambda seen=seen: len(answered) > seen, page=page), attempt
    assert set(answered) == {404, 400, 413, 422}
    assert len(queued(page)) == 3 and refused_on_device(page) == []
    assert Response.objects.count() == 0
    assert "3" in page.locator("#pending").inner_text()
    page.screenshot(path=str(screenshot_dir / "kiosk-queue-faults.png"))

    page.unroute("**/kiosk/api/ratings/")
    retry_now(page)
    assert wait_until(lambda: Response.objects.count() == 3, timeout=15, page=page)
    assert wait_until(lambda: queued(page) == [], page=page)
    assert page.locator("#pending").is_hidden()
    scores = sorted(Answer.objects.filter(question__code="overall").values_list("score", flat=True))
    assert scores == [3, 4, 5]
    assert not RefusedSubmission.objects.exists()


def test_a_final_refusal_drops_only_that_rating_and_the_server_keeps_it(
    kiosk_page, device, screenshot_dir
):
    page = kiosk_page
    page.context.set_offline(True)
    for score in (5, 4, 3):
        rate(page, overall=score)
        page.click("[data-action=restart]")
    ids = [item["id"] for item in queued(page)]
    assert len(ids) == 3
    # The middle one names a question that does not exist (as after a botched upgrade):
    # the server can never accept it.
    page.evaluate(
        """() => {
          const key = Object.keys(localStorage).find(k => k.startsWith('kiosk-queue:'));
          const queue = JSON.parse(localStorage.getItem(key));
          queue[1].answers.push({question: 'no-such-question', value: 3});
          localStorage.setItem(key, JSON.stringify(queue));
        }"""
    )
    page.context.set_offline(False)
    retry_now(page)
    assert wait_until(lambda: Response.objects.count() == 2, timeout=15, page=page)
    assert wait_until(lambda: queued(page) == [], page=page)
    assert set(map(str, Response.objects.values_list("id", flat=True))) == {ids[0], ids[2]}

    refusal = RefusedSubmission.objects.get()
    assert (refusal.kiosk_id, str(refusal.rating_id), refusal.code) == (
        device.pk,
        ids[1],
        "invalid",
    )
    assert json.loads(refusal.body)["answers"][-1]["question"] == "no-such-question"
    # The next heartbeat reports it (id and code); once acknowledged the device forgets it.
    retry_now(page)
    assert wait_until(
        lambda: RefusedSubmission.objects.filter(reported_at__isnull=False).exists(), page=page
    )
    assert wait_until(lambda: refused_on_device(page) == [], page=page)
    device.refresh_from_db()
    assert device.queue_length is not None and device.last_heard_at is not None
