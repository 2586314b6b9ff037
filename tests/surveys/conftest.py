"""Fixtures for the rating flows: an enrolled kiosk and rating payloads (the question bank
and the kiosk and phone survey versions are shared, in tests/conftest.py)."""

import json
import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from offices.models import Kiosk
from surveys.submission import forget_specs


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Rate-limit counters and remembered versions must not leak between tests."""
    cache.clear()
    forget_specs()
    yield
    cache.clear()
    forget_specs()


@dataclass
class EnrolledKiosk:
    kiosk: Kiosk
    credential: str


def enrol(kiosk: Kiosk) -> EnrolledKiosk:
    token = kiosk.issue_enrolment_token()
    enrolled, credential = Kiosk.enrol(token)
    return EnrolledKiosk(enrolled, credential)


@pytest.fixture
def kiosk(tree, kiosk_version) -> EnrolledKiosk:
    """An enrolled kiosk at desk A1 of office A that allows ratings 8 s apart; Lan has
    signed in at the desk (a counter session), so the kiosk shows her."""
    device = Kiosk.objects.create(
        office=tree.office_a, desk=tree.desk_a, name="Kiosk 1", min_seconds_between_ratings=8
    )
    tree.desk_a.start_serving(tree.staff_a, how="admin", at=timezone.now() - timedelta(minutes=1))
    return enrol(device)


def rating_payload(version, *, answers=None, when=None, seconds=20, **fields) -> dict:
    """A valid kiosk rating, `seconds` long, submitted at `when` (default: now)."""
    submitted = when or timezone.now()
    payload = {
        "id": str(uuid.uuid4()),
        "version": version.pk,
        "language": "vi",
        "started_at": (submitted - timedelta(seconds=seconds)).isoformat(),
        "submitted_at": submitted.isoformat(),
        "answers": answers
        if answers is not None
        else [
            {"question": "overall", "value": 4},
            {"question": "polite", "value": 1},
        ],
    }
    payload.update(fields)
    return payload


@pytest.fixture
def post_rating(client):
    """post_rating(credential, payload) → the kiosk API's response."""

    def post(credential, payload, **extra):
        body = payload if isinstance(payload, (bytes, str)) else json.dumps(payload)
        headers = {"HTTP_AUTHORIZATION": f"Kiosk {credential}"} if credential else {}
        return client.post(
            reverse("surveys:kiosk_api_rating"),
            data=body,
            content_type="application/json",
            **headers,
            **extra,
        )

    return post


# --- Browser tests of the kiosk -------------------------------------------------------


@pytest.fixture
def device(tree, kiosk_version):
    """A kiosk at desk A1, not yet enrolled; no misuse interval so tests may tap quickly.
    Lan is signed in at the desk (a counter session)."""
    tree.desk_a.start_serving(tree.staff_a, how="admin")
    return Kiosk.objects.create(
        office=tree.office_a, desk=tree.desk_a, name="Kiosk 1", min_seconds_between_ratings=0
    )


@pytest.fixture
def kiosk_page(page, live_server, device):
    """The page, enrolled through its one-time link as an operator would."""
    token = device.issue_enrolment_token()
    page.goto(live_server.url + reverse("surveys:kiosk_enrol", args=[token]))
    page.click("#enrol-device")
    page.wait_for_url(live_server.url + reverse("surveys:kiosk"))
    page.wait_for_selector("#screen-start.is-active")
    return page
