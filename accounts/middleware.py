"""Idle and absolute timeouts for staff sessions."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

from accounts import session_keys
from accounts.views import AUTH_AT, SEEN_AT

# Writing the session on every request is wasteful; the idle clock moves in steps of this.
_SEEN_RESOLUTION_SECONDS = 30


class StaffSessionTimeoutMiddleware:
    """Log out a session idle for SANAD_SESSION_IDLE_SECONDS or older than
    SANAD_SESSION_ABSOLUTE_SECONDS, whatever the browser says; logging out
    deletes the session row and with it the stashed personal key."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        expired = False
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            auth_at = request.session.get(AUTH_AT)
            seen_at = request.session.get(SEEN_AT)
            if (
                not isinstance(auth_at, float | int)
                or not isinstance(seen_at, float | int)
                or now - seen_at > settings.SANAD_SESSION_IDLE_SECONDS
                or now - auth_at > settings.SANAD_SESSION_ABSOLUTE_SECONDS
            ):
                logout(request)
                expired = True
            elif now - seen_at >= _SEEN_RESOLUTION_SECONDS:
                request.session[SEEN_AT] = now
        response = self.get_response(request)
        if expired:
            session_keys.forget(response)
        return response
