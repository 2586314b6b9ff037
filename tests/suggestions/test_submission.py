"""Citizens send suggestions from the web, the kiosk and a QR poster; bad input saves nothing."""

import time

import pytest
from django.conf import settings
from django.urls import reverse

from suggestions.forms import form_started_token
from suggestions.models import Channel, Status, Suggestion, normalise_code

pytestmark = pytest.mark.django_db
NEW = reverse("suggestions:new")


def post(client, data, query="", **extra):
    return client.post(f"{NEW}{query}", data, **extra)


def test_web_form_finds_the_office_unit_by_unit_without_listing_the_country(
    client, tree, form_data
):
    page = client.get(NEW)
    assert page.status_code == 200
    assert "<option" not in page.text.split("<main")[-1] and "<script>" not in page.text
    assert tree.city.name in page.text  # the first step: the provinces that have offices
    assert tree.office_a.name not in page.text and tree.office_b.name not in page.text

    district = client.get(NEW, {"unit": tree.city.pk}).text
    assert (
        f"?unit={tree.district_b.pk}" in district and f"?office={tree.office_c.pk}" not in district
    )
    ward = client.get(NEW, {"unit": tree.ward_b.pk}).text
    assert f"?office={tree.office_b.pk}" in ward and tree.office_a.name not in ward

    form = client.get(NEW, {"office": tree.office_b.pk}).text
    assert tree.office_b.name in form and f"?unit={tree.ward_b.pk}" in form  # "another office"
    response = post(client, form_data(), f"?office={tree.office_b.pk}", REMOTE_ADDR="203.0.113.7")
    suggestion = Suggestion.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("suggestions:sent", args=[suggestion.code])
    assert (suggestion.office, suggestion.channel, suggestion.status) == (
        tree.office_b,
        Channel.WEB,
        Status.RECEIVED,
    )
    assert str(suggestion.submitter_ip) == "203.0.113.7"
    assert suggestion.seen_due_at < suggestion.answer_due_at


def test_office_search_finds_by_office_or_unit_name_and_only_active_offices(client, tree):
    tree.office_c.is_active = False
    tree.office_c.save()
    found = client.get(NEW, {"q": "Mỹ Đình"}).text
    assert f"?office={tree.office_b.pk}" in found and tree.office_a.name not in found
    by_unit = client.get(NEW, {"q": "Nghĩa Tân", "lang": "en", "channel": "qr"}).text
    assert f"?office={tree.office_a.pk}&amp;lang=en&amp;channel=qr" in by_unit
    assert tree.office_c.name not in client.get(NEW, {"q": "Ba Đình"}).text
    # Without tones or in capitals, as typed on a phone; a NUL is no error.
    for typed, office, other in (
        ("my dinh", tree.office_b, tree.office_a),
        ("MỸ ĐÌNH", tree.office_b, tree.office_a),
        ("nghia tan", tree.office_a, tree.office_b),
    ):
        found = client.get(NEW, {"q": typed}).text
        assert f"?office={office.pk}" in found and f"?office={other.pk}" not in found
    assert client.get(NEW, {"q": "my\x00dinh"}).status_code == 200
    # A unit whose only office is inactive is not offered as a step.
    assert f"?unit={tree.ward_c.pk}" not in client.get(NEW, {"unit": tree.city.pk}).text


def test_a_post_from_an_older_page_names_its_office_in_the_form(client, tree, form_data):
    response = post(client, form_data(office=tree.office_b.pk))
    assert response.status_code == 302
    assert Suggestion.objects.get().office == tree.office_b
    for bad in ("999999", "", "abc"):
        refused = post(client, form_data(office=bad))
        assert refused.status_code == 400
        assert "Hãy chọn cơ quan trước" in refused.text  # "Choose the office first"
    assert Suggestion.objects.count() == 1


def test_a_post_from_a_stale_page_keeps_the_citizens_text_until_the_office_is_found(
    client, tree, form_data
):
    """Mai wrote her suggestion on a page left open while office C stopped taking them: the
    chooser comes back, and her words come back with the office she then chooses."""
    tree.office_c.is_active = False
    tree.office_c.save()
    words = "Cần thêm chỗ để xe cho người khuyết tật ở cổng chính."
    data = form_data(text=words, name="Trần Thị Mai", contact="0912345678", contact_consent="on")
    refused = post(client, data, f"?office={tree.office_c.pk}")
    assert refused.status_code == 400
    assert "Hãy chọn cơ quan trước" in refused.text  # "Choose the office first"
    assert "được giữ lại" in refused.text  # "What you wrote is kept"
    assert Suggestion.objects.count() == 0
    assert f"?office={tree.office_b.pk}" in client.get(NEW, {"unit": tree.ward_b.pk}).text

    form = client.get(NEW, {"office": tree.office_b.pk})
    assert form.status_code == 200
    assert words in form.text and "Trần Thị Mai" in form.text and "0912345678" in form.text
    assert Suggestion.objects.count() == 0  # shown to check, not sent by itself
    # Kept once: another visit of the form starts empty.
    assert words not in client.get(NEW, {"office": tree.office_b.pk}).text

    # The same from an older page whose posted office no longer exists.
    post(client, form_data(office="999999", text=words))
    assert words in client.get(NEW, {"office": tree.office_a.pk}).text


def test_a_kept_suggestion_expires_and_a_kiosk_keeps_neither_name_nor_contact(
    client, tree, form_data, settings
):
    words = "Máy lấy số hay bị kẹt giấy vào buổi sáng."
    kiosk = "&channel=kiosk"
    data = form_data(text=words, name="Lê Văn An", contact="0987654321", contact_consent="on")
    assert post(client, data, f"?office=999999{kiosk}").status_code == 400
    page = client.get(f"{NEW}?office={tree.office_a.pk}{kiosk}").text
    assert words in page and "Lê Văn An" not in page and "0987654321" not in page
    # Kept for the kiosk channel only: a web form does not pick up a kiosk's draft.
    post(client, data, f"?office=999999{kiosk}")
    assert words not in client.get(NEW, {"office": tree.office_a.pk}).text

    settings.SUGGESTIONS = {**settings.SUGGESTIONS, "DRAFT_KEEP_SECONDS": 0}
    post(client, form_data(office="999999", text=words))
    time.sleep(0.01)
    assert words not in client.get(NEW, {"office": tree.office_a.pk}).text
    # An empty post keeps nothing and says nothing about keeping.
    empty = post(client, form_data(office="999999", text=""))
    assert empty.status_code == 400 and "được giữ lại" not in empty.text


@pytest.mark.parametrize("channel", [Channel.KIOSK, Channel.QR])
def test_kiosk_and_qr_links_preset_and_lock_the_office(client, tree, form_data, channel):
    query = f"?office={tree.office_a.pk}&channel={channel}"
    page = client.get(NEW + query)
    assert page.status_code == 200
    assert tree.office_a.name in page.text
    assert tree.office_b.name not in page.text  # no other office to choose
    assert 'name="office"' in page.text and "disabled" in page.text

    # Even a tampered post cannot move it to another office.
    response = post(client, form_data(office=tree.office_b.pk), query)
    assert response.status_code == 302
    suggestion = Suggestion.objects.get()
    assert (suggestion.office, suggestion.channel) == (tree.office_a, channel)


def test_kiosk_form_has_large_type_and_a_way_back_to_the_rating_screen(client, tree):
    page = client.get(f"{NEW}?office={tree.office_a.pk}&channel=kiosk").text
    assert 'href="/kiosk/"' in page
    assert "Quay lại màn hình đánh giá" in page  # "Back to the rating screen", in Vietnamese
    assert "sg-kiosk" in page and "suggestions/kiosk.css" in page
    assert 'data-idle-url="/kiosk/"' in page

    web = client.get(f"{NEW}?office={tree.office_a.pk}").text
    assert 'href="/kiosk/"' not in web and "sg-kiosk" not in web


def test_kiosk_thank_you_page_shows_code_and_qr_and_goes_back(client, tree, form_data):
    query = f"?office={tree.office_a.pk}&channel=kiosk"
    response = post(client, form_data(), query, follow=True)
    suggestion = Suggestion.objects.get()
    page = response.text
    assert response.status_code == 200
    assert suggestion.display_code in page
    assert 'class="sg-qr"' in page
    assert 'href="/kiosk/"' in page
    assert " style=" not in page and "<script>" not in page


def test_the_kiosk_shows_a_code_once_and_a_phone_can_show_it_again(client, tree, form_data):
    """The next citizen at a kiosk cannot bring back the previous one's tracking code."""
    post(client, form_data(), f"?office={tree.office_a.pk}&channel=kiosk")
    kiosk_code = Suggestion.objects.get().code
    sent = reverse("suggestions:sent", args=[kiosk_code])
    assert kiosk_code in client.get(sent).text.replace("-", "")
    again = client.get(sent)
    assert again.status_code == 302
    assert again["Location"].startswith(reverse("suggestions:status", args=[kiosk_code]))
    assert kiosk_code not in client.session["suggestions_sent"]

    post(client, form_data(office=tree.office_b.pk))
    web_code = Suggestion.objects.exclude(code=kiosk_code).get().code
    web_sent = reverse("suggestions:sent", args=[web_code])
    assert client.get(web_sent).status_code == 200
    assert client.get(web_sent).status_code == 200  # a reload on one's own phone still works


def test_sent_page_shows_the_code_large_with_a_qr_of_the_status_page(client, tree, form_data):
    response = post(client, form_data(office=tree.office_a.pk), follow=True)
    suggestion = Suggestion.objects.get()
    page = response.text
    assert f'id="tracking-code" dir="ltr" translate="no">{suggestion.display_code}<' in page
    status_url = "http://testserver" + reverse("suggestions:status", args=[suggestion.code])
    assert status_url in page
    assert 'class="sg-qr"' in page and "<path" in page
    assert " style=" not in page
    assert 'href="/kiosk/"' not in page


def test_sent_page_is_only_for_the_browser_that_sent_it(client, tree, suggestion_a):
    response = client.get(reverse("suggestions:sent", args=[suggestion_a.code]))
    assert response.status_code == 302
    assert response["Location"] == reverse("suggestions:status", args=[suggestion_a.code])


def test_tracking_codes_are_unambiguous_and_unique(client, tree, form_data):
    for _ in range(10):
        post(client, form_data(office=tree.office_a.pk))
    codes = list(Suggestion.objects.values_list("code", flat=True))
    assert len(set(codes)) == 10
    for code in codes:
        assert normalise_code(code) == code
        assert not set(code) & set("01ILO")
    assert normalise_code(" ab-cd 2345 ") == "ABCD2345"


def test_unknown_office_in_the_link_is_a_clear_404(client, tree):
    for value in ["999999", "abc"]:
        response = client.get(f"{NEW}?office={value}&channel=kiosk")
        assert response.status_code == 404
        assert "Không tìm thấy cơ quan" in response.text  # "Office not found"


def test_contact_without_consent_is_refused_and_nothing_saved(client, tree, form_data):
    response = post(client, form_data(office=tree.office_a.pk, contact="0912 345 678"))
    assert response.status_code == 400
    assert "đánh dấu ô này" in response.text  # "tick this box …"
    assert Suggestion.objects.count() == 0
    assert "Sảnh chờ thiếu ghế" in response.text  # what they wrote is kept


def test_contact_with_consent_is_normalised_and_kept(client, tree, form_data):
    post(
        client,
        form_data(office=tree.office_a.pk, contact="0912 345-678", contact_consent="on"),
    )
    suggestion = Suggestion.objects.get()
    assert (suggestion.contact, suggestion.contact_consent) == ("0912345678", True)


@pytest.mark.parametrize("contact", ["12", "not-an-email@", "call me maybe"])
def test_malformed_contact_gets_a_clear_error(client, tree, form_data, contact):
    data = form_data(office=tree.office_a.pk, contact=contact, contact_consent="on")
    response = post(client, data)
    assert response.status_code == 400
    assert Suggestion.objects.count() == 0


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"text": ""}, "Vui lòng viết góp ý của bạn"),
        ({"text": "ok"}, "ít nhất 5 ký tự"),
        ({"category": "bribes"}, "một lựa chọn hợp lệ"),
    ],
)
def test_bad_input_gets_a_translated_error_and_saves_nothing(
    client, tree, form_data, overrides, message
):
    data = form_data(**{"office": tree.office_a.pk, **overrides})
    response = post(client, data)
    assert response.status_code == 400
    assert message in response.text
    assert Suggestion.objects.count() == 0


def test_honeypot_filled_by_a_script_is_refused(client, tree, form_data):
    response = post(client, form_data(office=tree.office_a.pk, website="http://spam.example"))
    assert response.status_code == 400
    assert Suggestion.objects.count() == 0


def test_honeypot_is_hidden_from_people(client, tree):
    page = client.get(f"{NEW}?office={tree.office_a.pk}").text
    assert 'class="sg-hp"' in page and 'aria-hidden="true"' in page
    assert 'name="website"' in page and 'tabindex="-1"' in page


def test_a_form_sent_faster_than_a_person_can_write_is_refused(client, tree, form_data, settings):
    settings.SUGGESTIONS = {**settings.SUGGESTIONS, "MIN_FILL_SECONDS": 3}
    response = post(client, form_data(office=tree.office_a.pk))
    assert response.status_code == 400
    assert "quá nhanh" in response.text  # "That was very quick"
    assert Suggestion.objects.count() == 0
    # The form comes back with a fresh timestamp, so a person's second try counts from now.
    assert 'name="started"' in response.text


def test_a_missing_or_forged_timestamp_is_refused(client, tree, form_data):
    for started in ["", "1700000000.000:forged"]:
        response = post(client, form_data(office=tree.office_a.pk, started=started))
        assert response.status_code == 400
    assert Suggestion.objects.count() == 0


def test_submissions_are_rate_limited_per_address(client, tree, form_data, settings):
    settings.SUGGESTIONS = {**settings.SUGGESTIONS, "MIN_FILL_SECONDS": 0}
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "suggestion_submit": (2, 3600)}
    for _ in range(2):
        assert post(client, form_data(office=tree.office_a.pk)).status_code == 302
    blocked = post(client, form_data(office=tree.office_a.pk))
    assert blocked.status_code == 429
    assert "Quá nhiều yêu cầu" in blocked.text  # "Too many requests"
    assert Suggestion.objects.count() == 2
    other = post(client, form_data(office=tree.office_a.pk), REMOTE_ADDR="198.51.100.9")
    assert other.status_code == 302


def test_persian_form_is_right_to_left_and_translated(client, tree):
    client.post(reverse("set_language"), {"language": "fa", "next": "/"})
    page = client.get(NEW).text
    assert 'dir="rtl"' in page
    assert "پیشنهاد" in page  # "suggestion"


def test_kiosk_passes_its_language_in_the_link_and_no_cookie_is_left(client, tree, form_data):
    query = f"?office={tree.office_a.pk}&channel=kiosk&lang=fa"
    page = client.get(NEW + query)
    assert 'lang="fa" dir="rtl"' in page.text and "ارسال پیشنهاد" in page.text
    assert "?office=" in page.text and "lang=vi" in page.text  # links to switch back
    response = post(client, form_data(), query)
    assert response["Location"].endswith("?lang=fa")
    sent = client.get(response["Location"])
    assert 'dir="rtl"' in sent.text and "?lang=fa" in sent.text  # status link keeps it
    assert settings.LANGUAGE_COOKIE_NAME not in client.cookies
    # The next citizen at the same kiosk starts in Vietnamese again.
    assert 'lang="vi"' in client.get(f"{NEW}?office={tree.office_a.pk}&channel=kiosk").text


def test_an_unknown_language_in_the_link_is_ignored(client, tree):
    page = client.get(f"{NEW}?lang=xx")
    assert page.status_code == 200 and 'lang="vi"' in page.text


def test_form_started_token_is_signed():
    token = form_started_token()
    assert ":" in token
