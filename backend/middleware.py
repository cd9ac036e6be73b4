"""Request middleware that forgets who the client is before any view runs."""

import ipaddress
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _

# Request headers a view may see; every other header is dropped. An allowlist,
# because the list of headers that identify a client or device (X-Client-IP,
# Via, X-Requested-With naming an app, X-Wap-Profile naming a phone model,
# client hints, Accept-Language...) has no end.
KEPT_HEADERS = frozenset(
    {
        "HTTP_HOST",
        "HTTP_AUTHORIZATION",
        "HTTP_ACCEPT",
        "HTTP_ACCEPT_ENCODING",
        "HTTP_X_FORWARDED_PROTO",  # read by SECURE_PROXY_SSL_HEADER
        "HTTP_COOKIE",
        "HTTP_X_CSRFTOKEN",
        "HTTP_ORIGIN",  # CSRF origin check
        "HTTP_IF_NONE_MATCH",
        "HTTP_IF_MODIFIED_SINCE",
    }
)
# Staff pages (the admin) also need these: Django's CSRF check falls back to the
# Referer over HTTPS, and staff read the admin in their own language.
KEPT_HEADERS_STAFF = KEPT_HEADERS | {"HTTP_REFERER", "HTTP_ACCEPT_LANGUAGE"}
# Non-header WSGI keys that identify the peer.
DROPPED_KEYS = ("REMOTE_ADDR", "REMOTE_HOST", "REMOTE_PORT", "PROXY_ADDR", "PROXY_PORT", "gunicorn.socket")
REPORTER_PATHS = ("/api/",)
REPORTER_PAGES = frozenset({"/", "/status/"})


class DefaultLanguageMiddleware:
    """First of all: a request starts in the deployment's language, not in whatever language the last
    request this thread served left active (LocaleMiddleware, later, chooses the request's own), and
    leaves none behind."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        translation.deactivate()
        try:
            return self.get_response(request)
        finally:
            translation.deactivate()


class ScrubClientIdentityMiddleware:
    """Forget who the client is before any view runs: no view, log line, error report
    or model can then store an address, user agent or device detail by mistake."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        reporter = path.startswith(REPORTER_PATHS) or path in REPORTER_PAGES
        kept = KEPT_HEADERS if reporter else KEPT_HEADERS_STAFF
        meta = request.META
        for key in [key for key in meta if key.startswith("HTTP_") and key not in kept]:
            del meta[key]
        for key in DROPPED_KEYS:
            meta.pop(key, None)
        # request.headers is read from META once and cached: a middleware before this one (CORS, which
        # must read the preflight's headers) may have filled the cache with everything now dropped.
        request.__dict__.pop("headers", None)
        return self.get_response(request)


class DevLoopbackOnlyMiddleware:
    """Dev mode only (SANAD_DEV=1, which keeps its secrets in var/): refuse any peer but this machine.

    ALLOWED_HOSTS cannot do this: the Host header is the client's to choose.
    Placed before the scrub, which removes the address; it is read, never kept.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            loopback = ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            return JsonResponse(
                {"error": "permission_denied", "detail": _("Dev mode serves this machine only.")}, status=403
            )
        return self.get_response(request)


class HealthProbeMiddleware:
    """Answer /healthz and /readyz before host validation and the HTTPS redirect.

    Orchestrators probe over plain HTTP with whatever Host header they use
    (127.0.0.1:8000 in docker-compose's healthcheck); the probes reveal
    nothing but up/down, so they need neither ALLOWED_HOSTS nor TLS.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        from backend.health import healthz, readyz

        self.get_response = get_response
        self.probes = {"/healthz": healthz, "/readyz": readyz}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = self.probes.get(request.path_info)
        if probe is not None:
            return probe(request)
        return self.get_response(request)
