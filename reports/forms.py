"""Forms of the report pages: they validate and normalise; the views stay short."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from common.months import Month, MonthError
from inspections.forms import ReportForm
from offices.models import AdministrativeUnit, Office

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User
    from django.core.files.uploadedfile import UploadedFile
    from django.db.models import QuerySet


class MonthField(forms.CharField):
    """A "YYYY-MM" month between 2000 and the current month, cleaned to a Month."""

    widget = forms.DateInput(attrs={"type": "month", "min": "2000-01"})
    default_error_messages = {
        "invalid": _("Choose a month between January 2000 and the current month (YYYY-MM).")
    }

    # A CharField cleaned to a Month, not to a str: the override's return type differs.
    def to_python(self, value: Any) -> Month | None:  # type: ignore[override]
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        try:
            return Month.parse(value)
        except MonthError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None

    def prepare_value(self, value: Month | str | None) -> str | None:
        return str(value) if isinstance(value, Month) else value


def subject_choices(user: User | AnonymousUser) -> list[tuple[str, str]]:
    """Visible units that hold offices, then visible offices: two queries.

    The units holding offices are the prefixes of the offices' unit paths, looked up by
    the unique path index (a correlated `LIKE` per unit took seconds nationally).
    """
    offices = list(Office.objects.visible_to(user).values_list("pk", "name", "unit__path"))
    step = AdministrativeUnit.steplen
    prefixes = {path[:end] for _, _, path in offices for end in range(step, len(path) + 1, step)}
    units = AdministrativeUnit.objects.visible_to(user).filter(path__in=prefixes)
    choices = [
        (f"unit:{pk}", f"{'— ' * (depth - 1)}{name}")
        for pk, depth, name in units.values_list("pk", "depth", "name")
    ]
    choices += [(f"office:{pk}", f"⌂ {name}") for pk, name, _ in offices]
    return choices


class ReportPickForm(forms.Form):
    subject = forms.ChoiceField(label=_("Unit or office"))
    month = MonthField(label=_("Month"))

    def __init__(self, *args: Any, user: User | AnonymousUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        subject = self.fields["subject"]
        assert isinstance(subject, forms.ChoiceField)
        subject.choices = subject_choices(user)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def subject_key(self) -> tuple[str, int]:
        kind, pk = self.cleaned_data["subject"].split(":")
        return kind, int(pk)


class CommentSearchForm(forms.Form):
    q = forms.CharField(label=_("Search the comments"), max_length=100, required=False)
    page = forms.IntegerField(min_value=1, max_value=100_000, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.disable_csrf = True


class HideCommentForm(forms.Form):
    hidden = forms.BooleanField(required=False)
    next = forms.CharField(max_length=500, required=False)


class DossierImportForm(forms.Form):
    """A CSV of dossiers handled, checked against the offices the user manages."""

    csv_file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "UTF-8, first line month,office,dossiers_handled; office = office id or unit code."
        ),
    )

    def __init__(self, *args: Any, offices: QuerySet[Office], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.offices = offices
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_csv_file(self) -> UploadedFile:
        from reports.dossiers import DossierImportError, read_dossier_rows

        upload = self.cleaned_data["csv_file"]
        if upload.size > 2 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 2 MB."))
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(_("The file is not UTF-8 text.")) from None
        try:
            self.rows = read_dossier_rows(text.splitlines(), self.offices)
        except DossierImportError as exc:
            raise forms.ValidationError(exc.errors) from None
        return upload


class BeforeAfterForm(ReportForm):
    """Unit and period of the before/after page, among the units whose ratings the user
    may read (the inspections' own report offers the units the user may inspect)."""

    group = None  # type: ignore[assignment]  # no grouping on this page

    @staticmethod
    def units_for(user: User | AnonymousUser) -> QuerySet[AdministrativeUnit]:
        return AdministrativeUnit.objects.visible_to(user)
