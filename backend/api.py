"""API plumbing shared by every app: one JSON error shape for every 4xx."""

from __future__ import annotations

from typing import Any

from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Render DRF errors as {"error": code, "detail": ...}; other exceptions stay 500s."""
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data
    code = getattr(exc, "default_code", "error")
    if isinstance(detail, dict) and set(detail) == {"detail"}:
        detail = detail["detail"]
    response.data = {"error": code, "detail": detail}
    if response.status_code == status.HTTP_405_METHOD_NOT_ALLOWED:
        response.data["error"] = "method_not_allowed"
    return response
