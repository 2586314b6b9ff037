"""Fixtures of the bad-input tests: a world with two offices' surveys, kiosks in every
state a credential can be in, and the tally of payloads thrown at each endpoint
(tests/hardening/tally.py prints it at the end of the run).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache

from offices.models import Kiosk
from surveys.submission import forget_specs
from tests.factories import (
    DeskFactory,
    StaffFactory,
    survey_version,
)
from tests.hardening.checks import Ledger
from tests.hardening.tally import PAYLOADS, SECONDS
from tests.surveys.conftest import enrol


@pytest.fixture
def tally():
    """tally("kiosk API") counts one payload sent to that endpoint, and the time since the
    previous one of this test (so the rate includes generating and checking it)."""
    previous = time.perf_counter()

    def count(endpoint: str, n: int = 1) -> None:
        nonlocal previous
        now = time.perf_counter()
        PAYLOADS[endpoint] += n
        SECONDS[endpoint] += now - previous
        previous = now

    return count


@pytest.fixture(autouse=True)
def _quiet_refusals():
    """Thousands of 4xx would each log a warning; 5xx (errors) are still logged."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


@pytest.fixture(autouse=True)
def _no_limits_in_the_way(settings):
    """Rate limits count per address; thousands of examples from 127.0.0.1 must not all
    be 429. The limits themselves are tested in tests/surveys and tests/suggestions."""
    settings.RATE_LIMITS = {
        name: (10**9, window) for name, (_n, window) in django_settings.RATE_LIMITS.items()
    }
    cache.clear()
    forget_specs()
    yield
    cache.clear()
    forget_specs()


@dataclass
class World:
    tree: object
    kiosk_version: object  # Hà Nội's kiosk survey (applies to offices A, B, C)
    full_version: object  # Hà Nội's phone survey
    other_core: object  # Nam Từ Liêm's own kiosk survey: applies to office B, not A
    other_extension: object  # office B's extension
    desk_b: object
    staff_b: object
    credential: str  # kiosk at desk A1 of office A
    kiosk: Kiosk
    credential_b: str  # kiosk of office B
    revoked: str  # a revoked kiosk's credential
    rotated: str  # the credential a kiosk had before it was rotated
    used_enrolment_token: str


@pytest.fixture
def ledger(world) -> Ledger:
    """Row counts as the world stands; `ledger.change()` after each example."""
    return Ledger()


@pytest.fixture
def world(tree, bank) -> World:
    overall, polite, visit, comment, local = (
        bank.overall,
        bank.polite,
        bank.visit,
        bank.comment,
        bank.local,
    )
    items = [(overall, True), (polite, True), (visit, False), (comment, False)]
    kiosk_version = survey_version(tree.city, items)
    full_version = survey_version(
        tree.city,
        [(overall, True), (polite, False), (visit, False), (comment, False)],
        variant="full",
    )
    other_core = survey_version(tree.district_b, [(local, True)])
    other_extension = survey_version(office=tree.office_b, items=[(local, False)])
    desk_b = DeskFactory(office=tree.office_b, number="02")
    staff_b = StaffFactory(office=tree.office_b, desk=desk_b)

    kiosk_a = enrol(Kiosk.objects.create(office=tree.office_a, desk=tree.desk_a, name="A1"))
    kiosk_b = enrol(Kiosk.objects.create(office=tree.office_b, name="B"))
    revoked = enrol(Kiosk.objects.create(office=tree.office_a, name="revoked"))
    revoked.kiosk.revoke()
    rotated = enrol(Kiosk.objects.create(office=tree.office_a, name="rotated"))
    Kiosk.enrol(rotated.kiosk.rotate())
    spent = Kiosk.objects.create(office=tree.office_a, name="spent")
    used_token = spent.issue_enrolment_token()
    Kiosk.enrol(used_token)
    return World(
        tree=tree,
        kiosk_version=kiosk_version,
        full_version=full_version,
        other_core=other_core,
        other_extension=other_extension,
        desk_b=desk_b,
        staff_b=staff_b,
        credential=kiosk_a.credential,
        kiosk=kiosk_a.kiosk,
        credential_b=kiosk_b.credential,
        revoked=revoked.credential,
        rotated=rotated.credential,
        used_enrolment_token=used_token,
    )
