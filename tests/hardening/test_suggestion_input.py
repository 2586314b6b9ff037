"""Generated posts against the suggestion form (`suggestions:new`) and generated codes
against the tracking pages (`suggestions:track`, `suggestions:status`).

The honeypot and the signed minimum-time stamp stay on (stamps are signed here as
the page would have issued them, some seconds ago); the per-address limits are
raised so that examples are not all 429. The same posts and codes also go, many
more of them, straight to `SuggestionForm` and `TrackForm`, the validation the
views run.
"""

from __future__ import annotations

import time
from urllib.parse import quote, urlencode

import pytest
from django.conf import settings as django_settings
from django.core import signing
from hypothesis import given
from hypothesis import strategies as st

from suggestions.forms import SuggestionForm, TrackForm
from suggestions.models import CODE_ALPHABET, Suggestion, format_code, normalise_code
from tests.hardening.checks import NOTHING, refused_with_form_error
from tests.hardening.strategies import (
    EITHER,
    INVALID,
    RND,
    VALID,
    clean_text,
    examples,
    form_text,
)

pytestmark = pytest.mark.django_db

STARTED_SALT = "suggestions.form-started"
FIELDS = ("office", "category", "text", "name", "contact", "contact_consent", "website")
FIELDS += ("started",)
CATEGORIES = ["procedures", "conduct", "premises", "fees", "other"]
ACCEPT_LANGUAGE = ["vi", "en", "fa", "xx", ""]
GOOD_CONTACTS = ["0912345678", "0912 345 678", "+84 (912) 345-678", "mai@example.vn"]
GOOD_CONTACTS += ["Tran.Mai@Example.VN", "user+tag@sub.example.com", "02438.123.456"]
BAD_CONTACTS = ["12", "call me", "not-an-email@", "@@", "a@b", "+84 12", "0" * 19, "09-12"]
BAD_CONTACTS += ["mai@", "<script>@x.vn", "0912345678\x00", "mai@example..vn", "+"]
MIN_FILL = django_settings.SUGGESTIONS["MIN_FILL_SECONDS"]
MAX_AGE = django_settings.SUGGESTIONS["FORM_MAX_AGE_SECONDS"]

SUGGESTION = clean_text(max_size=2000)
NAME = clean_text(max_size=100)
TEXT = form_text()
FIELD_NAME = form_text(max_size=30, huge=False)  # multipart part headers stay under 1 KB


def stamp(seconds_ago: float) -> str:
    """The form's signed 'shown at' time, as the page would have issued it."""
    return signing.Signer(salt=STARTED_SALT).sign(f"{time.time() - seconds_ago:.3f}")


def valid_post(rnd, world, suggestion: str, name: str, field: str, value: str):
    tree = world.tree
    offices = [tree.office_a.pk, tree.office_b.pk, tree.office_c.pk]
    locked = rnd.choice([None, *offices])
    query = {}
    if locked is not None:
        query["office"] = str(locked)
        query["channel"] = rnd.choice(["kiosk", "qr", "web", "fax", ""])
    if rnd.random() < 0.5:
        query["lang"] = rnd.choice(["vi", "en", "fa", "xx"])
    url = "/suggestions/new/" + ("?" + urlencode(query) if query else "")
    if len(suggestion.strip()) < 5:  # too short to be a suggestion: make it one
        suggestion = "Ghế chờ hỏng. " + suggestion.strip()
    data = {
        "category": rnd.choice(CATEGORIES),
        "text": suggestion,
        "started": stamp(rnd.uniform(MIN_FILL + 1, MAX_AGE - 600)),
    }
    if locked is None:
        data["office"] = str(rnd.choice(offices))
    elif rnd.random() < 0.2:  # a locked office ignores what is posted
        data["office"] = value
    if rnd.random() < 0.5:
        data["name"] = name
    if rnd.random() < 0.5:
        data["contact"] = rnd.choice(GOOD_CONTACTS)
        data["contact_consent"] = rnd.choice(["on", "1", "true", "True"])
    if rnd.random() < 0.5:
        data["website"] = rnd.choice(["", " ", "\r\n"])
    if rnd.random() < 0.3 and field not in FIELDS and field != "csrfmiddlewaretoken":
        data[field] = value
    return url, data


def _reads_as_office(text: str, world) -> bool:
    """Whether the database would take `text` as an office id (int() takes " ١ " as 1)."""
    try:
        number = int(text)
    except ValueError:
        return False
    return number in (world.tree.office_a.pk, world.tree.office_b.pk, world.tree.office_c.pk)


def break_post(rnd, world, url: str, data: dict, text: str) -> str:
    kinds = ["category", "text", "name", "contact", "consent", "honeypot", "started"]
    if "office=" not in url:  # a locked office ignores what is posted
        kinds.append("office")
    kind = rnd.choice(kinds)
    if kind == "office":
        bad = ["", "0", "-1", "9" * 25, "1.0", "²", "abc", "1\x00", text]
        choice = rnd.choice(bad)
        data["office"] = choice if not _reads_as_office(choice, world) else "-1"
    elif kind == "category":
        if rnd.random() < 0.3:
            data.pop("category", None)
        else:
            choice = rnd.choice([text, "bribes", "PREMISES", "premises ", ""])
            data["category"] = choice if choice not in CATEGORIES else "bribes"
    elif kind == "text":
        bad = ["", "    ", "ok", "abcd ", "\x00" * 10, "x" * 2001, "é" * 9000]
        bad.append(data["text"] + "\x00")
        data["text"] = rnd.choice(bad)
    elif kind == "name":
        data["name"] = rnd.choice(["x" * 101, "Mai\x00", "a" * 5000, text + "\x00"])
    elif kind == "contact":
        data["contact"] = rnd.choice(BAD_CONTACTS)
        data["contact_consent"] = "on"
    elif kind == "consent":
        data["contact"] = rnd.choice(GOOD_CONTACTS)
        data.pop("contact_consent", None)
        if rnd.random() < 0.5:  # what a browser sends for an unticked box: nothing
            data["contact_consent"] = rnd.choice(["", "false", "False"])
    elif kind == "honeypot":
        data["website"] = text if text.strip() and "\x00" not in text else "http://spam.example"
    elif kind == "started":
        how = rnd.choice(["missing", "garbage", "forged", "quick", "old"])
        if how == "missing":
            data.pop("started", None)
        elif how == "garbage":
            data["started"] = text
        elif how == "forged":
            data["started"] = f"{time.time() - 60:.3f}:" + rnd.randbytes(20).hex()
        elif how == "quick":
            data["started"] = stamp(rnd.uniform(-60, MIN_FILL - 2))  # 2 s margin for a slow machine
        else:
            data["started"] = stamp(MAX_AGE + rnd.uniform(60, 1e6))
    return kind


# --- Through the view ----------------------------------------------------------------


def send(client, rnd, url, data):
    extra = {"HTTP_ACCEPT_LANGUAGE": rnd.choice(ACCEPT_LANGUAGE)}
    if rnd.random() < 0.5:
        return client.post(url, data, **extra)
    body = urlencode(data, doseq=True)
    return client.post(url, body, content_type="application/x-www-form-urlencoded", **extra)


def judge(reply, ledger, expect: str, data: dict) -> None:
    assert reply.status_code < 500
    change = ledger.change()
    if reply.status_code == 302:
        assert expect != INVALID, data
        assert change == (0, 0, 0, 0, 1, 0, 0), change
        code = reply["Location"].split("/sent/")[1].split("/")[0]
        stored = Suggestion.objects.get(code=code)
        text = data["text"][-1] if isinstance(data["text"], list) else data["text"]
        assert stored.text == text.strip()
        assert stored.contact_consent == bool(stored.contact)
        return
    assert expect != VALID, (data, reply.content.decode()[:3000])
    refused_with_form_error(reply, change)


@examples(35)
@given(rnd=RND, suggestion=SUGGESTION, name=NAME, field=FIELD_NAME, value=TEXT)
def test_valid_suggestions_are_stored_once(
    client, world, ledger, tally, rnd, suggestion, name, field, value
):
    url, post = valid_post(rnd, world, suggestion, name, field, value)
    reply = send(client, rnd, url, post)
    tally("suggestion form (through the view)")
    judge(reply, ledger, VALID, post)


@examples(40)
@given(rnd=RND, suggestion=SUGGESTION, name=NAME, field=FIELD_NAME, value=TEXT)
def test_broken_suggestions_are_refused_with_a_form_error(
    client, world, ledger, tally, rnd, suggestion, name, field, value
):
    url, post = valid_post(rnd, world, suggestion, name, field, value)
    kinds = [break_post(rnd, world, url, post, value) for _ in range(rnd.randint(1, 2))]
    reply = send(client, rnd, url, post)
    tally("suggestion form (through the view)")
    judge(reply, ledger, INVALID, {"broken": kinds, **post})


ANY_VALUES = ["1", "on", "0", "99999999999999999999", "²", "", "premises"]


@examples(25)
@given(rnd=RND, suggestion=SUGGESTION, name=NAME, field=FIELD_NAME, value=TEXT)
def test_any_suggestion_post_is_stored_once_or_refused_with_a_reason(
    client, world, ledger, tally, rnd, suggestion, name, field, value
):
    url, post = valid_post(rnd, world, suggestion, name, field, value)
    for key in FIELDS:
        choice = rnd.choice(["keep", "keep", "drop", "random", "list"])
        if choice == "drop":
            post.pop(key, None)
        elif choice == "random":
            post[key] = rnd.choice([value, *ANY_VALUES])
        elif choice == "list":
            post[key] = rnd.sample([value, *ANY_VALUES], rnd.randint(0, 3))
    if rnd.random() < 0.5:  # and any link: office, channel and language
        office = rnd.choice([value, *ANY_VALUES, str(world.tree.office_a.pk)])
        link = {"office": office, "channel": rnd.choice([value, "kiosk"]), "lang": value}
        url = "/suggestions/new/?" + urlencode(link)
    reply = send(client, rnd, url, post)
    tally("suggestion form (through the view)")
    judge(reply, ledger, EITHER, post)


# --- Tracking -----------------------------------------------------------------------

CODE_TEXT = st.one_of(
    st.text(alphabet=CODE_ALPHABET + "01ILO -–.abcdz", max_size=24),
    form_text(max_size=40, huge=False),
)


@pytest.fixture
def known_code(world):
    suggestion = Suggestion(
        office=world.tree.office_a,
        category="premises",
        text="Nên bổ sung thêm ghế chờ ở sảnh.",
        name="Trần Thị Mai",
        contact="0912345678",
        contact_consent=True,
    )
    suggestion.save()
    return suggestion


def written_like_a_person(rnd, code: str) -> str:
    text = format_code(code) if rnd.random() < 0.5 else code
    if rnd.random() < 0.5:
        text = text.lower()
    text = text.replace("-", rnd.choice(["-", " ", " - ", "."]))
    return rnd.choice(["", " ", "  "]) + text


def typed_code(typed: str) -> str | None:
    """What the tracking form makes of a typed code (it strips, at most 20 characters)."""
    text = typed.strip()
    if len(text) > 20 or "\x00" in text:
        return None
    return normalise_code(text)


@examples(200)
@given(rnd=RND, typed=CODE_TEXT)
def test_tracking_codes_find_their_suggestion_or_say_not_found(
    client, world, known_code, tally, rnd, typed
):
    if rnd.random() < 0.2:
        typed = written_like_a_person(rnd, known_code.code)
    extra = {"HTTP_ACCEPT_LANGUAGE": rnd.choice(ACCEPT_LANGUAGE)}
    query = {"lang": rnd.choice(["", "fa", "en", "zz"])}
    if rnd.random() < 0.5:
        query["channel"] = rnd.choice(["kiosk", "web", "<script>"])
    if rnd.random() < 0.5:
        reply = client.get("/suggestions/track/", {"code": typed, **query}, **extra)
        expected = typed_code(typed)
    else:
        path = quote(typed, safe="") or "%20"
        reply = client.get(f"/suggestions/track/{path}/?{urlencode(query)}", **extra)
        expected = normalise_code(typed) if "/" not in typed else None
    tally("suggestion tracking (through the view)")
    assert reply.status_code < 500
    page = reply.content.decode()
    assert known_code.contact not in page and known_code.name not in page
    if reply.status_code == 302:  # a well-formed code goes to its status page
        assert expected is not None, typed
        assert reply["Location"].startswith(f"/suggestions/track/{expected}/")
    elif reply.status_code == 200:
        assert expected == known_code.code, typed
        assert known_code.text in page
    else:
        assert reply.status_code == 404 and expected != known_code.code, typed
        refused_with_form_error(reply, NOTHING)


# --- The forms alone: the same input, many more of it --------------------------------


@pytest.mark.slow
@examples(700)
@given(rnd=RND, suggestion=SUGGESTION, name=NAME, field=FIELD_NAME, value=TEXT)
def test_the_suggestion_form_accepts_exactly_the_valid_posts(
    world, tally, rnd, suggestion, name, field, value
):
    url, post = valid_post(rnd, world, suggestion, name, field, value)
    broken = rnd.random() < 0.6
    kind = break_post(rnd, world, url, post, value) if broken else ""
    tree = world.tree
    # The view fixes the office before the form: from the link, else from the post (a page
    # of an older release); a post naming no office is refused there, with the chooser.
    raw = url.split("office=")[1].split("&")[0] if "office=" in url else post.get("office", "")
    offices = {str(o.pk): o for o in (tree.office_a, tree.office_b, tree.office_c)}
    locked = offices.get(raw)
    tally("suggestion form (form only)")
    if locked is None:
        assert broken and kind == "office", (kind, post)
        return
    form = SuggestionForm(post, locked_office=locked)
    valid = form.is_valid()
    assert valid != broken, (kind, form.errors, post)
    if not valid:
        assert all(str(m).strip() for errors in form.errors.values() for m in errors)


@examples(2400)
@given(typed=CODE_TEXT)
def test_the_tracking_form_accepts_exactly_well_formed_codes(tally, typed):
    form = TrackForm({"code": typed})
    tally("suggestion tracking (form only)")
    expected = typed_code(typed)
    assert form.is_valid() == (expected is not None), (typed, form.errors)
    if expected:
        assert form.cleaned_data["code"] == expected
        assert len(expected) == 8 and set(expected) <= set(CODE_ALPHABET)
