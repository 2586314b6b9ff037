"""Forms: the citizen's phone rating (built from a survey version) and the receipt QR."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Field, Layout, Submit
from django import forms
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from common.forms import field_of
from offices.models import Desk, Office, StaffMember
from surveys.models import NO, SCALE_LABELS, YES, FlagDecision, QuestionKind, Response
from surveys.submission import (
    MAX_TEXT_CHARS,
    QuestionSpec,
    SubmissionError,
    VersionSpec,
    build_answers,
)
from surveys.tokens import FormToken

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from common.months import Month
    from surveys.models import Answer, Question

HONEYPOT = "website"


def _field_for(question: QuestionSpec, language: str) -> forms.Field:
    label = question.text(language)
    required = question.required
    if question.kind == QuestionKind.SCALE5:
        scores = [(str(score), SCALE_LABELS[score]) for score in (5, 4, 3, 2, 1)]
        return forms.TypedChoiceField(
            label=label, choices=scores, coerce=int, required=required, widget=forms.RadioSelect
        )
    if question.kind == QuestionKind.YESNO:
        yes_no = [(str(YES), _("Yes")), (str(NO), _("No"))]
        return forms.TypedChoiceField(
            label=label, choices=yes_no, coerce=int, required=required, widget=forms.RadioSelect
        )
    choices = [(c.code, c.texts.get(language) or c.texts["vi"]) for c in question.choices]
    if question.kind == QuestionKind.CHOICE:
        return forms.ChoiceField(
            label=label, choices=choices, required=required, widget=forms.RadioSelect
        )
    if question.kind == QuestionKind.MULTI:
        return forms.MultipleChoiceField(
            label=label,
            choices=choices,
            required=required,
            widget=forms.CheckboxSelectMultiple,
            help_text=_("Optional: choose all that apply.") if not required else "",
        )
    return forms.CharField(
        label=label,
        required=required,
        max_length=MAX_TEXT_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RatingForm(forms.Form):
    """One page with every question of the version(s): works on any phone, without JS.

    A reasons question (asked on the kiosk only after a low answer) appears after
    the item that points to it, marked optional. Validation of the answers is the
    kiosk's (`build_answers`), so both channels accept exactly the same ratings.
    """

    form_token = forms.CharField(widget=forms.HiddenInput)
    # Honeypot: hidden from people (CSS and aria-hidden), filled in by naive bots.
    website = forms.CharField(
        required=False,
        label=_("Leave this field empty"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(
        self,
        *args: Any,
        specs: list[VersionSpec],
        token: FormToken,
        staff_choices: QuerySet[StaffMember] | None,
        **kw: Any,
    ) -> None:
        super().__init__(*args, **kw)
        self.specs = specs
        self.token = token
        self.language = (get_language() or "vi")[:2]
        self.answers: list[Answer] = []
        self.initial["form_token"] = token.dumps()
        self.question_fields: list[str] = []
        if staff_choices:
            self.fields["staff"] = forms.ModelChoiceField(
                queryset=staff_choices,
                required=False,
                label=_("Who served you? (optional)"),
                empty_label=_("I don't know"),
            )
        for code in self._question_codes():
            name = f"q_{code}"
            self.fields[name] = _field_for(self._question(code), self.language)
            self.question_fields.append(name)
        self.helper = FormHelper()
        self.helper.form_tag = True
        self.helper.layout = Layout(
            "form_token",
            Div(Field(HONEYPOT), css_class="hp-field", aria_hidden="true"),
            *(["staff"] if staff_choices else []),
            *(Div(Field(name), css_class="rating-question") for name in self.question_fields),
        )
        self.helper.add_input(Submit("send", _("Send my rating"), css_class="btn-lg w-100"))

    def _question(self, code: str) -> QuestionSpec:
        for spec in self.specs:
            if code in spec.questions:
                return spec.questions[code]
        raise KeyError(code)

    def _question_codes(self) -> list[str]:
        """Items in order, then the reasons questions they point to, then free text:
        on one page, "what went wrong?" reads best just before the comment box."""
        items: list[str] = []
        reasons: list[str] = []
        for spec in self.specs:
            items.extend(spec.order)
            for code in spec.order:
                linked = spec.questions[code].reasons
                if linked and linked in spec.questions and linked not in reasons + items:
                    reasons.append(linked)
        codes = items + [c for c in reasons if c not in items]
        texts = [c for c in codes if self._question(c).kind == QuestionKind.TEXT]
        return [c for c in codes if c not in texts] + texts

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get(HONEYPOT):
            raise forms.ValidationError(
                _("Your rating could not be accepted. Please try again."), code="bot"
            )
        # A form sent faster than a person can read it is stored flagged, not refused
        # (surveys/phone_misuse.py): a rating is never lost, only set aside.
        if self.errors:
            return cleaned
        values = {name[2:]: cleaned.get(name) for name in self.question_fields}
        try:
            self.answers = build_answers(self.specs, values, self.language)
        except SubmissionError as error:
            field = f"q_{error.field}"
            self.add_error(field if field in self.fields else None, error.message)
        return cleaned

    def to_response(self, office: Office, desk: Desk | None, **fields: Any) -> Response:
        now = timezone.now()
        staff = self.cleaned_data.get("staff")
        return Response(
            id=self.token.rating_id,
            survey_version_id=self.specs[0].id,
            extension_version_id=self.specs[1].id if len(self.specs) > 1 else None,
            office=office,
            desk=desk or (staff.desk if staff and staff.desk_id else None),
            staff=staff,
            channel=self.token.channel,
            language=self.language,
            started_at=now - timedelta(seconds=self.token.seconds_open()),
            submitted_at=now,
            **fields,
        )


dossier_code_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$",
    _("Use letters, digits and . _ / - only (at most 64 characters)."),
)


class ReceiptForm(forms.Form):
    """An official makes the QR code printed on one dossier's receipt."""

    dossier_code = forms.CharField(
        label=_("Dossier code"),
        max_length=64,
        validators=[dossier_code_validator],
        help_text=_("The code printed on the receipt, e.g. 000.00.18.H26-250701-0001."),
    )
    desk = forms.ModelChoiceField(
        queryset=Desk.objects.none(), required=False, label=_("Desk"), empty_label=_("Any desk")
    )

    def __init__(self, *args: Any, office: Office, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        desks = office.desks.filter(is_active=True)
        field_of(self, "desk", forms.ModelChoiceField).queryset = desks
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.add_input(Submit("make", _("Make the receipt QR code")))


def staff_choices(office: Office, desk: Desk | None) -> QuerySet[StaffMember] | None:
    people = StaffMember.objects.filter(office=office, is_active=True)
    if desk is not None:
        people = people.filter(desk=desk)
    return people if people.exists() else None


class TextCorrectionForm(forms.Form):
    """A typo fixed in one translation of an answered question; the meaning stays."""

    language = forms.ChoiceField(
        label=_("Language"),
        choices=[("vi", "Tiếng Việt"), ("en", "English"), ("fa", "فارسی")],
    )
    text = forms.CharField(label=_("Corrected wording"), widget=forms.Textarea(attrs={"rows": 3}))
    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        help_text=_("What was wrong, for the history (for example: a missing accent)."),
    )

    def __init__(self, *args: Any, question: Question, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.question = question
        self.fields["text"].initial = question.text_vi

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        language, text = cleaned.get("language"), (cleaned.get("text") or "").strip()
        if language and text and text == getattr(self.question, f"text_{language}"):
            raise forms.ValidationError(_("This is the wording already: nothing to correct."))
        cleaned["text"] = text
        return cleaned


class FlagFilterForm(forms.Form):
    """The flag review list's filters: office, kind of reason, month, flagged or lifted."""

    office = forms.ModelChoiceField(
        queryset=Office.objects.none(), required=False, label=_("Office"), empty_label=_("All")
    )
    reason = forms.ChoiceField(required=False, label=_("Reason"))
    month = forms.CharField(
        required=False,
        label=_("Month"),
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"}),
    )
    state = forms.ChoiceField(
        required=False,
        label=_("Show"),
        choices=[("", _("Flagged (excluded)")), ("lifted", _("Lifted (counted)"))],
    )

    def __init__(self, *args: Any, offices: QuerySet[Office], **kwargs: Any) -> None:
        from surveys.flags import KIND_CHOICES

        super().__init__(*args, **kwargs)
        field_of(self, "office", forms.ModelChoiceField).queryset = offices.order_by("name")
        field_of(self, "reason", forms.ChoiceField).choices = [("", _("All")), *KIND_CHOICES]
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.form_class = "row g-2 align-items-end"
        self.helper.layout = Layout(
            *(Div(Field(name), css_class="col-12 col-sm-6 col-lg-3") for name in self.fields)
        )
        self.helper.add_input(Submit("filter", _("Filter"), css_class="ms-2"))

    def clean_month(self) -> Month | None:
        from common.months import Month, MonthError

        text = self.cleaned_data["month"].strip()
        if not text:
            return None
        try:
            return Month.parse(text)
        except MonthError:
            raise forms.ValidationError(_("Use a month such as 2026-03.")) from None


class FlagReviewForm(forms.Form):
    """Confirm or lift a flag: the decision is the button pressed, the reason required."""

    decision = forms.ChoiceField(choices=FlagDecision.choices, widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Reason for your decision"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required: it is kept with the rating and in the audit log."),
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Say why."))
        return reason
