"""One test per bug the generated input found: each failed with a 500 before its fix."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("office", ["²", "³", "١", "٣", "９"])
def test_a_suggestion_link_with_a_non_ascii_digit_is_office_not_found(client, tree, office):
    # "²".isdigit() is True but int("²") raises: the link gave a 500.
    page = client.get("/suggestions/new/", {"office": office, "channel": "kiosk"})
    assert page.status_code == 404
    assert "Không tìm thấy cơ quan" in page.text  # "Office not found"
