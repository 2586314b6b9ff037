from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("Surveys and ratings")

    def ready(self) -> None:
        from surveys import signals  # noqa: F401  (connects the purge receiver)
