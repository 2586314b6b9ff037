"""API clients of the shared tree, and a caller that sends their bearer token."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.conf import settings
from django.utils import translation

from offices.models import ApiClient


@dataclass
class Caller:
    """The Django test client speaking as one API client (or as nobody)."""

    client: object
    token: str | None

    def _headers(self, extra):
        headers = {"HTTP_ACCEPT_LANGUAGE": "en", **extra}
        if self.token:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {self.token}"
        return headers

    def get(self, url, data=None, **extra):
        return self.client.get(url, data, **self._headers(extra))

    def post(self, url, payload=None, **extra):
        return self.client.post(
            url, payload or {}, content_type="application/json", **self._headers(extra)
        )


@pytest.fixture(autouse=True)
def _default_language():
    """API calls activate the request's language (LocaleMiddleware): restore the default."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


def make_api_client(unit, *, name="Hệ thống một cửa", read=True, ingest=False):
    client = ApiClient(name=name, unit=unit, can_read=read, can_ingest=ingest)
    token = client.issue_token()
    client.save()
    return client, token


@pytest.fixture
def ward_a_api(tree, client):
    """Reads and sends data for ward A (Nghĩa Tân) and nothing else."""
    _record, token = make_api_client(tree.ward_a, name="iQMS Nghĩa Tân", ingest=True)
    return Caller(client, token)


@pytest.fixture
def ward_a_reader(tree, client):
    """Reads ward A's figures; may not send anything."""
    _record, token = make_api_client(tree.ward_a, name="BI Nghĩa Tân")
    return Caller(client, token)


@pytest.fixture
def city_reader(tree, client):
    """The city's BI tool: reads everything under Hà Nội."""
    _record, token = make_api_client(tree.city, name="BI Hà Nội")
    return Caller(client, token)


@pytest.fixture
def revoked_api(tree, client):
    record, token = make_api_client(tree.ward_a, name="Old tablet", ingest=True)
    record.revoke()
    return Caller(client, token)


@pytest.fixture
def nobody_api(client):
    return Caller(client, None)
