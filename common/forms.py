"""Form helpers shared by the apps."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django import forms
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.datastructures import MultiValueDict

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


def posted(request: HttpRequest) -> QueryDict | None:
    """A POST's form data, even when it is empty; None for any other method (an unbound
    form). `request.POST or None` left the form of an empty POST unbound: the page came
    back as if nothing had been sent, with no error to say what was missing."""
    return request.POST if request.method == "POST" else None


def posted_files(request: HttpRequest) -> MultiValueDict | None:
    """A POST's files, even none, as `posted` gives its data."""
    return request.FILES if request.method == "POST" else None


def bound_to_query(
    form_class: Callable[..., forms.Form], template: str
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A view decorator for pages filtered by a GET form that knows its reader.

    The form is bound to the query string with `user=request.user`. When it is not valid
    the page's `template` answers 400 with the form and its errors (a link with a unit
    outside the reader's scope, say), and the view never runs; when it is, the view gets
    the bound form as its second argument.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            form = form_class(request.GET, user=request.user)
            if not form.is_valid():
                return render(request, template, {"form": form}, status=400)
            return view(request, form, *args, **kwargs)

        return wrapped

    return decorator
