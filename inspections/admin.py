from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin

from inspections.models import DisciplinaryCase, Inspection, Inspector
from offices.admin_scope import NONE, READ, ScopedAdmin

if TYPE_CHECKING:
    from django.forms import ModelForm
    from django.http import HttpRequest


@admin.register(Inspector)
class InspectorAdmin(ScopedAdmin, admin.ModelAdmin):
    """Who may record inspections, and over which subtree: a capability kept apart from
    the unit roles, so only superusers grant it."""

    scope_field = "unit"
    delegated = NONE

    list_display = ["user", "unit", "note", "created_at"]
    list_filter = ["unit__level"]
    search_fields = ["user__username", "user__last_name", "unit__name", "unit__code", "note"]
    autocomplete_fields = ["user", "unit"]


class DisciplinaryCaseInline(ScopedAdmin, admin.StackedInline):
    model = DisciplinaryCase
    scope_field = "inspection__unit"
    delegated = READ
    extra = 0
    fields = ["staff", "person", "breach", "measure", "date"]
    autocomplete_fields = ["staff"]


@admin.register(Inspection)
class InspectionAdmin(ScopedAdmin, admin.ModelAdmin):
    """Inspectors record inspections (in the app); unit admins read their subtree's."""

    scope_field = "unit"
    delegated = READ
    list_display = ["date", "unit", "office", "inspecting_body", "inspecting_level", "kind"]
    list_filter = ["inspecting_level", "kind", "unit__level"]
    search_fields = ["inspecting_body", "unit__name", "unit__code", "office__name", "scope"]
    autocomplete_fields = ["unit", "office"]
    date_hierarchy = "date"
    readonly_fields = ["created_by", "created_at", "updated_at"]
    inlines = [DisciplinaryCaseInline]

    def save_model(
        self, request: HttpRequest, obj: Inspection, form: ModelForm, change: bool
    ) -> None:
        if not change:
            # The admin serves signed-in staff only: never an AnonymousUser here.
            obj.created_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)
