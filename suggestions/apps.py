from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SuggestionsConfig(AppConfig):
    name = "suggestions"
    verbose_name = _("Suggestion book")

    def ready(self) -> None:
        from suggestions import signals  # noqa: F401 — connects the purge receiver
