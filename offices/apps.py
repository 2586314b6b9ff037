from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OfficesConfig(AppConfig):
    name = "offices"
    verbose_name = _("Offices and access")

    def ready(self):
        from offices import signals  # noqa: F401  (connects the audit receivers)
