from django.contrib import admin

from reports.models import ReportDelivery
from scheduling.admin import SuperuserOnly


@admin.register(ReportDelivery)
class ReportDeliveryAdmin(SuperuserOnly, admin.ModelAdmin):
    """What the monthly job sent, to whom, and what failed (read-only: the job writes it)."""

    list_display = ["month", "office", "unit", "recipient", "status", "attempts", "sent_at"]
    list_filter = ["status", "month"]
    search_fields = ["recipient", "office__name", "unit__name"]
    readonly_fields = [f.name for f in ReportDelivery._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
