from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponseBase

SESSION_STARTED_KEY = "session_started_at"
IDLE_REFRESHED_KEY = "session_idle_refreshed_at"


class SessionLifetimeMiddleware:
    """End an official's session after an absolute lifetime, however active it is, and
    keep its idle expiry (SESSION_COOKIE_AGE) moving on while it is used.

    The idle expiry moves on when the session is saved. Saving it on every request (as
    SESSION_SAVE_EVERY_REQUEST would) made every page read an UPDATE and a commit on the
    primary; here a session in use is saved once per SESSION_IDLE_REFRESH_SECONDS at
    most, so an idle session ends between SESSION_COOKIE_AGE minus that interval and
    SESSION_COOKIE_AGE after its last use. The hard cap means a stolen session cookie
    cannot be kept alive forever.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        now = int(time.time())
        if request.user.is_authenticated:
            started = request.session.setdefault(SESSION_STARTED_KEY, now)
            if now - started > settings.SESSION_ABSOLUTE_LIFETIME:
                logout(request)
                return redirect_to_login(request.get_full_path())
        session = request.session
        # Read first: a cookie naming a session that has ended loads as empty, and no new
        # session is made for it.
        refreshed = session.get(IDLE_REFRESHED_KEY)
        if not session.is_empty() and not (
            isinstance(refreshed, int)
            and 0 <= now - refreshed < settings.SESSION_IDLE_REFRESH_SECONDS
        ):
            session[IDLE_REFRESHED_KEY] = now  # modified: saved, its cookie sent again
        return self.get_response(request)
