"""Citizens follow a suggestion by its code; a wrong code says "not found" and nothing else."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from suggestions.models import format_code

pytestmark = pytest.mark.django_db


def status_url(code: str) -> str:
    return reverse("suggestions:status", args=[code])


def test_status_page_shows_received_then_seen_by_role_and_date_then_the_reply(
    client, tree, alice, suggestion_a
):
    page = client.get(status_url(suggestion_a.code))
    assert page.status_code == 200
    assert "Chưa được xem" in page.text  # "Not seen yet"

    suggestion_a.stamp_seen(alice)
    page = client.get(status_url(suggestion_a.code)).text
    assert "Quản lý" in page and tree.ward_a.name in page  # "Manager · Phường Nghĩa Tân"
    assert "alice" not in page  # signed by role and date, not the official's name

    suggestion_a.add_reply(alice, "Phường đã bổ sung 10 ghế chờ.")
    page = client.get(status_url(suggestion_a.code)).text
    assert "Phường đã bổ sung 10 ghế chờ." in page

    suggestion_a.close(alice)
    page = client.get(status_url(suggestion_a.code)).text
    assert "sg-step sg-done" in page and "Chưa." not in page  # all four steps done


def test_typed_codes_are_forgiving_about_case_spaces_and_dashes(client, tree, suggestion_a):
    typed = format_code(suggestion_a.code).lower().replace("-", " - ")
    response = client.get(reverse("suggestions:track"), {"code": typed})
    assert response.status_code == 302
    assert response["Location"] == status_url(suggestion_a.code)
    assert client.get(status_url(format_code(suggestion_a.code).lower())).status_code == 200


def test_track_page_asks_for_the_code(client, tree):
    page = client.get(reverse("suggestions:track"))
    assert page.status_code == 200
    assert 'name="code"' in page.text


@pytest.mark.parametrize("code", ["ZZZZ-ZZZZ", "ABCD2345", "tooshort", "0OIL1OIL", "x" * 300])
def test_wrong_code_is_a_clear_not_found_that_leaks_nothing(client, tree, suggestion_a, code):
    for response in (
        client.get(status_url(code)),
        client.get(reverse("suggestions:track"), {"code": code}, follow=True),
    ):
        assert response.status_code == 404
        assert "Không tìm thấy" in response.text  # "Not found"
        for secret in (suggestion_a.code, suggestion_a.text, suggestion_a.name, "0912345678"):
            assert secret not in response.text
        assert tree.office_a.name not in response.text


def test_found_and_not_found_run_the_same_queries(client, tree, suggestion_a):
    def queries(code):
        with CaptureQueriesContext(connection) as captured:
            client.get(status_url(code))
        return [q["sql"].split(" WHERE ")[0] for q in captured.captured_queries]

    assert queries(suggestion_a.code) == queries("ZZZZZZZZ")


def test_lookups_are_rate_limited_per_address(client, tree, suggestion_a, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "suggestion_lookup": (3, 600)}
    for code in ["ZZZZZZZZ", "YYYYYYYY", "XXXXXXXX"]:
        assert client.get(status_url(code)).status_code == 404
    blocked = client.get(status_url(suggestion_a.code))
    assert blocked.status_code == 429
    assert suggestion_a.text not in blocked.text
    assert client.get(status_url(suggestion_a.code), REMOTE_ADDR="198.51.100.9").status_code == 200


def test_contact_details_are_never_on_public_pages(client, tree, alice, suggestion_a, form_data):
    tree.office_a.public_board = True
    tree.office_a.save()
    suggestion_a.add_reply(alice, "Đã bổ sung ghế.", public=True)
    pages = [
        client.get(status_url(suggestion_a.code)).text,
        client.get(reverse("suggestions:board", args=[tree.office_a.pk])).text,
        client.get(reverse("suggestions:boards")).text,
    ]
    client.post(
        reverse("suggestions:new"),
        form_data(
            office=tree.office_a.pk,
            name="Lê Văn Bình",
            contact="binh@example.vn",
            contact_consent="on",
        ),
        follow=True,
    )
    sent = client.get(reverse("suggestions:sent", args=[tree.office_a.suggestions.first().code]))
    pages.append(sent.text)
    for page in pages:
        for personal in ("Trần Thị Mai", "0912345678", "Lê Văn Bình", "binh@example.vn"):
            assert personal not in page


def test_public_board_shows_only_published_suggestions_and_public_replies(
    client, tree, alice, suggestion_a
):
    board = reverse("suggestions:board", args=[tree.office_a.pk])
    assert client.get(board).status_code == 404  # the office has no public board

    tree.office_a.public_board = True
    tree.office_a.save()
    assert suggestion_a.text not in client.get(board).text  # not published

    suggestion_a.add_reply(alice, "Trả lời nội bộ, không công khai.")
    suggestion_a.add_reply(alice, "Phường đã bổ sung ghế chờ.", public=True)
    page = client.get(board).text
    assert suggestion_a.text in page
    assert "Phường đã bổ sung ghế chờ." in page
    assert "Trả lời nội bộ" not in page
    assert tree.office_a.name in client.get(reverse("suggestions:boards")).text


def test_status_page_opened_on_the_kiosk_keeps_the_way_back(client, tree, suggestion_a):
    page = client.get(status_url(suggestion_a.code), {"channel": "kiosk"}).text
    assert 'href="/kiosk/"' in page and 'data-idle-url="/kiosk/"' in page
    assert 'href="/kiosk/"' not in client.get(status_url(suggestion_a.code)).text
