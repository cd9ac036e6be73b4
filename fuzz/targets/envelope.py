"""POST /api/v1/reports/'s body: BoundedJSONParser, then ReportsView.checked (proof of work, parse_report_envelope).

An input is the request body. A refusal must render as the API's JSON error
(backend.api.exception_handler, then DRF's JSONRenderer) with a 4xx status: an
error detail that cannot be rendered would be a 500. An accepted envelope is
checked against what it was parsed from.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.test import RequestFactory
from rest_framework.exceptions import ParseError, Throttled, ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request

from backend.api import exception_handler
from backend.crypto.encoding import b64url_encode
from fuzz.harness import live_key_id, pow_clock
from reports.api import ReportsView
from reports.envelope import EARLIEST_MONTH, MAX_INDICATORS, Envelope
from reports.parsers import BoundedJSONParser, PayloadTooLarge
from reports.vocabulary import FLAGS, Category

DECLARED = (ParseError, PayloadTooLarge, ValidationError, Throttled)
DICT = "json.dict"  # fuzz/dicts/: JSON's tokens and the wire format's names
MAX_LEN = 16 * 1024
PATH = "/api/v1/reports/"
_factory = RequestFactory()


NEEDS_INTAKE_KEYS = True  # the fuzzer's database gets dev_setup's (fuzz.harness.database_with_intake_keys)


def prepared():
    return pow_clock()


def request_data(view_class, data: bytes) -> object:
    """The body as DRF parses it for `view_class` (its parser, its max_body_bytes)."""
    view = view_class()
    request = Request(
        _factory.post(PATH, data=data, content_type="application/json"),
        parsers=[BoundedJSONParser()],
        parser_context={"view": view},
    )
    view.request = request
    body = request.data
    if isinstance(body, dict) and "key_id" in body:
        body["key_id"] = live_key_id(body["key_id"])
    return body


def render_refusal(exc: Exception, view_class) -> None:
    """The refusal as the API answers it: a 4xx whose JSON renders."""
    response = exception_handler(exc, {"view": view_class()})
    assert response is not None, f"{type(exc).__name__} is not turned into an answer"
    assert 400 <= response.status_code < 500, response.status_code
    JSONRenderer().render(response.data)


def _check(envelope: Envelope, body: dict) -> None:
    assert b64url_encode(envelope.ciphertext) == body["ciphertext"].rstrip("=")
    assert len(envelope.ciphertext) <= settings.SANAD_MAX_REPORT_BYTES
    assert envelope.key.key_id == body["key_id"]
    triage = envelope.triage
    assert triage.category in Category.values
    assert EARLIEST_MONTH <= triage.incident_month <= date(9999, 12, 1) and triage.incident_month.day == 1
    assert set(triage.flags) <= FLAGS and triage.flags == sorted(set(triage.flags))
    assert triage.indicators == sorted(set(triage.indicators)) and len(triage.indicators) <= MAX_INDICATORS
    assert all(0 <= index < 2**triage.indicator_bits for _, index in triage.indicators)
    if envelope.reply_public_key is not None:
        assert b64url_encode(envelope.reply_public_key) == body["reply_public_key"].rstrip("=")


def test_one_input(data: bytes) -> None:
    try:
        body = request_data(ReportsView, data)
        envelope, _proof = ReportsView().checked(body)
    except DECLARED as exc:
        render_refusal(exc, ReportsView)
        return
    _check(envelope, body)
