from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class SchedulingConfig(AppConfig):
    """Scheduled work: the periodic jobs' schedules, their runs per period, the dev runner.

    Imports no project app: jobs are named by dotted path in settings.SCHEDULED_JOBS,
    so the apps that own the work keep their own dependencies.
    """

    name = "scheduling"
    verbose_name = _("Scheduled jobs")

    def ready(self) -> None:
        from scheduling.schedules import sync_after_migrate

        post_migrate.connect(sync_after_migrate, sender=self)
