"""Administration › API clients: the token is shown once on creation, then never again."""

from __future__ import annotations

import re

import pytest

from offices.models import ApiClient, AuditEvent
from tests.api.conftest import make_api_client

pytestmark = pytest.mark.django_db


def test_admin_creates_a_client_and_sees_its_token_once(client, admin_user, tree):
    client.force_login(admin_user)
    response = client.post(
        "/admin/offices/apiclient/add/",
        {"name": "iQMS Nghĩa Tân", "unit": tree.ward_a.pk, "can_read": "on", "can_ingest": "on"},
    )
    assert response.status_code == 200
    token = re.search(r'<code class="api-token">(osk_[\w-]+)</code>', response.content.decode())[1]
    record = ApiClient.objects.get()
    assert ApiClient.for_token(token) == record and record.created_by == admin_user
    assert "no-store" in response["Cache-Control"]
    change = client.get(f"/admin/offices/apiclient/{record.pk}/change/").content.decode()
    assert token not in change and record.token_hint in change
    assert AuditEvent.objects.filter(action="api_client.created").exists()


def test_admin_revokes_clients(client, admin_user, tree):
    record = ApiClient(name="Old", unit=tree.ward_a)
    record.issue_token()
    record.save()
    client.force_login(admin_user)
    client.post(
        "/admin/offices/apiclient/",
        {"action": "revoke_clients", "_selected_action": [record.pk]},
    )
    record.refresh_from_db()
    assert record.revoked_at is not None
    assert AuditEvent.objects.filter(action="api_client.revoked").count() == 1


def test_ward_official_cannot_open_api_clients(client, alice):
    client.force_login(alice)
    assert client.get("/admin/offices/apiclient/").status_code == 302


def test_new_token_replaces_the_old_one_but_not_for_revoked_clients(client, admin_user, tree):
    live, old_token = make_api_client(tree.ward_a, name="Live")
    dead, dead_token = make_api_client(tree.ward_a, name="Dead")
    dead.revoke()
    client.force_login(admin_user)
    page = client.post(
        "/admin/offices/apiclient/",
        {"action": "new_tokens", "_selected_action": [live.pk, dead.pk]},
    ).content.decode()
    tokens = re.findall(r'<code class="api-token">(osk_[\w-]+)</code>', page)
    assert len(tokens) == 1
    assert ApiClient.for_token(tokens[0]) == live
    assert ApiClient.for_token(old_token) is None
    assert ApiClient.for_token(dead_token) == dead and dead.revoked_at is not None
