"""Request middleware that forgets who the client is before any view runs."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

# Headers and WSGI keys that identify a client or its device. Deleting them here
# means no view, log line, error report or model can store them by mistake.
IDENTIFYING_META_KEYS = (
    "REMOTE_ADDR",
    "REMOTE_HOST",
    "HTTP_USER_AGENT",
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_REAL_IP",
    "HTTP_FORWARDED",
    "HTTP_CF_CONNECTING_IP",
    "HTTP_TRUE_CLIENT_IP",
    "HTTP_SEC_CH_UA",
    "HTTP_SEC_CH_UA_PLATFORM",
    "HTTP_SEC_CH_UA_MOBILE",
    "HTTP_SEC_CH_UA_MODEL",
    "HTTP_SEC_CH_UA_FULL_VERSION_LIST",
)


class ScrubClientIdentityMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        for key in IDENTIFYING_META_KEYS:
            request.META.pop(key, None)
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
