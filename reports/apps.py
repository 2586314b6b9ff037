from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from offices.models import Office
        from reports.board import forget_office

        # Opting out (or renaming, closing) an office takes effect on its board at once.
        post_save.connect(forget_office, sender=Office, dispatch_uid="reports.board.forget")
        post_delete.connect(forget_office, sender=Office, dispatch_uid="reports.board.forget_del")
