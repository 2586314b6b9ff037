from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from offices.models import (
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
    StaffMember,
)


@admin.register(AdministrativeUnit)
class AdministrativeUnitAdmin(TreeAdmin):
    """The tree, shown indented (treebeard's TreeAdmin), searchable by code and name."""

    form = movenodeform_factory(AdministrativeUnit)
    list_display = ["name", "code", "level", "head_email"]
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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial["open_days"] = list(self.instance.open_days or "")

    def clean_open_days(self) -> str:
        return "".join(sorted(self.cleaned_data["open_days"]))


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
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
    inlines = [DeskInline, StaffInline]

    @admin.display(description=_("opening hours"))
    def opening_hours(self, office):
        days = ", ".join(str(WEEKDAY_NAMES[int(d)])[:3] for d in office.open_days)
        return f"{days} {office.opens_at:%H:%M}–{office.closes_at:%H:%M}"


class SessionHistoryInline(admin.TabularInline):
    """The latest counter sessions (the full history: Administration › Counter sessions)."""

    model = CounterSession
    extra = 0
    max_num = 0
    can_delete = False
    ordering = ["-started_at"]
    fields = ["staff", "desk", "started_at", "started_how", "ends_at", "end_reason"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("staff", "desk")

    @admin.display(description=_("ended"))
    def ends_at(self, session):
        return session.ends_at

    @admin.display(description=_("stopped because"))
    def end_reason(self, session):
        return session.end_reason or _("serving now")


@admin.register(Desk)
class DeskAdmin(admin.ModelAdmin):
    list_display = ["number", "name", "office", "is_active"]
    list_filter = ["is_active", "procedure_fields"]
    search_fields = ["number", "name", "office__name"]
    autocomplete_fields = ["office"]
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
class StaffMemberAdmin(admin.ModelAdmin):
    form = StaffMemberForm
    list_display = ["full_name", "title", "office", "desk", "thumbnail", "has_pin", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["full_name", "title", "office__name"]
    autocomplete_fields = ["office", "desk", "user"]
    inlines = [SessionHistoryInline]

    @admin.display(description=_("PIN set"), boolean=True)
    def has_pin(self, obj):
        return bool(obj.pin_hash)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if form.cleaned_data.get("remove_pin"):
            obj.set_pin("")
            AuditEvent.record(request, "staff.pin_removed", obj)
        elif form.cleaned_data.get("new_pin"):
            obj.set_pin(form.cleaned_data["new_pin"])
            AuditEvent.record(request, "staff.pin_set", obj)

    @admin.display(description=_("photo"))
    def thumbnail(self, obj):
        if not obj.photo:
            return "—"
        return format_html('<img src="{}" alt="" width="32" height="32">', obj.photo.url)


@admin.register(CounterSession)
class CounterSessionAdmin(admin.ModelAdmin):
    """Who served where and when: history per desk and per officer (read-only)."""

    list_display = ["staff", "desk", "office", "started_at", "started_how", "ends", "reason"]
    list_filter = ["started_how", "ended_how", "desk__office"]
    search_fields = ["staff__full_name", "desk__number", "desk__name", "desk__office__name"]
    date_hierarchy = "started_at"
    list_select_related = ["staff", "desk__office"]
    readonly_fields = [f.name for f in CounterSession._meta.fields]

    @admin.display(description=_("office"))
    def office(self, session):
        return session.desk.office

    @admin.display(description=_("ended"))
    def ends(self, session):
        return session.ends_at

    @admin.display(description=_("stopped because"))
    def reason(self, session):
        return session.end_reason or _("serving now")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    """Create an API client → its token, shown once; revoke; issue a new token."""

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

    def get_fields(self, request, obj=None):
        return self.fields + (self.readonly_fields if obj else [])

    @admin.display(description=_("status"))
    def status(self, client):
        return _("revoked") if client.revoked_at else _("active")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
            request._new_api_token = obj.issue_token()
        super().save_model(request, obj, form, change)
        AuditEvent.record(request, "api_client.changed" if change else "api_client.created", obj)

    def response_add(self, request, obj, post_url_continue=None):
        """Right after creating a client, show its token: the only time it is visible."""
        return self._token_page(request, [(obj, request._new_api_token)])

    @admin.action(description=_("Issue a new token (the old one stops working at once)"))
    def new_tokens(self, request, queryset):
        issued = []
        # A revoked client stays revoked: a new token for it would only look valid.
        for client in queryset.filter(revoked_at=None).select_related("unit"):
            issued.append((client, client.issue_token()))
            AuditEvent.record(request, "api_client.new_token", client)
        return self._token_page(request, issued)

    @admin.action(description=_("Revoke: refuse every request of the selected clients"))
    def revoke_clients(self, request, queryset):
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

    def _token_page(self, request, issued):
        context = {
            **self.admin_site.each_context(request),
            "title": _("API tokens"),
            "tokens": [{"client": client, "token": token} for client, token in issued],
            "opts": self.model._meta,
        }
        response = TemplateResponse(request, "admin/offices/apiclient/token.html", context)
        response["Cache-Control"] = "no-store"
        return response
