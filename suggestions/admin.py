"""The suggestion book in the admin: searchable and filterable, but read-only.

Officials act on suggestions through the app (so every action is audit-logged);
stamps can never be added, changed or deleted here. Citizens' names, contact
details and addresses are shown to superusers only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin

from offices.admin_scope import READ, ScopedAdmin
from suggestions.models import Reply, SeenStamp, Suggestion

if TYPE_CHECKING:
    from django.db.models import Model
    from django.http import HttpRequest

PERSONAL_FIELDS = ("name", "contact", "contact_consent", "submitter_ip")


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class SeenStampInline(ReadOnlyMixin, ScopedAdmin, admin.TabularInline):
    model = SeenStamp
    scope_field = "suggestion__office__unit"
    delegated = READ
    extra = 0
    fields = ["at", "signer_name", "role", "role_unit"]
    readonly_fields = fields  # type: ignore[assignment]


class ReplyInline(ReadOnlyMixin, ScopedAdmin, admin.TabularInline):
    model = Reply
    scope_field = "suggestion__office__unit"
    delegated = READ
    extra = 0
    fields = ["created_at", "author", "role", "text", "is_public"]
    readonly_fields = fields  # type: ignore[assignment]


@admin.register(Suggestion)
class SuggestionAdmin(ReadOnlyMixin, ScopedAdmin, admin.ModelAdmin):
    scope_field = "office__unit"
    delegated = READ
    list_display = ["__str__", "office", "category", "status", "channel", "is_public", "created_at"]
    list_filter = ["status", "category", "channel", "is_public", "created_at"]
    search_fields = ["code", "text", "office__name"]
    date_hierarchy = "created_at"
    list_select_related = ["office"]
    inlines = [SeenStampInline, ReplyInline]

    # A flat list of names: narrower than the stub's (invariant) list of names or groups.
    def get_fields(  # type: ignore[override]
        self, request: HttpRequest, obj: Suggestion | None = None
    ) -> list[str]:
        fields = [
            "code",
            "office",
            "category",
            "text",
            "status",
            "is_public",
            "assignee",
            "channel",
            "language",
            "created_at",
            "seen_due_at",
            "answer_due_at",
            "first_seen_at",
            "answered_at",
            "closed_at",
        ]
        if request.user.is_superuser:
            fields += PERSONAL_FIELDS
        return fields

    def get_readonly_fields(self, request: HttpRequest, obj: Suggestion | None = None) -> list[str]:
        return self.get_fields(request, obj)

    def get_search_fields(self, request: HttpRequest) -> list[str] | tuple[str, ...]:
        if request.user.is_superuser:
            return [*self.search_fields, "name", "contact"]
        return self.search_fields


@admin.register(SeenStamp)
class SeenStampAdmin(ReadOnlyMixin, ScopedAdmin, admin.ModelAdmin):
    scope_field = "suggestion__office__unit"
    delegated = READ
    list_display = ["suggestion", "signer_name", "role", "role_unit", "at"]
    list_filter = ["role", "at"]
    search_fields = ["suggestion__code", "signer_name", "role_unit"]
    list_select_related = ["suggestion"]
    readonly_fields = ["suggestion", "user", "signer_name", "role", "role_unit", "at"]
