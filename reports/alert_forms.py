from django import forms
from django.utils.translation import gettext_lazy as _


class AcknowledgeForm(forms.Form):
    comment = forms.CharField(
        label=_("What was done"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required: a few words for whoever reads this alert next."),
    )

    def clean_comment(self) -> str:
        comment = self.cleaned_data["comment"].strip()
        if not comment:
            raise forms.ValidationError(_("Say what was done about it."))
        return comment


class AlertFilterForm(forms.Form):
    unit = forms.IntegerField(required=False, min_value=1)
    office = forms.IntegerField(required=False, min_value=1)
    status = forms.ChoiceField(
        required=False,
        choices=[("", _("Open")), ("resolved", _("Resolved")), ("all", _("All"))],
    )
