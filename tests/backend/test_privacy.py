"""No reporter IP address or user agent reaches a view, a log line or an error report."""

import logging

import pytest
from django.http import JsonResponse
from django.test import RequestFactory

from backend.logging import DropRequestFilter, redact_client
from backend.middleware import ScrubClientIdentityMiddleware

pytestmark = pytest.mark.django_db
FAKE_IP = "203.0.113.77"
FAKE_UA = "Mozilla/5.0 (Linux; Android 14; SM-A515F) canary-ua"


IDENTIFYING = {
    "REMOTE_ADDR": FAKE_IP,
    "REMOTE_PORT": "53211",
    "HTTP_USER_AGENT": FAKE_UA,
    "HTTP_X_FORWARDED_FOR": FAKE_IP,
    "HTTP_X_REAL_IP": FAKE_IP,
    "HTTP_X_CLIENT_IP": FAKE_IP,
    "HTTP_X_CLUSTER_CLIENT_IP": FAKE_IP,
    "HTTP_FASTLY_CLIENT_IP": FAKE_IP,
    "HTTP_X_ORIGINAL_FORWARDED_FOR": FAKE_IP,
    "HTTP_FORWARDED": f"for={FAKE_IP}",
    "HTTP_VIA": f"1.1 {FAKE_IP}",
    "HTTP_X_REQUESTED_WITH": "org.example.canary.app",
    "HTTP_X_WAP_PROFILE": "http://wap.example/SM-A515F.xml",
    "HTTP_SEC_CH_UA_MODEL": "SM-A515F",
    "HTTP_SEC_CH_UA_PLATFORM_VERSION": "14.0.0",
    "HTTP_SEC_CH_UA_ARCH": "arm",
    "HTTP_ACCEPT_LANGUAGE": "ckb-IQ",
    "HTTP_REFERER": "https://canary-ref.example/",
    "HTTP_DNT": "1",
}


def scrubbed_meta(path: str) -> dict:
    seen = {}

    def view(request):
        seen.update(request.META)
        return JsonResponse({})

    request = RequestFactory().get(
        path, HTTP_AUTHORIZATION="Receipt 1234", HTTP_HOST="sanad.example.org", **IDENTIFYING
    )
    request.META["gunicorn.socket"] = object()
    ScrubClientIdentityMiddleware(view)(request)
    return seen


def test_reporter_requests_keep_only_allowlisted_headers():
    seen = scrubbed_meta("/api/v1/intake-keys/")
    assert not set(IDENTIFYING) & set(seen)
    assert "gunicorn.socket" not in seen
    assert seen["HTTP_AUTHORIZATION"] == "Receipt 1234"  # what the API needs survives
    assert seen["HTTP_HOST"] == "sanad.example.org"
    text = repr(seen)
    for canary in (FAKE_IP, "canary", "SM-A515F", "ckb-IQ"):
        assert canary not in text


def test_no_view_sees_the_headers_through_request_headers_read_before_the_scrub(client):
    """The whole middleware stack, an OPTIONS to the reporter API that is no CORS preflight: CORS (before
    the scrub) reads request.headers, which caches them; the view must still see none of them."""
    from django.test import override_settings
    from django.urls import path

    seen = {}

    def view(request):
        seen.update(request.headers)
        return JsonResponse({})

    urlconf = type("urls", (), {"urlpatterns": [path("api/v1/reports/", view)]})
    with override_settings(ROOT_URLCONF=urlconf):
        # REMOTE_ADDR stays the test client's own: dev mode answers this machine only.
        headers = {key: value for key, value in IDENTIFYING.items() if key.startswith("HTTP_")}
        client.options("/api/v1/reports/", HTTP_ORIGIN="null", **headers)
    assert seen, "the view was not reached"
    assert not {"User-Agent", "X-Forwarded-For", "Forwarded", "Via", "Referer"} & set(seen)
    assert FAKE_IP not in repr(seen) and "canary" not in repr(seen)


def test_staff_pages_keep_referer_and_language_but_no_identity():
    seen = scrubbed_meta("/admin/login/")
    assert seen["HTTP_REFERER"] == "https://canary-ref.example/" and seen["HTTP_ACCEPT_LANGUAGE"] == "ckb-IQ"
    assert not (set(IDENTIFYING) - {"HTTP_REFERER", "HTTP_ACCEPT_LANGUAGE"}) & set(seen)


def test_gunicorn_style_messages_are_redacted():
    assert redact_client("Invalid request from ip=203.0.113.77: Invalid HTTP Version") == (
        "Invalid request from ip=[redacted]: Invalid HTTP Version"
    )
    assert (
        redact_client("Error handling request GET /api/v1/x?receipt=1234")
        == "Error handling request GET /api/v1/x?[query]"
    )
    assert (
        redact_client("peer [2001:db8::7]:443 and ::1 and 10.0.0.2:5432 left")
        == "peer [address] and [address] and [address] left"
    )
    assert redact_client("Booting worker with pid: 4242") == "Booting worker with pid: 4242"
    header = "Invalid HTTP Header: 'User-Agent Mozilla/5.0 (Linux; Android 10; SM-A505F)'"
    assert redact_client(header) == "Invalid HTTP Header: '[redacted]'"


def test_dev_mode_serves_this_machine_only(client):
    assert client.get("/healthz", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert client.get("/healthz", REMOTE_ADDR="::1").status_code == 200
    for peer in ("192.0.2.2", "10.0.0.5", ""):
        response = client.get("/healthz", REMOTE_ADDR=peer, HTTP_HOST="127.0.0.1")
        assert response.status_code == 403 and response.json()["error"] == "permission_denied"


def test_request_logs_carry_neither_address_nor_user_agent(personas, monkeypatch, settings):
    """Read what the configured handler (its own filter and formatter) wrote after a 404 and a 500.

    With production middleware: dev mode would refuse the (fake, non-loopback) peer outright."""
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "DevLoopbackOnly" not in m]
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
