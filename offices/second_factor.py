"""A second factor (TOTP, django-otp) for superusers and admin-role users.

With `REQUIRE_SECOND_FACTOR` on (production default), such a user who has logged in
with a password is sent, from every page, to enter the six-digit code of their
authenticator app (`/accounts/2fa/verify/`), or first to set one up
(`/accounts/2fa/setup/`: a QR code, then one code to confirm). Managers and viewers
are not asked. A lost phone: a superuser deletes the user's device in the admin
(Django OTP › TOTP devices); the next log-in sets up a new one. Secrets are never
shown in the admin (`OTP_ADMIN_HIDE_SENSITIVE_DATA`).
"""

from __future__ import annotations

from base64 import b32encode
from collections.abc import Callable
from typing import TYPE_CHECKING

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from common.forms import posted
from common.qr import qr_svg
from offices.admin_scope import is_admin_anywhere
from offices.models import AuditEvent

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

EXEMPT_PREFIXES = ("/accounts/2fa/", "/accounts/logout/", "/static/", "/i18n/", "/healthz")


def needs_second_factor(user: User | AnonymousUser) -> bool:
    """Whether this logged-in user must still give a code in this session."""
    if not settings.REQUIRE_SECOND_FACTOR or not user.is_authenticated:
        return False
    if getattr(user, "is_verified", lambda: False)():
        return False
    return is_admin_anywhere(user)


class SecondFactorMiddleware:
    """After django_otp's OTPMiddleware: hold back those who still owe a code."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not request.path.startswith(EXEMPT_PREFIXES) and needs_second_factor(request.user):
            target = (
                "otp_verify"
                if TOTPDevice.objects.filter(user=request.user, confirmed=True).exists()
                else "otp_setup"
            )
            return redirect(f"{reverse(target)}?next={request.get_full_path()}")
        return self.get_response(request)


class CodeForm(forms.Form):
    token = forms.CharField(
        label=_("Six-digit code from your authenticator app"),
        min_length=6,
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def _next(request: HttpRequest) -> str:
    target = request.GET.get("next") or request.POST.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse(settings.LOGIN_REDIRECT_URL)


def _login_required(request: HttpRequest) -> HttpResponseRedirect:
    return redirect(f"{reverse('login')}?next={request.get_full_path()}")


def verify(request: HttpRequest) -> HttpResponse:
    """Enter the current code of a confirmed device."""
    if not request.user.is_authenticated:
        return _login_required(request)
    if not TOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
        return redirect(f"{reverse('otp_setup')}?next={_next(request)}")
    form = CodeForm(posted(request))
    if request.method == "POST" and form.is_valid():
        device = match_token(request.user, form.cleaned_data["token"])
        if device is not None:
            otp_login(request, device)
            AuditEvent.record(request, "login.second_factor", request.user)
            return redirect(_next(request))
        form.add_error("token", _("This code is not valid. Check the time on your phone."))
        AuditEvent.record(request, "login.second_factor_failed", request.user)
    status = 400 if form.is_bound else 200
    context = {"form": form, "next": _next(request)}
    return render(request, "registration/otp_verify.html", context, status=status)


def setup(request: HttpRequest) -> HttpResponse:
    """Add an authenticator app: scan the QR code, confirm with one code."""
    if not request.user.is_authenticated:
        return _login_required(request)
    if TOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
        return redirect(f"{reverse('otp_verify')}?next={_next(request)}")
    device, _created = TOTPDevice.objects.get_or_create(
        user=request.user, confirmed=False, defaults={"name": "authenticator"}
    )
    form = CodeForm(posted(request))
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            AuditEvent.record(request, "second_factor.enrolled", request.user)
            return redirect(_next(request))
        form.add_error("token", _("This code is not valid. Check the time on your phone."))
    context = {
        "form": form,
        "next": _next(request),
        "qr": qr_svg(device.config_url),
        "secret": b32encode(device.bin_key).decode(),  # to type in, if the camera fails
    }
    status = 400 if form.is_bound else 200
    return render(request, "registration/otp_setup.html", context, status=status)
