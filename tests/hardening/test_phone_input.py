"""Generated posts against the phone rating form (`surveys:rate`, `surveys:rate_desk`),
and generated receipt links, office searches and ids of the QR pages.

The form's own defences stay on: the honeypot, the signed form token with its
minimum time (tokens are signed here as the page would have issued them, some
seconds ago), the rate limit (raised so that examples are not all 429). The same
posts also go, many more of them, straight to `RatingForm`, the validation the view
runs.
"""

from __future__ import annotations

import time
import uuid
from urllib.parse import quote, urlencode

import pytest
from django.core import signing
from django.http import QueryDict
from hypothesis import given

from surveys.forms import RatingForm, staff_choices
from surveys.models import Response
from surveys.submission import MAX_TEXT_CHARS, load_spec
from surveys.tokens import FORM_MAX_AGE, FORM_SALT, FormToken
from tests.hardening.checks import NOTHING, one_complete_rating, refused_with_form_error
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

FIELDS = ("form_token", "website", "staff", "q_overall", "q_polite", "q_visit", "q_reasons")
FIELDS += ("q_comment",)
ACCEPT_LANGUAGE = ["vi", "en", "fa", "xx", ""]
COMMENT = clean_text(max_size=MAX_TEXT_CHARS)
TEXT = form_text()
NAME = form_text(max_size=30, huge=False)  # Django refuses multipart part headers over 1 KB
MIN_SECONDS = 5  # SURVEY["PUBLIC_MIN_SECONDS"]'s default


class _SignedLongAgo(signing.TimestampSigner):
    def timestamp(self):
        return signing.b62_encode(int(time.time()) - FORM_MAX_AGE - 60)


def token(version_id, extension_id=None, *, seconds_ago=30.0, channel="qr", how="good"):
    """A form token as the page issues it; `how` forges, expires or garbles it."""
    values = [str(uuid.uuid4()), time.time() - seconds_ago, version_id, extension_id, channel]
    if how == "forged":
        return signing.dumps(values, salt=FORM_SALT, key="not the secret key")
    if how == "other_salt":
        return signing.dumps(values, salt="surveys.receipt")
    if how == "expired":
        return _SignedLongAgo(salt=FORM_SALT).sign_object(values)
    return signing.dumps(values, salt=FORM_SALT)


# --- A valid post --------------------------------------------------------------------


def valid_post(rnd, world, comment: str, name: str, value: str) -> tuple[str, dict, int]:
    """(url, data, answers) of a rating the form must store."""
    tree = world.tree
    where = rnd.choice(["office_a", "desk_a", "office_b", "office_c"])
    url = {
        "office_a": f"/r/{tree.office_a.pk}/",
        "desk_a": f"/r/{tree.office_a.pk}/desk/{tree.desk_a.pk}/",
        "office_b": f"/r/{tree.office_b.pk}/",
        "office_c": f"/r/{tree.office_c.pk}/",
    }[where]
    if rnd.random() < 0.5:
        url += "?via=qr"
    extension = world.other_extension.pk if where == "office_b" and rnd.random() < 0.5 else None
    data = {
        "form_token": token(
            world.full_version.pk,
            extension,
            seconds_ago=rnd.uniform(MIN_SECONDS + 1, FORM_MAX_AGE - 120),
            channel=rnd.choice(["qr", "web"]),
        ),
        "q_overall": str(rnd.randint(1, 5)),
    }
    expected = 1
    for field, values in (("q_polite", ["", "0", "1", None]), ("q_visit", ["", "first", "again"])):
        chosen = rnd.choice([*values, None])
        if chosen is not None:
            data[field] = chosen
            expected += chosen != ""
    reasons = rnd.sample(["slow", "rude"], rnd.randint(0, 2))
    if reasons:
        data["q_reasons"] = reasons
        expected += len(reasons)
    if rnd.random() < 0.6:
        data["q_comment"] = comment
        expected += comment.strip() != ""
    if extension and rnd.random() < 0.5:
        data["q_local"] = str(rnd.randint(1, 5))
        expected += 1
    if where in ("office_a", "desk_a") and rnd.random() < 0.5:
        data["staff"] = rnd.choice(["", str(tree.staff_a.pk)])
    if rnd.random() < 0.5:
        data["website"] = rnd.choice(["", " ", "\t\r\n"])  # stripped: still empty
    if rnd.random() < 0.3 and name not in FIELDS and not name.startswith("q_"):
        data[name] = value  # fields the form does not know are ignored
    return url, data, expected


# --- Breaking it ---------------------------------------------------------------------

NOT_SCORES = ["0", "6", "4.0", "٤", "4 ", " 4", "+4", "04", "٥", "²", "true", "4\x00"]


def break_post(rnd, world, url: str, data: dict, text: str) -> str:
    kind = rnd.choice(
        ["token", "honeypot", "overall", "polite", "visit", "reasons", "comment"]
        + ["staff", "other_version"]
    )
    if kind == "token":
        how = rnd.choice(["missing", "garbage", "forged", "other_salt", "expired"])
        if how == "missing":
            data.pop("form_token", None)
        elif how == "garbage":
            data["form_token"] = text
        else:
            data["form_token"] = token(world.full_version.pk, how=how)
    elif kind == "other_version":  # a form of another office's survey, or of none at all
        versions = [10**9, 2**63 + 1]
        if f"/r/{world.tree.office_b.pk}/" not in url:  # Nam Từ Liêm's surveys apply to B
            versions += [world.other_core.pk, world.other_extension.pk]
        data["form_token"] = token(rnd.choice(versions))
    elif kind == "honeypot":
        data["website"] = text if text.strip() else "http://spam.example"
    elif kind == "overall":
        if rnd.random() < 0.3:
            data.pop("q_overall", None)
        else:
            choice = rnd.choice([text, "", *NOT_SCORES])
            data["q_overall"] = choice if choice.strip() not in "12345" else "9"
    elif kind == "polite":
        choice = rnd.choice([text, *NOT_SCORES, "yes", "2"])
        data["q_polite"] = choice if choice.strip() not in ("", "0", "1") else "2"
    elif kind == "visit":
        choice = rnd.choice([text, "FIRST", "first ", "slow"])
        data["q_visit"] = choice if choice not in ("", "first", "again") else "nope"
    elif kind == "reasons":
        data["q_reasons"] = [rnd.choice(["slow", "rude"]), text if text else "x"]
        if text in ("slow", "rude"):
            data["q_reasons"] = ["fast"]
    elif kind == "comment":
        too_long = "x" * (MAX_TEXT_CHARS + 1)
        data["q_comment"] = rnd.choice(["a\x00b", "\x00", too_long, "é" * 5000, text + "\x00"])
    elif kind == "staff":
        data["staff"] = rnd.choice([str(world.staff_b.pk), "0", "-1", "9" * 25, "1.5", "²", text])
        if not data["staff"].strip() or _reads_as(data["staff"], world.tree.staff_a.pk):
            data["staff"] = "-1"
        if "/desk/" not in url and f"/r/{world.tree.office_a.pk}/" not in url:
            # Offices B and C have no staff field: the value is ignored, so refuse it as a bot.
            data["website"] = "http://spam.example"
    return kind


def _reads_as(text: str, pk: int) -> bool:
    """Whether the database would take `text` as the id `pk` (int() takes " ١ " as 1)."""
    try:
        return int(text) == pk
    except ValueError:
        return False


# --- Through the view ----------------------------------------------------------------


def encode(rnd, data: dict, garble: bool = True) -> tuple[object, str, bool]:
    """Multipart (as the test client sends by default) or urlencoded, as a browser may;
    sometimes (`garble`) the comment is bytes that are no UTF-8 at all (then True)."""
    if rnd.random() < 0.5:
        return data, "multipart", False
    garbled = garble and rnd.random() < 0.1
    fields = {k: v for k, v in data.items() if not (garbled and k == "q_comment")}
    body = urlencode(fields, doseq=True)
    if garbled:
        body += "&q_comment=%FF%FE%ED%A0%80"  # read as U+FFFD replacement characters
    return body, "application/x-www-form-urlencoded", garbled


def send(client, rnd, url, data, garble: bool = True):
    body, how, garbled = encode(rnd, data, garble)
    extra = {"HTTP_ACCEPT_LANGUAGE": rnd.choice(ACCEPT_LANGUAGE)}
    if how == "multipart":
        return client.post(url, body, **extra), garbled
    return client.post(url, body, content_type=how, **extra), garbled


def rating_id(data: dict):
    loaded = FormToken.loads(data.get("form_token"))
    return loaded.rating_id if loaded else None


def judge(reply, ledger, data: dict, expect: str, answers: int | None = None) -> None:
    assert reply.status_code < 500
    change = ledger.change()
    if reply.status_code == 302:
        assert expect != INVALID, data
        assert reply["Location"].startswith("/r/thanks/")
        one_complete_rating(rating_id(data), change, answers)
        return
    assert expect != VALID, reply.content.decode()[:3000]
    refused_with_form_error(reply, change)


@examples(35)
@given(rnd=RND, comment=COMMENT, text=TEXT, name=NAME)
def test_valid_phone_ratings_are_stored_whole(
    client, world, ledger, tally, rnd, comment, text, name
):
    url, post, answers = valid_post(rnd, world, comment, name, text)
    reply, garbled = send(client, rnd, url, post)
    if garbled:  # the garbled comment replaced the one in `post`
        answers += 1 - bool(post.get("q_comment", "").strip())
    tally("phone rating form (through the view)")
    judge(reply, ledger, post, VALID, answers)


@examples(40)
@given(rnd=RND, comment=COMMENT, text=TEXT, name=NAME)
def test_broken_phone_ratings_are_refused_with_a_form_error(
    client, world, ledger, tally, rnd, comment, text, name
):
    url, post, _answers = valid_post(rnd, world, comment, name, text)
    broken = [break_post(rnd, world, url, post, text) for _ in range(rnd.randint(1, 2))]
    # A garbled comment would replace a broken one: only when the comment is not broken.
    reply, _garbled = send(client, rnd, url, post, garble="comment" not in broken)
    tally("phone rating form (through the view)")
    judge(reply, ledger, {"broken": broken, **post}, INVALID)


@examples(15)
@given(rnd=RND, comment=COMMENT, text=TEXT, name=NAME)
def test_a_form_sent_too_fast_is_stored_whole_and_flagged(
    client, world, ledger, tally, rnd, comment, text, name
):
    """Faster than a person reads: kept and set aside as misuse, never refused or lost."""
    url, post, answers = valid_post(rnd, world, comment, name, text)
    # The same form (its extension survey and channel), only opened too short a time ago.
    issued = FormToken.loads(post["form_token"])
    post["form_token"] = token(
        issued.version_id,
        issued.extension_id,
        seconds_ago=rnd.uniform(-5, MIN_SECONDS - 2),
        channel=issued.channel,
    )
    reply, garbled = send(client, rnd, url, post)
    if garbled:
        answers += 1 - bool(post.get("q_comment", "").strip())
    tally("phone rating form (through the view)")
    judge(reply, ledger, post, VALID, answers)
    stored = Response.objects.get(pk=rating_id(post))
    assert stored.is_misuse and stored.misuse_reason.startswith("completed in ")


ANY_VALUES = ["1", "5", "0", "-1", "6", "99999999999999999999", "first", "slow", "", "²"]


@examples(25)
@given(rnd=RND, comment=COMMENT, text=TEXT, name=NAME)
def test_any_phone_post_is_stored_whole_or_refused_with_a_reason(
    client, world, ledger, tally, rnd, comment, text, name
):
    url, post, _answers = valid_post(rnd, world, comment, name, text)
    for field in FIELDS:
        choice = rnd.choice(["keep", "keep", "drop", "random", "list"])
        if choice == "drop":
            post.pop(field, None)
        elif choice == "random":
            post[field] = rnd.choice([text, *ANY_VALUES])
        elif choice == "list":
            post[field] = rnd.sample([text, *ANY_VALUES], rnd.randint(0, 3))
    reply, _garbled = send(client, rnd, url, post)
    tally("phone rating form (through the view)")
    judge(reply, ledger, post, EITHER)


@examples(120)
@given(rnd=RND, text=form_text(max_size=120, huge=False))
def test_receipt_links_office_search_and_ids_never_fail(client, world, tally, rnd, text):
    kind = rnd.choice(["receipt", "search", "office", "desk", "thanks"])
    if kind == "receipt":
        url = f"/r/receipt/{quote(text, safe='') or 'x'}/"
    elif kind == "search":
        url = "/r/?" + urlencode({"q": text})
    elif kind == "office":
        url = f"/r/{rnd.randint(0, 10**18)}/?" + urlencode({"via": text})
    elif kind == "desk":
        office = rnd.choice([world.tree.office_a.pk, world.tree.office_b.pk])
        url = f"/r/{office}/desk/{rnd.randint(0, 10**18)}/"
    else:
        url = "/r/thanks/?" + urlencode({"office": text})
    reply = client.get(url, HTTP_ACCEPT_LANGUAGE=rnd.choice(ACCEPT_LANGUAGE))
    tally("QR pages: receipt links, office finder, ids (GET)")
    assert reply.status_code < 500, url
    if reply.status_code >= 400:
        refused_with_form_error(reply, NOTHING)


# --- The form alone: the same posts, many more of them -----------------------------------


def _querydict(post: dict) -> QueryDict:
    query = QueryDict(mutable=True)
    for key, value in post.items():
        query.setlist(key, value if isinstance(value, list) else [value])
    return query


@pytest.fixture
def read_once(world):
    """Survey specs and staff lists as the view reads them, read once for all examples."""
    memo = {}

    def read(key, load):
        if key not in memo:
            memo[key] = load()
        return memo[key]

    return read


@examples(1400)
@given(rnd=RND, comment=COMMENT, text=TEXT, name=NAME)
def test_the_rating_form_accepts_exactly_the_valid_posts(
    world, read_once, tally, rnd, comment, text, name
):
    url, post, answers = valid_post(rnd, world, comment, name, text)
    broken = rnd.random() < 0.6
    kind = break_post(rnd, world, url, post, text) if broken else ""
    tree = world.tree
    office = next(o for o in (tree.office_a, tree.office_b, tree.office_c) if f"/r/{o.pk}/" in url)
    loaded = FormToken.loads(post.get("form_token"))
    specs = None
    if loaded is not None:
        ids = [loaded.version_id] + ([loaded.extension_id] if loaded.extension_id else [])
        specs = [read_once(("spec", i), lambda i=i: load_spec(i)) for i in ids]
        if not all(spec and spec.applies_to(office) for spec in specs):
            specs = None
    tally("phone rating form (form only)")
    if specs is None:  # the view answers "this form has expired" before any form
        assert kind in ("token", "other_version"), kind
        return
    desk = tree.desk_a if "/desk/" in url else None
    people = read_once(("staff", office.pk, desk), lambda: staff_choices(office, desk))
    form = RatingForm(_querydict(post), specs=specs, token=loaded, staff_choices=people)
    valid = form.is_valid()
    assert valid != broken, (kind, form.errors, post)
    if valid:
        assert len(form.answers) == answers
    else:
        assert all(str(m).strip() for errors in form.errors.values() for m in errors)
