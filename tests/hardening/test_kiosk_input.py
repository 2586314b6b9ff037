"""Generated payloads against the kiosk's rating API (docs/kiosk.md).

Through the view (Django test client, every middleware) each example asserts: no
5xx; a stored rating is whole (the response, every answer, both roll-up increments)
and a refused one leaves every table as it was; a refusal is JSON with an `error`
code and a `message` a person can read. The same payloads also go, many more of
them, straight to `parse_kiosk_rating`, the validation the view runs.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given

from offices.models import Kiosk
from surveys.submission import (
    MAX_ANSWERS,
    MAX_TEXT_CHARS,
    SubmissionError,
    load_spec,
    parse_kiosk_rating,
    record_kiosk_rating,
    remember_frozen,
)
from tests.hardening.checks import (
    NOTHING,
    one_complete_rating,
    refused_with_form_error,
    refused_with_json_message,
)
from tests.hardening.strategies import (
    EITHER,
    INVALID,
    RND,
    VALID,
    clean_text,
    encodes,
    examples,
    json_leaf,
    nasty_text,
    nested,
)

pytestmark = pytest.mark.django_db
URL = "/kiosk/api/ratings/"
KNOWN_KEYS = {"id", "version", "extension_version", "language", "desk", "staff"}
KNOWN_KEYS |= {"started_at", "submitted_at", "answers"}
QUESTIONS = ("overall", "polite", "visit", "reasons", "comment")
LANGUAGES = ("vi", "en", "fa")
ACCEPT_LANGUAGE = ["vi", "en", "fa", "vi-VN,vi;q=0.9", "*", "xx", ""]

COMMENT = clean_text(max_size=MAX_TEXT_CHARS)
TEXT = nasty_text()
LEAF = json_leaf()


def test_the_url_is_the_documented_one():
    assert reverse("surveys:kiosk_api_rating") == URL


# --- A valid rating -------------------------------------------------------------------


def times(rnd) -> tuple[str, str]:
    """(started_at, submitted_at) as a kiosk might send them: any clock, any format."""
    submitted = timezone.now() + timedelta(days=rnd.uniform(-60, 60))
    started = submitted - timedelta(seconds=rnd.uniform(0, 7200))
    style = rnd.choice(["iso", "zulu", "naive", "offset"])
    if style == "zulu":
        return started.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), submitted.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style == "naive":  # read as UTC
        return started.replace(tzinfo=None).isoformat(), submitted.replace(tzinfo=None).isoformat()
    if style == "offset":
        zone = timezone.get_fixed_timezone(rnd.randint(-12, 14) * 60)
        return started.astimezone(zone).isoformat(), submitted.astimezone(zone).isoformat()
    return started.isoformat(), submitted.isoformat()


def valid_rating(rnd, world, comment: str, extra_key: str, extra_value) -> tuple[dict, int]:
    """A payload the API must store, and how many Answer rows it makes."""
    answers = [
        {"question": "overall", "value": rnd.randint(1, 5)},
        {"question": "polite", "value": rnd.choice([0, 1, True, False])},
    ]
    expected = 2
    visit = rnd.choice([None, "first", "again", "", []])
    if visit is not None:  # blank counts as not answered
        answers.append({"question": "visit", "value": visit})
        expected += bool(visit)
    if rnd.random() < 0.5:
        reasons = rnd.sample(["slow", "rude"], rnd.randint(0, 2))
        answers.append({"question": "reasons", "value": reasons})
        expected += len(reasons)
    if rnd.random() < 0.6:
        answers.append({"question": "comment", "value": comment})
        expected += bool(comment.strip())
    rnd.shuffle(answers)
    # Unknown fields are ignored, in an answer or in the rating; a lone surrogate in one
    # would make the body no UTF-8 when sent unescaped, hence only clean ones here.
    clean = encodes(json.dumps([extra_key, extra_value], ensure_ascii=False))
    for answer in answers:
        if clean and rnd.random() < 0.1:
            answer["note"] = nested(rnd, extra_value)
    rid = uuid.uuid4()
    started, submitted = times(rnd)
    payload = {
        "id": rnd.choice([str(rid), str(rid).upper(), rid.hex, rid.urn, f"{{{rid}}}"]),
        "version": world.kiosk_version.pk,
        "started_at": started,
        "submitted_at": submitted,
        "answers": answers,
    }
    for key, values in (
        ("language", LANGUAGES),
        ("desk", [None, world.tree.desk_a.pk]),
        ("staff", [None, world.tree.staff_a.pk]),
        ("extension_version", [None]),
    ):
        if rnd.random() < 0.5:
            payload[key] = rnd.choice(values)
    if clean and rnd.random() < 0.3 and extra_key not in KNOWN_KEYS:
        payload[extra_key] = nested(rnd, extra_value)
    return payload, expected


# --- Breaking it ----------------------------------------------------------------------


def _is(answer, code: str) -> bool:
    return isinstance(answer, dict) and answer.get("question") == code


def _set_answer(payload: dict, code: str, value) -> None:
    """Answer `code` with `value`, replacing any answer it had."""
    payload["answers"] = [a for a in payload["answers"] if not _is(a, code)]
    payload["answers"].append({"question": code, "value": value})


def _first(rnd, candidates: list, refused, fallback):
    """A candidate the server must refuse (`refused(value)`), else the fallback."""
    value = rnd.choice(candidates)
    return value if refused(value) else fallback


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _not_an_id(value) -> bool:
    return not (_is_int(value) and 0 < value < 2**63)


def break_rating(rnd, world, payload: dict, text: str, leaf) -> str:
    """Change the payload so that the API must refuse it; returns what was broken."""
    kind = rnd.choice(
        ["id", "missing", "version", "other_version", "extension", "language", "desk"]
        + ["staff", "time", "answers_shape", "answer_entry", "unknown_question", "twice"]
        + ["required", "scale", "yesno", "choice", "multi", "text"]
    )
    answers = payload["answers"]
    if not isinstance(answers, list) and kind in ANSWER_KINDS:
        return kind  # the answers are no list already: refused anyway
    if kind == "id":
        bad = ["", "0", "not-a-uuid", str(uuid.uuid4())[:-1], "\ud800" * 36, 42, [], {}, None]
        payload["id"] = _first(rnd, [text, leaf, rnd.choice(bad)], _not_a_uuid, "nope")
    elif kind == "missing":
        payload.pop(rnd.choice(["id", "version", "started_at", "submitted_at"]), None)
    elif kind == "version":
        payload["version"] = _first(
            rnd, [leaf, text, rnd.randint(10**6, 2**63 - 1), 2**63], _not_a_known_version, 0
        )
    elif kind == "other_version":  # Nam Từ Liêm's and office B's own surveys
        payload["version"] = rnd.choice([world.other_core.pk, world.other_extension.pk])
    elif kind == "extension":  # office B's extension, or a core survey as an extension
        choices = [world.other_extension.pk, world.kiosk_version.pk, world.other_core.pk]
        payload["extension_version"] = rnd.choice([*choices, text, True, -1, 2**64])
    elif kind == "language":
        payload["language"] = _first(
            rnd, [text, leaf, "VI", "vi-VN", "en ", "", None, ["vi"]], _not_a_language, "xx"
        )
    elif kind in ("desk", "staff"):
        other = world.desk_b.pk if kind == "desk" else world.staff_b.pk
        ours = world.tree.desk_a.pk if kind == "desk" else world.tree.staff_a.pk
        payload[kind] = _first(
            rnd,
            [other, leaf, text, rnd.randint(10**6, 10**9), 0, True, 1.0],
            lambda v: v is not None and not (_is_int(v) and v == ours),
            other,
        )
    elif kind == "time":
        bad = ["2025-13-01T00:00:00", "2025-02-30T08:00:00", "yesterday", "", "0", 1751357400]
        bad += ["2025-07-01T08:30:00+25:00", "2025-07-01T08:30:00" + " " * 40, None, []]
        key = rnd.choice(["started_at", "submitted_at"])
        payload[key] = _first(rnd, [text, leaf, rnd.choice(bad)], _not_a_time, "later")
    elif kind == "answers_shape":
        too_many = [{"question": "overall", "value": 4}] * (MAX_ANSWERS + 1)
        payload["answers"] = rnd.choice([leaf, text, [], {}, too_many, nested(rnd, leaf)])
        if isinstance(payload["answers"], list) and 0 < len(payload["answers"]) <= MAX_ANSWERS:
            payload["answers"] = []
    elif kind == "answer_entry":
        entry = rnd.choice(
            [leaf, text, [1, 2], {"question": "overall"}, {"value": 4}, {"question": leaf}]
        )
        if isinstance(entry, dict) and isinstance(entry.get("question"), str) and "value" in entry:
            entry = {"value": 4}
        answers.insert(rnd.randint(0, len(answers)), entry)
    elif kind == "unknown_question":
        code = rnd.choice([text, "local", "OVERALL", "overall ", " polite", "comment\x00"])
        answers.append({"question": code if code not in QUESTIONS else "nope", "value": leaf})
    elif kind == "twice":
        if not answers:
            answers.append({"question": "overall", "value": 3})
        first = rnd.choice(answers)
        answers.append(dict(first) if isinstance(first, dict) else first)
        if not isinstance(first, dict):
            answers.append({"question": "nope", "value": 1})
    elif kind == "required":
        _set_answer(payload, rnd.choice(["overall", "polite"]), rnd.choice([None, "", " ", []]))
        if rnd.random() < 0.5:
            payload["answers"] = [a for a in payload["answers"] if not _is(a, "overall")]
    elif kind == "scale":
        bad = [0, 6, -1, 2**64, True, False, 4.0, 4.5, "4", "٤", [4], {"4": 4}]
        _set_answer(payload, "overall", _first(rnd, [leaf, text, rnd.choice(bad)], _no_score, 0))
    elif kind == "yesno":
        bad = [2, -1, 1.0, "1", "yes", [1], {"yes": True}]
        value = _first(rnd, [leaf, text, rnd.choice(bad)], _no_yes_no, 2)
        _set_answer(payload, "polite", value)
    elif kind == "choice":
        bad = ["FIRST", "slow", "first ", ["first"], 1, True]
        _set_answer(payload, "visit", _first(rnd, [text, leaf, rnd.choice(bad)], _no_visit, 1))
    elif kind == "multi":
        bad = [["slow", "slow"], ["slow", "fast"], "slow", [1], [["slow"]], {"slow": 1}]
        bad.append([text, "slow"] if text not in ("slow", "rude") else [1])
        _set_answer(payload, "reasons", rnd.choice(bad))
    elif kind == "text":
        bad = ["a\x00b", "\ud800", "ok \udfff", "x" * (MAX_TEXT_CHARS + 1), 7, [text], {}]
        bad.append(text + "\x00")
        _set_answer(payload, "comment", rnd.choice(bad))
    return kind


ANSWER_KINDS = {"answer_entry", "unknown_question", "twice", "required"}
ANSWER_KINDS |= {"scale", "yesno", "choice", "multi", "text"}


def _not_a_uuid(value) -> bool:
    try:
        uuid.UUID(value)
    except (TypeError, ValueError, AttributeError):
        return True
    return False


def _not_a_known_version(value) -> bool:
    return _not_an_id(value) or value >= 10**6


def _not_a_language(value) -> bool:
    return not (isinstance(value, str) and value in LANGUAGES)


def _not_a_time(value) -> bool:
    return not (isinstance(value, str) and value[:4].isascii() and value[:4].isdigit())


def _no_score(value) -> bool:
    blank = value is None or value == [] or (isinstance(value, str) and not value.strip())
    return not blank and not (_is_int(value) and 1 <= value <= 5)


def _no_yes_no(value) -> bool:
    blank = value is None or value == [] or (isinstance(value, str) and not value.strip())
    return not blank and not isinstance(value, bool) and not (_is_int(value) and value in (0, 1))


def _no_visit(value) -> bool:
    blank = value is None or value == [] or (isinstance(value, str) and not value.strip())
    return not blank and value not in ("first", "again")


def encode(rnd, payload) -> bytes:
    """JSON as browsers and scripts send it: escaped, raw UTF-8, or spaced out."""
    style = rnd.choice(["ascii", "utf8", "spaced"])
    if style == "ascii":
        return json.dumps(payload).encode()
    text = json.dumps(payload, ensure_ascii=False, indent=2 if style == "spaced" else None)
    # A lone surrogate cannot be UTF-8: it arrives as bytes no JSON parser accepts.
    return text.encode("utf-8", "surrogatepass")


def chaotic_body(rnd, world, comment, text, leaf) -> bytes:
    """Anything at all: an object mixing valid and random fields, other JSON, raw bytes,
    a cut-off body, deep nesting, more than the size limit."""
    kind = rnd.choice(["object"] * 5 + ["json", "bytes", "cut", "deep", "huge"])
    if kind == "json":
        return json.dumps(nested(rnd, leaf)).encode()
    if kind == "bytes":
        return rnd.randbytes(rnd.randint(0, 200))
    if kind == "deep":
        depth = rnd.choice([100, 1000, 20000])
        return b'{"id": ' + b"[" * depth + b"]" * depth + b"}"
    if kind == "huge":
        return b'{"answers": [' + b'{"question": "comment", "value": "x"},' * 2000 + b"]}"
    payload, _answers = valid_rating(rnd, world, comment, text, leaf)
    for key in sorted(KNOWN_KEYS):
        choice = rnd.choice(["keep", "keep", "keep", "drop", "random", "text"])
        if choice == "drop":
            payload.pop(key, None)
        elif choice == "random":
            payload[key] = nested(rnd, leaf)
        elif choice == "text":
            payload[key] = text
    if isinstance(payload.get("answers"), list) and rnd.random() < 0.5:
        payload["answers"].append({"question": rnd.choice(QUESTIONS), "value": nested(rnd, leaf)})
    body = encode(rnd, payload)
    if kind == "cut":
        body = body[: rnd.randint(0, max(0, len(body) - 1))]
    return body


@pytest.fixture
def frozen(world):
    """One stored rating: the version is frozen and its spec remembered, as on a server
    that has taken ratings before (otherwise every request reads the survey again)."""
    payload = {
        "id": str(uuid.uuid4()),
        "version": world.kiosk_version.pk,
        "started_at": (timezone.now() - timedelta(minutes=1)).isoformat(),
        "submitted_at": timezone.now().isoformat(),
        "answers": [{"question": "overall", "value": 5}, {"question": "polite", "value": 1}],
    }
    record_kiosk_rating(json.dumps(payload).encode(), world.kiosk)
    # Other offices' versions have ratings of their own on a real server: frozen too.
    remember_frozen(load_spec(world.other_core.pk), load_spec(world.other_extension.pk))


# --- Through the view -------------------------------------------------------------------


def send(client, body: bytes, credential: str | None, rnd=None, **headers):
    if credential is not None:
        headers["HTTP_AUTHORIZATION"] = f"Kiosk {credential}"
    if rnd is not None:
        headers["HTTP_ACCEPT_LANGUAGE"] = rnd.choice(ACCEPT_LANGUAGE)
    return client.generic("POST", URL, body, content_type="application/json", **headers)


def judge(reply, ledger, expect: str, answers: int | None = None) -> None:
    """The three properties of every example."""
    assert reply.status_code < 500, reply.content[:500]
    assert reply["Content-Type"] == "application/json", reply["Content-Type"]
    change = ledger.change()
    if reply.status_code >= 300:
        assert expect != VALID, reply.json()
        refused_with_json_message(reply, change)
        return
    assert expect != INVALID, (reply.status_code, reply.json())
    body = reply.json()
    if body["status"] == "duplicate":
        assert reply.status_code == 200 and change == NOTHING
        return
    assert reply.status_code == 201 and body["status"] == "stored"
    one_complete_rating(body["id"], change, answers)


@examples(200)
@given(rnd=RND, comment=COMMENT, text=TEXT, leaf=LEAF)
def test_valid_ratings_are_stored_whole_exactly_once(
    client, world, frozen, ledger, tally, rnd, comment, text, leaf
):
    payload, answers = valid_rating(rnd, world, comment, text, leaf)
    reply = send(client, encode(rnd, payload), world.credential, rnd)
    tally("kiosk API (through the view)")
    judge(reply, ledger, VALID, answers)


@examples(300)
@given(rnd=RND, comment=COMMENT, text=TEXT, leaf=LEAF)
def test_broken_ratings_are_refused_whole_with_a_message(
    client, world, frozen, ledger, tally, rnd, comment, text, leaf
):
    payload, _answers = valid_rating(rnd, world, comment, text, leaf)
    broken = [break_rating(rnd, world, payload, text, leaf) for _ in range(rnd.randint(1, 3))]
    reply = send(client, encode(rnd, payload), world.credential, rnd)
    tally("kiosk API (through the view)")
    assert reply.status_code >= 400, broken
    judge(reply, ledger, INVALID)


@examples(170)
@given(rnd=RND, comment=COMMENT, text=TEXT, leaf=LEAF)
def test_any_body_gets_a_json_answer_and_never_a_partial_row(
    client, world, frozen, ledger, tally, rnd, comment, text, leaf
):
    body = chaotic_body(rnd, world, comment, text, leaf)
    reply = send(client, body, world.credential, rnd)
    tally("kiosk API (through the view)")
    judge(reply, ledger, EITHER)


def tampered(credential: str, rnd) -> str:
    position = rnd.randrange(len(credential))
    changed = credential[:position] + rnd.choice("AZaz09-_.:") + credential[position + 1 :]
    return changed if changed != credential else credential + "A"


def _latin1(text: str) -> bool:
    """HTTP headers are Latin-1: what a client can put in an Authorization header."""
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


@examples(110)
@given(rnd=RND, comment=COMMENT, text=nasty_text(max_size=300).filter(_latin1), leaf=LEAF)
def test_forged_replayed_and_revoked_credentials_are_refused(
    client, world, frozen, ledger, tally, rnd, comment, text, leaf
):
    payload, _answers = valid_rating(rnd, world, comment, "note", leaf)
    kind = rnd.choice(["none", "text", "tampered", "revoked", "rotated", "enrolment", "scheme"])
    kind = rnd.choice([kind, "other_id"])
    credential, headers = world.credential, {}
    if kind == "none":
        credential = None
    elif kind == "text":
        credential = text
    elif kind == "tampered":
        credential = tampered(world.credential, rnd)
    elif kind == "revoked":
        credential = world.revoked
    elif kind == "rotated":  # the credential the device had before an admin rotated it
        credential = world.rotated
    elif kind == "enrolment":  # a spent one-time enrolment token is no credential
        credential = world.used_enrolment_token
    elif kind == "scheme":
        scheme = rnd.choice(["Bearer ", "kiosk ", "KIOSK ", "Basic ", "", "Kiosk:"])
        credential, headers = None, {"HTTP_AUTHORIZATION": f"{scheme}{world.credential}"}
    elif kind == "other_id":  # another kiosk's id under this kiosk's signature
        kiosk_id, rest = world.credential.split(".", 1)
        credential = f"{int(kiosk_id) + 1}.{rest}"
    reply = send(client, json.dumps(payload).encode(), credential, **headers)
    tally("kiosk API (through the view)")
    assert reply.status_code in (401, 403), (kind, reply.status_code)
    judge(reply, ledger, INVALID)


@examples(50)
@given(rnd=RND, comment=COMMENT, leaf=LEAF)
def test_another_offices_kiosk_cannot_rate_office_a(
    client, world, frozen, ledger, tally, rnd, comment, leaf
):
    payload, _answers = valid_rating(rnd, world, comment, "note", leaf)
    field = rnd.choice(["desk", "staff", "both"])
    if field in ("desk", "both"):
        payload["desk"] = world.tree.desk_a.pk
    if field in ("staff", "both"):
        payload["staff"] = world.tree.staff_a.pk
    reply = send(client, json.dumps(payload).encode(), world.credential_b)
    tally("kiosk API (through the view)")
    judge(reply, ledger, INVALID)


@examples(35)
@given(rnd=RND, comment=COMMENT, leaf=LEAF)
def test_a_rating_sent_again_is_stored_once(
    client, world, frozen, ledger, tally, rnd, comment, leaf
):
    payload, answers = valid_rating(rnd, world, comment, "note", leaf)
    judge(send(client, json.dumps(payload).encode(), world.credential), ledger, VALID, answers)
    tally("kiosk API (through the view)")
    for _ in range(rnd.randint(1, 3)):
        again = dict(payload)
        if rnd.random() < 0.5:  # the same id with other answers: the first one stands
            again["answers"] = [
                {"question": "overall", "value": rnd.randint(1, 5)},
                {"question": "polite", "value": 1},
            ]
        reply = send(client, json.dumps(again).encode(), world.credential)
        tally("kiosk API (through the view)")
        assert reply.status_code == 200 and reply.json()["status"] == "duplicate"
        assert ledger.change() == NOTHING


@examples(100)
@given(rnd=RND, text=nasty_text(max_size=250, huge=False).filter(encodes))
def test_enrolment_links_and_kiosk_cookies_cannot_be_forged_or_replayed(
    client, world, ledger, tally, rnd, text
):
    enrolled = sorted(Kiosk.objects.values_list("pk", "credential_hash"))
    kind = rnd.choice(["link", "link", "spent", "cookie"])
    if kind == "cookie":  # the kiosk page with a tampered, revoked or rotated credential
        client.cookies["kiosk_credential"] = rnd.choice(
            [tampered(world.credential, rnd), world.revoked, world.rotated, "x"]
        )
        reply = client.get("/kiosk/")
        assert reply.status_code == 403
        assert "surveys/kiosk_not_enrolled.html" in {t.name for t in reply.templates}
    else:
        token = world.used_enrolment_token if kind == "spent" else text
        url = f"/kiosk/enrol/{quote(token, safe='') or '%20'}/"
        reply = client.post(url) if rnd.random() < 0.5 else client.get(url)
        assert reply.status_code in (404, 410), reply.status_code
        refused_with_form_error(reply, NOTHING)
    tally("kiosk enrolment links and cookies (through the view)")
    assert sorted(Kiosk.objects.values_list("pk", "credential_hash")) == enrolled
    assert ledger.change() == NOTHING


def test_other_methods_are_refused_with_a_message(client, world):
    for method in ("GET", "PUT", "DELETE", "PATCH"):
        reply = client.generic(method, URL, HTTP_AUTHORIZATION=f"Kiosk {world.credential}")
        assert reply.status_code == 405 and reply["Allow"] == "POST"
        assert reply.json()["message"]


# --- The validation alone: the same payloads, many more of them --------------------------


@pytest.mark.slow
@examples(4200)
@given(rnd=RND, comment=COMMENT, text=TEXT, leaf=LEAF)
def test_the_kiosk_validation_accepts_exactly_the_valid_ratings(
    world, frozen, tally, rnd, comment, text, leaf
):
    expect = rnd.choice([VALID, INVALID, INVALID, EITHER])
    if expect == EITHER:
        body, answers = chaotic_body(rnd, world, comment, text, leaf), None
    else:
        payload, answers = valid_rating(rnd, world, comment, text, leaf)
        if expect == INVALID:
            for _ in range(rnd.randint(1, 3)):
                break_rating(rnd, world, payload, text, leaf)
        body = encode(rnd, payload)
    tally("kiosk API (validation only)")
    try:
        _response, stored, _specs = parse_kiosk_rating(
            body, world.kiosk, received=timezone.now(), ip_address="127.0.0.1"
        )
    except SubmissionError as error:
        assert expect != VALID, error.message
        assert error.message.strip() and 400 <= error.status < 500
        return
    assert expect != INVALID, body[:2000]
    if answers is not None:
        assert len(stored) == answers
