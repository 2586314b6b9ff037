"""The privacy page tells citizens what is kept, with the figures of the settings in force."""

import pytest
from django.urls import reverse

from surveys.phone_misuse import DEVICE_COOKIE

pytestmark = pytest.mark.django_db


def test_the_privacy_page_names_the_device_cookie_and_the_retention_in_force(client, settings):
    settings.PERSONAL_DATA_RETENTION_DAYS = 90
    settings.SURVEY = {**settings.SURVEY, "PHONE_WINDOW_SECONDS": 1200, "PHONE_PER_DEVICE": 3}
    page = client.get(reverse("privacy"))
    assert page.status_code == 200
    text = page.text
    assert f"<code>{DEVICE_COOKIE}</code>" in text
    assert "90 ngày" in text and "180 ngày" not in text  # the retention in force, in days
    assert "20 phút" in text  # the phone window, in minutes
    assert " style=" not in text and "<script>" not in text.split("</footer>")[0]


def test_the_phone_rating_page_links_what_is_kept_and_the_kiosk_does_not(
    client, tree, full_version
):
    rate = client.get(reverse("surveys:rate", args=[tree.office_a.pk]) + "?via=qr").text
    assert f'href="{reverse("privacy")}#phone"' in rate
    # A kiosk's suggestion page has no way off the kiosk's screens.
    kiosk = client.get(
        reverse("suggestions:new") + f"?office={tree.office_a.pk}&channel=kiosk"
    ).text
    assert reverse("privacy") not in kiosk
    web = client.get(reverse("suggestions:new") + f"?office={tree.office_a.pk}").text
    assert reverse("privacy") in web
