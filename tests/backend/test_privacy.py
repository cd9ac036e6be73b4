"""No reporter IP address or user agent reaches a view, a log line or an error report."""

import logging

import pytest
from django.http import JsonResponse
from django.test import RequestFactory

from backend.logging import DropRequestFilter
from backend.middleware import IDENTIFYING_META_KEYS, ScrubClientIdentityMiddleware

pytestmark = pytest.mark.django_db
FAKE_IP = "203.0.113.77"
FAKE_UA = "Mozilla/5.0 (Linux; Android 14; SM-A515F) canary-ua"


def test_middleware_removes_address_and_device_headers():
    seen = {}

    def view(request):
        seen.update(request.META)
        return JsonResponse({})

    request = RequestFactory().get(
        "/", REMOTE_ADDR=FAKE_IP, HTTP_USER_AGENT=FAKE_UA, HTTP_X_FORWARDED_FOR=FAKE_IP, HTTP_SEC_CH_UA_MODEL="SM-A515F"
    )
    ScrubClientIdentityMiddleware(view)(request)
    assert not set(IDENTIFYING_META_KEYS) & set(seen)
    assert FAKE_IP not in repr(seen) and "canary-ua" not in repr(seen)


def test_request_logs_carry_neither_address_nor_user_agent(personas, monkeypatch):
    """Read what the configured handler (its own filter and formatter) wrote after a 404 and a 500."""
    import io

    from django.test import Client

    from reports.api import IntakeKeysView

    def crash(self, request):
        raise RuntimeError("boom")

    handler = next(
        h for h in logging.getLogger("django").handlers if any(isinstance(f, DropRequestFilter) for f in h.filters)
    )
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    client = Client(raise_request_exception=False)
    client.get("/no-such-page", REMOTE_ADDR=FAKE_IP, HTTP_USER_AGENT=FAKE_UA, HTTP_X_FORWARDED_FOR=FAKE_IP)
    monkeypatch.setattr(IntakeKeysView, "get", crash)
    response = client.get("/api/v1/intake-keys/", REMOTE_ADDR=FAKE_IP, HTTP_USER_AGENT=FAKE_UA)
    assert response.status_code == 500
    assert response.json() == {"error": "server_error", "detail": "Internal error."}
    handler.setStream(previous)
    err = buffer.getvalue()
    assert "Not Found: /no-such-page" in err
    assert "Internal Server Error: /api/v1/intake-keys/" in err and "RuntimeError" in err
    assert FAKE_IP not in err and "canary-ua" not in err and "SM-A515F" not in err


def test_filter_strips_the_request_from_records():
    record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "Internal Server Error", None, None)
    record.request = RequestFactory().get("/", REMOTE_ADDR=FAKE_IP)
    assert DropRequestFilter().filter(record) is True
    assert not hasattr(record, "request")


def test_logging_config_has_no_mail_handler_and_filters_every_handler(settings):
    assert settings.ADMINS == []
    for handler in settings.LOGGING["handlers"].values():
        assert "mail" not in handler["class"].lower()
        assert "no_request" in handler["filters"]
