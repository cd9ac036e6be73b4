"""The OpenAPI schema's plumbing: JSON Schemas written out as named components, and the error answers.

drf-spectacular reads serializers; what the API takes and gives is checked by hand-written parsers
(reports.envelope, backend.pow), which a serializer cannot describe exactly (closed objects, patterns,
lengths, enums). So the schema of each body is written out here, from the parsers' own constants, and
given to drf-spectacular as a component through `WireSchema`. tests/contract checks that the two agree.
"""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from backend.crypto.encoding import B64URL_CHARACTERS


class WireSchema(serializers.Serializer):
    """Documentation only: a JSON Schema (`schema`) that the OpenAPI document names `component`.

    Make each class once (wire_schema), at import: drf-spectacular tells components apart by their class. A
    value in `schema` that is itself a WireSchema class becomes a reference to that component."""

    component: str = ""
    schema: dict = {}


def wire_schema(component: str, schema: dict) -> type[WireSchema]:
    return type(component, (WireSchema,), {"component": component, "schema": schema})


class WireSchemaExtension(OpenApiSerializerExtension):
    target_class = WireSchema
    match_subclasses = True

    def get_name(self, auto_schema, direction):
        return self.target.component

    def map_serializer(self, auto_schema, direction):
        def resolve(value):
            if isinstance(value, type) and issubclass(value, WireSchema):
                return auto_schema.resolve_serializer(value(), direction).ref
            if isinstance(value, dict):
                return {key: resolve(item) for key, item in value.items()}
            if isinstance(value, list):
                return [resolve(item) for item in value]
            return value

        return resolve(self.target.schema)


def b64url(*, min_length: int = 0, max_length: int | None = None, padded: bool = True, **extra) -> dict:
    """A base64url string as b64url_decode accepts it (padded or not), or as the server sends it (unpadded)."""
    pattern = f"^{B64URL_CHARACTERS}$" if padded else "^[A-Za-z0-9_-]*$"
    schema = {"type": "string", "pattern": pattern, "minLength": min_length, **extra}
    if max_length is not None:
        schema["maxLength"] = max_length
    return schema


# --- Errors ----------------------------------------------------------------------------
# Every error body is {"error": code, "detail": ...} (backend.api.exception_handler, backend.errors). `detail`
# is a sentence, or for field errors an object of field paths to sentences, in the request's language.
DETAIL_TEXT = {"type": "string", "description": "A sentence for people, in the language of Accept-Language."}
DETAIL_FIELDS = {
    "type": "object",
    "description": 'Field paths ("triage.category", "triage.indicators[0].value", "body") to sentences.',
    "additionalProperties": {"type": "string"},
}
# Each error code (`error`) with its `detail`'s shape and when it is answered.
ERROR_CODES = {
    "parse_error": (DETAIL_TEXT, "The body is not UTF-8 JSON, holds NaN or Infinity, or is nested too deeply."),
    "invalid": (DETAIL_FIELDS, "A field is missing or wrong (each bad field is named), or the proof of work is."),
    "bad_request": (DETAIL_TEXT, "The Host header is not one this server serves."),
    "unknown_receipt": (DETAIL_TEXT, "The receipt is missing, malformed, wrong or withdrawn: one answer for all."),
    "invalid_token": (DETAIL_TEXT, "The partner token is missing, wrong, expired or revoked: one answer for all."),
    "not_found": (DETAIL_TEXT, "Nothing here, or an unknown ?format=."),
    "not_acceptable": (DETAIL_TEXT, "Accept excludes every media type this operation answers in."),
    "duplicate": (DETAIL_FIELDS, "This exact ciphertext was stored before, as the same kind."),
    "payload_too_large": (DETAIL_TEXT, "The body is over its cap (checked against Content-Length first)."),
    "too_many": (DETAIL_FIELDS, "The report holds as many follow-ups or evidence files (or bytes) as it may."),
    "unsupported_media_type": (DETAIL_TEXT, "Not Content-Type: application/json, or a charset other than utf-8."),
    "throttled": (DETAIL_TEXT, "A global budget is spent for this minute; try again after Retry-After seconds."),
}
ERROR_EXAMPLES = {
    "parse_error": "Body is not valid UTF-8 JSON.",
    "invalid": {"triage.governorate": "Must be an ISO 3166-2:IQ code (e.g. IQ-BG) or a country code for abroad."},
    "bad_request": "Bad request.",
    "unknown_receipt": "Unknown receipt.",
    "invalid_token": "A valid partner token is needed: Authorization: Token <token>.",
    "not_found": "Not found.",
    "not_acceptable": "Could not satisfy the request Accept header.",
    "duplicate": {"ciphertext": "This ciphertext was received already."},
    "payload_too_large": "Request body too large.",
    "too_many": {"body": "A report holds at most 100 follow-ups."},
    "unsupported_media_type": "Only UTF-8 JSON is accepted: Content-Type: application/json; charset=utf-8.",
    "throttled": "Request was throttled. Expected available in 60 seconds.",
}
ERROR_STATUS = {
    "parse_error": 400,
    "invalid": 400,
    "bad_request": 400,
    "unknown_receipt": 401,
    "invalid_token": 401,
    "not_found": 404,
    "not_acceptable": 406,
    "duplicate": 409,
    "payload_too_large": 413,
    "too_many": 413,
    "unsupported_media_type": 415,
    "throttled": 429,
}


def error_schema(codes: list[str]) -> dict:
    details = []
    for code in codes:
        if ERROR_CODES[code][0] not in details:
            details.append(ERROR_CODES[code][0])
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["error", "detail"],
        "properties": {
            "error": {"type": "string", "enum": list(codes)},
            "detail": details[0] if len(details) == 1 else {"oneOf": details},
        },
    }


def error_responses(*codes: str) -> dict:
    """The `responses` entries for these error codes, grouped by status, each with its example: always JSON,
    whatever the operation answers in when it succeeds."""
    by_status: dict[int, list[str]] = {}
    for code in codes:
        by_status.setdefault(ERROR_STATUS[code], []).append(code)
    return {
        (status, "application/json"): OpenApiResponse(
            error_schema(status_codes),
            description=" ".join(f"`{code}`: {ERROR_CODES[code][1]}" for code in status_codes),
            examples=[
                OpenApiExample(code, value={"error": code, "detail": ERROR_EXAMPLES[code]}, status_codes=[str(status)])
                for code in status_codes
            ],
        )
        for status, status_codes in by_status.items()
    }


# Answered by every operation: a Host the server does not serve, an unknown ?format=, an Accept it cannot meet.
ANY_REQUEST_ERRORS = ("bad_request", "not_found", "not_acceptable")

RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    str,
    OpenApiParameter.HEADER,
    required=True,
    response=[429],
    description="Seconds to wait before trying again.",
    pattern="^[0-9]+$",
)
