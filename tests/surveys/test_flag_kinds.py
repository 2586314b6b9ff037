"""Every reason the server records for a flag is counted under its kind, never "Other".

A flag's kind is read from its stored English reason (surveys/flags.py). These tests call
the real code that writes each reason — the kiosk rules, the phone rules, the too-fast
check — so rewording a reason without updating its pattern fails here, not silently in
an inspector's "excluded by reason" table.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from surveys.flags import KIND_LABELS, OTHER, REASON_KINDS, kind_of
from surveys.misuse import KioskState, judge
from surveys.models import Response
from surveys.phone_misuse import judge_phone, too_fast_reason
from tests.factories import make_response

pytestmark = pytest.mark.django_db


def state(**fields) -> KioskState:
    values = dict(
        last_fresh_rating_at=None,
        latest_rating_given_at=None,
        live_window_started_at=None,
        live_window_count=0,
        queue_length=None,
        queue_reported_at=None,
    )
    return KioskState(**{**values, **fields})


def kiosk_reasons(kiosk_version, device, settings) -> list[str]:
    now = timezone.now()
    device.min_seconds_between_ratings = 30
    live = Response(office=device.office, kiosk=device, submitted_at=now, received_at=now)
    reasons = judge(live, device, state(last_fresh_rating_at=now - timedelta(seconds=3)))
    reasons += judge(
        live, device, state(live_window_started_at=now - timedelta(seconds=5), live_window_count=9)
    )
    given = now - timedelta(days=2)
    backlog = Response(office=device.office, kiosk=device, submitted_at=given, received_at=now)
    reasons += judge(
        backlog, device, state(queue_length=0, queue_reported_at=given + timedelta(hours=1))
    )
    reasons += judge(backlog, device, state(latest_rating_given_at=given + timedelta(hours=1)))
    settings.SURVEY = {**settings.SURVEY, "KIOSK_BACKLOG_PER_HOUR": 1}
    make_response(kiosk_version, device.office, {}, when=given - timedelta(seconds=5), kiosk=device)
    reasons += judge(backlog, device, state(latest_rating_given_at=given))
    return reasons


def phone_reasons(tree, settings) -> list[str]:
    settings.SURVEY = {**settings.SURVEY, "PHONE_PER_DEVICE": 0, "PHONE_PER_ADDRESS": 0}
    now = timezone.now()
    rating = Response(office=tree.office_a, submitted_at=now, received_at=now, channel="qr")
    reasons = judge_phone(rating, device="d-1", address="10.0.0.9", seconds_open=60, answers=2)
    return [*reasons, too_fast_reason(0.4, 3)]


def test_every_recorded_reason_has_a_kind_and_every_kind_a_reason(
    kiosk_version, kiosk, tree, settings
):
    reasons = kiosk_reasons(kiosk_version, kiosk.kiosk, settings) + phone_reasons(tree, settings)
    kinds = {reason: kind_of(reason) for reason in reasons if reason}
    assert OTHER not in kinds.values(), [r for r, k in kinds.items() if k == OTHER]
    assert set(kinds.values()) == {kind for kind, _label, _pattern in REASON_KINDS}
    assert set(KIND_LABELS) == {*kinds.values(), OTHER}


def test_an_unknown_reason_is_other():
    assert kind_of("Ratings too close together on one kiosk") == OTHER
    assert kind_of("") == OTHER
