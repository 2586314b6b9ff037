"""Kiosk misuse judged on the server: spacing, rate caps and impossible backlogs.

A kiosk credential sits in the page, so whoever holds it can post anything with any
times. The times a kiosk sends are kept (an offline queue must keep them) but not
trusted alone: each rating is also judged on when it *arrived* and on what the kiosk
itself said before (its heartbeat's queue length, the ratings it already delivered).

Everything is read and written under a row lock on the kiosk (SELECT … FOR UPDATE in
the rating's transaction), so two concurrent posts are judged one after the other and
cannot both pass a spacing check. Nothing here refuses a rating: a suspicious one is
stored flagged, with its reasons, and excluded from the figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

from offices.models import Kiosk
from surveys.models import Response

# A kiosk's clock is corrected to the server's when it is off by more than 30 s; allow a
# little more than that before calling an ordering impossible.
CLOCK_TOLERANCE = timedelta(minutes=2)
STATE_FIELDS = (
    "last_fresh_rating_at",
    "latest_rating_given_at",
    "live_window_started_at",
    "live_window_count",
    "queue_length",
    "queue_reported_at",
)


# Raise each kiosk's `latest_rating_given_at` to the latest time given among its stored
# ratings (run by migration surveys 0012 and by loaders that store kiosk ratings without
# the kiosk API, e.g. `load_demo_ratings`).
LATEST_GIVEN_SQL = """
UPDATE offices_kiosk k SET latest_rating_given_at = m.latest
FROM (SELECT kiosk_id, max(submitted_at) AS latest FROM surveys_response
      WHERE kiosk_id IS NOT NULL GROUP BY kiosk_id) m
WHERE m.kiosk_id = k.id
  AND (k.latest_rating_given_at IS NULL OR k.latest_rating_given_at < m.latest)
"""


def note_latest_given() -> None:
    """After storing kiosk ratings some other way than the kiosk API (see above)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(LATEST_GIVEN_SQL)


def _setting(key: str, default: int) -> int:
    return int(settings.SURVEY.get(key, default))


@dataclass
class KioskState:
    last_fresh_rating_at: datetime | None
    latest_rating_given_at: datetime | None
    live_window_started_at: datetime | None
    live_window_count: int
    queue_length: int | None
    queue_reported_at: datetime | None

    @classmethod
    def lock(cls, kiosk: Kiosk) -> KioskState:
        """Lock the kiosk's row for the rest of the transaction and read its state."""
        row = Kiosk.objects.select_for_update().filter(pk=kiosk.pk).values(*STATE_FIELDS).get()
        return cls(**row)

    @classmethod
    def of(cls, kiosk: Kiosk) -> KioskState:
        """The state of a kiosk row read by the locking query itself (no query)."""
        return cls(**{name: getattr(kiosk, name) for name in STATE_FIELDS})

    def none_given_after(self, moment: datetime) -> bool:
        """True when no stored rating of this kiosk can have been given after `moment`:
        `latest_rating_given_at` is the latest time given among them (kept by `remember`
        under this lock, set from the ratings already stored by migration surveys 0012,
        by the demo loader too), so a window that starts after it holds none."""
        return self.latest_rating_given_at is not None and self.latest_rating_given_at <= moment


def judge(response: Response, kiosk: Kiosk, state: KioskState) -> list[str]:
    """Reasons (English, for the record) why this rating is not what a real kiosk sends."""
    reasons = []
    received, given = response.received_at, response.submitted_at
    live = received - given <= timedelta(seconds=_setting("KIOSK_LIVE_SECONDS", 120))
    gap = kiosk.min_seconds_between_ratings
    # A fresh rating was sent the moment it was given, so its arrival must be spaced
    # from the previous fresh one as a person's ratings are, whatever times it claims.
    if gap and _fresh(response, gap) and state.last_fresh_rating_at is not None:
        since = (received - state.last_fresh_rating_at).total_seconds()
        if 0 <= since < gap:
            reasons.append(f"arrived {since:.1f} s after another rating from this kiosk")
    if live:
        cap = _setting("KIOSK_LIVE_PER_MINUTE", 4)
        if live_count(state, received) >= cap:
            reasons.append(f"more than {cap} live ratings from this kiosk within a minute")
    else:
        reasons += _backlog_reasons(response, kiosk, state)
    window = timedelta(seconds=gap)
    # A rating given later than every rating this kiosk delivered (the live case) has no
    # neighbour to look for: the lock's read of the kiosk row says so without a query.
    if gap and not state.none_given_after(given - window):
        neighbour = (
            Response.objects.filter(
                kiosk=kiosk,
                submitted_at__gt=given - window,
                submitted_at__lt=given + window,
            )
            .exclude(pk=response.pk)
            .exists()
        )
        if neighbour:
            reasons.append(f"another rating from this kiosk within {gap} s")
    return reasons


def _backlog_reasons(response: Response, kiosk: Kiosk, state: KioskState) -> list[str]:
    """A backlog must look like a real queue: sent oldest first, and not older than a
    moment at which the kiosk said its queue was empty."""
    reasons = []
    given = response.submitted_at
    if (
        state.queue_length == 0
        and state.queue_reported_at is not None
        and given < state.queue_reported_at - CLOCK_TOLERANCE
    ):
        reasons.append("given before this kiosk last reported an empty queue")
    if (
        state.latest_rating_given_at is not None
        and given < state.latest_rating_given_at - CLOCK_TOLERANCE
    ):
        reasons.append("older than a rating this kiosk already delivered (a queue sends in order)")
    cap = _setting("KIOSK_BACKLOG_PER_HOUR", 60)
    hour = given.replace(minute=0, second=0, microsecond=0)
    in_hour = (
        0
        if state.none_given_after(hour - timedelta(microseconds=1))
        else Response.objects.filter(
            kiosk=kiosk, submitted_at__gte=hour, submitted_at__lt=hour + timedelta(hours=1)
        ).count()
    )
    if in_hour >= cap:
        reasons.append(f"more than {cap} ratings from this kiosk given within one hour")
    return reasons


def _fresh(response: Response, gap: int) -> bool:
    """Sent as soon as it was given (not from a queue): it arrived within the gap."""
    return response.received_at - response.submitted_at < timedelta(seconds=max(gap, 1))


def live_count(state: KioskState, received: datetime) -> int:
    """Live ratings already counted in the one-minute window that `received` falls in."""
    started = state.live_window_started_at
    if started is None or received - started >= timedelta(minutes=1):
        return 0
    return state.live_window_count


def remember(response: Response, kiosk: Kiosk, state: KioskState) -> None:
    """After storing: one UPDATE of the locked row (the state above, and last heard)."""
    Kiosk.objects.filter(pk=kiosk.pk).update(**remembered(response, kiosk, state))


def remembered(response: Response, kiosk: Kiosk, state: KioskState) -> dict:
    """The kiosk row's new state once `response` is stored (the fields to update)."""
    received, given = response.received_at, response.submitted_at
    live = received - given <= timedelta(seconds=_setting("KIOSK_LIVE_SECONDS", 120))
    fields = {"last_heard_at": received}
    if _fresh(response, kiosk.min_seconds_between_ratings):
        fields["last_fresh_rating_at"] = received
    if state.latest_rating_given_at is None or given > state.latest_rating_given_at:
        fields["latest_rating_given_at"] = given
    if live:
        count = live_count(state, received)
        if count == 0:
            fields.update(live_window_started_at=received, live_window_count=1)  # type: ignore[call-overload]
        else:
            fields["live_window_count"] = count + 1  # type: ignore[assignment]
    return fields
