"""The jobs in the admin: django-q2's pages (schedules with next run, last run and
success; failed and successful tasks; the queue) for superusers only, and our runs."""

from django.contrib import admin
from django.http import HttpRequest
from django_q import admin as q_admin
from django_q.models import Failure, OrmQ, Schedule, Success

from offices.admin_scope import NONE, ScopedAdmin
from scheduling.models import JobRun


class SuperuserOnly(ScopedAdmin):
    """Schedules and tasks are the whole installation's: never a delegated unit admin's."""

    scope_field = None
    delegated = NONE


for model, base in (
    (Schedule, q_admin.ScheduleAdmin),
    (Success, q_admin.TaskAdmin),
    (Failure, q_admin.FailAdmin),
    (OrmQ, q_admin.QueueAdmin),
):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, type(base.__name__, (SuperuserOnly, base), {}))


@admin.register(JobRun)
class JobRunAdmin(SuperuserOnly, admin.ModelAdmin):
    list_display = ["job", "period", "started_at", "finished_at"]
    list_filter = ["job"]
    search_fields = ["period"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: JobRun | None = None) -> bool:
        return False
