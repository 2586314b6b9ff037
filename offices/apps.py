from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class OfficesConfig(AppConfig):
    default = True
    name = "offices"
    verbose_name = _("Offices and access")

    def ready(self) -> None:
        from offices import signals  # noqa: F401  (connects the audit receivers)


class ScopedAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the delegated site (offices/admin_scope.py) as `admin.site`."""

    default = False
    default_site = "offices.admin_scope.ScopedAdminSite"
