"""API clients: token shown once and kept hashed, scope of a unit's subtree, abilities,
revocation and the rate limit — every refusal a JSON error with a code and a message."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from offices.models import ApiClient, AuditEvent, hash_token
from tests.api.conftest import Caller, make_api_client

pytestmark = pytest.mark.django_db


def test_token_is_stored_only_as_its_hash(tree):
    record, token = make_api_client(tree.ward_a)
    stored = ApiClient.objects.get(pk=record.pk)
    assert token.startswith("osk_") and len(token) > 40
    assert stored.token_hash == hash_token(token)
    assert token not in {stored.token_hash, stored.token_hint, stored.name}
    assert ApiClient.for_token(token) == stored
    assert ApiClient.for_token(token + "x") is None


def test_client_reads_its_subtree_and_nothing_else(ward_a_reader, city_reader, tree):
    mine = ward_a_reader.get("/api/v1/offices/")
    assert mine.status_code == 200
    assert [o["name"] for o in mine.json()["results"]] == ["Một cửa Nghĩa Tân"]
    assert mine.json()["results"][0]["desks"][0]["number"] == "01"
    everything = city_reader.get("/api/v1/offices/")
    assert {o["name"] for o in everything.json()["results"]} == {
        "Một cửa Nghĩa Tân",
        "Một cửa Mỹ Đình 1",
        "Trung tâm HCC Ba Đình",
    }
    units = ward_a_reader.get("/api/v1/units/").json()["results"]
    assert [u["code"] for u in units] == ["HN-CG-NT"]


def test_every_read_is_audited_with_the_client_and_what_it_asked(ward_a_reader, ward_a_api, tree):
    from offices.models import AuditEvent

    ward_a_reader.get("/api/v1/offices/", {"page_size": 5}, REMOTE_ADDR="10.1.2.3")
    ward_a_reader.get("/api/v1/figures/desks/", {"office": tree.office_b.pk})  # refused: 404
    reads = list(AuditEvent.objects.filter(action="api.read").order_by("pk"))
    assert [(e.username, e.detail["path"]) for e in reads] == [
        ("api:BI Nghĩa Tân", "/api/v1/offices/"),
        ("api:BI Nghĩa Tân", "/api/v1/figures/desks/"),
    ]
    assert reads[0].detail["query"] == "page_size=5"
    assert reads[0].ip_address == "10.1.2.3"
    # A refused token reads nothing and records no read; ingest is audited as what it stored.
    Caller = type(ward_a_reader)
    Caller(ward_a_reader.client, "osk_not-a-token").get("/api/v1/offices/")
    ward_a_api.post("/api/v1/dossiers/", {"rows": []})
    assert AuditEvent.objects.filter(action="api.read").count() == 2


def test_ward_a_client_gets_404_for_ward_b(ward_a_reader, tree):
    response = ward_a_reader.get("/api/v1/offices/", {"under": tree.ward_b.pk})
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    assert response.json()["field"] == "under"
    figures = ward_a_reader.get("/api/v1/figures/desks/", {"office": tree.office_b.pk})
    assert figures.status_code == 404
    assert (
        ward_a_reader.get("/api/v1/figures/desks/", {"office": tree.office_a.pk}).status_code == 200
    )


def test_read_only_client_cannot_send(ward_a_reader, tree):
    response = ward_a_reader.post(
        "/api/v1/dossiers/",
        {"rows": [{"month": "2026-01", "office": tree.office_a.pk, "dossiers_handled": 10}]},
    )
    assert response.status_code == 403
    assert response.json() == {
        "error": "forbidden",
        "message": "This API client may not send data.",
        "field": None,
    }


def test_revoked_and_missing_tokens_get_401(revoked_api, nobody_api):
    revoked = revoked_api.get("/api/v1/offices/")
    assert revoked.status_code == 401
    assert revoked.json()["error"] == "revoked"
    missing = nobody_api.get("/api/v1/offices/")
    assert missing.status_code == 401
    assert missing.json()["error"] == "unauthenticated"
    assert missing["WWW-Authenticate"] == "Bearer"
    forged = Caller(nobody_api.client, "osk_not-a-real-token").get("/api/v1/units/")
    assert forged.status_code == 401


def test_error_messages_follow_accept_language(revoked_api):
    english = revoked_api.get("/api/v1/offices/").json()["message"]
    vietnamese = revoked_api.get("/api/v1/offices/", HTTP_ACCEPT_LANGUAGE="vi").json()["message"]
    assert english == "This API client has been revoked."
    assert vietnamese != english and vietnamese


def test_rate_limit_answers_429_with_retry_after(ward_a_reader, settings):
    cache.clear()
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "api_client": (3, 60)}
    statuses = [ward_a_reader.get("/api/v1/units/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = ward_a_reader.get("/api/v1/units/")
    assert refused.json()["error"] == "rate_limited"
    assert 1 <= int(refused["Retry-After"]) <= 60
    cache.clear()


def test_invalid_query_is_a_400_naming_the_field(ward_a_reader):
    response = ward_a_reader.get("/api/v1/units/", {"page_size": "lots"})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid"
    assert response.json()["field"] == "page_size"


def test_units_and_offices_are_paged_and_come_as_csv(city_reader, tree):
    first = city_reader.get("/api/v1/units/", {"page_size": 2}).json()
    assert first["count"] == 6 and first["pages"] == 3 and len(first["results"]) == 2
    assert first["results"][0]["code"] == "01" and first["results"][0]["parent_id"] is None
    assert first["results"][1]["parent_id"] == tree.city.pk
    assert city_reader.get("/api/v1/units/", {"page": 9}).status_code == 404
    csv = city_reader.get("/api/v1/offices/", {"format": "csv", "under": tree.district_a.pk})
    assert csv["Content-Type"].startswith("text/csv")
    lines = csv.content.decode().splitlines()
    assert lines[0] == "id,name,unit_id,unit_code,unit_name,time_zone,is_active"
    assert len(lines) == 2 and "Một cửa Nghĩa Tân" in lines[1]


def test_dossier_ingest_is_audited_and_scoped(ward_a_api, tree):
    ok = ward_a_api.post(
        "/api/v1/dossiers/",
        {"rows": [{"month": "2026-01", "office": "HN-CG-NT", "dossiers_handled": 120}]},
    )
    assert ok.status_code == 200 and ok.json() == {"stored": 1}
    assert tree.office_a.dossier_counts.get().dossiers_handled == 120
    event = AuditEvent.objects.get(action="api.dossiers")
    assert event.username == "api:iQMS Nghĩa Tân" and event.detail == {"rows": 1}
    elsewhere = ward_a_api.post(
        "/api/v1/dossiers/",
        {
            "rows": [
                {"month": "2026-01", "office": tree.office_a.pk, "dossiers_handled": 5},
                {"month": "2026-01", "office": tree.office_b.pk, "dossiers_handled": 5},
            ]
        },
    )
    assert elsewhere.status_code == 404
    assert "rows 2" in elsewhere.json()["message"]
    assert tree.office_a.dossier_counts.get().dossiers_handled == 120  # nothing written
    assert not tree.office_b.dossier_counts.exists()


def test_dossier_ingest_refuses_bad_rows_whole(ward_a_api, tree):
    response = ward_a_api.post(
        "/api/v1/dossiers/",
        {
            "rows": [
                {"month": "2026-01", "office": tree.office_a.pk, "dossiers_handled": 5},
                {"month": "2099-01", "office": tree.office_a.pk, "dossiers_handled": 5},
            ]
        },
    )
    assert response.status_code == 400
    assert response.json()["errors"] == ["line 2: month must be YYYY-MM, not in the future"]
    assert not tree.office_a.dossier_counts.exists()
