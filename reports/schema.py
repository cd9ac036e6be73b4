"""Wire format v1 as JSON Schemas, for the OpenAPI document (/api/schema/): each made from the constants the
parsers enforce (reports.envelope, backend.pow, backend.crypto), never from numbers of its own.

Where the parser checks more than a schema can say (a key that is offered now, a ciphertext long enough for
its key's suite, a phone number possible for its country, a month not in the future), the schema says the
rest in words and the parser refuses with 400; what the schema refuses, the parser refuses too."""

from __future__ import annotations

import hashlib

from django.conf import settings

from accounts.models import SharedKey
from backend.crypto.blind_index import INDICATOR_TYPES, MAX_INDICATOR_LENGTH
from backend.crypto.encoding import b64url_encode, b64url_length
from backend.crypto.hpke import AEAD_NAME, KDF_NAME, Suite
from backend.places import LANGUAGES, PLACES
from backend.pow import CHALLENGE_BYTES, CHALLENGE_MAX_LENGTH, NONCE_PATTERN
from backend.receipts import DIGITS, GROUP
from backend.schema import b64url, wire_schema
from reports.envelope import (
    ENVELOPE_FIELDS,
    MAX_INDICATORS,
    MONTH_PATTERN,
    TRIAGE_FIELDS,
    TRIAGE_REQUIRED,
    WIRE_VERSION,
)
from reports.intake import IN_REVIEW, STATUS_FOR_STATE
from reports.vocabulary import FLAGS, Category

KEY_ID_MAX_LENGTH = SharedKey._meta.get_field("key_id").max_length
REPLY_KEY_BYTES = Suite.X25519.public_key_length
SHORTEST_CIPHERTEXT = min(suite.min_ciphertext_length for suite in Suite)


def ciphertext(max_bytes: int, what: str) -> dict:
    return b64url(
        min_length=b64url_length(SHORTEST_CIPHERTEXT, padded=False),
        max_length=b64url_length(max_bytes),
        description=f"base64url (padded or not) of the HPKE output of {what} to the key `key_id` names: at "
        f"most {max_bytes} bytes decoded, and at least its suite's shortest ciphertext "
        f"({', '.join(f'{suite.value}: {suite.min_ciphertext_length}' for suite in Suite)} bytes).",
    )


KEY_ID = {
    "type": "string",
    "minLength": 1,
    "maxLength": KEY_ID_MAX_LENGTH,
    "description": "The key_id of a key GET /api/v1/intake-keys/ lists now (opaque; `ik-` and 12 hex digits today).",
}

PROOF_OF_WORK = wire_schema(
    "ProofOfWork",
    {
        "type": "object",
        "description": "A solved challenge from GET /api/v1/pow/. Needed when its difficulty is not 0; when it is 0, "
        "a proof of this shape is ignored.",
        "additionalProperties": False,
        "required": ["challenge", "nonce"],
        "properties": {
            "challenge": b64url(max_length=CHALLENGE_MAX_LENGTH, description="The challenge, exactly as received."),
            "nonce": {"type": "string", "pattern": f"^{NONCE_PATTERN}$", "description": "ASCII decimal digits."},
        },
    },
)

INDICATOR = wire_schema(
    "Indicator",
    {
        "type": "object",
        "description": "A phone number or Telegram account or link the threat came from; the server keeps only a "
        "truncated keyed hash of its normalised form.",
        "additionalProperties": False,
        "required": ["type", "value"],
        "properties": {
            "type": {"type": "string", "enum": sorted(INDICATOR_TYPES)},
            "value": {
                "type": "string",
                "minLength": 1,
                "maxLength": MAX_INDICATOR_LENGTH,
                "description": "phone: any notation, Iraqi (+964) unless it has a country code; telegram: @name, "
                "t.me/name, an invite link and the like.",
            },
        },
    },
)

TRIAGE = wire_schema(
    "Triage",
    {
        "type": "object",
        "description": "What the server reads in clear to route the report.",
        "additionalProperties": False,
        "required": sorted(TRIAGE_REQUIRED),
        "properties": {
            "category": {"type": "string", "enum": list(Category.values)},
            "governorate": {
                "type": "string",
                "enum": sorted(PLACES),
                "description": "ISO 3166-2:IQ (a governorate, IQ-HA, or IQ-KR), or for a reporter abroad an ISO "
                "3166-1 alpha-2 country code.",
            },
            "incident_month": {
                "type": "string",
                "pattern": f"^{MONTH_PATTERN}$",
                "description": "YYYY-MM in ASCII digits, from 2000-01 to the current month (UTC, one day of slack).",
            },
            "immediate_danger": {"type": "boolean"},
            "needs_relocation": {"type": "boolean"},
            "language": {
                "type": "string",
                "enum": sorted(LANGUAGES),
                "description": "The language the reporter reads.",
            },
            "flags": {
                "type": "array",
                "items": {"type": "string", "enum": sorted(FLAGS)},
                "description": "Repeats count once.",
            },
            "indicators": {
                "type": "array",
                "maxItems": MAX_INDICATORS,
                "items": INDICATOR,
                "description": "Repeats count once.",
            },
        },
    },
)
assert set(TRIAGE.schema["properties"]) == TRIAGE_FIELDS  # each member the parser takes, and no other

REPORT_ENVELOPE = wire_schema(
    "ReportEnvelope",
    {
        "type": "object",
        "additionalProperties": False,
        "required": ["version", "key_id", "ciphertext", "triage"],
        "properties": {
            "version": {"type": "integer", "enum": [WIRE_VERSION], "description": "The JSON integer 1."},
            "key_id": KEY_ID,
            "ciphertext": ciphertext(settings.SANAD_MAX_REPORT_BYTES, "the report content"),
            "triage": TRIAGE,
            "reply_public_key": b64url(
                min_length=b64url_length(REPLY_KEY_BYTES, padded=False),
                max_length=b64url_length(REPLY_KEY_BYTES),
                description=f"A raw {REPLY_KEY_BYTES}-byte X25519 public key (not a low-order point) for staff's "
                "replies. Leave it out for no replies.",
            ),
            "pow": PROOF_OF_WORK,
        },
    },
)
assert set(REPORT_ENVELOPE.schema["properties"]) == ENVELOPE_FIELDS


def encrypted_content(component: str, max_bytes: int, what: str):
    return wire_schema(
        component,
        {
            "type": "object",
            "additionalProperties": False,
            "required": ["key_id", "ciphertext"],
            "properties": {"key_id": KEY_ID, "ciphertext": ciphertext(max_bytes, what), "pow": PROOF_OF_WORK},
        },
    )


FOLLOW_UP = encrypted_content("FollowUpContent", settings.SANAD_MAX_FOLLOWUP_BYTES, "the follow-up")
EVIDENCE = encrypted_content("EvidenceContent", settings.SANAD_MAX_EVIDENCE_BYTES, "the evidence file")

RECEIPT_PATTERN = f"^[0-9]{{{GROUP}}}(-[0-9]{{{GROUP}}}){{{DIGITS // GROUP - 1}}}$"
RECEIPT = wire_schema(
    "Receipt",
    {
        "type": "object",
        "additionalProperties": False,
        "required": ["receipt", "status"],
        "properties": {
            "receipt": {
                "type": "string",
                "pattern": RECEIPT_PATTERN,
                "description": "Shown once, never stored: the reporter's only way back to the report.",
            },
            "status": {"type": "string", "enum": ["received"]},
        },
    },
)


def status_only(component: str, value: str):
    return wire_schema(
        component,
        {
            "type": "object",
            "additionalProperties": False,
            "required": ["status"],
            "properties": {"status": {"type": "string", "enum": [value]}},
        },
    )


STORED = status_only("Stored", "stored")
WITHDRAWN = status_only("Withdrawn", "withdrawn")

REPORT_STATUS = wire_schema(
    "ReportStatus",
    {
        "type": "object",
        "additionalProperties": False,
        "required": ["status", "updated", "replies"],
        "properties": {
            "status": {"type": "string", "enum": sorted(set(STATUS_FOR_STATE.values()) | {IN_REVIEW})},
            "updated": {"type": "string", "format": "date", "description": "The UTC day of the last change."},
            "replies": {
                "type": "array",
                "items": b64url(padded=False, description="HPKE output to reply_public_key (X25519)."),
                "description": "Every reply, oldest first.",
            },
        },
    },
)

INTAKE_KEY = wire_schema(
    "IntakeKey",
    {
        "type": "object",
        "additionalProperties": False,
        "required": ["key_id", "kem", "kdf", "aead", "public_key"],
        "properties": {
            "key_id": KEY_ID | {"description": "Opaque ASCII (`ik-` and 12 hex digits today)."},
            "kem": {"type": "string", "enum": [suite.value for suite in Suite]},
            "kdf": {"type": "string", "enum": [KDF_NAME]},
            "aead": {"type": "string", "enum": [AEAD_NAME]},
            "public_key": b64url(
                padded=False,
                min_length=b64url_length(min(suite.public_key_length for suite in Suite), padded=False),
                max_length=b64url_length(max(suite.public_key_length for suite in Suite), padded=False),
                description="base64url, unpadded: "
                + ", ".join(f"{suite.value} {suite.public_key_length} bytes" for suite in Suite),
            ),
        },
    },
)

POW_CHALLENGE = wire_schema(
    "PowChallenge",
    {
        "type": "object",
        "additionalProperties": False,
        "required": ["challenge", "difficulty", "expires_at"],
        "properties": {
            "challenge": b64url(
                padded=False,
                max_length=b64url_length(CHALLENGE_BYTES, padded=False),
                description="Opaque; empty when the difficulty is 0.",
            ),
            "difficulty": {"type": "integer", "minimum": 0, "maximum": settings.SANAD_POW_MAX_BITS},
            "expires_at": {"type": "string", "format": "date-time"},
        },
    },
)


# Examples of the shapes above (tests/contract validates every example against its schema). Made of fixed
# bytes, so that each is canonical base64url of the right length; none is a real key or ciphertext.
EXAMPLE_CHALLENGE = b64url_encode((hashlib.sha256(b"sanad example challenge").digest() * 2)[:CHALLENGE_BYTES])
EXAMPLE_X25519_KEY = b64url_encode(hashlib.sha256(b"sanad example reply key").digest())
EXAMPLE_CIPHERTEXT = b64url_encode(hashlib.sha256(b"sanad example ciphertext").digest() * 4)
EXAMPLE_REPLY = b64url_encode(hashlib.sha256(b"sanad example reply").digest() * 3)
