"""Admin for the question bank, versioned surveys, responses and kiosks.

KioskAdmin lives here, not in offices, because enrolment links and the kiosk's
rating flow belong to surveys (offices imports no other app).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from common.forms import posted
from common.qr import qr_svg
from offices.admin_scope import READ, ScopedAdmin, above_admin_units
from offices.models import ROLE_RANK, AuditEvent, Kiosk, KioskAssignment, Role, role_over
from surveys.forms import TextCorrectionForm
from surveys.models import (
    Answer,
    Choice,
    FlagReview,
    PublishError,
    Question,
    RefusedSubmission,
    Response,
    Survey,
    SurveyItem,
    SurveyVersion,
)

if TYPE_CHECKING:
    from datetime import datetime

    from django.contrib.admin.options import InlineModelAdmin, _FieldGroups
    from django.contrib.auth.models import AnonymousUser, User
    from django_stubs_ext import StrOrPromise

    from offices.models import Office

# --- Question bank ------------------------------------------------------------------


class ChoiceInline(ScopedAdmin, admin.TabularInline):
    scope_field = None
    """An answered question's choices are read-only: none added, changed or removed
    (other choices make a new question)."""

    model = Choice
    extra = 0
    fields = ["position", "code", "text_vi", "text_en", "text_fa"]

    def get_readonly_fields(self, request: HttpRequest, obj: Question | None = None) -> list[str]:
        # `fields` above is a list of names; the stubs type it as any field grouping.
        return self.fields if obj is not None and obj.is_answered else []  # type: ignore[return-value]

    def has_add_permission(self, request: HttpRequest, obj: Question | None = None) -> bool:
        return not (obj is not None and obj.is_answered)

    def has_delete_permission(self, request: HttpRequest, obj: Question | None = None) -> bool:
        return not (obj is not None and obj.is_answered)


# A core survey hangs under a unit, an extension under an office.
SURVEY_SCOPE = ("unit", "office__unit")


if TYPE_CHECKING:
    _ScopedBase = ScopedAdmin  # what the mixin below is mixed with, for the type checker
else:
    _ScopedBase = object


class ShowsCoreAbove(_ScopedBase):
    """Core surveys defined above an admin's unit apply to their offices: readable, not
    changeable (the subtree decides what may change)."""

    core_unit_lookup = "unit"

    def readable_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        own = self.subtree_q(request)
        if own is None:  # a superuser (get_queryset does not come here for one)
            return queryset
        return queryset.filter(own | above_admin_units(request.user, self.core_unit_lookup))


@admin.register(Question)
class QuestionAdmin(ScopedAdmin, admin.ModelAdmin):
    scope_field = None
    list_display = ["code", "text_vi", "kind", "factor", "reasons"]
    list_filter = ["kind", "factor"]
    search_fields = ["code", "text_vi", "text_en", "text_fa"]
    autocomplete_fields = ["reasons"]
    inlines = [ChoiceInline]
    fieldsets = [
        (None, {"fields": ["code", "kind", "factor", "reasons"]}),
        (_("Text"), {"fields": ["text_vi", "text_en", "text_fa"]}),
    ]

    change_form_template = "admin/surveys/question/change_form.html"

    def get_readonly_fields(self, request: HttpRequest, obj: Question | None = None) -> list[str]:
        # Once answered, everything a question says is what its answers mean: new wording
        # is a new question; a typo is fixed on the correction page (audited).
        if obj is not None and obj.is_answered:
            return ["code", "kind", "factor", "reasons", "text_vi", "text_en", "text_fa"]
        return []

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """Below an answered question: its corrections (old and new wording) and, for those
        who may change it, the way to correct a typo."""
        question = self.get_object(request, object_id)
        extra = {**(extra_context or {})}
        if question.is_answered:
            extra["corrections"] = question.corrections()
            if self.has_change_permission(request, question):
                extra["correct_url"] = reverse("admin:surveys_question_correct", args=[question.pk])
        return super().change_view(request, object_id, form_url, extra)

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<path:object_id>/correct/",
                self.admin_site.admin_view(self.correct_view),
                name="surveys_question_correct",
            ),
            *super().get_urls(),
        ]

    def correct_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Fix a typo in one translation of an answered question: the kind, factor and
        choices stay; the old wording stays in the history (an audit event each)."""
        question = self.get_object(request, object_id)
        if not self.has_change_permission(request, question):
            raise PermissionDenied
        if not question.is_answered:
            messages.info(request, _("Not answered yet: edit its wording in the form."))
            return redirect("admin:surveys_question_change", question.pk)
        form = TextCorrectionForm(posted(request), question=question)
        if request.method == "POST" and form.is_valid():
            question.correct_text(
                form.cleaned_data["language"],
                form.cleaned_data["text"],
                by=request,
                reason=form.cleaned_data["reason"],
            )
            messages.success(request, _("The wording was corrected; the old one is kept below."))
            return redirect("admin:surveys_question_change", question.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Correct the wording of %(code)s") % {"code": question.code},
            "question": question,
            "form": form,
            "corrections": question.corrections(),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/surveys/question/correct.html", context)


# --- Surveys and versions ---------------------------------------------------------------


STATUS_LABELS = {
    "draft": _("Draft (not shown anywhere)"),
    "scheduled": _("Published from a later date"),
    "current": _("Published: in force now"),
    "superseded": _("Published earlier, replaced by a newer version"),
}


def may_publish(user: User | AnonymousUser, survey: Survey) -> bool:
    """Only someone with the admin role over the survey's unit (or a superuser)."""
    unit = survey.unit or survey.office.unit  # type: ignore[union-attr]
    role = role_over(user, unit)
    return role is not None and ROLE_RANK[role] >= ROLE_RANK[Role.ADMIN]


class VersionInline(ScopedAdmin, admin.TabularInline):
    scope_field = tuple(f"survey__{field}" for field in SURVEY_SCOPE)
    """The survey's versions — drafts, the one in force, its history — read-only."""

    model = SurveyVersion
    extra = 0
    fields = ["link", "state", "published_at", "published_by", "note", "created_at"]
    readonly_fields = fields  # type: ignore[assignment]
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Survey | None = None) -> bool:
        return False

    @admin.display(description=_("version"))
    def link(self, version: SurveyVersion) -> SafeString:
        url = reverse("admin:surveys_surveyversion_change", args=[version.pk])
        return format_html('<a href="{}">v{}</a>', url, version.number)

    @admin.display(description=_("status"))
    def state(self, version: SurveyVersion) -> StrOrPromise:
        return STATUS_LABELS[version.status()]


@admin.register(Survey)
class SurveyAdmin(ShowsCoreAbove, ScopedAdmin, admin.ModelAdmin):
    scope_field = SURVEY_SCOPE
    list_display = ["name", "code", "variant", "unit", "office", "is_active", "versions_link"]
    list_filter = ["variant", "is_active"]
    search_fields = ["code", "name", "unit__name", "office__name"]
    autocomplete_fields = ["unit", "office"]
    inlines = [VersionInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Survey]:
        return super().get_queryset(request).select_related("unit", "office")

    @admin.display(description=_("versions"))
    def versions_link(self, survey: Survey) -> SafeString:
        url = reverse("admin:surveys_surveyversion_changelist") + f"?survey__id__exact={survey.pk}"
        return format_html('<a href="{}">{}</a>', url, _("versions"))

    def save_model(
        self, request: HttpRequest, obj: Survey, form: ModelForm[Survey], change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        if not change:  # a new survey starts with an empty, editable version 1
            SurveyVersion.objects.create(survey=obj, number=1, note=str(_("First version")))


class ItemInline(ScopedAdmin, admin.TabularInline):
    scope_field = tuple(f"version__survey__{field}" for field in SURVEY_SCOPE)
    model = SurveyItem
    extra = 0
    fields = ["position", "question", "required"]
    autocomplete_fields = ["question"]
    ordering = ["position", "pk"]


@admin.register(SurveyVersion)
class SurveyVersionAdmin(ShowsCoreAbove, ScopedAdmin, admin.ModelAdmin):
    scope_field = tuple(f"survey__{field}" for field in SURVEY_SCOPE)
    core_unit_lookup = "survey__unit"
    """A version with responses is frozen: shown read-only, with "create a new version"."""

    list_display = ["__str__", "survey", "number", "state", "published_at", "item_count", "frozen"]
    list_filter = ["survey__variant", "survey"]
    search_fields = ["survey__name", "survey__code", "note"]
    inlines = [ItemInline]
    actions = ["create_new_version"]
    change_form_template = "admin/surveys/surveyversion/change_form.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[SurveyVersion]:
        return (
            super()
            .get_queryset(request)
            .select_related("survey")
            .annotate(
                n_items=Count("items", distinct=True),
                has_responses=Exists(
                    Response.objects.filter(
                        Q(survey_version=OuterRef("pk")) | Q(extension_version=OuterRef("pk"))
                    )
                ),
            )
        )

    def get_readonly_fields(
        self, request: HttpRequest, obj: SurveyVersion | None = None
    ) -> list[str]:
        return ["survey", "number", "published_at", "published_by"] if obj else []

    def get_exclude(self, request: HttpRequest, obj: SurveyVersion | None = None) -> list[str]:
        return [] if obj else ["published_at", "published_by"]  # a new version is a draft

    @admin.display(description=_("questions"))
    def item_count(self, version: SurveyVersion) -> int:
        return version.n_items  # type: ignore[attr-defined]  # annotated by get_queryset

    @admin.display(description=_("frozen"), boolean=True)
    def frozen(self, version: SurveyVersion) -> bool:
        return version.has_responses or version.published_at is not None  # type: ignore[attr-defined]  # annotated by get_queryset

    @admin.display(description=_("status"))
    def state(self, version: SurveyVersion) -> StrOrPromise:
        return STATUS_LABELS[version.status()]

    def has_change_permission(self, request: HttpRequest, obj: SurveyVersion | None = None) -> bool:
        if obj is not None and obj.is_frozen:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: SurveyVersion | None = None) -> bool:
        if obj is not None and obj.is_frozen:
            return False
        return super().has_delete_permission(request, obj)

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:version_id>/publish/",
                self.admin_site.admin_view(self.publish_view),
                name="surveys_surveyversion_publish",
            ),
            path(
                "<int:version_id>/new-version/",
                self.admin_site.admin_view(self.new_version_view),
                name="surveys_surveyversion_new_version",
            ),
            *super().get_urls(),
        ]

    def new_version_view(self, request: HttpRequest, version_id: int) -> HttpResponseRedirect:
        """POST: copy this version into the next number and open it for editing."""
        version = get_object_or_404(self.get_queryset(request), pk=version_id)
        if request.method != "POST":
            return redirect("admin:surveys_surveyversion_change", version_id)
        if not (self.has_add_permission(request) and self.in_subtree(request, version)):
            raise PermissionDenied
        successor = version.new_version(note=str(_("Copied from v%(n)s") % {"n": version.number}))
        AuditEvent.record(request, "survey.new_version", successor)
        self.message_user(
            request,
            _("Version %(n)s created from version %(old)s; edit it below.")
            % {"n": successor.number, "old": version.number},
            messages.SUCCESS,
        )
        return redirect("admin:surveys_surveyversion_change", successor.pk)

    def publish_view(self, request: HttpRequest, version_id: int) -> HttpResponseRedirect:
        """POST: put a draft in force, now or from `publish_from`; admin role only."""
        version = get_object_or_404(self.get_queryset(request), pk=version_id)
        if request.method != "POST":
            return redirect("admin:surveys_surveyversion_change", version_id)
        if not may_publish(request.user, version.survey):
            raise PermissionDenied
        try:
            at = _publish_from(request.POST.get("publish_from", ""), version)
            version.publish(by=request.user, at=at)
        except PublishError as error:
            self.message_user(request, error.message, messages.ERROR)
        else:
            AuditEvent.record(
                request,
                "survey.published",
                version,
                at=version.published_at.isoformat(),  # type: ignore[union-attr]  # set by publish()
            )
            self.message_user(
                request,
                _("Version %(n)s is published from %(at)s.")
                % {
                    "n": version.number,
                    "at": timezone.localtime(version.published_at).strftime("%Y-%m-%d %H:%M"),
                },
                messages.SUCCESS,
            )
        return redirect("admin:surveys_surveyversion_change", version_id)

    @admin.action(
        description=_("Create a new version (copy of the selected one)"), permissions=["add"]
    )
    def create_new_version(self, request: HttpRequest, queryset: QuerySet[SurveyVersion]) -> None:
        created = [version.new_version() for version in queryset]
        self.message_user(
            request,
            ngettext("%(n)d new version created.", "%(n)d new versions created.", len(created))
            % {"n": len(created)},
            messages.SUCCESS,
        )

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: SurveyVersion | None = None,
    ) -> HttpResponse:
        if obj is not None:
            context["preview_url"] = reverse("surveys:kiosk_preview", args=[obj.pk])
            context["new_version_url"] = reverse(
                "admin:surveys_surveyversion_new_version", args=[obj.pk]
            )
            context["is_frozen"] = obj.is_frozen
            context["publication"] = {
                "status_label": STATUS_LABELS[obj.status()],
                "is_draft": obj.is_draft,
                "can_publish": obj.is_draft and may_publish(request.user, obj.survey),
                "url": reverse("admin:surveys_surveyversion_publish", args=[obj.pk]),
            }
        return super().render_change_form(request, context, add, change, form_url, obj)


def _publish_from(text: str, version: SurveyVersion) -> datetime | None:
    """The optional start (a local date and time from the form), or None for now."""
    from datetime import datetime

    if not text:
        return None
    try:
        naive = datetime.fromisoformat(text)
    except ValueError:
        raise PublishError(_("Give the start as a date and time, e.g. 2026-07-01 07:30.")) from None
    zone = version.survey.office.tz if version.survey.office_id else timezone.get_current_timezone()  # type: ignore[union-attr]
    return timezone.make_aware(naive, zone) if timezone.is_naive(naive) else naive


# --- Responses (read-only: they are evidence) ------------------------------------------


class AnswerInline(ScopedAdmin, admin.TabularInline):
    scope_field = "response__office__unit"
    delegated = READ
    model = Answer
    extra = 0
    fields = ["question", "score", "choice", "text", "is_hidden"]
    readonly_fields = ["question", "score", "choice", "text"]
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Response | None = None) -> bool:
        return False


@admin.register(Response)
class ResponseAdmin(ScopedAdmin, admin.ModelAdmin):
    scope_field = "office__unit"
    delegated = READ
    list_display = ["submitted_at", "office", "desk", "channel", "language", "is_misuse"]
    list_filter = ["channel", "is_misuse", "arrived_late", "language"]
    search_fields = ["id", "office__name", "dossier_code", "misuse_reason"]
    date_hierarchy = "submitted_at"
    list_select_related = ["office", "desk"]
    inlines = [AnswerInline]
    readonly_fields = [f.name for f in Response._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Response | None = None) -> bool:
        return False


@admin.register(RefusedSubmission)
class RefusedSubmissionAdmin(ScopedAdmin, admin.ModelAdmin):
    scope_field = "kiosk__office__unit"
    delegated = READ
    """Ratings a kiosk sent that the server refused for good: evidence, read-only."""

    list_display = ["refused_at", "kiosk", "rating_id", "code", "field", "reported_at"]
    list_filter = ["code", "kiosk"]
    search_fields = ["rating_id", "code", "message", "kiosk__name"]
    list_select_related = ["kiosk__office"]
    date_hierarchy = "refused_at"
    readonly_fields = [f.name for f in RefusedSubmission._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: RefusedSubmission | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: RefusedSubmission | None = None
    ) -> bool:
        return False


@admin.register(FlagReview)
class FlagReviewAdmin(ScopedAdmin, admin.ModelAdmin):
    """Managers' decisions on flagged ratings (made on the flag review page): evidence,
    read-only for everyone, superusers included, since history never changes."""

    scope_field = "response__office__unit"
    delegated = READ
    list_display = ["reviewed_at", "decision", "office", "flag_reason", "reviewed_by"]
    list_filter = ["decision"]
    search_fields = ["response__id", "reason", "flag_reason", "response__office__name"]
    list_select_related = ["response__office", "reviewed_by"]
    date_hierarchy = "reviewed_at"
    readonly_fields = [f.name for f in FlagReview._meta.fields]

    @admin.display(description=_("office"), ordering="response__office__name")
    def office(self, review: FlagReview) -> Office:
        return review.response.office

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: FlagReview | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: FlagReview | None = None) -> bool:
        return False


# --- Kiosks -------------------------------------------------------------------------------


class AssignmentInline(ScopedAdmin, admin.TabularInline):
    scope_field = "kiosk__office__unit"
    """Where the kiosk has been: written when its office or desk changes, never edited."""

    model = KioskAssignment
    extra = 0
    fields = ["office", "desk", "valid_from", "valid_until"]
    readonly_fields = fields  # type: ignore[assignment]
    can_delete = False
    ordering = ["-valid_from"]

    def has_add_permission(self, request: HttpRequest, obj: Kiosk | None = None) -> bool:
        return False


@admin.register(Kiosk)
class KioskAdmin(ScopedAdmin, admin.ModelAdmin):
    scope_field = "office__unit"
    """Create a kiosk → its one-time enrolment link and QR code; revoke; rotate."""

    list_display = ["name", "office", "desk", "status", "seen", "queue", "refused", "idle_seconds"]
    list_filter = ["office__unit__level"]
    search_fields = ["name", "office__name", "office__unit__name"]
    list_select_related = ["office", "desk"]
    autocomplete_fields = ["office", "desk"]
    actions = ["rotate_credentials", "revoke_credentials"]
    fields = ["office", "desk", "name", "idle_seconds", "min_seconds_between_ratings"]

    def get_inlines(
        self, request: HttpRequest, obj: Kiosk | None
    ) -> list[type[InlineModelAdmin[Any, Any]]]:
        return [AssignmentInline] if obj is not None else []  # a new kiosk has no history yet

    readonly_fields = [
        "enrolled_at",
        "revoked_at",
        "last_seen_at",
        "last_heard_at",
        "queue_length",
        "queue_reported_at",
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Kiosk]:
        return (
            super()
            .get_queryset(request)
            .annotate(refused_count=Count("refused_submissions", distinct=True))
        )

    @admin.display(description=_("waiting on the device"), ordering="queue_length")
    def queue(self, kiosk: Kiosk) -> str | int:
        return "—" if kiosk.queue_length is None else kiosk.queue_length

    @admin.display(description=_("refused ratings"), ordering="refused_count")
    def refused(self, kiosk: Kiosk) -> int | SafeString:
        if not kiosk.refused_count:  # type: ignore[attr-defined]  # annotated by get_queryset
            return 0
        url = (
            reverse("admin:surveys_refusedsubmission_changelist") + f"?kiosk__id__exact={kiosk.pk}"
        )
        return format_html('<a href="{}">{}</a>', url, kiosk.refused_count)  # type: ignore[attr-defined]

    def get_fields(self, request: HttpRequest, obj: Kiosk | None = None) -> _FieldGroups:
        return self.fields + (self.readonly_fields if obj else [])

    @admin.display(description=_("status"))
    def status(self, kiosk: Kiosk) -> StrOrPromise:
        if kiosk.revoked_at:
            return _("revoked")
        if kiosk.is_enrolled:
            return _("enrolled")
        return _("waiting for enrolment")

    @admin.display(description=_("last seen"), ordering="last_seen_at")
    def seen(self, kiosk: Kiosk) -> str:
        when = (
            timezone.localtime(kiosk.last_seen_at).strftime("%Y-%m-%d %H:%M")
            if kiosk.last_seen_at
            else "—"
        )
        if kiosk.is_silent():
            return format_html(
                '<strong class="kiosk-silent">⚠ {} · {}</strong>', when, _("silent > 15 min")
            )
        return when

    def response_add(
        self, request: HttpRequest, obj: Kiosk, post_url_continue: str | None = None
    ) -> TemplateResponse:
        """Right after creating a kiosk, show its enrolment link and QR code."""
        return self._enrolment_page(request, [obj])

    @admin.action(
        description=_("Rotate credential: new enrolment link (the device must re-enrol)"),
        permissions=["change"],
    )
    def rotate_credentials(
        self, request: HttpRequest, queryset: QuerySet[Kiosk]
    ) -> TemplateResponse:
        return self._enrolment_page(request, list(queryset.select_related("office", "desk")))

    @admin.action(
        description=_("Revoke credential: refuse ratings from the selected kiosks"),
        permissions=["change"],
    )
    def revoke_credentials(self, request: HttpRequest, queryset: QuerySet[Kiosk]) -> None:
        for kiosk in queryset:
            kiosk.revoke()
            AuditEvent.record(request, "kiosk.revoked", kiosk)
        self.message_user(
            request,
            ngettext("%(n)d kiosk revoked.", "%(n)d kiosks revoked.", len(queryset))
            % {"n": len(queryset)},
            messages.SUCCESS,
        )

    def _enrolment_page(self, request: HttpRequest, kiosks: list[Kiosk]) -> TemplateResponse:
        links = []
        for kiosk in kiosks:
            token = kiosk.rotate()
            AuditEvent.record(request, "kiosk.enrolment_link", kiosk)
            url = request.build_absolute_uri(reverse("surveys:kiosk_enrol", args=[token]))
            links.append({"kiosk": kiosk, "url": url, "qr": qr_svg(url, scale=5)})
        context = {
            **self.admin_site.each_context(request),
            "title": _("Enrolment links"),
            "links": links,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/surveys/kiosk/enrolment.html", context)
