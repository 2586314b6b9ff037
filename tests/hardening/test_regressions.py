"""One test per bug the generated input found: each failed with a 500 before its fix."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("office", ["²", "³", "١", "٣", "９"])
def test_a_suggestion_link_with_a_non_ascii_digit_is_office_not_found(client, tree, office):
    # "²".isdigit() is True but int("²") raises: the link gave a 500.
    page = client.get("/suggestions/new/", {"office": office, "channel": "kiosk"})
    assert page.status_code == 404
    assert "Không tìm thấy cơ quan" in page.text  # "Office not found"


@pytest.mark.parametrize("query", ["\x00", "Nghĩa Tân\x00", "\x00Nghĩa Tân"])
def test_the_office_finder_ignores_nul_characters(client, tree, query):
    # A NUL in the search reached PostgreSQL ("string literal cannot contain NUL"): a 500.
    page = client.get("/r/", {"q": query})
    assert page.status_code == 200
    if query.strip("\x00"):
        assert tree.office_a.name in page.text
