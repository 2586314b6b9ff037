"""Inspection attachments live outside the public media root and are served in scope only."""

from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from offices.files import private_storage
from offices.models import Role
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def attached(inspection_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    inspection_a.attachment.save("bien-ban.pdf", ContentFile(b"%PDF-1.4 private\n"))
    return inspection_a


def test_an_attachment_is_stored_outside_the_public_media_root(attached, settings):
    stored = Path(settings.PRIVATE_MEDIA_ROOT) / attached.attachment.name
    assert stored.read_bytes() == b"%PDF-1.4 private\n"
    assert not (Path(settings.MEDIA_ROOT) / attached.attachment.name).exists()
    with pytest.raises(ValueError):
        private_storage().url(attached.attachment.name)
    # The file's own URL is the scoped view, whatever widget or page asks for it.
    assert attached.attachment.url == reverse("inspections:attachment", args=[attached.pk])


def test_an_attachment_is_unreachable_without_login_and_outside_scope(client, attached, bob):
    url = reverse("inspections:attachment", args=[attached.pk])
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(bob)
    assert client.get(url).status_code == 404
    assert client.get(f"/media/{attached.attachment.name}").status_code == 404


def test_an_attachment_is_reachable_inside_scope(client, attached, alice, ivan):
    url = reverse("inspections:attachment", args=[attached.pk])
    for reader in (alice, ivan):  # an official of the ward; an inspector over it
        client.force_login(reader)
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == b"%PDF-1.4 private\n"


def test_no_page_shows_a_direct_url_of_the_file(client, attached, admin_user, tree):
    ward_admin = UserFactory(username="admin_a")
    MembershipFactory(user=ward_admin, unit=tree.ward_a, role=Role.ADMIN)
    stored_name = attached.attachment.name
    pages = [
        (admin_user, reverse("inspections:detail", args=[attached.pk])),
        (admin_user, reverse("inspections:edit", args=[attached.pk])),
        (admin_user, reverse("admin:inspections_inspection_change", args=[attached.pk])),
        (ward_admin, reverse("admin:inspections_inspection_change", args=[attached.pk])),
    ]
    for user, page_url in pages:
        client.force_login(user)
        page = client.get(page_url)
        assert page.status_code == 200, page_url
        assert f'href="/media/{stored_name}' not in page.text, page_url
        assert f'href="{stored_name}' not in page.text, page_url
        assert reverse("inspections:attachment", args=[attached.pk]) in page.text, page_url


def test_nginx_sends_the_bytes_when_x_accel_is_configured(client, attached, alice, settings):
    settings.PRIVATE_FILES_X_ACCEL_PREFIX = "/protected/"
    client.force_login(alice)
    response = client.get(reverse("inspections:attachment", args=[attached.pk]))
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/protected/{attached.attachment.name}"
    assert response.content == b""
    assert "bien-ban.pdf" in response["Content-Disposition"]
