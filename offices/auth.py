"""Log-in helpers: what is recorded about a failed log-in.

A failed log-in with a username nobody has is recorded under one sentinel, so
guessing names (or sending garbage) cannot add a lock-out row or a distinct audit
name per attempt: django-axes counts all unknown names from one address together
(`AXES_USERNAME_CALLABLE`), and the log-in form is rate-limited per address, so the
rows grow at most with addresses × time, never with the names tried.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model

if TYPE_CHECKING:
    from django.http import HttpRequest

UNKNOWN_USERNAME = "(unknown)"


def known_username(username: str | None) -> str:
    """The username if an account has it, else the sentinel."""
    username = (username or "")[:150]
    model = get_user_model()
    if username and model._default_manager.filter(**{model.USERNAME_FIELD: username}).exists():
        return username
    return UNKNOWN_USERNAME


def axes_username(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str:
    """AXES_USERNAME_CALLABLE: the name django-axes counts failures under."""
    username = (credentials or {}).get("username")
    if username is None and request is not None:
        username = request.POST.get("username")
    return known_username(username)
