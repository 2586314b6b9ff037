"""Staff photos are private files: the kiosk of the officer's office (by its device
credential) and officials over the office see them; nobody else, and no public address."""

import importlib
import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from offices.models import KIOSK_COOKIE, Kiosk
from tests.surveys.conftest import enrol

pytestmark = pytest.mark.django_db


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "teal").save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def photo(tree, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    tree.staff_a.photo.save("lan.png", SimpleUploadedFile("lan.png", png()))
    return tree.staff_a.photo


def test_a_photo_is_stored_privately_and_has_only_the_scoped_address(photo, tree, settings):
    assert (Path(settings.PRIVATE_MEDIA_ROOT) / photo.name).is_file()
    assert not (Path(settings.MEDIA_ROOT) / photo.name).exists()
    assert photo.url == reverse("offices:staff_photo", args=[tree.staff_a.pk])


def test_officials_over_the_office_see_the_photo_others_get_404(client, photo, tree, alice, bob):
    url = photo.url
    assert client.get(url).status_code == 404  # anonymous
    client.force_login(bob)  # ward B
    assert client.get(url).status_code == 404
    client.force_login(alice)
    reply = client.get(url)
    assert reply.status_code == 200 and b"".join(reply.streaming_content) == png()
    assert reply["Cache-Control"].startswith("private")
    assert "attachment" not in reply.get("Content-Disposition", "")


def test_the_kiosk_of_the_office_shows_the_photo_another_kiosk_does_not(
    client, photo, tree, kiosk_version
):
    own = enrol(Kiosk.objects.create(office=tree.office_a, desk=tree.desk_a, name="A1"))
    other = enrol(Kiosk.objects.create(office=tree.office_b, name="B1"))
    tree.desk_a.start_serving(tree.staff_a, how="admin", at=timezone.now() - timedelta(minutes=1))
    client.cookies[KIOSK_COOKIE] = own.credential
    page = client.get(reverse("surveys:kiosk")).text
    assert f'src="{photo.url}"' in page and "/media/" not in page
    assert client.get(photo.url).status_code == 200
    client.cookies[KIOSK_COOKIE] = other.credential
    assert client.get(photo.url).status_code == 404
    own.kiosk.revoke()
    client.cookies[KIOSK_COOKIE] = own.credential
    assert client.get(photo.url).status_code == 404


def test_nginx_serves_a_photo_inline_with_its_type(client, photo, alice, settings):
    settings.PRIVATE_FILES_X_ACCEL_PREFIX = "/_private/"
    client.force_login(alice)
    reply = client.get(photo.url)
    assert reply["X-Accel-Redirect"] == f"/_private/{photo.name}"
    assert reply["Content-Type"] == "image/png"
    assert reply["Content-Disposition"].startswith("inline")


def test_the_migration_moves_existing_photos_out_of_the_public_root(tree, settings, tmp_path):
    public, private = tmp_path / "public", tmp_path / "private-root"
    (public / "staff").mkdir(parents=True)
    (public / "staff" / "old.png").write_bytes(png())
    type(tree.staff_a).objects.filter(pk=tree.staff_a.pk).update(photo="staff/old.png")
    migration = importlib.import_module("offices.migrations.0011_staff_photos_private")
    migration._move(apps, public, private)
    assert (private / "staff" / "old.png").read_bytes() == png()
    assert not (public / "staff" / "old.png").exists()
