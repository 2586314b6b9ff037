"""The public transparency board: only for offices that opted in; the index of 13 months
with intervals and n, response rate, suggestions answered on time and published answers;
never a staff name, never a month below the minimum n; served from the cache."""

from __future__ import annotations

import re

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.utils import translation

from common.months import Month
from offices.models import DossierCount
from suggestions.models import Suggestion
from tests.factories import QuestionFactory, make_response, survey_version

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()
    translation.activate(django_settings.LANGUAGE_CODE)  # pages activate the request's


@pytest.fixture
def board_office(tree, alice, settings):
    """Office A opted in; this month 4 ratings by Lan (3 satisfied), last month only 2;
    one published suggestion answered by alice, one unpublished."""
    settings.BOARD = {**settings.BOARD, "MIN_N": 3, "SUGGESTIONS_MIN_N": 1}
    office = tree.office_a
    office.transparency_board = True
    office.save()
    question = QuestionFactory(code="officials-attentive")
    version = survey_version(tree.city, [question])
    month = Month.current(office.tz)
    for score in (5, 4, 4, 2):
        make_response(version, office, {question: score}, desk=tree.desk_a, staff=tree.staff_a)
    previous_day = month.previous().start.replace(day=10)
    from datetime import datetime, time

    from django.utils import timezone

    when = timezone.make_aware(datetime.combine(previous_day, time(10)), office.tz)
    for score in (1, 2):
        make_response(version, office, {question: score}, when=when, staff=tree.staff_a)
    DossierCount.objects.create(office=office, month=month.start, dossiers_handled=20)
    published = Suggestion(office=office, category="premises", text="Cần thêm ghế chờ.")
    published.save()
    published.add_reply(alice, "Đã bổ sung 10 ghế chờ.", public=True)
    hidden = Suggestion(office=office, category="other", text="Góp ý riêng không công khai.")
    hidden.save()
    alice.first_name, alice.last_name = "Alice", "Trần"
    alice.save()
    return office


def test_board_shows_the_published_figures(client, board_office):
    response = client.get(f"/board/{board_office.pk}/?lang=en")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Một cửa Nghĩa Tân" in html
    assert "75 %" in html  # this month's index: 3 of 4 satisfied
    assert "from 4 ratings" in html
    assert "20 %" in html  # response rate 4 / 20
    month = Month.current(board_office.tz)
    row = re.search(rf"<th scope=\"row\">{month.label}</th>(.*?)</tr>", html, re.S)[1]
    assert "<strong>75 %</strong>" in row and ">4<" in row and "20 %" in row
    assert "Đã bổ sung 10 ghế chờ." in html and "Cần thêm ghế chờ." in html
    assert "100 %" in html  # the one assessable suggestion was answered on time


def test_board_hides_staff_and_small_months(client, board_office, tree):
    html = client.get(f"/board/{board_office.pk}/?lang=en").content.decode()
    assert "Nguyễn Thị Lan" not in html and tree.desk_a.name not in html
    assert "Alice" not in html and "alice" not in html
    assert "Góp ý riêng" not in html
    previous = Month.current(board_office.tz).previous()
    row = re.search(rf"<th scope=\"row\">{previous.label}</th>(.*?)</tr>", html, re.S)[1]
    assert "fewer than 3 ratings: not published" in row
    assert "0 %" not in row  # last month's 0 of 2 satisfied is never shown
    assert f"{previous.label}: — (n&lt;3)" in html  # the chart's description
    assert "n=2" not in html


def test_board_is_absent_unless_opted_in(client, tree, board_office):
    assert client.get(f"/board/{tree.office_b.pk}/").status_code == 404
    assert client.get(f"/board/{tree.office_b.pk}/poster/").status_code == 404
    assert client.get("/board/999999/").status_code == 404
    assert client.get(f"/board/{board_office.pk}/").status_code == 200
    board_office.transparency_board = False
    board_office.save()  # opting out drops the cached board at once
    assert client.get(f"/board/{board_office.pk}/").status_code == 404


def test_a_cached_board_costs_no_database_work(client, board_office, django_assert_num_queries):
    client.get(f"/board/{board_office.pk}/")
    with django_assert_num_queries(0):
        for language in ("vi", "en", "fa"):
            assert client.get(f"/board/{board_office.pk}/?lang={language}").status_code == 200
        assert client.get(f"/board/{board_office.pk}/poster/").status_code == 200


def test_board_speaks_vietnamese_english_and_persian(client, board_office):
    vi = client.get(f"/board/{board_office.pk}/", HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    en = client.get(f"/board/{board_office.pk}/?lang=en").content.decode()
    fa = client.get(f"/board/{board_office.pk}/?lang=fa").content.decode()
    assert '<html lang="vi" dir="ltr">' in vi and "The last 13 months" not in vi
    assert '<html lang="en" dir="ltr">' in en and "The last 13 months" in en
    assert '<html lang="fa" dir="rtl">' in fa and "bootstrap.rtl.min.css" in fa


def test_poster_has_a_qr_code_to_the_board(client, board_office):
    response = client.get(f"/board/{board_office.pk}/poster/?lang=en")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in html and 'class="qr-code"' in html
    assert f"http://testserver/board/{board_office.pk}/" in html
    assert "75 %" in html and "Nguyễn Thị Lan" not in html
    assert "<script>" not in html and "style=" not in html
