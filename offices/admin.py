"""Admin of units, offices, desks, staff, memberships, users and the audit log.

Every ModelAdmin here (and in the other apps) starts with `ScopedAdmin`
(offices/admin_scope.py): an `admin` membership configures its unit's subtree.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_totp.models import TOTPDevice
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

if TYPE_CHECKING:
    # The stubs' own aliases for what these admin hooks return (django_stubs_ext exports
    # FieldsetSpec; the other two it does not).
    from django.contrib.admin.options import _FieldGroups, _ListDisplayT
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.auth.models import User as AuthUser
    from django_stubs_ext import FieldsetSpec, StrOrPromise

from common.forms import field_of
from offices.admin_scope import NONE, READ, ScopedAdmin, administers
from offices.models import (
    ROLE_RANK,
    WEEKDAY_NAMES,
    AdministrativeUnit,
    ApiClient,
    AuditEvent,
    CounterSession,
    Desk,
    DossierCount,
    Membership,
    Office,
    ProcedureField,
    Role,
    StaffMember,
    is_active_superuser,
    role_over,
)

User = get_user_model()


@admin.register(AdministrativeUnit)
class AdministrativeUnitAdmin(ScopedAdmin, TreeAdmin):
    """The tree, shown indented (treebeard's TreeAdmin), searchable by code and name.

    Admin-role users read their subtree as a flat, searchable list (the tree view
    starts at the roots, which lie above them); only superusers change the tree.
    """

    scope_field = ""
    delegated = READ
    form = movenodeform_factory(AdministrativeUnit)
    list_display = ["name", "code", "level", "head_email"]
    list_filter = ["level", "depth"]
    search_fields = ["code", "name"]

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return super().get_changelist(request, **kwargs) if self._is_super(request) else ChangeList

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if self._is_super(request):
            return super().changelist_view(request, extra_context)
        self.refuse_unoffered_action(request)
        response = admin.ModelAdmin.changelist_view(self, request, extra_context)
        if hasattr(response, "template_name"):
            response.template_name = ["admin/change_list.html"]
        return response


class DeskInline(ScopedAdmin, admin.TabularInline):
    model = Desk
    scope_field = "office__unit"
    extra = 0
    fields = ["number", "name", "procedure_fields", "is_active"]


class StaffInline(ScopedAdmin, admin.TabularInline):
    model = StaffMember
    scope_field = "office__unit"
    extra = 0
    fields = ["full_name", "title", "desk", "photo", "is_active"]


class OfficeForm(forms.ModelForm):
    """Opening days as seven check boxes, stored as ISO weekday digits ("12345")."""

    open_days = forms.TypedMultipleChoiceField(
        choices=[(str(n), label) for n, label in WEEKDAY_NAMES.items()],
        widget=forms.CheckboxSelectMultiple,
        label=_("opening days"),
    )

    class Meta:
        model = Office
        exclude: list[str] = []  # every field; the admin's fieldsets decide the layout

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial["open_days"] = list(self.instance.open_days or "")

    def clean_open_days(self) -> str:
        return "".join(sorted(self.cleaned_data["open_days"]))


@admin.register(Office)
class OfficeAdmin(ScopedAdmin, admin.ModelAdmin):
    scope_field = "unit"
    form = OfficeForm
    list_display = [
        "name",
        "unit",
        "time_zone",
        "opening_hours",
        "head_email",
        "transparency_board",
        "is_active",
    ]
    list_filter = ["is_active", "transparency_board", "unit__level"]
    search_fields = ["name", "unit__name", "unit__code"]
    autocomplete_fields = ["unit"]
    list_select_related = ["unit"]
    inlines = [DeskInline, StaffInline]

    @admin.display(description=_("opening hours"))
    def opening_hours(self, office: Office) -> str:
        days = ", ".join(str(WEEKDAY_NAMES[int(d)])[:3] for d in office.open_days)
        return f"{days} {office.opens_at:%H:%M}–{office.closes_at:%H:%M}"


class SessionHistoryInline(ScopedAdmin, admin.TabularInline):
    """The latest counter sessions (the full history: Administration › Counter sessions)."""

    model = CounterSession
    scope_field = "desk__office__unit"
    delegated = READ
    extra = 0
    max_num = 0
    can_delete = False
    ordering = ["-started_at"]
    fields = readonly_fields = (
        "staff",
        "desk",
        "started_at",
        "started_how",
        "ends_at",
        "end_reason",
    )

    def has_add_permission(
        self, request: HttpRequest, obj: Desk | StaffMember | None = None
    ) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: Desk | StaffMember | None = None
    ) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[CounterSession]:
        return super().get_queryset(request).select_related("staff", "desk")

    @admin.display(description=_("ended"))
    def ends_at(self, session: CounterSession) -> datetime:
        return session.ends_at

    @admin.display(description=_("stopped because"))
    def end_reason(self, session: CounterSession) -> StrOrPromise:
        return session.end_reason or _("serving now")


@admin.register(Desk)
class DeskAdmin(ScopedAdmin, admin.ModelAdmin):
    scope_field = "office__unit"
    list_display = ["number", "name", "office", "is_active"]
    list_filter = ["is_active", "procedure_fields"]
    search_fields = ["number", "name", "office__name"]
    autocomplete_fields = ["office"]
    list_select_related = ["office"]
    filter_horizontal = ["procedure_fields"]
    inlines = [SessionHistoryInline]


class StaffMemberForm(forms.ModelForm):
    new_pin = forms.CharField(
        label=_("new PIN"),
        required=False,
        min_length=4,
        max_length=8,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_(
            "4 to 8 digits, for starting and stopping a session on the kiosk's staff corner. "
            "Leave empty to keep the current PIN."
        ),
    )
    remove_pin = forms.BooleanField(label=_("remove the PIN"), required=False)

    class Meta:
        model = StaffMember
        exclude: list[str] = []

    def clean_new_pin(self) -> str:
        pin = self.cleaned_data["new_pin"]
        if pin and not StaffMember.pin_is_well_formed(pin):
            raise forms.ValidationError(_("A PIN is 4 to 8 digits."))
        return pin


@admin.register(StaffMember)
class StaffMemberAdmin(ScopedAdmin, admin.ModelAdmin):
    scope_field = "office__unit"
    form = StaffMemberForm
    list_display = ["full_name", "title", "office", "desk", "thumbnail", "has_pin", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["full_name", "title", "office__name"]
    autocomplete_fields = ["office", "desk", "user"]
    list_select_related = ["office", "desk"]
    inlines = [SessionHistoryInline]

    @admin.display(description=_("PIN set"), boolean=True)
    def has_pin(self, obj: StaffMember) -> bool:
        return bool(obj.pin_hash)

    def save_model(
        self,
        request: HttpRequest,
        obj: StaffMember,
        form: forms.ModelForm[StaffMember],
        change: bool,
    ) -> None:
        super().save_model(request, obj, form, change)
        if form.cleaned_data.get("remove_pin"):
            obj.set_pin("")
            AuditEvent.record(request, "staff.pin_removed", obj)
        elif form.cleaned_data.get("new_pin"):
            obj.set_pin(form.cleaned_data["new_pin"])
            AuditEvent.record(request, "staff.pin_set", obj)

    @admin.display(description=_("photo"))
    def thumbnail(self, obj: StaffMember) -> str:
        if not obj.photo:
            return "—"
        return format_html('<img src="{}" alt="" width="32" height="32">', obj.photo.url)


@admin.register(CounterSession)
class CounterSessionAdmin(ScopedAdmin, admin.ModelAdmin):
    """Who served where and when: history per desk and per officer (read-only)."""

    scope_field = "desk__office__unit"
    delegated = READ

    list_display = ["staff", "desk", "office", "started_at", "started_how", "ends", "reason"]
    list_filter = ["started_how", "ended_how", "desk__office"]
    search_fields = ["staff__full_name", "desk__number", "desk__name", "desk__office__name"]
    date_hierarchy = "started_at"
    list_select_related = ["staff", "desk__office"]
    readonly_fields = [f.name for f in CounterSession._meta.fields]

    @admin.display(description=_("office"))
    def office(self, session: CounterSession) -> Office:
        return session.desk.office

    @admin.display(description=_("ended"))
    def ends(self, session: CounterSession) -> datetime:
        return session.ends_at

    @admin.display(description=_("stopped because"))
    def reason(self, session: CounterSession) -> StrOrPromise:
        return session.end_reason or _("serving now")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: CounterSession | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: CounterSession | None = None
    ) -> bool:
        return False


@admin.register(ProcedureField)
class ProcedureFieldAdmin(ScopedAdmin, admin.ModelAdmin):
    """A national list: admin-role users read it (to pick a desk's fields)."""

    scope_field = None
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


# --- Memberships and users ---------------------------------------------------------------


def check_grant(
    granter: AuthUser | AnonymousUser,
    user: AuthUser | None,
    unit: AdministrativeUnit | None,
    role: str | None,
) -> None:
    """An admin grants a role only inside their subtree, at most their own, never to
    themselves. Superusers are not limited. Raises ValidationError."""
    if is_active_superuser(granter):
        return
    if user is not None and user.pk == granter.pk:
        raise ValidationError(
            _("You cannot change your own roles; ask an administrator above you.")
        )
    if unit is None or role is None:
        return
    if not administers(granter, unit):
        raise ValidationError({"unit": _("This unit is outside your area of administration.")})
    own = role_over(granter, unit)  # not None: `administers` said admin or above
    if own is None or ROLE_RANK[role] > ROLE_RANK[own]:
        raise ValidationError({"role": _("You can grant at most your own role.")})
    if user is not None and (user.is_superuser or user.is_staff):
        raise ValidationError({"user": _("Only a superuser can change the roles of this user.")})


def _granter(form: MembershipForm | OfficialCreationForm) -> AuthUser | AnonymousUser:
    if form.granter is None:
        raise ImproperlyConfigured(f"{type(form).__name__} is built by its admin's get_form.")
    return form.granter


class MembershipForm(forms.ModelForm):
    # The acting user, set by MembershipAdmin.get_form.
    granter: AuthUser | AnonymousUser | None = None

    class Meta:
        model = Membership
        fields = ["user", "unit", "role"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        granter = _granter(self)
        check_grant(granter, data.get("user"), data.get("unit"), data.get("role"))
        if self.instance.pk and not granter.is_superuser:
            # Changing a membership that already exists: the old one must have been ours to give.
            check_grant(granter, self.instance.user, self.instance.unit, self.instance.role)
        return data


@admin.register(Membership)
class MembershipAdmin(ScopedAdmin, admin.ModelAdmin):
    scope_field = "unit"
    form = MembershipForm
    list_display = ["user", "unit", "role"]
    list_filter = ["role", "unit__level"]
    search_fields = ["user__username", "user__email", "unit__name", "unit__code"]
    autocomplete_fields = ["user", "unit"]
    list_select_related = ["user", "unit"]

    def get_form(
        self,
        request: HttpRequest,
        obj: Membership | None = None,
        change: bool = False,
        **kwargs: Any,
    ) -> type[forms.ModelForm[Membership]]:
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"granter": request.user})

    def _own(self, request: HttpRequest, obj: Membership | None) -> bool:
        return obj is not None and obj.user_id == request.user.pk and not self._is_super(request)

    def has_change_permission(self, request: HttpRequest, obj: Membership | None = None) -> bool:
        return not self._own(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Membership | None = None) -> bool:
        return not self._own(request, obj) and super().has_delete_permission(request, obj)


class OfficialCreationForm(AdminUserCreationForm):
    """An admin-role user adds an official together with their first role, in scope."""

    granter: AuthUser | AnonymousUser | None = None  # set by ScopedUserAdmin.get_form
    unit = forms.ModelChoiceField(queryset=AdministrativeUnit.objects.none(), label=_("unit"))
    role = forms.ChoiceField(choices=Role.choices, label=_("role"), initial=Role.VIEWER)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(
            self, "unit", forms.ModelChoiceField
        ).queryset = AdministrativeUnit.objects.visible_to(_granter(self), Role.ADMIN)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        check_grant(_granter(self), None, data.get("unit"), data.get("role"))
        return data

    @transaction.atomic
    def save(self, commit: bool = True) -> AuthUser:
        user = super().save(commit=True)
        Membership.objects.create(
            user=user, unit=self.cleaned_data["unit"], role=self.cleaned_data["role"]
        )
        return user


admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class ScopedUserAdmin(ScopedAdmin, UserAdmin):
    """Superusers manage every account. An admin-role user sees the officials holding a
    role in their subtree and adds new ones with a first role there; they never edit
    accounts (a changed e-mail or password would take an account over), and never see
    the superuser/staff flags, groups or raw permissions."""

    scope_field = "memberships__unit"
    OFFICIAL_FIELDSETS: FieldsetSpec = [
        (None, {"fields": ["username"]}),
        (_("Personal info"), {"fields": ["first_name", "last_name", "email"]}),
        (_("Status"), {"fields": ["is_active", "last_login", "date_joined"]}),
    ]

    def subtree_queryset(
        self, request: HttpRequest, queryset: QuerySet[AuthUser] | None = None
    ) -> QuerySet[AuthUser]:
        queryset = super().subtree_queryset(request, queryset)
        if self._is_super(request):
            return queryset
        return queryset.filter(is_superuser=False, is_staff=False).distinct()

    def in_subtree(self, request: HttpRequest, obj: AuthUser) -> bool:
        if self._is_super(request):
            return True
        return any(administers(request.user, m.unit) for m in obj.memberships.all())

    def has_change_permission(self, request: HttpRequest, obj: AuthUser | None = None) -> bool:
        if self._is_super(request):
            return super().has_change_permission(request, obj)
        return False

    def _check_saving(self, request: HttpRequest, obj: AuthUser) -> None:
        # A new official: OfficialCreationForm has checked the unit of their first role.
        if obj.pk is not None and not self.in_subtree(request, obj):
            raise PermissionDenied

    def has_delete_permission(self, request: HttpRequest, obj: AuthUser | None = None) -> bool:
        return self._is_super(request) and super().has_delete_permission(request, obj)

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if self._is_super(request):
            return super().add_view(request, form_url, extra_context)
        # UserAdmin insists on the change permission to add; officials are added, not edited.
        return admin.ModelAdmin.add_view(self, request, form_url, extra_context)

    def get_fieldsets(self, request: HttpRequest, obj: AuthUser | None = None) -> FieldsetSpec:
        if self._is_super(request):
            return super().get_fieldsets(request, obj)
        if obj is None:
            fields: _FieldGroups = [
                "username",
                "usable_password",
                "password1",
                "password2",
                "unit",
                "role",
            ]
            return [(None, {"fields": fields})]
        return self.OFFICIAL_FIELDSETS

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm]:
        if obj is None and not self._is_super(request):
            form = type("OfficialCreationForm", (OfficialCreationForm,), {"granter": request.user})
            kwargs["form"] = form
            kwargs["fields"] = None
        return super().get_form(request, obj, change=change, **kwargs)

    def get_list_display(self, request: HttpRequest) -> _ListDisplayT[AuthUser]:
        if self._is_super(request):
            return super().get_list_display(request)
        return ["username", "first_name", "last_name", "email", "is_active"]

    def get_list_filter(self, request: HttpRequest) -> list[Any]:
        return super().get_list_filter(request) if self._is_super(request) else ["is_active"]


@admin.register(Group)
class ScopedGroupAdmin(ScopedAdmin, GroupAdmin):  # type: ignore[misc]
    """Groups carry raw permissions: superusers only."""

    scope_field = None
    delegated = NONE


# django-axes' lock-out records hold addresses from everywhere: superusers only.
for _model, _base in (
    (AccessAttempt, AccessAttemptAdmin),
    (AccessLog, AccessLogAdmin),
    (AccessFailureLog, AccessFailureLogAdmin),
):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
    admin.site.register(
        _model,
        type(
            _base.__name__,
            (ScopedAdmin, _base),
            # axes' own "clean up" action fails outside a log-in request; deleting unlocks.
            {"scope_field": None, "delegated": NONE, "actions": []},
        ),
    )


# Authenticator devices (django-otp): superusers remove a lost one; secrets stay hidden.
if admin.site.is_registered(TOTPDevice):
    _totp_admin = type(admin.site.get_model_admin(TOTPDevice))
    admin.site.unregister(TOTPDevice)
    admin.site.register(
        TOTPDevice,
        type(
            "TOTPDeviceAdmin", (ScopedAdmin, _totp_admin), {"scope_field": None, "delegated": NONE}
        ),
    )


@admin.register(DossierCount)
class DossierCountAdmin(ScopedAdmin, admin.ModelAdmin):
    scope_field = "office__unit"
    list_display = ["office", "month", "dossiers_handled"]
    list_filter = ["month"]
    search_fields = ["office__name"]
    autocomplete_fields = ["office"]
    list_select_related = ["office"]
    date_hierarchy = "month"


@admin.register(AuditEvent)
class AuditEventAdmin(ScopedAdmin, admin.ModelAdmin):
    """Nobody can add, change or delete (the database refuses too). Superusers read every
    event; an admin reads the events of their subtree's objects (the event's unit, set
    when it is written; events about no unit, or older than the unit column, are the
    superusers' only)."""

    scope_field = "unit"
    delegated = READ
    actions = None
    list_display = ["at", "username", "action", "object_repr", "unit", "ip_address"]
    list_select_related = ["unit"]
    list_filter = ["action"]
    search_fields = ["username", "action", "object_repr"]
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False


@admin.register(ApiClient)
class ApiClientAdmin(ScopedAdmin, admin.ModelAdmin):
    """Create an API client → its token, shown once; revoke; issue a new token.

    An admin-role user manages the clients of units in their subtree."""

    scope_field = "unit"

    list_display = [
        "name",
        "unit",
        "can_read",
        "can_ingest",
        "status",
        "token_hint",
        "last_used_at",
    ]
    list_filter = ["can_read", "can_ingest", "unit__level"]
    search_fields = ["name", "unit__name", "unit__code"]
    list_select_related = ["unit"]
    autocomplete_fields = ["unit"]
    actions = ["new_tokens", "revoke_clients"]
    fields = ["name", "unit", "can_read", "can_ingest"]
    readonly_fields = ["token_hint", "created_at", "created_by", "revoked_at", "last_used_at"]

    def get_fields(self, request: HttpRequest, obj: ApiClient | None = None) -> _FieldGroups:
        return self.fields + (self.readonly_fields if obj else [])

    @admin.display(description=_("status"))
    def status(self, client: ApiClient) -> StrOrPromise:
        return _("revoked") if client.revoked_at else _("active")

    def save_model(
        self, request: HttpRequest, obj: ApiClient, form: forms.ModelForm[ApiClient], change: bool
    ) -> None:
        if not change:
            # The admin lets in signed-in users only; the token goes on to response_add on
            # the request, which declares no such attribute.
            obj.created_by = request.user  # type: ignore[assignment]
            request._new_api_token = obj.issue_token()  # type: ignore[attr-defined]
        super().save_model(request, obj, form, change)
        AuditEvent.record(request, "api_client.changed" if change else "api_client.created", obj)

    def response_add(
        self, request: HttpRequest, obj: ApiClient, post_url_continue: str | None = None
    ) -> TemplateResponse:
        """Right after creating a client, show its token: the only time it is visible."""
        return self._token_page(request, [(obj, request._new_api_token)])  # type: ignore[attr-defined]

    @admin.action(
        description=_("Issue a new token (the old one stops working at once)"),
        permissions=["change"],
    )
    def new_tokens(self, request: HttpRequest, queryset: QuerySet[ApiClient]) -> TemplateResponse:
        issued = []
        # A revoked client stays revoked: a new token for it would only look valid.
        for client in queryset.filter(revoked_at=None).select_related("unit"):
            issued.append((client, client.issue_token()))
            AuditEvent.record(request, "api_client.new_token", client)
        return self._token_page(request, issued)

    @admin.action(
        description=_("Revoke: refuse every request of the selected clients"),
        permissions=["change"],
    )
    def revoke_clients(self, request: HttpRequest, queryset: QuerySet[ApiClient]) -> None:
        clients = list(queryset.filter(revoked_at=None))
        for client in clients:
            client.revoke()
            AuditEvent.record(request, "api_client.revoked", client)
        self.message_user(
            request,
            ngettext("%(n)d API client revoked.", "%(n)d API clients revoked.", len(clients))
            % {"n": len(clients)},
            messages.SUCCESS,
        )

    def _token_page(
        self, request: HttpRequest, issued: list[tuple[ApiClient, str]]
    ) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": _("API tokens"),
            "tokens": [{"client": client, "token": token} for client, token in issued],
            "opts": self.model._meta,
        }
        response = TemplateResponse(request, "admin/offices/apiclient/token.html", context)
        response["Cache-Control"] = "no-store"
        return response
