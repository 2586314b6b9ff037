"""Criteria sets are edited here (areas and criteria inline) until scoring starts;
then they are read-only. "Copy to next year" makes the editable successor."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.utils.translation import gettext_lazy as _

from offices.admin_scope import READ, ScopedAdmin, above_admin_units
from reform.models import (
    Appraiser,
    Area,
    Assessment,
    CriteriaSet,
    Criterion,
    Evidence,
    FrozenGuard,
    Score,
)

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django.forms import ModelForm
    from django.http import HttpRequest

# A unit's admins: appraisers of their subtree (never themselves), the criteria sets their
# unit issues (those issued above it apply to it: read-only), and their units' assessments
# and evidence read-only (scores are entered and appraised on the scoring pages).


if TYPE_CHECKING:
    _ScopedBase = ScopedAdmin  # what the mixins below are mixed with, for the type checker
else:
    _ScopedBase = object


class IssuedAbove(_ScopedBase):
    """Criteria sets issued above an admin's unit apply to its units: readable only."""

    issuer_lookup = "issuer"

    def readable_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        own = self.subtree_q(request)
        if own is None:  # a superuser, or a national list: nothing to filter
            return queryset
        return queryset.filter(own | above_admin_units(request.user, self.issuer_lookup))


@admin.register(Appraiser)
class AppraiserAdmin(ScopedAdmin, admin.ModelAdmin):
    """Who may appraise, and the units below which."""

    scope_field = "unit"
    list_select_related = ["user", "unit"]

    def save_model(
        self, request: HttpRequest, obj: Appraiser, form: ModelForm[Appraiser], change: bool
    ) -> None:
        if not self._is_super(request) and obj.user_id == request.user.pk:
            raise PermissionDenied(_("You cannot make yourself an appraiser."))
        super().save_model(request, obj, form, change)

    list_display = ["user", "unit", "note", "created_at"]
    list_filter = ["unit__level"]
    search_fields = ["user__username", "user__last_name", "unit__name", "unit__code", "note"]
    autocomplete_fields = ["user", "unit"]


class FrozenReadOnly(_ScopedBase):
    """Change and delete refused once the set is frozen (history never changes)."""

    @staticmethod
    def frozen(obj: CriteriaSet | FrozenGuard | None) -> bool:
        if obj is None:
            return False
        owner = obj if isinstance(obj, CriteriaSet) else obj.owning_set()
        return owner.is_frozen

    def has_change_permission(
        self, request: HttpRequest, obj: CriteriaSet | FrozenGuard | None = None
    ) -> bool:
        return not self.frozen(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(
        self, request: HttpRequest, obj: CriteriaSet | FrozenGuard | None = None
    ) -> bool:
        return not self.frozen(obj) and super().has_delete_permission(request, obj)


class AreaInline(FrozenReadOnly, ScopedAdmin, admin.TabularInline):
    scope_field = "criteria_set__issuer"
    model = Area
    extra = 0
    fields = ["code", "name", "max_points", "position"]

    def has_add_permission(self, request: HttpRequest, obj: CriteriaSet | None = None) -> bool:
        return not self.frozen(obj) and super().has_add_permission(request, obj)


@admin.register(CriteriaSet)
class CriteriaSetAdmin(FrozenReadOnly, IssuedAbove, ScopedAdmin, admin.ModelAdmin):
    scope_field = "issuer"
    list_display = ["name", "year", "level", "issuer", "frozen_at"]
    list_filter = ["year", "level"]
    search_fields = ["name", "issuer__name"]
    autocomplete_fields = ["issuer"]
    readonly_fields = ["copied_from", "frozen_at", "created_at"]
    inlines = [AreaInline]
    actions = ["copy_to_next_year"]

    @admin.action(description=_("Copy to the next year (a new, editable set)"))
    def copy_to_next_year(self, request: HttpRequest, queryset: QuerySet[CriteriaSet]) -> None:
        for criteria_set in queryset:
            year = criteria_set.year + 1
            try:
                criteria_set.copy_to(year, f"{criteria_set.name} ({year})")
            except IntegrityError:
                messages.error(
                    request,
                    _("%(name)s: a set for %(year)s exists already.")
                    % {"name": criteria_set.name, "year": year},
                )
            else:
                messages.success(request, _("%(name)s copied.") % {"name": criteria_set.name})


@admin.register(Criterion)
class CriterionAdmin(FrozenReadOnly, IssuedAbove, ScopedAdmin, admin.ModelAdmin):
    scope_field = "area__criteria_set__issuer"
    issuer_lookup = "area__criteria_set__issuer"
    list_display = ["code", "name", "area", "max_points", "rule", "source"]
    list_filter = ["area__criteria_set", "rule", "source"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["area", "parent"]


@admin.register(Area)
class AreaAdmin(FrozenReadOnly, IssuedAbove, ScopedAdmin, admin.ModelAdmin):
    scope_field = "criteria_set__issuer"
    issuer_lookup = "criteria_set__issuer"
    list_display = ["code", "name", "criteria_set", "max_points"]
    list_filter = ["criteria_set"]
    search_fields = ["code", "name"]


class ScoreInline(ScopedAdmin, admin.TabularInline):
    scope_field = "assessment__unit"
    delegated = READ
    model = Score
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "criterion",
        "self_value",
        "evidence_note",
        "appraised_value",
        "appraisal_reason",
    )

    def has_add_permission(self, request: HttpRequest, obj: Assessment | None = None) -> bool:
        return False


@admin.register(Assessment)
class AssessmentAdmin(ScopedAdmin, admin.ModelAdmin):
    scope_field = "unit"
    delegated = READ
    """Read-only here: scores are entered, submitted and appraised on the scoring page."""

    list_display = ["unit", "criteria_set", "status", "submitted_at", "appraised_at"]
    list_filter = ["status", "criteria_set"]
    search_fields = ["unit__name", "unit__code"]
    inlines = [ScoreInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Assessment | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Assessment | None = None) -> bool:
        return False


@admin.register(Evidence)
class EvidenceAdmin(ScopedAdmin, admin.ModelAdmin):
    scope_field = "assessment__unit"
    delegated = READ
    list_display = ["assessment", "criterion", "filename", "uploaded_by", "uploaded_at"]
    # The file has no URL (private storage): its name only; it is served in scope by the app.
    fields = readonly_fields = ("assessment", "criterion", "filename", "uploaded_by", "uploaded_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Evidence | None = None) -> bool:
        return False
