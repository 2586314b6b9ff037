from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from offices.admin_scope import is_admin_anywhere
from offices.models import Role, holds_role_anywhere

if TYPE_CHECKING:
    from django.http import HttpRequest


def administration(request: HttpRequest) -> dict[str, bool | Callable[[], bool]]:
    """For the navigation, each evaluated only when a template asks: `may_administer`
    (the admin link, for those the admin admits) and `may_review_flags` (the flagged
    ratings page, for managers and above anywhere)."""
    user = getattr(request, "user", None)
    if user is None:
        return {"may_administer": False, "may_review_flags": False}
    return {
        "may_administer": lambda: is_admin_anywhere(user),
        "may_review_flags": lambda: holds_role_anywhere(user, Role.MANAGER),
    }
