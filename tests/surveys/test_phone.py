"""Rating on one's own phone: the form, anti-bot measures, receipts, posters."""

import re
import time
import uuid

import pytest
from django.core import signing
from django.urls import reverse

from surveys.models import Response
from surveys.tokens import FormToken, Receipt

pytestmark = pytest.mark.django_db


def token_for(version, *, seconds_ago=30, channel="qr", rating_id=None):
    """A form token as the page would have issued `seconds_ago`."""
    return FormToken(
        rating_id or uuid.uuid4(), time.time() - seconds_ago, version.pk, None, channel
    ).dumps()


def answers(**extra):
    return {"q_overall": "4", "q_polite": "1", "q_comment": "Tốt", **extra}


def test_the_rating_page_lists_the_full_surveys_questions(client, tree, full_version):
    page = client.get(reverse("surveys:rate", args=[tree.office_a.pk]) + "?via=qr")
    assert page.status_code == 200
    html = page.text
    for name in ("q_overall", "q_polite", "q_comment", "q_reasons", "form_token", "website"):
        assert f'name="{name}"' in html
    assert tree.office_a.name in html
    assert " style=" not in html and "<script>" not in html


def test_a_phone_rating_is_stored_through_the_shared_write_path(client, tree, full_version):
    url = reverse("surveys:rate_desk", args=[tree.office_a.pk, tree.desk_a.pk])
    reply = client.post(
        url,
        answers(
            form_token=token_for(full_version),
            q_overall="2",
            q_reasons=["slow"],
            staff=tree.staff_a.pk,
        ),
    )
    assert reply.status_code == 302
    assert reply["Location"].startswith(reverse("surveys:thanks"))
    response = Response.objects.get()
    assert (response.channel, response.desk, response.staff) == ("qr", tree.desk_a, tree.staff_a)
    assert response.started_at < response.submitted_at
    codes = sorted(response.answers.values_list("question__code", flat=True))
    assert codes == ["comment", "overall", "polite", "reasons"]
    thanks = client.get(reply["Location"])
    assert thanks.status_code == 200
    assert f"/suggestions/new/?office={tree.office_a.pk}" in thanks.text


def test_the_page_gives_the_rating_a_time_ordered_id_that_it_is_stored_under(
    client, tree, full_version
):
    url = reverse("surveys:rate", args=[tree.office_a.pk]) + "?via=qr"
    page = client.get(url)
    raw = re.search(r'name="form_token" value="([^"]+)"', page.text)[1]
    rating_id = FormToken.loads(raw).rating_id
    assert rating_id.version == 7  # common/ids.py: new ids sort by the time they were made
    assert abs((rating_id.int >> 80) / 1000 - time.time()) < 60
    assert client.post(url, answers(form_token=raw, q_overall="4")).status_code == 302
    assert Response.objects.get().id == rating_id


def test_a_rating_from_the_office_finder_is_a_web_rating(client, tree, full_version):
    token = token_for(full_version, channel="web")
    client.post(reverse("surveys:rate", args=[tree.office_a.pk]), answers(form_token=token))
    assert Response.objects.get().channel == "web"


def test_sending_the_same_form_twice_stores_it_once(client, tree, full_version):
    token = token_for(full_version)
    url = reverse("surveys:rate", args=[tree.office_a.pk])
    assert client.post(url, answers(form_token=token)).status_code == 302
    assert client.post(url, answers(form_token=token)).status_code == 302
    assert Response.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "phrase"),
    [
        ({"website": "http://spam.example"}, "could not be accepted"),
        ({"q_overall": ""}, "required"),
        ({"q_overall": "9"}, "valid choice"),
        ({"q_reasons": ["bribe"]}, "valid choice"),
        ({"q_comment": "x" * 1001}, "at most 1000"),
        ({"staff": "999999"}, "valid choice"),
    ],
)
def test_bad_phone_ratings_get_a_clear_message_and_store_nothing(
    client, tree, full_version, data, phrase
):
    reply = client.post(
        reverse("surveys:rate", args=[tree.office_a.pk]),
        answers(form_token=token_for(full_version), **data),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert reply.status_code == 400
    assert phrase in reply.text
    assert not Response.objects.exists()


def test_a_form_sent_quicker_than_a_person_reads_is_stored_flagged(client, tree, full_version):
    """Kept and set aside, never lost (surveys/phone_misuse.py); a person's form is not."""
    url = reverse("surveys:rate", args=[tree.office_a.pk])
    assert (
        client.post(url, answers(form_token=token_for(full_version, seconds_ago=1))).status_code
        == 302
    )
    assert client.post(url, answers(form_token=token_for(full_version))).status_code == 302
    fast, normal = sorted(Response.objects.all(), key=lambda r: r.started_at, reverse=True)
    assert fast.is_misuse and fast.misuse_reason.startswith("completed in 1.")
    assert not normal.is_misuse and normal.misuse_reason == ""


@pytest.mark.parametrize("token", ["", "forged", None])
def test_a_missing_or_forged_form_token_is_refused(client, tree, full_version, token):
    data = answers() if token is None else answers(form_token=token)
    reply = client.post(reverse("surveys:rate", args=[tree.office_a.pk]), data)
    assert reply.status_code == 400
    assert not Response.objects.exists()


def test_a_form_token_for_another_offices_survey_is_refused(client, tree, bank):
    from tests.factories import survey_version

    elsewhere = survey_version(tree.district_b, [(bank.overall, True)], variant="full")
    reply = client.post(
        reverse("surveys:rate", args=[tree.office_a.pk]),
        {"form_token": token_for(elsewhere), "q_overall": "5"},
    )
    assert reply.status_code == 400
    assert not Response.objects.exists()


def test_unknown_or_inactive_offices_and_desks_are_404(client, tree, full_version):
    assert client.get(reverse("surveys:rate", args=[999999])).status_code == 404
    other_desk = reverse("surveys:rate_desk", args=[tree.office_a.pk, 999999])
    assert client.get(other_desk).status_code == 404
    tree.office_b.is_active = False
    tree.office_b.save()
    assert client.get(reverse("surveys:rate", args=[tree.office_b.pk])).status_code == 404


def test_absurd_ids_in_addresses_are_404_not_errors(client_for, client, admin_user):
    huge = "9" * 30
    for path in (f"/r/{huge}/", f"/r/1/desk/{huge}/", f"/r/thanks/?office={huge}"):
        assert client.get(path).status_code in (200, 404), path
    staff = client_for(admin_user)
    for path in (f"/qr/office/{huge}/", f"/qr/desk/{huge}/", f"/kiosk/preview/{huge}/"):
        assert staff.get(path).status_code == 404, path
    assert staff.get("/kiosk/preview/1/?office=" + huge).status_code in (200, 404)


def test_an_office_without_a_survey_says_so(client, tree):
    page = client.get(reverse("surveys:rate", args=[tree.office_a.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 404
    assert "has not set up its survey" in page.text


def test_public_pages_are_rate_limited_per_address(client, tree, full_version, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "survey_post": (2, 600)}
    url = reverse("surveys:rate", args=[tree.office_a.pk])
    for _ in range(2):
        assert client.post(url, answers(form_token=token_for(full_version))).status_code == 302
    blocked = client.post(
        url, answers(form_token=token_for(full_version)), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert blocked.status_code == 429
    assert "Too many requests" in blocked.text
    assert blocked["Retry-After"]
    assert Response.objects.count() == 2
    # Another address is not affected.
    other = client.post(url, answers(form_token=token_for(full_version)), REMOTE_ADDR="10.1.1.1")
    assert other.status_code == 302


def test_page_views_have_their_own_higher_limit(client, tree, full_version, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "survey_view": (3, 600)}
    url = reverse("surveys:choose_office")
    assert [client.get(url).status_code for _ in range(4)] == [200, 200, 200, 429]


def test_the_home_page_leads_citizens_to_the_office_finder(client):
    page = client.get(reverse("home"))
    assert reverse("surveys:choose_office") in page.text


def test_the_office_finder_searches_by_office_or_unit_name(client, tree):
    page = client.get(reverse("surveys:choose_office"), {"q": "Mỹ Đình"})
    assert page.status_code == 200
    assert list(page.context["offices"]) == [tree.office_b]
    assert client.get(reverse("surveys:choose_office"), {"q": "x" * 500}).status_code == 200


@pytest.mark.parametrize(
    "typed", ["my dinh", "MY DINH", "Mỹ Đình", "mỹ đình", "My\u0303 \u0110i\u0300nh", "mÝ"]
)
def test_the_office_finder_forgives_missing_or_other_diacritics(client, tree, typed):
    """A citizen types without tones, in capitals, or with a keyboard that sends the marks
    as separate characters: the office is found, and no other."""
    page = client.get(reverse("surveys:choose_office"), {"q": typed})
    assert list(page.context["offices"]) == [tree.office_b]


def test_the_office_finder_takes_a_nul_or_only_marks_without_an_error(client, tree):
    for typed in ("\x00", "my\x00dinh", "\u0301\u0300"):
        page = client.get(reverse("surveys:choose_office"), {"q": typed})
        assert page.status_code == 200


# --- Receipts: one rating per dossier ----------------------------------------------------


def receipt_url(office, code="HS-2026-0001", desk=None):
    token = Receipt(office.pk, code, desk.pk if desk else None).dumps()
    return reverse("surveys:rate_receipt", args=[token])


def test_a_receipt_rates_its_dossier_once(client, tree, full_version):
    url = receipt_url(tree.office_a, desk=tree.desk_a)
    page = client.get(url)
    assert page.status_code == 200 and "HS-2026-0001" in page.text
    reply = client.post(url, answers(form_token=token_for(full_version)))
    assert reply.status_code == 302
    response = Response.objects.get()
    assert (response.dossier_code, response.desk) == ("HS-2026-0001", tree.desk_a)

    again = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code == 200 and "already been rated" in again.text
    second = client.post(
        url, answers(form_token=token_for(full_version)), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert second.status_code == 409 and "already been rated" in second.text
    assert Response.objects.count() == 1


def test_two_phones_racing_on_one_receipt_store_one_rating(client, tree, full_version, monkeypatch):
    """Both pages passed the up-front check; the database's unique constraint decides."""
    url = receipt_url(tree.office_a)
    first, second = token_for(full_version), token_for(full_version)
    monkeypatch.setattr("surveys.views.dossier_rated", lambda office, code: False)
    assert client.post(url, answers(form_token=first)).status_code == 302
    reply = client.post(url, answers(form_token=second), HTTP_ACCEPT_LANGUAGE="en")
    assert reply.status_code == 409 and "already been rated" in reply.text
    assert Response.objects.count() == 1


def test_a_forged_or_expired_receipt_is_refused(client, tree, full_version, monkeypatch):
    forged = reverse("surveys:rate_receipt", args=["eyJvIjoxfQ:forged"])
    assert client.get(forged).status_code == 404
    assert client.get(reverse("surveys:rate_receipt", args=["x" * 600])).status_code == 404
    url = receipt_url(tree.office_a)
    monkeypatch.setattr("surveys.tokens.RECEIPT_MAX_AGE", -1)
    expired = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert expired.status_code == 410 and "can no longer be rated" in expired.text
    assert not Response.objects.exists()


def test_a_receipt_token_cannot_be_altered(tree):
    token = Receipt(tree.office_a.pk, "HS-1").dumps()
    with pytest.raises(signing.BadSignature):
        Receipt.loads(token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    assert Receipt.loads(token) == Receipt(tree.office_a.pk, "HS-1", None)


# --- Posters and receipt codes for officials, in their scope --------------------------------


def test_office_poster_is_in_scope(client_for, client, alice, tree, full_version):
    url_a = reverse("surveys:office_poster", args=[tree.office_a.pk])
    url_b = reverse("surveys:office_poster", args=[tree.office_b.pk])
    assert client.get(url_a).status_code == 302  # log in first
    official = client_for(alice)
    page = official.get(url_a)
    assert page.status_code == 200
    assert official.get(url_b).status_code == 404
    rating = f"http://testserver/r/{tree.office_a.pk}/?via=qr"
    assert rating in page.text
    svg = page.text.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert " style=" not in svg and "<path" in svg
    assert reverse("surveys:desk_poster", args=[tree.desk_a.pk]) in page.text


def test_desk_poster_is_in_scope(client_for, alice, bob, carol, tree):
    url = reverse("surveys:desk_poster", args=[tree.desk_a.pk])
    assert client_for(alice).get(url).status_code == 200
    assert client_for(bob).get(url).status_code == 404
    page = client_for(carol).get(url)  # a city viewer sees every ward below
    assert page.status_code == 200
    assert f"/r/{tree.office_a.pk}/desk/{tree.desk_a.pk}/?via=qr" in page.text
    assert client_for(carol).get(reverse("surveys:desk_poster", args=[999999])).status_code == 404


def test_receipt_qr_page_makes_a_working_receipt(client_for, alice, bob, tree, full_version):
    url = reverse("surveys:receipt_qr", args=[tree.office_a.pk])
    official = client_for(alice)
    empty = official.get(url)
    assert empty.status_code == 200 and "<svg" not in empty.text
    bad = official.get(url, {"dossier_code": "<script>"})
    assert bad.status_code == 200 and "<svg" not in bad.text
    page = official.get(url, {"dossier_code": "000.00.18.H26-250701-0001", "desk": tree.desk_a.pk})
    assert "<svg" in page.text
    link = re.search(r"http://testserver(/r/receipt/[^\"<]+/)", page.text).group(1)
    assert client_for(bob).get(url).status_code == 404
    official.logout()
    assert official.get(link).status_code == 200
