"""Audit hooks, and the signal through which each app purges its own personal data.

Apps never import each other to purge: `purge_personal_data` (the command in
offices) sends `personal_data_purge`, and each app's receiver removes what it
owns and returns {what: count}.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import Signal, receiver

from offices.auth import known_username
from offices.models import AuditEvent

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.http import HttpRequest

# Sent with keyword arguments `before` (datetime): remove personal data older than it.
personal_data_purge = Signal()


@receiver(user_logged_in)
def audit_login(sender: type[User], request: HttpRequest, user: User, **kwargs: Any) -> None:
    AuditEvent.record(request, "login", user, user=user)


@receiver(user_logged_out)
def audit_logout(
    sender: type[User] | None, request: HttpRequest, user: User | None, **kwargs: Any
) -> None:
    if user is not None:
        AuditEvent.record(request, "logout", user, user=user)


@receiver(user_login_failed)
def audit_login_failure(
    sender: str, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # An unknown name is recorded as the sentinel: never an attacker's string per attempt.
    username = known_username(str(credentials.get("username", "")))
    AuditEvent.record(request, "login.failed", username=username)


# Changes made in the Django admin are audited by ScopedAdmin (offices/admin_scope.py),
# which has the request and so the address; every ModelAdmin uses it.
