"""Audit hooks, and the signal through which each app purges its own personal data.

Apps never import each other to purge: `purge_personal_data` (the command in
offices) sends `personal_data_purge`, and each app's receiver removes what it
owns and returns {what: count}.
"""

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save
from django.dispatch import Signal, receiver

from offices.models import AuditEvent

# Sent with keyword arguments `before` (datetime): remove personal data older than it.
personal_data_purge = Signal()

_ADMIN_ACTIONS = {ADDITION: "config.add", CHANGE: "config.change", DELETION: "config.delete"}


@receiver(user_logged_in)
def audit_login(sender, request, user, **kwargs):
    AuditEvent.record(request, "login", user, user=user)


@receiver(user_logged_out)
def audit_logout(sender, request, user, **kwargs):
    if user is not None:
        AuditEvent.record(request, "logout", user, user=user)


@receiver(user_login_failed)
def audit_login_failure(sender, credentials, request=None, **kwargs):
    AuditEvent.record(request, "login.failed", username=str(credentials.get("username", "")))


@receiver(post_save, sender=LogEntry)
def audit_admin_change(sender, instance: LogEntry, created: bool, **kwargs):
    """Every change made in the Django admin (the admins' configuration tool)."""
    if not created:
        return
    AuditEvent.objects.create(
        user=instance.user,
        username=instance.user.get_username(),
        action=_ADMIN_ACTIONS.get(instance.action_flag, "config.other"),
        object_repr=f"{instance.content_type.app_label}.{instance.content_type.model}: "
        f"{instance.object_repr}"[:300],
        detail={"object_id": instance.object_id, "change": instance.get_change_message()},
    )
