"""What only a browser shows: the dashboard and the report render, with their SVG charts,
in Vietnamese and in Persian (right to left), without CSP violations."""

from datetime import datetime, timedelta

import pytest
from django.test import Client

from common.months import Month
from tests.reports.conftest import HANOI

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def rated_month(tree, rate):
    """Thirty ratings spread over last month at ward A, across the day."""
    month = Month.current().previous()
    first = datetime(month.year, month.number, 2, 8, 0, tzinfo=HANOI)
    for i in range(30):
        when = first + timedelta(days=i % 20, hours=i % 8, minutes=i)
        score = [5, 4, 4, 3, 2][i % 5]
        rate(
            tree.office_a,
            when=when,
            access=score,
            procedures=min(score + 1, 5),
            officials=score,
            results=5 if i % 3 else 3,
            greet=1 if i % 4 else 0,
            reasons=["slow"] if score <= 2 else [],
            comment="Cán bộ hướng dẫn tận tình" if i % 10 == 0 else "",
            desk=tree.desk_a,
            staff=tree.staff_a,
        )
    return month


def open_as(page, live_server, user, language, path):
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": client.cookies["sessionid"].value,
                "url": live_server.url,
            },
            {"name": "django_language", "value": language, "url": live_server.url},
        ]
    )
    violations = []
    page.on(
        "console", lambda m: violations.append(m.text) if "Content Security" in m.text else None
    )
    page.goto(live_server.url + path)
    return violations


@pytest.mark.parametrize("language", ["vi", "fa"])
def test_dashboard_and_report_render_in_both_directions(
    live_server, page, screenshot_dir, dora, tree, rated_month, language
):
    violations = open_as(page, live_server, dora, language, "/reports/")
    assert page.locator("html").get_attribute("dir") == ("rtl" if language == "fa" else "ltr")
    assert page.locator("svg#chart-trend").is_visible()
    page.click(f"a[href='/reports/?unit={tree.ward_a.pk}']")
    assert "Phường Nghĩa Tân" in page.locator("h1").text_content()
    page.screenshot(path=str(screenshot_dir / f"dashboard-{language}.png"), full_page=True)

    page.goto(f"{live_server.url}/reports/unit/{tree.ward_a.pk}/{rated_month}/")
    for chart in ("chart-factors", "chart-levels", "chart-trend", "chart-heat"):
        svg = page.locator(f"svg#{chart}")
        assert svg.is_visible()
        assert svg.locator("title").first.text_content()
    # Factor labels sit before the bars in reading order: left in Vietnamese, right in Persian.
    label = page.locator("svg#chart-factors text").nth(5).bounding_box()
    bar = page.locator("svg#chart-factors rect").first.bounding_box()
    if language == "fa":
        assert label["x"] > bar["x"]
    else:
        assert label["x"] < bar["x"]
    assert "Cán bộ hướng dẫn tận tình" in page.content()
    page.screenshot(path=str(screenshot_dir / f"report-{language}.png"), full_page=True)
    assert not violations
