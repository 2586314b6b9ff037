from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from offices.models import (
    AdministrativeUnit,
    AuditEvent,
    Desk,
    DossierCount,
    Membership,
    Office,
    ProcedureField,
    StaffMember,
)


@admin.register(AdministrativeUnit)
class AdministrativeUnitAdmin(TreeAdmin):
    """The tree, shown indented (treebeard's TreeAdmin), searchable by code and name."""

    form = movenodeform_factory(AdministrativeUnit)
    list_display = ["name", "code", "level"]
    list_filter = ["level", "depth"]
    search_fields = ["code", "name"]


class DeskInline(admin.TabularInline):
    model = Desk
    extra = 0
    fields = ["number", "name", "procedure_fields", "is_active"]


class StaffInline(admin.TabularInline):
    model = StaffMember
    extra = 0
    fields = ["full_name", "title", "desk", "photo", "is_active"]


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    list_display = ["name", "unit", "time_zone", "head_email", "is_active"]
    list_filter = ["is_active", "unit__level"]
    search_fields = ["name", "unit__name", "unit__code"]
    autocomplete_fields = ["unit"]
    inlines = [DeskInline, StaffInline]


@admin.register(Desk)
class DeskAdmin(admin.ModelAdmin):
    list_display = ["number", "name", "office", "is_active"]
    list_filter = ["is_active", "procedure_fields"]
    search_fields = ["number", "name", "office__name"]
    autocomplete_fields = ["office"]
    filter_horizontal = ["procedure_fields"]


@admin.register(StaffMember)
class StaffMemberAdmin(admin.ModelAdmin):
    list_display = ["full_name", "title", "office", "desk", "thumbnail", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["full_name", "title", "office__name"]
    autocomplete_fields = ["office", "desk"]

    @admin.display(description=_("photo"))
    def thumbnail(self, obj):
        if not obj.photo:
            return "—"
        return format_html('<img src="{}" alt="" width="32" height="32">', obj.photo.url)


@admin.register(ProcedureField)
class ProcedureFieldAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "unit", "role"]
    list_filter = ["role", "unit__level"]
    search_fields = ["user__username", "user__email", "unit__name", "unit__code"]
    autocomplete_fields = ["user", "unit"]


@admin.register(DossierCount)
class DossierCountAdmin(admin.ModelAdmin):
    list_display = ["office", "month", "dossiers_handled"]
    list_filter = ["month"]
    search_fields = ["office__name"]
    autocomplete_fields = ["office"]
    date_hierarchy = "month"


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Readable by administrators; nobody can add, change or delete through the app."""

    list_display = ["at", "username", "action", "object_repr", "ip_address"]
    list_filter = ["action"]
    search_fields = ["username", "action", "object_repr"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
