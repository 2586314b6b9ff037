"""The monthly job's deliveries, alert thresholds and alerts, each in the admin's subtree:
a unit's admins tune their own thresholds and read their own alerts and deliveries."""

from django.contrib import admin
from django.http import HttpRequest

from offices.admin_scope import READ, ScopedAdmin
from reports.models import Alert, AlertSettings, ReportDelivery


@admin.register(ReportDelivery)
class ReportDeliveryAdmin(ScopedAdmin, admin.ModelAdmin):
    """What the monthly job sent, to whom, and what failed (read-only: the job writes it)."""

    scope_field = ("office__unit", "unit")
    delegated = READ
    list_select_related = ["office", "unit"]

    list_display = ["month", "office", "unit", "recipient", "status", "attempts", "sent_at"]
    list_filter = ["status", "month"]
    search_fields = ["recipient", "office__name", "unit__name"]
    readonly_fields = [f.name for f in ReportDelivery._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: ReportDelivery | None = None
    ) -> bool:
        return False


@admin.register(AlertSettings)
class AlertSettingsAdmin(ScopedAdmin, admin.ModelAdmin):
    """Thresholds per unit; empty fields inherit from the unit above (docs/alerts.md).
    A unit's admins set them for their unit and the units below it."""

    scope_field = "unit"
    list_select_related = ["unit"]

    list_display = ["unit", "low_streak", "low_share_percent", "kiosk_silent_minutes"]
    search_fields = ["unit__name", "unit__code"]
    autocomplete_fields = ["unit"]


@admin.register(Alert)
class AlertAdmin(ScopedAdmin, admin.ModelAdmin):
    """Read-only: alerts open and resolve themselves; managers acknowledge them in the app."""

    scope_field = "office__unit"
    delegated = READ
    list_select_related = ["office"]

    list_display = ["rule", "office", "status", "opened_at", "resolved_at", "acknowledged_at"]
    list_filter = ["rule", "status"]
    search_fields = ["office__name"]
    readonly_fields = [f.name for f in Alert._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Alert | None = None) -> bool:
        return False
