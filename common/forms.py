"""Form helpers shared by the apps."""

from __future__ import annotations

from typing import TypeVar

from django import forms

F = TypeVar("F", bound=forms.Field)


def field_of(form: forms.BaseForm, name: str, kind: type[F]) -> F:
    """The form's own copy of the field `name`, checked to be a `kind`.

    `form.fields[...]` is typed as a plain `Field`; a form that narrows a choice field in
    `__init__` (its queryset, choices or empty label) goes through here, so a field
    declared as something else fails at once instead of silently growing an attribute.
    """
    field = form.fields[name]
    if not isinstance(field, kind):
        raise TypeError(
            f"{type(form).__name__}.{name} is a {type(field).__name__}, not a {kind.__name__}."
        )
    return field
