"""Enrolling, revoking and rotating a kiosk; the kiosk page; the admin's kiosk list."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from offices.models import AuditEvent, Kiosk, hash_token
from surveys.views import KIOSK_COOKIE
from tests.surveys.conftest import enrol

pytestmark = pytest.mark.django_db
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def new_kiosk(tree, kiosk_version):
    return Kiosk.objects.create(office=tree.office_a, desk=tree.desk_a, name="Kiosk mới")


def test_enrolment_link_shows_the_kiosk_then_one_tap_stores_the_credential(client, new_kiosk):
    token = new_kiosk.issue_enrolment_token()
    url = reverse("surveys:kiosk_enrol", args=[token])
    page = client.get(url)
    assert page.status_code == 200
    assert "Kiosk mới" in page.text and "Một cửa Nghĩa Tân" in page.text
    new_kiosk.refresh_from_db()
    assert not new_kiosk.is_enrolled  # looking at the link does not use it up

    reply = client.post(url)
    assert reply.status_code == 302 and reply["Location"] == reverse("surveys:kiosk")
    cookie = reply.cookies[KIOSK_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    new_kiosk.refresh_from_db()
    assert new_kiosk.is_enrolled
    # Only the hash is stored; the credential itself lives on the device.
    assert new_kiosk.credential_hash == hash_token(cookie.value)
    assert cookie.value not in str(Kiosk.objects.filter(pk=new_kiosk.pk).values().get())
    assert AuditEvent.objects.filter(action="kiosk.enrolled").exists()


def test_an_enrolment_link_works_once(client, new_kiosk):
    token = new_kiosk.issue_enrolment_token()
    url = reverse("surveys:kiosk_enrol", args=[token])
    assert client.post(url).status_code == 302
    first_hash = Kiosk.objects.get(pk=new_kiosk.pk).credential_hash
    for reply in (client.get(url, HTTP_ACCEPT_LANGUAGE="en"), client.post(url)):
        assert reply.status_code == 410
        assert "no longer works" in reply.text or "không còn hiệu lực" in reply.text
    assert Kiosk.objects.get(pk=new_kiosk.pk).credential_hash == first_hash


def test_an_expired_or_unknown_enrolment_link_is_refused(client, new_kiosk):
    token = new_kiosk.issue_enrolment_token()
    Kiosk.objects.filter(pk=new_kiosk.pk).update(
        enrolment_expires_at=timezone.now() - timedelta(minutes=1)
    )
    assert client.post(reverse("surveys:kiosk_enrol", args=[token])).status_code == 410
    assert client.get(reverse("surveys:kiosk_enrol", args=["x" * 300])).status_code == 410
    new_kiosk.refresh_from_db()
    assert not new_kiosk.is_enrolled


def test_the_kiosk_page_needs_the_device_credential(client, kiosk):
    not_enrolled = client.get(reverse("surveys:kiosk"))
    assert not_enrolled.status_code == 403
    assert "not enrolled" in not_enrolled.text or "chưa được đăng ký" in not_enrolled.text
    client.cookies[KIOSK_COOKIE] = kiosk.credential
    page = client.get(reverse("surveys:kiosk"))
    assert page.status_code == 200
    assert page["Cache-Control"].startswith("max-age=0") or "no-store" in page["Cache-Control"]


def test_a_revoked_kiosk_sees_the_not_enrolled_page(client, kiosk):
    kiosk.kiosk.revoke()
    client.cookies[KIOSK_COOKIE] = kiosk.credential
    page = client.get(reverse("surveys:kiosk"))
    assert page.status_code == 403
    assert 'id="kiosk"' not in page.text


def test_the_kiosk_page_carries_everything_for_three_languages(client, kiosk, tree):
    client.cookies[KIOSK_COOKIE] = kiosk.credential
    page = client.get(reverse("surveys:kiosk"))
    html = page.text
    assert tree.office_a.name in html and "Nguyễn Thị Lan" in html
    assert ">NL<" in html  # initials when the officer has no photo
    config = page.context["screen"].config
    assert config["order"] == ["overall", "polite", "comment"]
    assert config["questions"]["reasons"]["choices"][0]["code"] == "slow"
    assert config["questions"]["overall"]["texts"]["fa"] == "چقدر راضی هستید؟"
    assert set(config["strings"]) == {"vi", "en", "fa"}
    assert config["desk"] == tree.desk_a.pk and config["staff"] == tree.staff_a.pk
    assert f"/suggestions/new/?office={tree.office_a.pk}&amp;channel=kiosk" in html
    # No Bootstrap, no third-party host, nothing inline that the CSP would block.
    assert "bootstrap" not in html
    assert not re.search(r"""(src|href)=["']https?://""", html)
    assert " style=" not in html and "<script>" not in html and " onclick=" not in html
    assert kiosk.credential in html  # the page's script sends it in the Authorization header


def test_the_kiosk_page_and_its_assets_are_light(client, kiosk):
    from django.contrib.staticfiles import finders

    client.cookies[KIOSK_COOKIE] = kiosk.credential
    html = client.get(reverse("surveys:kiosk")).content
    assets = [finders.find(f"surveys/kiosk.{ext}") for ext in ("css", "js")]
    total = len(html) + sum(len(open(path, "rb").read()) for path in assets)  # noqa: SIM115
    assert total <= 60 * 1024


def test_rotating_replaces_the_device_and_revoking_refuses_it(client, kiosk):
    token = kiosk.kiosk.rotate()
    client.cookies[KIOSK_COOKIE] = kiosk.credential
    assert client.get(reverse("surveys:kiosk")).status_code == 403
    client.post(reverse("surveys:kiosk_enrol", args=[token]))
    assert client.get(reverse("surveys:kiosk")).status_code == 200
    Kiosk.objects.get(pk=kiosk.kiosk.pk).revoke()
    assert client.get(reverse("surveys:kiosk")).status_code == 403


def test_kiosk_preview_is_for_admins_only(client_for, client, alice, admin_user, kiosk_version):
    url = reverse("surveys:kiosk_preview", args=[kiosk_version.pk])
    assert client.get(url).status_code == 302  # to the log-in
    assert client_for(alice).get(url).status_code == 404  # a manager, not an admin
    page = client_for(admin_user).get(url)
    assert page.status_code == 200
    assert "data-preview" in page.text
    assert page.context["screen"].config["order"] == ["overall", "polite", "comment"]
    assert client_for(admin_user).get(url + "?office=abc").status_code == 200


# --- Silent kiosks -------------------------------------------------------------------


def at(hour, minute=0, day=5):  # 5 January 2026 is a Monday
    return datetime(2026, 1, day, hour, minute, tzinfo=HANOI)


def test_a_kiosk_is_silent_after_15_minutes_without_heartbeat_in_opening_hours(kiosk):
    device = kiosk.kiosk
    device.last_seen_at = at(10, 0)
    assert not device.is_silent(at(10, 14))
    assert device.is_silent(at(10, 16))
    assert not device.is_silent(at(20, 0))  # closed in the evening
    assert not device.is_silent(at(10, 30, day=4))  # Sunday
    device.revoke()
    assert not device.is_silent(at(10, 16))  # a revoked kiosk is expected to be quiet


def test_admin_kiosk_list_shows_last_seen_and_flags_silent_kiosks(
    client_for, admin_user, kiosk, new_kiosk
):
    Kiosk.objects.filter(pk=kiosk.kiosk.pk).update(last_seen_at=timezone.now() - timedelta(hours=1))
    page = client_for(admin_user).get(reverse("admin:offices_kiosk_changelist"))
    assert page.status_code == 200
    assert "Kiosk 1" in page.text and "Kiosk mới" in page.text
    silent = Kiosk.objects.get(pk=kiosk.kiosk.pk).is_silent()
    assert ("kiosk-silent" in page.text) == silent


# --- Admin: create, rotate, revoke ------------------------------------------------------


def test_creating_a_kiosk_in_the_admin_shows_its_enrolment_link_and_qr_code(
    client_for, admin_user, tree, kiosk_version
):
    admin = client_for(admin_user)
    reply = admin.post(
        reverse("admin:offices_kiosk_add"),
        {
            "office": tree.office_a.pk,
            "desk": tree.desk_a.pk,
            "name": "Kiosk sảnh",
            "idle_seconds": 45,
            "min_seconds_between_ratings": 8,
        },
    )
    assert reply.status_code == 200
    link = re.search(r"http://testserver/kiosk/enrol/([\w-]+)/", reply.text)
    assert link is not None
    assert "<svg" in reply.text and " style=" not in reply.text.split("<svg", 1)[1]
    kiosk = Kiosk.objects.get(name="Kiosk sảnh")
    assert kiosk.enrolment_token_hash == hash_token(link.group(1))
    # The link then enrols the device.
    assert admin.post(reverse("surveys:kiosk_enrol", args=[link.group(1)])).status_code == 302
    kiosk.refresh_from_db()
    assert kiosk.is_enrolled


def test_admin_actions_rotate_and_revoke(client_for, admin_user, kiosk):
    admin = client_for(admin_user)
    url = reverse("admin:offices_kiosk_changelist")
    rotated = admin.post(
        url, {"action": "rotate_credentials", "_selected_action": [kiosk.kiosk.pk]}
    )
    assert rotated.status_code == 200 and "/kiosk/enrol/" in rotated.text
    device = Kiosk.objects.get(pk=kiosk.kiosk.pk)
    assert not device.is_enrolled and device.enrolment_token_hash

    enrolled = enrol(device)
    admin.post(url, {"action": "revoke_credentials", "_selected_action": [device.pk]})
    device.refresh_from_db()
    assert device.revoked_at is not None and not device.is_enrolled
    assert Kiosk.id_from_credential(enrolled.credential) == device.pk
    assert AuditEvent.objects.filter(action="kiosk.revoked").count() == 1
