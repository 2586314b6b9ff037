"""Forms of the suggestion book: the citizen's form, the officials' actions and list filters."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Field, Layout, Submit
from django import forms
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from offices.models import Office
from suggestions.models import Category, Channel, Status, Suggestion, normalise_code

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.db.models import QuerySet

_STARTED_SALT = "suggestions.form-started"
_PHONE_SEPARATORS = re.compile(r"[\s().\-]")
_PHONE = re.compile(r"^\+?\d{8,15}$")


def form_started_token() -> str:
    """A signed 'the form was shown at' time: a script that posts at once is caught."""
    return signing.Signer(salt=_STARTED_SALT).sign(f"{time.time():.3f}")


def seconds_since(token: str) -> float | None:
    try:
        shown_at = float(signing.Signer(salt=_STARTED_SALT).unsign(token or ""))
    except (signing.BadSignature, ValueError):
        return None
    return time.time() - shown_at


class OfficeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Office) -> str:
        return obj.name


class SuggestionForm(forms.ModelForm):
    """What a citizen writes, to one office fixed before the form is shown."""

    contact_consent = forms.BooleanField(
        required=False,
        label=_(
            "I agree that the office may contact me about this suggestion "
            "at the phone number or e-mail above."
        ),
    )
    # A field people never see (hidden by CSS, skipped by keyboard and screen readers);
    # scripts that fill every input fill it too.
    website = forms.CharField(
        required=False,
        label=_("Leave this field empty"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    started = forms.CharField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Suggestion
        fields = ["office", "category", "text", "name", "contact", "contact_consent"]
        field_classes = {"office": OfficeChoiceField}
        labels = {
            "office": _("Office"),
            "category": _("What is it about?"),
            "text": _("Your suggestion"),
            "name": _("Your name (optional)"),
            "contact": _("Phone or e-mail (optional)"),
        }
        help_texts = {
            "contact": _("Only if you want the office to contact you. It is never shown publicly."),
        }
        widgets = {
            "category": forms.RadioSelect,
            "text": forms.Textarea(attrs={"rows": 5, "maxlength": 2000}),
            "name": forms.TextInput(attrs={"autocomplete": "name"}),
            "contact": forms.TextInput(attrs={"autocomplete": "tel"}),
        }

    def __init__(
        self, *args: Any, locked_office: Office, large: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = Category.choices  # type: ignore[attr-defined]
        self.fields["text"].error_messages["required"] = _("Please write your suggestion.")
        # The office is always chosen before the form (its link, kiosk or QR poster, or the
        # chooser): the page names it above the form, and a posted value cannot move it.
        self.fields["office"].queryset = Office.objects.filter(pk=locked_office.pk)  # type: ignore[attr-defined]
        self.fields["office"].initial = locked_office.pk
        self.fields["office"].disabled = True
        self.fields["office"].widget = forms.HiddenInput()
        self.fields["started"].initial = form_started_token()
        size = "form-control-lg" if large else ""
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            "office",
            "category",
            Field("text", css_class=size),
            Field("name", css_class=size),
            Field("contact", css_class=size),
            "contact_consent",
            Div("website", css_class="sg-hp", aria_hidden="true"),
            "started",
        )

    def refresh_started(self) -> None:
        """Shown again after an error: the time check starts over, the text stays."""
        data = self.data.copy()  # type: ignore[attr-defined]  # a QueryDict when bound
        data["started"] = form_started_token()
        self.data = data

    def clean_text(self) -> str:
        text = self.cleaned_data["text"].strip()
        if len(text) < 5:
            raise ValidationError(_("Please write a little more (at least 5 characters)."))
        return text

    def clean_name(self) -> str:
        return " ".join(self.cleaned_data["name"].split())

    def clean_contact(self) -> str:
        contact = self.cleaned_data["contact"].strip()
        if not contact:
            return ""
        if "@" in contact:
            try:
                validate_email(contact)
            except ValidationError:
                raise ValidationError(_("This e-mail address does not look right.")) from None
            return contact.lower()
        phone = _PHONE_SEPARATORS.sub("", contact)
        if not _PHONE.match(phone):
            raise ValidationError(
                _("Give a phone number (8 to 15 digits) or an e-mail address, or leave it empty.")
            )
        return phone

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("website"):
            raise ValidationError(_("This form could not be accepted. Please try again."))
        elapsed = seconds_since(cleaned.get("started", ""))
        if elapsed is None or elapsed > settings.SUGGESTIONS["FORM_MAX_AGE_SECONDS"]:
            raise ValidationError(
                _("This form was open too long or could not be checked. Please send it again.")
            )
        if elapsed < settings.SUGGESTIONS["MIN_FILL_SECONDS"]:
            raise ValidationError(
                _("That was very quick. Please check your suggestion and send it again.")
            )
        if cleaned.get("contact") and not cleaned.get("contact_consent"):
            self.add_error(
                "contact_consent",
                _(
                    "You gave a phone number or e-mail: tick this box to let the office "
                    "contact you, or remove them."
                ),
            )
        if not cleaned.get("contact"):
            cleaned["contact_consent"] = False
        return cleaned


class TrackForm(forms.Form):
    code = forms.CharField(
        label=_("Tracking code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "placeholder": "ABCD-2345",
                "class": "form-control-lg sg-code-input",
            }
        ),
    )

    def clean_code(self) -> str:
        code = normalise_code(self.cleaned_data["code"])
        if code is None:
            raise ValidationError(
                _("A tracking code has 8 letters and digits, like ABCD-2345. Check it and retry.")
            )
        return code


# --- Officials ---------------------------------------------------------------------


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=_("Reply to the citizen"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The citizen reads it with their tracking code."),
    )
    public = forms.BooleanField(
        label=_("Also publish the suggestion and this reply on the office's public board"),
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout("text", "public")

    def clean_text(self) -> str:
        text = self.cleaned_data["text"].strip()
        if not text:
            raise ValidationError(_("Write the reply first."))
        return text


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        full = obj.get_full_name()
        return f"{full} ({obj.get_username()})" if full else obj.get_username()


class AssignForm(forms.Form):
    assignee = UserChoiceField(
        label=_("Assign to"),
        queryset=None,
        required=False,
        empty_label=_("Nobody"),
    )

    def __init__(self, *args: Any, suggestion: Suggestion, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = suggestion.colleagues()  # type: ignore[attr-defined]
        self.fields["assignee"].initial = suggestion.assignee_id
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout("assignee")


class PublishForm(forms.Form):
    public = forms.BooleanField(required=False, widget=forms.HiddenInput)


AGE_CHOICES = [
    ("", _("Any time")),
    ("7", _("Last 7 days")),
    ("30", _("Last 30 days")),
    ("older", _("More than 30 days ago")),
]


class SuggestionFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *Status.choices]
    )
    office = OfficeChoiceField(
        label=_("Office"), queryset=None, required=False, empty_label=_("All my offices")
    )
    category = forms.ChoiceField(
        label=_("Category"),
        required=False,
        choices=[("", _("Any category")), *Category.choices],
    )
    age = forms.ChoiceField(label=_("Received"), required=False, choices=AGE_CHOICES)
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("Any channel")), *Channel.choices]
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    mine = forms.BooleanField(label=_("Assigned to me"), required=False)

    def __init__(self, *args: Any, offices: QuerySet[Office], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        office = self.fields["office"]
        assert isinstance(office, forms.ModelChoiceField)
        office.queryset = offices
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.form_class = "row g-2 align-items-end sg-filters"
        self.helper.layout = Layout(
            Div("status", css_class="col-6 col-md-4 col-lg-2"),
            Div("office", css_class="col-12 col-md-8 col-lg-4"),
            Div("category", css_class="col-6 col-md-4 col-lg-2"),
            Div("age", css_class="col-6 col-md-4 col-lg-2"),
            Div("channel", css_class="col-6 col-md-4 col-lg-2"),
            Div(
                "overdue",
                "mine",
                Submit("", _("Filter"), css_class="btn-secondary"),
                HTML(format_html('<a class="btn btn-link" href="?">{}</a>', _("Clear filters"))),
                css_class="col-12 d-flex flex-wrap align-items-center gap-3",
            ),
        )
