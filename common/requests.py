"""What a view may assume about its request once a decorator has checked it, for the type
checker (django-stubs' documented pattern). At run time the name is plain HttpRequest."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    class AuthenticatedRequest(HttpRequest):
        """The request of a `login_required` view: a signed-in user, never AnonymousUser."""

        user: User

else:
    AuthenticatedRequest = HttpRequest
