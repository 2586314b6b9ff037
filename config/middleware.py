import time

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login

SESSION_STARTED_KEY = "session_started_at"


class SessionLifetimeMiddleware:
    """End an official's session after an absolute lifetime, however active it is.

    Inactivity expiry comes from SESSION_COOKIE_AGE with SESSION_SAVE_EVERY_REQUEST;
    this adds the hard cap so a stolen session cookie cannot be kept alive forever.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            started = request.session.setdefault(SESSION_STARTED_KEY, int(time.time()))
            if time.time() - started > settings.SESSION_ABSOLUTE_LIFETIME:
                logout(request)
                return redirect_to_login(request.get_full_path())
        return self.get_response(request)
