"""Criteria sets are edited here (areas and criteria inline) until scoring starts;
then they are read-only. "Copy to next year" makes the editable successor."""

from django.contrib import admin, messages
from django.db import IntegrityError
from django.utils.translation import gettext_lazy as _

from offices.admin_scope import NONE, ScopedAdmin
from reform.models import Appraiser, Area, Assessment, CriteriaSet, Criterion, Evidence, Score


class SuperusersOnly(ScopedAdmin):
    """The reform index is administered by superusers (unit admins do not reach it)."""

    scope_field = None
    delegated = NONE


@admin.register(Appraiser)
class AppraiserAdmin(SuperusersOnly, admin.ModelAdmin):
    """Who may appraise, and the units below which."""

    list_display = ["user", "unit", "note", "created_at"]
    list_filter = ["unit__level"]
    search_fields = ["user__username", "user__last_name", "unit__name", "unit__code", "note"]
    autocomplete_fields = ["user", "unit"]


class FrozenReadOnly:
    """Change and delete refused once the set is frozen (history never changes)."""

    @staticmethod
    def frozen(obj) -> bool:
        if obj is None:
            return False
        owner = obj if isinstance(obj, CriteriaSet) else obj.owning_set()
        return owner.is_frozen

    def has_change_permission(self, request, obj=None):
        return not self.frozen(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self.frozen(obj) and super().has_delete_permission(request, obj)


class AreaInline(FrozenReadOnly, SuperusersOnly, admin.TabularInline):
    model = Area
    extra = 0
    fields = ["code", "name", "max_points", "position"]

    def has_add_permission(self, request, obj=None):
        return not self.frozen(obj) and super().has_add_permission(request, obj)


@admin.register(CriteriaSet)
class CriteriaSetAdmin(FrozenReadOnly, SuperusersOnly, admin.ModelAdmin):
    list_display = ["name", "year", "level", "issuer", "frozen_at"]
    list_filter = ["year", "level"]
    search_fields = ["name", "issuer__name"]
    autocomplete_fields = ["issuer"]
    readonly_fields = ["copied_from", "frozen_at", "created_at"]
    inlines = [AreaInline]
    actions = ["copy_to_next_year"]

    @admin.action(description=_("Copy to the next year (a new, editable set)"))
    def copy_to_next_year(self, request, queryset):
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
class CriterionAdmin(FrozenReadOnly, SuperusersOnly, admin.ModelAdmin):
    list_display = ["code", "name", "area", "max_points", "rule", "source"]
    list_filter = ["area__criteria_set", "rule", "source"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["area", "parent"]


@admin.register(Area)
class AreaAdmin(FrozenReadOnly, SuperusersOnly, admin.ModelAdmin):
    list_display = ["code", "name", "criteria_set", "max_points"]
    list_filter = ["criteria_set"]
    search_fields = ["code", "name"]


class ScoreInline(SuperusersOnly, admin.TabularInline):
    model = Score
    extra = 0
    can_delete = False
    fields = ["criterion", "self_value", "evidence_note", "appraised_value", "appraisal_reason"]
    readonly_fields = fields  # type: ignore[assignment]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Assessment)
class AssessmentAdmin(SuperusersOnly, admin.ModelAdmin):
    """Read-only here: scores are entered, submitted and appraised on the scoring page."""

    list_display = ["unit", "criteria_set", "status", "submitted_at", "appraised_at"]
    list_filter = ["status", "criteria_set"]
    search_fields = ["unit__name", "unit__code"]
    inlines = [ScoreInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Evidence)
class EvidenceAdmin(SuperusersOnly, admin.ModelAdmin):
    list_display = ["assessment", "criterion", "filename", "uploaded_by", "uploaded_at"]
    # The file has no URL (private storage): its name only; it is served in scope by the app.
    readonly_fields = ["assessment", "criterion", "filename", "uploaded_by", "uploaded_at"]
    fields = readonly_fields  # type: ignore[assignment]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
