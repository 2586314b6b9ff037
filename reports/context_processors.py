"""The open-alert count in the navigation, for officials (one query, only when shown)."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.http import HttpRequest


class OpenAlerts:
    """Open alerts nobody has acknowledged yet, in the user's scope; counted on first use."""

    def __init__(self, user: User) -> None:
        self.user = user

    @cached_property
    def count(self) -> int:
        from reports.models import Alert

        visible = Alert.objects.visible_to(self.user).open()
        return visible.filter(acknowledged_at__isnull=True).count()


def alerts(request: HttpRequest) -> dict[str, OpenAlerts]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"open_alerts": OpenAlerts(user)}
