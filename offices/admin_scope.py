"""The Django admin, delegated: an `admin` membership configures its unit's subtree.

Two pieces, both built on the scope primitive of `offices` (`Role`, `role_over`,
the subtree filter):

* `ScopedAdminSite` lets in superusers and users holding the `admin` role somewhere;
  managers and viewers never reach `/admin/`. No Django model permission is needed
  or consulted for admin-role users: the role *is* the permission, so removing the
  membership removes the access.
* `ScopedAdmin` (the mixin every ModelAdmin and inline uses) limits what such a user
  sees and may change to the subtrees where they hold the `admin` role: the
  changelist, change/delete/history pages (404 outside the scope, revealing nothing),
  foreign-key and many-to-many choices, autocomplete results, list filters, search
  and actions. Each action needs the change permission over every selected object
  and writes an audit event; every add/change/delete is audited with the address.

Each ModelAdmin declares where its scope comes from:

    class DeskAdmin(ScopedAdmin, admin.ModelAdmin):
        scope_field = "office__unit"    # the AdministrativeUnit that decides the scope

`scope_field = ""` means the object is itself a unit; `scope_field = None` a national
list (the question bank, procedure fields): admins read it, superusers change it.
`delegated` says what an admin-role user may do in scope: EDIT, READ or NONE
(superusers only).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.filters import RelatedOnlyFieldListFilter
from django.contrib.admin.models import LogEntry
from django.contrib.admin.options import InlineModelAdmin
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.forms import BaseModelFormSet, ModelChoiceField, ModelForm, ModelMultipleChoiceField
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _

from offices.models import (
    AdministrativeUnit,
    AuditEvent,
    Role,
    has_role,
    holds_role_anywhere,
    is_active_superuser,
    memberships_of,
    subtree_filter,
)

EDIT, READ, NONE = "edit", "read", "none"

READ_ONLY_SELECTED = _("Some of the selected items are read-only for you; nothing was done.")
OUT_OF_SCOPE = _(
    "Choose one inside your area of administration: this one is not, or it does not exist."
)


def is_admin_anywhere(user: User | AnonymousUser) -> bool:
    """Superusers, and users holding the `admin` role over some unit."""
    return holds_role_anywhere(user, Role.ADMIN)


def administers(user: User | AnonymousUser, unit: AdministrativeUnit | None) -> bool:
    """Whether the user holds the `admin` role over `unit` (through it or an ancestor)."""
    return unit is not None and has_role(user, unit, Role.ADMIN)


class ScopedAdminSite(admin.AdminSite):
    """The admin site: superusers and admin-role users only (see module docstring)."""

    site_header = _("One-stop satisfaction survey: administration")
    site_title = _("Administration")
    index_title = _("Configuration")
    # The index lists what the user may configure; repeating it beside every page
    # costs a full app list per request.
    enable_nav_sidebar = False

    def has_permission(self, request: HttpRequest) -> bool:
        return is_admin_anywhere(request.user)

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> Any:
        """Django's list, built when a page first reads it. `each_context` asks for it on
        every admin page, for the navigation sidebar that is off here: built eagerly, it
        cost every page a permission check per registered model (~4 ms of a 12 ms
        changelist), and only the index and the app pages read it."""
        build = super().get_app_list
        return SimpleLazyObject(lambda: build(request, app_label))

    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """The site's own log-in page (its form admits staff accounts only, and admin-role
        users need no staff flag); lock-out, rate limit and second factor apply there."""
        target = request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index")
        return redirect(f"{resolve_url(settings.LOGIN_URL)}?{REDIRECT_FIELD_NAME}={target}")


def _follow(obj: Any, scope_field: str) -> AdministrativeUnit | None:
    unit = obj
    for part in filter(None, scope_field.split("__")):
        unit = getattr(unit, part, None)
        if unit is None:
            return None
    return unit


def _alternatives(scope_field: str | tuple[str, ...]) -> tuple[str, ...]:
    return (scope_field,) if isinstance(scope_field, str) else tuple(scope_field)


if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    # What the mixin is mixed into, for the type checker: a ModelAdmin or an inline.
    _AdminBase = admin.ModelAdmin[Any]
else:
    _AdminBase = object


class ScopedAdmin(_AdminBase):
    """Mixin for every ModelAdmin and InlineModelAdmin (listed first in the bases)."""

    # A path to the AdministrativeUnit that decides the scope, or a tuple of paths
    # (the first one set on the object counts: a survey hangs under a unit or an office).
    scope_field: str | tuple[str, ...] | None = ...  # type: ignore[assignment]
    delegated: str = EDIT

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if self.scope_field is ...:
            raise ImproperlyConfigured(
                f"{type(self).__qualname__} must declare scope_field "
                "(a path to its AdministrativeUnit, '' for a unit, None for a national list)."
            )
        if self.scope_field is None and self.delegated == EDIT:
            self.delegated = READ  # national lists are changed by superusers only
        super().__init__(*args, **kwargs)

    # --- who is asking ------------------------------------------------------------

    @staticmethod
    def _is_super(request: HttpRequest) -> bool:
        return is_active_superuser(request.user)

    def _may(self, request: HttpRequest, level: str) -> bool:
        """Whether an admin-role user may do `level` (READ or EDIT) on this model at all."""
        if not is_admin_anywhere(request.user) or self.delegated == NONE:
            return False
        return level == READ or self.delegated == EDIT

    # --- scope ----------------------------------------------------------------------

    def subtree_q(self, request: HttpRequest) -> Q | None:
        """Rows under the user's admin subtrees; None when nothing is to be filtered."""
        if self._is_super(request) or self.scope_field is None:
            return None
        paths = [m.unit.path for m in memberships_of(request.user, Role.ADMIN)]
        condition = Q(pk__in=[])
        for field in _alternatives(self.scope_field):
            condition |= subtree_filter(paths, f"{field}__path" if field else "path")
        return condition

    def unit_of(self, obj: Any) -> AdministrativeUnit | None:
        """The unit an object (saved or not) hangs under, by `scope_field`."""
        for field in _alternatives(self.scope_field or ""):
            unit = _follow(obj, field)
            if unit is not None:
                return unit
        return None

    def subtree_queryset(
        self, request: HttpRequest, queryset: QuerySet[Any] | None = None
    ) -> QuerySet[Any]:
        """What the user may change, and what other models may point at."""
        queryset = self.model._default_manager.all() if queryset is None else queryset
        condition = self.subtree_q(request)
        return queryset if condition is None else queryset.filter(condition)

    def readable_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """What the user may see; the subtree unless a ModelAdmin shows more read-only."""
        return self.subtree_queryset(request, queryset)

    def in_subtree(self, request: HttpRequest, obj: Any) -> bool:
        if self._is_super(request) or self.scope_field is None:
            return True
        return administers(request.user, self.unit_of(obj))

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        if self._is_super(request):
            return queryset
        if not self._may(request, READ):
            return queryset.none()
        return self.readable_queryset(request, queryset)

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Any:
        # Out of scope, unknown or malformed: the same 404, so nothing is revealed
        # (Django's default redirects with "perhaps it was deleted").
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404
        return obj

    # --- permissions (the role is the permission for admin-role users) --------------

    def _parent_allows_change(self, request: HttpRequest, obj: Any) -> bool:
        """For inlines `obj` is the parent: edit only what the parent lets us edit."""
        if obj is None or not isinstance(self, InlineModelAdmin):
            return True
        parent = self.admin_site._registry.get(self.parent_model)
        return parent is None or parent.has_change_permission(request, obj)

    def _obj_ok(self, request: HttpRequest, obj: Any) -> bool:
        if obj is None:
            return True
        if isinstance(self, InlineModelAdmin):
            return self._parent_allows_change(request, obj)
        return self.in_subtree(request, obj)

    def has_module_permission(self, request: HttpRequest) -> bool:
        if self._is_super(request):
            return super().has_module_permission(request)
        return self._may(request, READ)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if self._is_super(request):
            return super().has_view_permission(request, obj)
        if not self._may(request, READ):
            return False
        if obj is None or isinstance(self, InlineModelAdmin):
            return True
        return self.readable_queryset(
            request, self.model._default_manager.filter(pk=obj.pk)
        ).exists()

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        # ModelAdmin: (request); inlines: (request, obj).
        if self._is_super(request):
            return super().has_add_permission(request, *args)
        return self._may(request, EDIT) and self._obj_ok(request, args[0] if args else None)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if self._is_super(request):
            return super().has_change_permission(request, obj)
        return self._may(request, EDIT) and self._obj_ok(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if self._is_super(request):
            return super().has_delete_permission(request, obj)
        return self._may(request, EDIT) and self._obj_ok(request, obj)

    # --- choices: foreign keys, many-to-many, list filters ----------------------------

    def _limit_choices(self, db_field: Any, request: HttpRequest, kwargs: dict[str, Any]) -> None:
        if self._is_super(request) or "queryset" in kwargs:
            return
        target = self.admin_site._registry.get(db_field.remote_field.model)
        if isinstance(target, ScopedAdmin):
            kwargs["queryset"] = target.subtree_queryset(request, kwargs.get("queryset"))
            kwargs.setdefault("error_messages", {})["invalid_choice"] = OUT_OF_SCOPE
            if db_field.many_to_many:
                kwargs["error_messages"]["invalid_pk_value"] = OUT_OF_SCOPE

    def formfield_for_foreignkey(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField | None:
        self._limit_choices(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> ModelMultipleChoiceField | None:
        self._limit_choices(db_field, request, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_list_filter(self, request: HttpRequest) -> list[Any]:
        """A filter on a relation lists only the values present in the user's rows."""
        filters = list(super().get_list_filter(request))
        if self._is_super(request):
            return filters
        scoped: list[Any] = []
        for entry in filters:
            if isinstance(entry, str) and get_fields_from_path(self.model, entry)[-1].is_relation:
                entry = (entry, RelatedOnlyFieldListFilter)
            scoped.append(entry)
        return scoped

    # --- saving: refuse out-of-scope targets even if a form let one through ----------

    def _check_saving(self, request: HttpRequest, obj: Any) -> None:
        checked = not self._is_super(request) and self.scope_field is not None
        if checked and not administers(request.user, self.unit_of(obj)):
            raise PermissionDenied(OUT_OF_SCOPE)

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        self._check_saving(request, obj)
        super().save_model(request, obj, form, change)

    def save_formset(
        self, request: HttpRequest, form: ModelForm, formset: BaseModelFormSet, change: bool
    ) -> None:
        inline: object = next(
            (i for i in self.get_inline_instances(request) if i.model is formset.model), None
        )
        if isinstance(inline, ScopedAdmin):
            deleted = set(formset.deleted_forms)  # the formset is valid by now
            for inline_form in formset.forms:
                if inline_form.has_changed() and inline_form not in deleted:
                    inline._check_saving(request, inline_form.instance)
        super().save_formset(request, form, formset, change)

    # --- actions: change permission over every selected object, audited --------------

    def refuse_unoffered_action(self, request: HttpRequest) -> None:
        """An action not offered to this user is refused (403), not silently ignored."""
        action = request.POST.get("action") if request.method == "POST" else None
        if action and action not in self.get_actions(request):
            raise PermissionDenied

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        self.refuse_unoffered_action(request)
        return super().changelist_view(request, extra_context)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        # Django's entries are (function, name, description) triples; the stubs also allow None.
        return {
            name: None if entry is None else (self._guarded_action(entry[0], name), *entry[1:])
            for name, entry in super().get_actions(request).items()
        }

    def _guarded_action(self, func: Callable[..., Any], name: str) -> Callable[..., Any]:
        @functools.wraps(func)
        def guarded(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
            if not (self.has_change_permission(request) or self.has_delete_permission(request)):
                raise PermissionDenied
            selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
            if not request.POST.get("select_across") and queryset.count() < len(set(selected)):
                raise Http404  # some selected ids are outside what the user may see
            if self.subtree_queryset(request, queryset).count() != queryset.count():
                raise PermissionDenied(READ_ONLY_SELECTED)
            confirming = name == "delete_selected" and not request.POST.get("post")
            if not confirming:
                AuditEvent.record(
                    request,
                    f"admin.action.{name}",
                    None,
                    unit=self._common_unit(queryset),
                    model=self.model._meta.label,
                    ids=[str(pk) for pk in queryset.values_list("pk", flat=True)[:1000]],
                )
            return func(modeladmin, request, queryset)

        return guarded

    # --- the audit log: every admin change, with the acting user and address ---------

    def _unit_for_audit(self, obj: Any) -> AdministrativeUnit | None:
        """The unit whose admins may read the event (None: superusers only)."""
        if self.scope_field is None:
            return None
        unit = self.unit_of(obj)
        return unit if isinstance(unit, AdministrativeUnit) else None

    def _common_unit(self, queryset: QuerySet[Any]) -> AdministrativeUnit | None:
        """The lowest unit over every selected object: a district admin's action on two of
        its wards is the district's event."""
        units = [self._unit_for_audit(obj) for obj in queryset[:1000]]
        if not units or None in units:
            return None
        paths = sorted({unit.path for unit in units if unit is not None})
        prefix = os.path.commonprefix(paths)
        prefix = prefix[: len(prefix) - len(prefix) % AdministrativeUnit.steplen]
        return AdministrativeUnit.objects.filter(path=prefix).first() if prefix else None

    def _audit(self, request: HttpRequest, action: str, objects: Iterable[Model]) -> None:
        label = self.model._meta.label_lower
        for obj in objects:
            AuditEvent.record(
                request,
                action,
                f"{label}: {obj}",
                unit=self._unit_for_audit(obj),
                model=label,
                object_id=str(obj.pk),
            )

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> LogEntry:
        entry = super().log_addition(request, obj, message)
        self._audit(request, "config.add", [obj])
        return entry

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> LogEntry:
        entry = super().log_change(request, obj, message)
        self._audit(request, "config.change", [obj])
        return entry

    def log_deletions(self, request: HttpRequest, queryset: QuerySet[Any]) -> list[LogEntry]:
        entries = super().log_deletions(request, queryset)
        self._audit(request, "config.delete", list(queryset))
        return entries


def above_admin_units(user: User | AnonymousUser, lookup: str) -> Q:
    """Rows whose unit (`lookup`) lies strictly above a unit the user administers:
    what applies to their offices from higher up (core surveys), to be shown read-only."""
    step = AdministrativeUnit.steplen
    paths = {
        m.unit.path[:end]
        for m in memberships_of(user, Role.ADMIN)
        for end in range(step, len(m.unit.path), step)
    }
    return Q(**{f"{lookup}__path__in": sorted(paths)}) if paths else Q(pk__in=[])
