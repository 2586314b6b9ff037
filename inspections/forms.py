"""Entry forms (crispy) for inspections and cases, and the filter forms of the register
and the report. Forms validate and normalise; views stay short."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Literal

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.forms import field_of
from inspections.models import (
    ATTACHMENT_MAX_BYTES,
    EARLIEST_DATE,
    DisciplinaryCase,
    InspectingLevel,
    Inspection,
    InspectionKind,
    readable_units,
    recordable_units,
)
from offices.models import Office, StaffMember

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User
    from django.core.files import File
    from django.db.models import QuerySet
    from django_stubs_ext import StrOrPromise

    from inspections.models import InspectionQuerySet
    from offices.models import AdministrativeUnit

LATEST_DATE = date(2100, 12, 31)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, unit: AdministrativeUnit) -> str:
        # Indent by depth so the tree reads as a tree in a plain <select>.
        return "\u2003" * max(unit.depth - 1, 0) + f"{unit.name} ({unit.code})"


class OfficeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, office: Office) -> str:
        return f"{office.name} · {office.unit.name}"


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, staff: StaffMember) -> str:
        return f"{staff.full_name} · {staff.office.name}"


class InspectionForm(forms.ModelForm):
    unit = UnitChoiceField(
        queryset=None,
        required=False,
        label=_("Inspected unit"),
        help_text=_("Needed only when no office is chosen."),
    )
    office = OfficeChoiceField(
        queryset=None,
        required=False,
        label=_("Inspected office"),
        help_text=_("Leave empty when the inspection covered the unit as a whole."),
    )

    class Meta:
        model = Inspection
        fields = [
            "office",
            "unit",
            "inspecting_body",
            "inspecting_level",
            "kind",
            "date",
            "scope",
            "findings",
            "outcome",
            "attachment",
        ]
        widgets = {
            "date": DateInput(),
            "scope": forms.Textarea(attrs={"rows": 3}),
            "findings": forms.Textarea(attrs={"rows": 4}),
            "outcome": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, user: User | AnonymousUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units = recordable_units(user)
        field_of(self, "unit", forms.ModelChoiceField).queryset = units
        field_of(self, "office", forms.ModelChoiceField).queryset = (
            Office.objects.filter(unit__in=units).select_related("unit").order_by("unit__path")
        )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(Column("office", css_class="col-md-6"), Column("unit", css_class="col-md-6")),
            Row(
                Column("inspecting_body", css_class="col-md-6"),
                Column("inspecting_level", css_class="col-md-6"),
            ),
            Row(Column("kind", css_class="col-md-6"), Column("date", css_class="col-md-6")),
            "scope",
            "findings",
            "outcome",
            "attachment",
            Submit("save", _("Save")),
        )

    def clean_inspecting_body(self) -> str:
        return " ".join(self.cleaned_data["inspecting_body"].split())

    def clean_attachment(self) -> File | Literal[False] | None:
        attachment = self.cleaned_data.get("attachment")
        if attachment and getattr(attachment, "size", 0) > ATTACHMENT_MAX_BYTES:
            raise forms.ValidationError(_("The attachment must be 10 MB or smaller."))
        return attachment

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        office, unit = cleaned.get("office"), cleaned.get("unit")
        if office:
            # The office decides the unit, so scope always follows the office.
            cleaned["unit"] = office.unit
            self.instance.unit = office.unit
        elif not unit and "unit" not in self.errors and "office" not in self.errors:
            raise forms.ValidationError(_("Choose the inspected office or unit."))
        return cleaned


class CaseForm(forms.ModelForm):
    class Meta:
        model = DisciplinaryCase
        fields = ["staff", "person", "breach", "measure", "date"]
        field_classes = {"staff": StaffChoiceField}
        labels = {"person": _("Person, when not in the system")}
        widgets = {"date": DateInput(), "breach": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, inspection: Inspection, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.inspection = inspection
        field_of(self, "staff", StaffChoiceField).queryset = StaffMember.objects.filter(
            office__unit__path__startswith=inspection.unit.path
        ).select_related("office")
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(Column("staff", css_class="col-md-6"), Column("person", css_class="col-md-6")),
            "breach",
            Row(Column("measure", css_class="col-md-6"), Column("date", css_class="col-md-6")),
            Submit("save", _("Save")),
        )

    def clean_person(self) -> str:
        return " ".join(self.cleaned_data["person"].split())

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("staff"):
            # The stored name follows the chosen staff member (see DisciplinaryCase.save).
            cleaned["person"] = ""
            self.instance.person = ""
        return cleaned


def _period_field(label: StrOrPromise) -> forms.DateField:
    return forms.DateField(label=label, required=False, widget=DateInput())


if TYPE_CHECKING:
    _FormBase = forms.Form  # what the mixin is mixed into, for the type checker
else:
    _FormBase = object


class PeriodMixin(_FormBase):
    """Inclusive dates in the form, an exclusive end for queries."""

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        for name, value in (("date_from", start), ("date_to", end)):
            if value and not (EARLIEST_DATE <= value <= LATEST_DATE):
                self.add_error(name, _("Choose a date between 2000 and 2100."))
        if start and end and start > end:
            self.add_error("date_to", _("The end of the period comes before its start."))
        return cleaned

    @property
    def end_exclusive(self) -> date | None:
        end = self.cleaned_data.get("date_to")
        return end + timedelta(days=1) if end else None


def _filter_helper(submit_label: StrOrPromise) -> FormHelper:
    helper = FormHelper()
    helper.form_method = "get"
    helper.disable_csrf = True
    helper.form_class = "row g-2 align-items-end"
    helper.field_class = ""
    helper.wrapper_class = "col-6 col-md"
    helper.add_input(Submit("", submit_label, css_class="ms-2 mb-3"))
    return helper


class RegisterFilterForm(PeriodMixin, forms.Form):
    date_from = _period_field(_("From"))
    date_to = _period_field(_("To"))
    level = forms.ChoiceField(
        label=_("Inspecting level"),
        required=False,
        choices=[("", _("All levels")), *InspectingLevel.choices],
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[("", _("Both")), *InspectionKind.choices],
    )
    unit = UnitChoiceField(
        queryset=None, required=False, label=_("Unit and below"), empty_label=_("All my units")
    )

    def __init__(self, *args: Any, user: User | AnonymousUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "unit", UnitChoiceField).queryset = readable_units(user)
        self.helper = _filter_helper(_("Filter"))

    def filter(self, inspections: InspectionQuerySet[Inspection]) -> InspectionQuerySet[Inspection]:
        data = self.cleaned_data
        inspections = inspections.in_period(data.get("date_from"), self.end_exclusive)
        if data.get("level"):
            inspections = inspections.filter(inspecting_level=data["level"])
        if data.get("kind"):
            inspections = inspections.filter(kind=data["kind"])
        if data.get("unit"):
            inspections = inspections.in_subtree(data["unit"])
        return inspections


class ReportForm(PeriodMixin, forms.Form):
    GROUPS = [("year", _("Year")), ("quarter", _("Quarter")), ("month", _("Month"))]

    unit = UnitChoiceField(queryset=None, required=False, label=_("Unit and below"))
    date_from = _period_field(_("From"))
    date_to = _period_field(_("To"))
    group = forms.ChoiceField(label=_("Group by"), required=False, choices=GROUPS)

    def __init__(
        self, data: Mapping[str, str], *, user: User | AnonymousUser, **kwargs: Any
    ) -> None:
        self.units = self.units_for(user)
        today = timezone.localdate()
        top = self.units.order_by("depth", "path").first()
        defaults = {
            "unit": str(top.pk) if top else "",
            "date_from": date(today.year - 1, 1, 1).isoformat(),
            "date_to": today.isoformat(),
            "group": "quarter",
        }
        merged = {**defaults, **{k: v for k, v in data.items() if v}}
        super().__init__(merged, **kwargs)
        unit = field_of(self, "unit", UnitChoiceField)
        unit.queryset = self.units
        unit.empty_label = None
        self.helper = _filter_helper(_("Show"))

    @staticmethod
    def units_for(user: User | AnonymousUser) -> QuerySet[AdministrativeUnit]:
        return readable_units(user)

    @property
    def period(self) -> tuple[date, date]:
        """[start, end) of a valid form. `__init__` fills both dates when they are not
        given, and a given one that is not a date leaves the form invalid."""
        start, end = self.cleaned_data.get("date_from"), self.end_exclusive
        if start is None or end is None:
            raise ValueError("ReportForm.period is read only from a valid form.")
        return start, end

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not cleaned.get("unit") and "unit" not in self.errors:
            raise forms.ValidationError(_("You have no unit to report on."))
        if "group" in self.fields:
            cleaned["group"] = cleaned.get("group") or "quarter"
        return cleaned
