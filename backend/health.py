"""Liveness and readiness probes. Reasons name the failing dependency, never its error text."""

import logging
import threading
import time

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 1.0
# Readiness is computed at most this often per process: a flood of probes
# (they need no host or TLS) must not open a broker connection each.
READY_CACHE_SECONDS = 5.0
_ready_cache: dict[str, tuple[float, list[str]]] = {}
# One check at a time per process; probes arriving meanwhile get the last answer.
_ready_lock = threading.Lock()


def _method_not_allowed() -> JsonResponse:
    # Translators: GET is the name of an HTTP method; keep it in Latin letters.
    response = JsonResponse({"error": "method_not_allowed", "detail": _("Use GET.")}, status=405)
    response["Allow"] = "GET, HEAD"
    return response


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    if request.method not in ("GET", "HEAD"):
        return _method_not_allowed()
    return JsonResponse({"status": "ok"})


def database_ready() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.warning("readyz: database check failed")
        return False


def broker_ready() -> bool:
    from config.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
            _ = conn.default_channel  # opens a channel: a TCP connect alone proves little
        return True
    except Exception:
        logger.warning("readyz: broker check failed")
        return False


def _readiness() -> list[str]:
    """Failing dependencies, computed at most every READY_CACHE_SECONDS and by one thread at a time."""
    cached = _ready_cache.get("failing")
    if cached and time.monotonic() - cached[0] < READY_CACHE_SECONDS:
        return cached[1]
    if not _ready_lock.acquire(blocking=cached is None):
        return cached[1]  # another thread is checking: serve the stale answer meanwhile
    try:
        failing = [name for name, ready in (("database", database_ready), ("broker", broker_ready)) if not ready()]
        _ready_cache["failing"] = (time.monotonic(), failing)  # stamped when the check ends
        return failing
    finally:
        _ready_lock.release()


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    if request.method not in ("GET", "HEAD"):
        return _method_not_allowed()
    failing = _readiness()
    if failing:
        return JsonResponse({"status": "unavailable", "reasons": failing}, status=503)
    return JsonResponse({"status": "ok"})
