"""A JSON parser that refuses oversized bodies with 413 before reading them, and any charset but UTF-8 with 415."""

from __future__ import annotations

import json

from django.utils.http import parse_header_parameters
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError, UnsupportedMediaType
from rest_framework.parsers import JSONParser


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("Request body too large.")
    default_code = "payload_too_large"


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


class BoundedJSONParser(JSONParser):
    """Reads at most `view.max_body_bytes`; strict JSON (no NaN/Infinity) in UTF-8, the only charset
    accepted (RFC 8259 section 8.1): a body declared in another is refused, not read as UTF-8."""

    def parse(self, stream, media_type=None, parser_context=None):
        params = parse_header_parameters(media_type or "")[1]
        if params.get("charset", "utf-8").strip().strip('"').lower() not in ("utf-8", "utf8"):  # "utf8": a common alias
            raise UnsupportedMediaType(
                media_type,
                # Translators: "Content-Type: application/json; charset=utf-8" is an HTTP header to send: keep it.
                detail=_("Only UTF-8 JSON is accepted: Content-Type: application/json; charset=utf-8."),
            )
        view = (parser_context or {}).get("view")
        limit = getattr(view, "max_body_bytes", 64 * 1024)
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if declared and declared.isdigit() and int(declared) > limit:
            raise PayloadTooLarge()
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise PayloadTooLarge()
        try:
            return json.loads(body.decode("utf-8"), parse_constant=_refuse_constant)
        except (ValueError, UnicodeDecodeError):
            raise ParseError(_("Body is not valid UTF-8 JSON.")) from None
        except RecursionError:
            raise ParseError(_("Body is nested too deeply.")) from None
