from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update(autocomplete="username")
        self.fields["password"].widget.attrs.update(autocomplete="current-password")
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Log in"), css_class="w-100"))


class _Crispy:
    submit_label = _("Save")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", self.submit_label, css_class="w-100"))


class PasswordChangeForm(_Crispy, auth_forms.PasswordChangeForm):
    submit_label = _("Change my password")


class ResetForm(_Crispy, auth_forms.PasswordResetForm):
    submit_label = _("Send me a link")


class NewPasswordForm(_Crispy, auth_forms.SetPasswordForm):
    submit_label = _("Set my new password")
