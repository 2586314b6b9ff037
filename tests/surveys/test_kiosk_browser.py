"""The kiosk in Chromium: enrol, rate by tapping, idle reset, Persian, offline, page weight."""

import pytest
from django.core.signals import request_started
from django.urls import reverse

from offices.models import Kiosk
from surveys.models import Answer, Response
from tests.surveys.browser import rate, tap, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def measure_load(page, live_server, device):
    """Enrol through the one-time link and measure what the kiosk page then loads."""
    token = device.issue_enrolment_token()
    page.goto(live_server.url + reverse("surveys:kiosk_enrol", args=[token]))
    requests = []
    # On the context, not the page: the service worker's script and whatever the worker
    # fetches itself count too. What reached the server is counted there (a worker's read
    # of the browser's own cache is no request on the network).
    page.context.on("requestfinished", lambda request: requests.append(request))
    reached = []

    def count(sender, environ, **kwargs):
        reached.append(environ["PATH_INFO"])

    request_started.connect(count)
    try:
        page.click("#enrol-device")
        page.wait_for_selector("#screen-start.is-active")
        assert wait_until(
            lambda: page.evaluate("navigator.serviceWorker.controller !== null"), page=page
        )
        page.wait_for_load_state("networkidle")
    finally:
        request_started.disconnect(count)
    # The enrolment page (not the kiosk, whose icon is inline) has the site's favicon, which
    # Chromium may fetch late, after the click that leaves that page.
    reached = [p for p in reached if "/kiosk/enrol/" not in p and p != "/static/favicon.svg"]
    print("reached the server:", reached)
    loaded = [  # without the enrolment POST and that page's favicon
        r for r in requests if "/kiosk/enrol/" not in r.url and "/favicon.svg" not in r.url
    ]
    transferred = 0
    network = []
    for request in loaded:
        sizes = request.sizes()
        size = sizes["responseBodySize"] + sizes["responseHeadersSize"]
        size += sizes["requestBodySize"] + sizes["requestHeadersSize"]
        transferred += size
        network.append((request.url, size))
    print(f"kiosk page: {len(loaded)} requests, {transferred} bytes", network)
    return reached, loaded, transferred


def test_enrol_then_a_full_rating_by_tapping_is_stored(
    page, live_server, device, screenshot_dir, tree
):
    reached, loaded, transferred = measure_load(page, live_server, device)
    # The page (with its service worker and first heartbeat) stays within budget, all from
    # this server.
    assert {r.url.split("/")[2] for r in loaded} == {live_server.url.split("/")[2]}
    assert len(reached) <= 5 and "/kiosk/sw.js" in reached, reached
    assert transferred <= 60 * 1024

    page.screenshot(path=str(screenshot_dir / "kiosk-1-start.png"))
    # The headline's faces are on the start screen: no "Start" to tap first.
    assert page.locator("[data-action=start]").is_hidden()
    page.click("#screen-start .face-2")
    page.wait_for_selector("#screen-question.is-active .option.toggle")
    page.screenshot(path=str(screenshot_dir / "kiosk-3-reasons.png"))
    tap(page, ".option.toggle:has-text('Chờ lâu')")
    tap(page, "[data-action=next]")
    page.wait_for_selector("#screen-question.is-active .option.yes")
    page.screenshot(path=str(screenshot_dir / "kiosk-4-yes-no.png"))
    tap(page, ".option.no")
    page.wait_for_selector("#answer-text")
    page.fill("#answer-text", "Phải chờ 40 phút.")
    page.screenshot(path=str(screenshot_dir / "kiosk-5-comment.png"))
    tap(page, "[data-action=next]")
    page.wait_for_selector("#screen-thanks.is-active")
    page.screenshot(path=str(screenshot_dir / "kiosk-6-thanks.png"))

    assert wait_until(lambda: Response.objects.count() == 1)
    response = Response.objects.get()
    assert (response.office, response.desk, response.staff) == (
        tree.office_a,
        tree.desk_a,
        tree.staff_a,
    )
    assert response.language == "vi" and response.channel == "kiosk"
    # The page made the id: time ordered (UUID version 7), from the kiosk's clock.
    assert response.id.version == 7
    assert abs((response.id.int >> 80) / 1000 - response.submitted_at.timestamp()) < 5
    answers = {
        (a.question.code, a.score, a.choice.code if a.choice else None, a.text)
        for a in response.answers.select_related("question", "choice")
    }
    assert answers == {
        ("overall", 2, None, ""),
        ("reasons", None, "slow", ""),
        ("polite", 0, None, ""),
        ("comment", None, None, "Phải chờ 40 phút."),
    }
    assert wait_until(lambda: page.locator("#pending").is_hidden())
    page.click("[data-action=restart]")
    assert page.locator("#screen-start").is_visible()

    # Portrait 10-inch tablet: the scale becomes a column of wide rows, all on screen.
    page.set_viewport_size({"width": 800, "height": 1280})
    page.screenshot(path=str(screenshot_dir / "kiosk-portrait-start.png"))
    face = page.locator("#screen-start .face-1").bounding_box()
    assert face["height"] >= 60 and face["y"] + face["height"] <= 1280
    page.screenshot(path=str(screenshot_dir / "kiosk-portrait-scale.png"))


def test_persian_right_to_left_language_reset_and_idle_reset(kiosk_page, screenshot_dir, device):
    page = kiosk_page
    html = page.locator("html")
    page.click("[data-lang=fa]")
    assert (html.get_attribute("lang"), html.get_attribute("dir")) == ("fa", "rtl")
    page.screenshot(path=str(screenshot_dir / "kiosk-fa-start.png"))
    assert page.locator("#start-question").inner_text() == "چقدر راضی هستید؟"
    # Mirrored: "very satisfied" (first) sits at the right edge.
    faces = page.locator("#screen-start")
    assert (
        faces.locator(".face-5").bounding_box()["x"] > faces.locator(".face-1").bounding_box()["x"]
    )
    page.click("#screen-start .face-5")
    page.wait_for_selector("#screen-question.is-active .option.yes")
    page.screenshot(path=str(screenshot_dir / "kiosk-fa-question.png"))
    tap(page, ".option.yes")
    tap(page, "[data-action=next]")
    page.wait_for_selector("#screen-thanks.is-active")
    assert wait_until(lambda: Response.objects.filter(language="fa").count() == 1)
    page.click("[data-action=restart]")
    assert (html.get_attribute("lang"), html.get_attribute("dir")) == ("vi", "ltr")

    # Idle: a rating left half-way returns to the start in Vietnamese; what was answered
    # (the headline) is sent, marked as not completed in full.
    Kiosk.objects.filter(pk=device.pk).update(idle_seconds=2)
    page.reload()
    page.wait_for_selector("#screen-start.is-active")
    page.click("[data-lang=en]")
    page.click("#screen-start .face-5")
    page.wait_for_selector("#screen-question.is-active .option.yes")
    page.wait_for_selector("#screen-start.is-active", timeout=6000)
    assert html.get_attribute("lang") == "vi"
    assert page.locator("#start-title").inner_text() == "Ông/Bà thấy buổi làm việc hôm nay thế nào?"
    assert wait_until(lambda: Response.objects.count() == 2, page=page)
    partial = Response.objects.get(completed=False)
    assert partial.language == "en"
    assert list(partial.answers.values_list("question__code", "score")) == [("overall", 5)]


def test_offline_ratings_are_queued_and_each_stored_once_when_back_online(
    kiosk_page, screenshot_dir
):
    page = kiosk_page
    page.context.set_offline(True)
    for score in (5, 4, 3):
        rate(page, overall=score)
        page.click("[data-action=restart]")
    pending = page.locator("#pending")
    assert pending.is_visible() and "3" in pending.inner_text()
    page.screenshot(path=str(screenshot_dir / "kiosk-offline-pending.png"))
    assert Response.objects.count() == 0

    page.context.set_offline(False)
    assert wait_until(lambda: Response.objects.count() == 3, timeout=15)
    assert wait_until(lambda: pending.is_hidden(), timeout=5)
    assert page.evaluate("Object.keys(localStorage).map(k => localStorage[k]).join('')") == "[]"
    scores = sorted(Answer.objects.filter(question__code="overall").values_list("score", flat=True))
    assert scores == [3, 4, 5]


def test_a_lost_acknowledgement_is_resent_and_stored_once(kiosk_page):
    """The server stores the rating but its answer is lost: the kiosk resends, harmlessly."""
    page = kiosk_page
    state = {"dropped": 0}

    def drop_first_answer(route):
        response = route.fetch()
        if state["dropped"] == 0:
            state["dropped"] = 1
            route.abort()  # stored on the server, acknowledgement never arrives
        else:
            route.fulfill(response=response)

    page.route("**/kiosk/api/ratings/", drop_first_answer)
    rate(page, overall=5)
    assert wait_until(lambda: state["dropped"] == 1, page=page)
    assert Response.objects.count() == 1
    page.evaluate("window.dispatchEvent(new Event('online'))")  # retry now, not after backoff
    assert wait_until(lambda: page.locator("#pending").is_hidden(), timeout=10)
    assert Response.objects.count() == 1


def test_one_tap_on_the_start_screen_stores_a_rating_without_another_tap(
    kiosk_page, device, screenshot_dir
):
    page = kiosk_page
    Kiosk.objects.filter(pk=device.pk).update(idle_seconds=2)
    page.reload()
    page.wait_for_selector("#screen-start.is-active #start-options .face-4")
    page.click("#screen-start .face-4")
    # Queued at once, as the citizen sees the first follow-up with "Done" on screen.
    page.wait_for_selector("#screen-question.is-active [data-action=done]")
    page.screenshot(path=str(screenshot_dir / "kiosk-first-follow-up.png"))
    assert wait_until(lambda: Response.objects.count() == 1, page=page)
    response = Response.objects.get()
    assert list(response.answers.values_list("question__code", "score")) == [("overall", 4)]
    assert response.completed is False
    assert page.locator("#screen-start").is_visible()


def test_a_citizen_who_answers_two_follow_ups_and_walks_away_has_them_stored_once(
    kiosk_page, device
):
    page = kiosk_page
    Kiosk.objects.filter(pk=device.pk).update(idle_seconds=3)
    page.reload()
    page.wait_for_selector("#screen-start.is-active #start-options .face-2")
    page.click("#screen-start .face-2")
    tap(page, ".option.toggle:has-text('Chờ lâu')")  # follow-up 1: reasons
    tap(page, "[data-action=next]")
    tap(page, ".option.no")  # follow-up 2: polite
    page.wait_for_selector("#answer-text")  # the comment, left unanswered: walks away
    page.wait_for_selector("#screen-start.is-active", timeout=8000)
    assert wait_until(lambda: Response.objects.count() == 1, page=page)
    assert wait_until(lambda: page.locator("#pending").is_hidden(), page=page)
    response = Response.objects.get()
    answers = sorted(
        (a.question.code, a.score, a.choice.code if a.choice else None)
        for a in response.answers.select_related("question", "choice")
    )
    assert answers == [("overall", 2, None), ("polite", 0, None), ("reasons", None, "slow")]
    assert response.completed is False
    assert Response.objects.count() == 1


def test_done_sends_what_was_answered_and_a_full_rating_counts_as_completed(kiosk_page):
    page = kiosk_page
    page.click("#screen-start .face-5")
    tap(page, "[data-action=done]")
    page.wait_for_selector("#screen-thanks.is-active")
    page.click("[data-action=restart]")
    rate(page, overall=3)
    assert wait_until(lambda: Response.objects.count() == 2, page=page)
    assert sorted(Response.objects.values_list("completed", flat=True)) == [False, True]
