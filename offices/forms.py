"""Forms of the offices app: the officer's own "start / stop serving" page."""

from __future__ import annotations

from typing import Any, cast

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from offices.models import Desk, StaffMember


class StartServingForm(forms.Form):
    desk = forms.ModelChoiceField(
        queryset=Desk.objects.none(), label=_("Desk"), empty_label=None, widget=forms.RadioSelect
    )
    alone = forms.BooleanField(
        required=False,
        label=_("I serve alone at this desk"),
        help_text=_("Anyone else signed in at this desk is signed out."),
    )

    def __init__(self, *args: Any, officer: StaffMember, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        desk = cast(forms.ModelChoiceField, self.fields["desk"])
        desk.queryset = officer.office.desks.filter(is_active=True)
        if officer.desk_id:
            self.fields["desk"].initial = officer.desk_id
        self.helper = FormHelper()
        self.helper.form_tag = False
