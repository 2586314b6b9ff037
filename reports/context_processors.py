"""The open-alert count in the navigation, for officials (one query, only when shown)."""

from functools import cached_property


class OpenAlerts:
    """Open alerts nobody has acknowledged yet, in the user's scope; counted on first use."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def count(self) -> int:
        from reports.models import Alert

        visible = Alert.objects.visible_to(self.user).open()
        return visible.filter(acknowledged_at__isnull=True).count()


def alerts(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"open_alerts": OpenAlerts(user)}
