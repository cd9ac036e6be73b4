"""Every refusal is a status the operation declares, in the one JSON error shape the schema gives it."""

from __future__ import annotations

import json

import pytest

from reports.models import Report
from tests.contract.schema_tools import response_schema, validator
from tests.partners.conftest import many_reports, report_at  # noqa: F401 (fixtures)
from tests.partners.test_api import get, released, tokens  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def conforms(openapi: dict, path: str, method: str, response, template: str | None = None) -> dict:
    assert response["Content-Type"] == "application/json", response.content
    body = response.json()
    schema = response_schema(openapi, template or path, method, response.status_code)
    errors = [error.message for error in validator(openapi, schema).iter_errors(body)]
    assert errors == [], body
    return body


def test_report_refusals_conform(openapi, personas, client, envelope, settings):
    settings.SANAD_POW_BASE_BITS = 0
    path = "/api/v1/reports/"
    cases = [
        ({"data": b"{", "content_type": "application/json"}, 400, "parse_error"),
        ({"data": json.dumps(envelope(version=1.0)), "content_type": "application/json"}, 400, "invalid"),
        ({"data": json.dumps(envelope()), "content_type": "text/plain"}, 415, "unsupported_media_type"),
        (
            {"data": json.dumps(envelope()), "content_type": "application/json; charset=utf-16"},
            415,
            "unsupported_media_type",
        ),
        ({"data": json.dumps(envelope()), "content_type": "application/json", "HTTP_ACCEPT": "text/html"}, 406, None),
        (
            {"data": "[" + " " * (api_cap() + 1) + "]", "content_type": "application/json"},
            413,
            "payload_too_large",
        ),
    ]
    for kwargs, status, code in cases:
        response = client.post(path, **kwargs)
        assert response.status_code == status, response.content
        body = conforms(openapi, path, "post", response)
        assert code is None or body["error"] == code
    assert Report.objects.count() == 0


def api_cap() -> int:
    from reports.api import ReportsView

    return ReportsView.max_body_bytes


def test_an_unknown_format_is_a_not_found_with_its_code(openapi, client):
    """It was {"error": "error"}: Django's Http404 carries no DRF code."""
    response = client.get("/api/v1/pow/?format=xml")
    assert response.status_code == 404
    assert conforms(openapi, "/api/v1/pow/", "get", response) == {"error": "not_found", "detail": "Not found."}


def test_an_empty_format_is_a_not_found_too(openapi, released, tokens):  # noqa: F811
    """Found by schemathesis: `?format=` (empty) was taken as no format, and answered 200 where the schema
    allows only csv or json."""
    path = "/api/v1/stats/releases/2026-09/"
    for query in ("?format=", "?format=CSV", "?format=xml"):
        response = get(path + query, tokens["un"][1])
        assert response.status_code == 404, query
        assert conforms(openapi, path, "get", response, "/api/v1/stats/releases/{month}/")["error"] == "not_found"
    assert get(path + "?format=csv", tokens["un"][1])["Content-Type"] == "text/csv; charset=utf-8"
    assert get(path + "?format=json", tokens["un"][1]).status_code == 200


@pytest.mark.parametrize("accept", ["text/csv", "application/json", "*/*"])
def test_a_partners_refusal_is_json_even_when_csv_was_asked_for(openapi, client, accept):
    """A 401 asked for as CSV was `errordetail`, as text/csv: the error object's keys run together."""
    template = "/api/v1/stats/releases/{month}/"
    response = client.get("/api/v1/stats/releases/2026-01/", HTTP_ACCEPT=accept)
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"
    assert conforms(openapi, "/api/v1/stats/releases/2026-01/", "get", response, template)["error"] == "invalid_token"


def test_a_wrong_receipt_conforms(openapi, client):
    for method, path in (("get", "/api/v1/reports/status/"), ("delete", "/api/v1/reports/")):
        response = getattr(client, method)(path, HTTP_AUTHORIZATION="Receipt 0000-0000-0000-0000-0000")
        assert response.status_code == 401 and response["WWW-Authenticate"] == "Receipt"
        assert conforms(openapi, path, method, response)["error"] == "unknown_receipt"


def test_throttled_answers_conform_and_carry_retry_after(openapi, client, settings):
    settings.SANAD_RECEIPT_FAILURES_PER_MINUTE = 1
    path = "/api/v1/reports/status/"
    statuses = [client.get(path, HTTP_AUTHORIZATION="Receipt 1").status_code for _ in range(3)]
    assert statuses == [401, 429, 429]
    response = client.get(path, HTTP_AUTHORIZATION="Receipt 1")
    assert conforms(openapi, path, "get", response)["error"] == "throttled"
    assert response["Retry-After"].isdigit()
