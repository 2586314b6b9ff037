"""A record of each periodic job's run per period, so a job runs once per period.

The scheduler delivers a task at least once (a worker killed mid-run gets its task
handed out again, two workers may both be running); the unique (job, period) row
is what makes a second run of the same night or month do nothing.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class JobRun(models.Model):
    job = models.CharField(_("job"), max_length=64)
    period = models.CharField(_("period"), max_length=32, help_text=_("e.g. 2026-03-01"))
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    detail = models.JSONField(_("result"), default=dict, blank=True)

    class Meta:
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(fields=["job", "period"], name="job_run_once_per_period")
        ]

    def __str__(self) -> str:
        return f"{self.job} {self.period}"
