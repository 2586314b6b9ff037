"""Phone and QR misuse: the kiosk's rules for ratings sent from citizens' own phones.

A phone has no credential, so a rating is tied to what the request carries: a device
cookie (`rater`, set when the form is shown) and the client's address. Beyond a
configured number of ratings from one device, or from one address, at one office
within a window, a rating is stored flagged, with its reason, and excluded from the
figures (kept, counted apart, reviewable). A form sent faster than a person can read
it is flagged the same way.

The count lives in one row per (office, hashed cookie or address), bumped with
INSERT … ON CONFLICT DO UPDATE in the rating's own transaction: the row lock that
statement takes makes a second concurrent post wait for the first and see its count,
so two posts can never both pass (no read-then-write).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils.crypto import get_random_string, salted_hmac

from surveys.models import Response

DEVICE_COOKIE = "rater"
DEVICE_COOKIE_AGE = 365 * 24 * 3600
UPSERT = """
INSERT INTO surveys_phonesource AS s (office_id, key, window_started_at, count, last_at)
VALUES (%(office)s, %(key)s, %(now)s, 1, %(now)s)
ON CONFLICT (office_id, key) DO UPDATE SET
    count = CASE WHEN s.window_started_at > %(since)s THEN s.count + 1 ELSE 1 END,
    window_started_at = CASE WHEN s.window_started_at > %(since)s
        THEN s.window_started_at ELSE EXCLUDED.window_started_at END,
    last_at = EXCLUDED.last_at
RETURNING count
"""


def _setting(key: str) -> int:
    return int(settings.SURVEY[key])


def new_device_id() -> str:
    return get_random_string(32)


def valid_device_id(value: str | None) -> str | None:
    """The cookie as we set it (32 letters and digits), else None (not counted)."""
    if value and len(value) == 32 and value.isascii() and value.isalnum():
        return value
    return None


def _key(kind: str, value: str) -> str:
    return f"{kind}:{salted_hmac('surveys.phone-source', value, algorithm='sha256').hexdigest()}"


def _bump(office_id: int, key: str, now: datetime, window: timedelta) -> int:
    with connection.cursor() as cursor:
        cursor.execute(UPSERT, {"office": office_id, "key": key, "now": now, "since": now - window})
        return cursor.fetchone()[0]


def too_fast_reason(seconds_open: float, answer_count: int) -> str | None:
    """The reason a form was sent faster than a person can, or None."""
    from surveys.submission import MIN_SECONDS_PER_ANSWER

    needed = max(_setting("PUBLIC_MIN_SECONDS"), MIN_SECONDS_PER_ANSWER * answer_count)
    if seconds_open < needed:
        return f"completed in {seconds_open:.1f} s for {answer_count} answers"
    return None


def judge_phone(
    response: Response,
    *,
    device: str | None,
    address: str | None,
    seconds_open: float,
    answers: int,
) -> list[str]:
    """Bump the counters of this rating's device and address (call inside the rating's
    transaction) and return the reasons it is flagged (English, for the record)."""
    reasons = []
    fast = too_fast_reason(seconds_open, answers)
    if fast:
        reasons.append(fast)
    window = timedelta(seconds=_setting("PHONE_WINDOW_SECONDS"))
    minutes = round(window.total_seconds() / 60)
    now = response.received_at
    if device:
        cap = _setting("PHONE_PER_DEVICE")
        if _bump(response.office_id, _key("d", device), now, window) > cap:
            reasons.append(f"more than {cap} ratings from this phone within {minutes} min")
    if address:
        cap = _setting("PHONE_PER_ADDRESS")
        if _bump(response.office_id, _key("a", address), now, window) > cap:
            reasons.append(f"more than {cap} ratings from this address within {minutes} min")
    return reasons


def record_phone_rating(
    response: Response, answers: list, *, device: str | None, seconds_open: float
) -> bool:
    """Judge and store a phone rating in one transaction; False for a replayed form (its
    counters are then left as they were). Raises DossierAlreadyRated like `record`."""
    with transaction.atomic():
        reasons = judge_phone(
            response,
            device=device,
            address=response.ip_address,
            seconds_open=seconds_open,
            answers=len(answers),
        )
        response.is_misuse = bool(reasons)
        response.misuse_reason = "; ".join(reasons)[:200]
        stored = Response.objects.record(response, answers)
        if not stored:
            transaction.set_rollback(True)
    return stored
