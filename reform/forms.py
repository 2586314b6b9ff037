"""Forms of the scoring page: one field pair per scored criterion (figure + note for the
self-assessment, figure + reason for the appraisal), an evidence upload, and the
spreadsheet import of a criteria set. Forms validate and normalise; views stay short."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from common.forms import field_of

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile
    from django.db.models import QuerySet
    from django.forms import BoundField
    from django_stubs_ext import StrOrPromise

    from offices.models import AdministrativeUnit
from reform.models import (
    EVIDENCE_EXTENSIONS,
    EVIDENCE_MAX_BYTES,
    LATEST_YEAR,
    Criterion,
    Rule,
    Score,
)

MAX_FIGURE = Decimal("9999999999.99")


def figure_field(criterion: Criterion, label: StrOrPromise) -> forms.Field:
    if criterion.rule == Rule.YESNO:
        return forms.TypedChoiceField(
            label=label,
            required=False,
            choices=[("", "—"), ("1", _("Yes")), ("0", _("No"))],
            coerce=Decimal,
            empty_value=None,
        )
    maximum = criterion.max_points if criterion.rule == Rule.DIRECT else MAX_FIGURE
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=Decimal(0),
        max_value=maximum,
        max_digits=12,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "class": "form-control form-control-sm"}),
    )


class _PerCriterionForm(forms.Form):
    """Fields `value_<id>` and `<text>_<id>` for each criterion given."""

    text_field = ""
    text_label: StrOrPromise = ""

    def __init__(
        self,
        *args: Any,
        criteria: list[Criterion],
        scores: dict[int, Score],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.criteria, self.scores = criteria, scores
        for criterion in criteria:
            self.fields[f"value_{criterion.pk}"] = figure_field(criterion, criterion.code)
            self.fields[f"{self.text_field}_{criterion.pk}"] = forms.CharField(
                label=self.text_label,
                required=False,
                max_length=4000,
                widget=forms.Textarea(attrs={"rows": 2, "class": "form-control form-control-sm"}),
            )

    def value(self, criterion: Criterion) -> Decimal | None:
        return self.cleaned_data.get(f"value_{criterion.pk}")

    def text(self, criterion: Criterion) -> str:
        return (self.cleaned_data.get(f"{self.text_field}_{criterion.pk}") or "").strip()

    def posted(self, criterion: Criterion) -> bool:
        """Whether the request carried this criterion at all: a criterion left out of a
        post keeps what it had (a partial post never erases figures)."""
        names = (f"value_{criterion.pk}", f"{self.text_field}_{criterion.pk}")
        return any(name in self.data for name in names)

    def rows(self) -> Iterator[tuple[Criterion, BoundField, BoundField]]:
        """(criterion, value field, text field) for the template."""
        for criterion in self.criteria:
            yield (
                criterion,
                self[f"value_{criterion.pk}"],
                self[f"{self.text_field}_{criterion.pk}"],
            )


class SelfAssessmentForm(_PerCriterionForm):
    text_field = "note"
    text_label = _("Evidence")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for criterion in self.criteria:
            score = self.scores.get(criterion.pk)
            if score is not None:
                self.initial[f"value_{criterion.pk}"] = score.self_value
                self.initial[f"note_{criterion.pk}"] = score.evidence_note


class AppraisalForm(_PerCriterionForm):
    """An empty figure keeps the self-assessed one; a different figure needs a reason."""

    text_field = "reason"
    text_label = _("Reason for the adjustment")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for criterion in self.criteria:
            score = self.scores.get(criterion.pk)
            if score is not None:
                self.initial[f"value_{criterion.pk}"] = score.appraised_value
                self.initial[f"reason_{criterion.pk}"] = score.appraisal_reason

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        for criterion in self.criteria:
            value = cleaned.get(f"value_{criterion.pk}")
            score = self.scores.get(criterion.pk)
            own = score.self_value if score else None
            if value is not None and value != own and not self.text(criterion):
                self.add_error(
                    f"reason_{criterion.pk}",
                    _("Give the reason for changing the self-assessed figure."),
                )
        return cleaned


class EvidenceForm(forms.Form):
    criterion = forms.ModelChoiceField(queryset=Criterion.objects.none(), label=_("Criterion"))
    file = forms.FileField(
        label=_("File"),
        help_text=_("PDF, office document or image, up to 10 MB."),
    )

    def __init__(self, *args: Any, criteria: list[Criterion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "criterion", forms.ModelChoiceField).queryset = Criterion.objects.filter(
            pk__in=[c.pk for c in criteria]
        ).order_by("area__position", "position")

    def clean_file(self) -> UploadedFile:
        upload = self.cleaned_data["file"]
        extension = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
        if extension not in EVIDENCE_EXTENSIONS:
            raise forms.ValidationError(
                _("This kind of file is not accepted: use %(kinds)s.")
                % {"kinds": ", ".join(EVIDENCE_EXTENSIONS)}
            )
        if upload.size > EVIDENCE_MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 10 MB."))
        return upload


class SetImportForm(forms.Form):
    """A criteria set from a spreadsheet (the format the set export writes)."""

    file = forms.FileField(label=_("Spreadsheet (XLSX or CSV)"))
    issuer: forms.ModelChoiceField = forms.ModelChoiceField(queryset=None, label=_("Issued by"))
    year = forms.IntegerField(label=_("Year"), min_value=2012, max_value=LATEST_YEAR)
    level = forms.ChoiceField(label=_("Level"))
    name = forms.CharField(label=_("Name"), max_length=200)

    def __init__(self, *args: Any, issuers: QuerySet[AdministrativeUnit], **kwargs: Any) -> None:
        from reform.models import SetLevel

        super().__init__(*args, **kwargs)
        field_of(self, "issuer", forms.ModelChoiceField).queryset = issuers
        field_of(self, "level", forms.ChoiceField).choices = SetLevel.choices
