"""The contract: the served schema is valid OpenAPI, names every /api/v1/ URL with its
errors, the docs page is served from here under our CSP, and an outside client (a real
HTTP client against a live server) can send and read back."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
import uuid
from datetime import timedelta

import pytest
from django.contrib.staticfiles import finders
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from openapi_spec_validator import validate

from common.months import Month
from tests.api.conftest import make_api_client
from tests.factories import QuestionFactory, make_response, survey_version

NOT_OPERATIONS = {"openapi-json", "openapi-view", "api-root"}


def api_routes() -> set[str]:
    """Every route of the `api` namespace, as /api/v1/… paths."""
    for pattern in get_resolver().url_patterns:
        if isinstance(pattern, URLResolver) and pattern.namespace == "api":
            prefix = "/" + str(pattern.pattern)
            return {
                prefix + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", str(p.pattern))
                for p in pattern.url_patterns
                if isinstance(p, URLPattern) and p.name not in NOT_OPERATIONS
            }
    raise AssertionError("no api namespace")


@pytest.fixture
def schema(client):
    response = client.get("/api/v1/schema/")
    assert response.status_code == 200
    return response.json()


@pytest.mark.django_db
def test_schema_is_valid_openapi(schema):
    validate(schema)
    assert schema["openapi"].startswith("3.")
    assert schema["components"]["securitySchemes"]["ClientAuth"]["scheme"] == "bearer"


@pytest.mark.django_db
def test_every_api_url_is_in_the_schema_with_its_errors(schema):
    routes = api_routes()
    assert len(routes) >= 7
    assert routes <= set(schema["paths"]), routes - set(schema["paths"])
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            statuses = set(operation["responses"])
            assert statuses & {"200", "201"}, (method, path, statuses)
            assert {"401", "429"} <= statuses, (method, path, statuses)
            if method == "post":
                assert {"403", "404"} <= statuses, (method, path, statuses)
                assert statuses & {"400", "422"}, (method, path, statuses)
            assert operation.get("security"), (method, path)
            error = operation["responses"]["401"]["content"]["application/json"]["schema"]
            assert error == {"$ref": "#/components/schemas/ErrorOut"}


@pytest.mark.django_db
def test_docs_are_served_from_here_without_inline_script(client):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts, html
    for attributes in scripts:
        assert 'src="/static/' in attributes or 'type="application/json"' in attributes
    assert "http://" not in html and "https://" not in html  # no CDN
    assert "style=" not in html
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert finders.find("ninja/swagger-ui-bundle.js")
    assert finders.find("ninja/swagger-ui-init.js")


def _call(url, *, token=None, payload=None, language="en"):
    assert url.startswith("http://127.0.0.1") or url.startswith("http://localhost")
    method = "POST" if payload is not None else "GET"
    request = urllib.request.Request(url, method=method)  # noqa: S310 — the live server
    request.add_header("Accept-Language", language)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if payload is not None:
        request.add_header("Content-Type", "application/json")
        request.data = json.dumps(payload).encode()
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.django_db(transaction=True)
def test_ingest_then_read_over_real_http(live_server, tree):
    _record, token = make_api_client(tree.ward_a, ingest=True)
    question = QuestionFactory(code="officials-attentive")
    version = survey_version(tree.city, [question])
    for score in (5, 4, 1):
        make_response(version, tree.office_a, {question: score})
    month = str(Month.current())
    base = live_server.url + "/api/v1"
    status, body = _call(f"{base}/offices/", token=token)
    assert status == 200
    office_id = body["results"][0]["id"]
    status, body = _call(
        f"{base}/dossiers/",
        token=token,
        payload={"rows": [{"month": month, "office": office_id, "dossiers_handled": 30}]},
    )
    assert (status, body) == (200, {"stored": 1})
    now = timezone.now()
    rating = {
        "id": str(uuid.uuid4()),
        "office": office_id,
        "dossier_code": "HS-LIVE-1",
        "version": version.pk,
        "started_at": (now - timedelta(seconds=30)).isoformat(),
        "submitted_at": now.isoformat(),
        "answers": [{"question": "officials-attentive", "value": 5}],
    }
    status, body = _call(f"{base}/ratings/", token=token, payload=rating)
    assert (status, body["status"], body["dossier_code"]) == (201, "stored", "HS-LIVE-1")
    status, body = _call(f"{base}/ratings/", token=token, payload=rating)
    assert (status, body["status"]) == (200, "duplicate")
    status, body = _call(f"{base}/figures/offices/?from={month}&to={month}", token=token)
    assert status == 200
    figures = body["results"][0]["months"][0]
    assert figures["n"] == 4 and figures["dossiers_handled"] == 30
    assert figures["response_rate"] == pytest.approx(4 / 30)
    assert figures["index"] == pytest.approx(3 / 4)
    status, body = _call(f"{base}/figures/offices/", token="osk_wrong")
    assert status == 401 and body["error"] == "unauthenticated"
    schema_status, schema = _call(f"{base}/schema/")
    assert schema_status == 200 and "/api/v1/dossiers/" in schema["paths"]


@pytest.mark.django_db
def test_the_schema_is_built_once_per_process(client, monkeypatch):
    """Building it costs about 0.4 s of CPU; a public URL must not cost that every time."""
    import ninja.main

    from config.api import api

    built = []
    real = ninja.main.get_schema
    monkeypatch.setattr(ninja.main, "get_schema", lambda **kw: built.append(1) or real(**kw))
    monkeypatch.setattr(api, "_schemas", {})
    first = client.get("/api/v1/schema/")
    second = client.get("/api/v1/schema/")
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json() and "/api/v1/ratings/" in first.json()["paths"]
    assert built == [1]
