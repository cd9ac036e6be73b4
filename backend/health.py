"""Liveness and readiness probes. Reasons name the failing dependency, never its error text."""

import logging

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 2.0


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
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
            conn.default_channel  # opens a channel: a TCP connect alone proves little
        return True
    except Exception:
        logger.warning("readyz: broker check failed")
        return False


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    failing = [name for name, ready in (("database", database_ready), ("broker", broker_ready)) if not ready()]
    if failing:
        return JsonResponse({"status": "unavailable", "reasons": failing}, status=503)
    return JsonResponse({"status": "ok"})
