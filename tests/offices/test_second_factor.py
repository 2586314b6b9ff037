"""The second factor: required, when switched on, of superusers and admin-role users."""

import pytest
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from offices.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def required(settings):
    settings.REQUIRE_SECOND_FACTOR = True


def current_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def test_an_admin_sets_up_a_second_factor_before_reaching_the_admin(client, admin_a):
    client.force_login(admin_a)
    reply = client.get(reverse("admin:index"))
    assert reply.status_code == 302 and reply["Location"].startswith(reverse("otp_setup"))
    page = client.get(reply["Location"])
    assert page.status_code == 200 and "<svg" in page.text
    device = TOTPDevice.objects.get(user=admin_a)
    assert client.post(reverse("otp_setup"), {"token": "000000"}).status_code == 400
    device.refresh_from_db()
    assert device.throttling_failure_count == 1  # wrong codes slow the next tries down
    device.throttle_reset()
    done = client.post(
        reverse("otp_setup"), {"token": current_code(device), "next": reverse("admin:index")}
    )
    assert done.status_code == 302 and done["Location"] == reverse("admin:index")
    assert client.get(reverse("admin:index")).status_code == 200
    assert AuditEvent.objects.filter(action="second_factor.enrolled", username="admin_a").exists()


def test_each_log_in_asks_for_the_code_again(client, admin_a):
    device = TOTPDevice.objects.create(user=admin_a, name="phone", confirmed=True)
    client.force_login(admin_a)
    reply = client.get(reverse("reports:dashboard"))
    assert reply.status_code == 302 and reply["Location"].startswith(reverse("otp_verify"))
    assert client.post(reverse("otp_verify"), {"token": "123456"}).status_code == 400
    assert client.get(reverse("admin:index")).status_code == 302
    device.refresh_from_db()
    device.throttle_reset()
    client.post(reverse("otp_verify"), {"token": current_code(device)})
    assert client.get(reverse("admin:index")).status_code == 200


def test_superusers_are_asked_and_managers_are_not(client, admin_user, alice):
    client.force_login(admin_user)
    assert client.get(reverse("reports:dashboard")).status_code == 302
    client.force_login(alice)
    assert client.get(reverse("reports:dashboard")).status_code == 200


def test_switched_off_nobody_is_asked(client, admin_a, settings):
    settings.REQUIRE_SECOND_FACTOR = False
    client.force_login(admin_a)
    assert client.get(reverse("admin:index")).status_code == 200
