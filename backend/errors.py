"""JSON answers for errors Django raises outside DRF views (404, 400, 403, 500)."""

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _


def _error(code: str, detail: str, status: int) -> JsonResponse:
    return JsonResponse({"error": code, "detail": detail}, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return _error("bad_request", _("Bad request."), 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return _error("permission_denied", _("Permission denied."), 403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return _error("not_found", _("Not found."), 404)


def server_error(request: HttpRequest) -> JsonResponse:
    return _error("server_error", _("Internal error."), 500)
