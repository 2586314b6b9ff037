from collections.abc import Callable

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpResponseBase
from django.urls import include, path

from common.ratelimit import rate_limited
from config import views
from config.api import api
from config.forms import LoginForm, NewPasswordForm, PasswordChangeForm, ResetForm
from offices import second_factor


def on_post(limit: str, view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Rate-limit a view's POSTs per client address (settings.RATE_LIMITS[limit])."""
    return rate_limited(lambda request: limit if request.method == "POST" else None)(view)


urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("privacy/", views.privacy, name="privacy"),
    path(
        "accounts/login/",
        on_post(
            "login",
            auth_views.LoginView.as_view(
                authentication_form=LoginForm, redirect_authenticated_user=True
            ),
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Django's own password views, with our templates; a reset request is rate-limited.
    path(
        "accounts/password/change/",
        auth_views.PasswordChangeView.as_view(form_class=PasswordChangeForm),
        name="password_change",
    ),
    path(
        "accounts/password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "accounts/password/reset/",
        on_post("password_reset", auth_views.PasswordResetView.as_view(form_class=ResetForm)),
        name="password_reset",
    ),
    path(
        "accounts/password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(form_class=NewPasswordForm),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("accounts/2fa/setup/", on_post("login", second_factor.setup), name="otp_setup"),
    path("accounts/2fa/verify/", on_post("login", second_factor.verify), name="otp_verify"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("offices/", include("offices.urls")),
    path("reports/", include("reports.urls")),
    path("board/", include("reports.board_urls")),
    path("alerts/", include("reports.alert_urls")),
    path("suggestions/", include("suggestions.urls")),
    path("inspections/", include("inspections.urls")),
    path("reform/", include("reform.urls")),
    path("", include("surveys.urls")),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
