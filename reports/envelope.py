"""Validation of wire format v1 envelopes: every field checked, every error named, nothing stored.

Errors are collected as {"field.path": "message"} and raised together as one
DRF ValidationError (400). Values are never echoed back. Messages are in the
language of the request (LocaleMiddleware); field paths stay as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework.exceptions import ValidationError

from accounts.models import SharedKey
from accounts.selectors import intake_keys_offered
from backend.crypto import hpke
from backend.crypto.blind_index import INDICATOR_TYPES, BlindIndexer
from backend.crypto.encoding import b64url_decode
from backend.crypto.errors import CryptoError, InvalidIndicator
from backend.places import LANGUAGES, PLACES
from reports.vocabulary import FLAGS, Category

WIRE_VERSION = 1  # the JSON integer 1 exactly: not 1.0, true or "1"
ENVELOPE_FIELDS = {"version", "key_id", "ciphertext", "triage", "reply_public_key", "pow"}
CONTENT_FIELDS = {"key_id", "ciphertext", "pow"}  # pow: when the server asks for it, as for reports
TRIAGE_REQUIRED = {"category", "governorate", "incident_month", "immediate_danger", "needs_relocation", "language"}
TRIAGE_FIELDS = TRIAGE_REQUIRED | {"flags", "indicators"}
MAX_INDICATORS = 20
EARLIEST_MONTH = date(2000, 1, 1)
MONTH_PATTERN = "([0-9]{4})-(0[1-9]|1[0-2])"  # ASCII digits only
_MONTH = re.compile(rf"\A{MONTH_PATTERN}\Z")


@dataclass
class Triage:
    category: str
    governorate: str
    incident_month: date
    immediate_danger: bool
    needs_relocation: bool
    language: str
    flags: list[str] = field(default_factory=list)
    indicators: list[tuple[str, int]] = field(default_factory=list)  # (kind, blind index)
    indicator_bits: int = 0  # the truncation the indexes above were made with

    def sealed_details(self) -> dict:
        """What is sealed rather than stored in plain columns."""
        return {
            "immediate_danger": self.immediate_danger,
            "needs_relocation": self.needs_relocation,
            "flags": self.flags,
            "language": self.language,
        }


@dataclass
class Envelope:
    key: SharedKey
    ciphertext: bytes
    triage: Triage
    reply_public_key: bytes | None
    pow: object


@dataclass
class Content:
    key: SharedKey
    ciphertext: bytes


class _Errors(dict):
    def require_object(self, data: object, name: str) -> bool:
        if not isinstance(data, dict):
            self[name] = _("Must be a JSON object.")
            return False
        return True

    def unknown(self, data: dict, allowed: set[str], prefix: str = "") -> None:
        for name in sorted(set(data) - allowed):
            # Escaped: a name with lone surrogates or control characters must not break the response.
            safe = name.encode("ascii", "backslashreplace").decode("ascii")
            self[f"{prefix}{safe}"[:80]] = _("Unknown field.")

    def raise_if_any(self) -> None:
        if self:
            raise ValidationError(dict(self))


def _key(errors: _Errors, value: object) -> SharedKey | None:
    if not isinstance(value, str) or not value:
        # Translators: GET /api/v1/intake-keys/ is an address; keep it as it is.
        errors["key_id"] = _("Must be a key id from GET /api/v1/intake-keys/.")
        return None
    key = next((key for key in intake_keys_offered() if key.key_id == value), None)
    if key is None:
        # Translators: GET /api/v1/intake-keys/ is an address; keep it as it is.
        errors["key_id"] = _("Unknown or inactive intake key; fetch GET /api/v1/intake-keys/ again.")
    return key


def _ciphertext(errors: _Errors, value: object, key: SharedKey | None, max_bytes: int) -> bytes | None:
    if not isinstance(value, str):
        errors["ciphertext"] = _("Must be a base64url string.")
        return None
    try:
        raw = b64url_decode(value, max_bytes=max_bytes)
    except CryptoError:
        errors["ciphertext"] = _("Not base64url, or too long.")
        return None
    if len(raw) > max_bytes:
        # Translators: said of the encrypted content (the ciphertext) of a submission.
        errors["ciphertext"] = _("Too long.")
        return None
    if key is not None and len(raw) < hpke.Suite(key.suite).min_ciphertext_length:
        # Translators: %(suite)s is the name of an encryption suite ("X25519" or "MLKEM768-X25519"); HPKE is
        # the name of the encryption standard.
        errors["ciphertext"] = _("Too short to be %(suite)s HPKE output.") % {"suite": key.suite}
        return None
    return raw


def _month(errors: _Errors, value: object) -> date | None:
    match = _MONTH.match(value) if isinstance(value, str) else None
    if not match:
        # Translators: "YYYY-MM" is the format to send (year, month) in ASCII digits; keep it as it is.
        errors["triage.incident_month"] = _('Must be "YYYY-MM".')
        return None
    if not EARLIEST_MONTH.year <= int(match[1]) <= 9999:
        errors["triage.incident_month"] = _("Must not be in the future or before 2000.")
        return None
    month = date(int(match[1]), int(match[2]), 1)
    # A day of slack: in Baghdad (UTC+3) the new month starts before it does in UTC.
    latest = (timezone.now() + timedelta(days=1)).date().replace(day=1)
    if not EARLIEST_MONTH <= month <= latest:
        errors["triage.incident_month"] = _("Must not be in the future or before 2000.")
        return None
    return month


def _indicators(errors: _Errors, value: object, indexer: BlindIndexer) -> list[tuple[str, int]]:
    if not isinstance(value, list) or len(value) > MAX_INDICATORS:
        errors["triage.indicators"] = ngettext(
            "Must be a list of at most %(limit)d indicator.",
            "Must be a list of at most %(limit)d indicators.",
            MAX_INDICATORS,
        ) % {"limit": MAX_INDICATORS}
        return []
    result = []
    for position, item in enumerate(value):
        name = f"triage.indicators[{position}]"
        if not isinstance(item, dict) or set(item) != {"type", "value"}:
            # Translators: a JSON object as it must be sent; keep it exactly as it is.
            errors[name] = _('Must be {"type": "phone"|"telegram", "value": str}.')
            continue
        if item["type"] not in INDICATOR_TYPES:
            # Translators: "phone" and "telegram" are values to send; keep them in Latin letters.
            errors[f"{name}.type"] = _('Must be "phone" or "telegram".')
            continue
        try:
            result.append(indexer.index_indicator(item["type"], item["value"]))
        except InvalidIndicator as exc:
            errors[f"{name}.value"] = _(str(exc))  # marked with gettext_noop in backend.crypto.blind_index
    return sorted(set(result))  # the same indicator twice counts once


def _triage(errors: _Errors, data: object) -> Triage | None:
    if not errors.require_object(data, "triage"):
        return None
    errors.unknown(data, TRIAGE_FIELDS, "triage.")
    for name in sorted(TRIAGE_REQUIRED - set(data)):
        # Translators: said of a field missing from a submission.
        errors[f"triage.{name}"] = _("Required.")
    category, governorate, language = data.get("category"), data.get("governorate"), data.get("language")
    if "category" in data and (not isinstance(category, str) or category not in Category.values):
        # Translators: %(values)s lists the codes allowed, in Latin letters.
        errors["triage.category"] = _("Must be one of %(values)s.") % {"values": ", ".join(Category.values)}
    if "governorate" in data and (not isinstance(governorate, str) or governorate not in PLACES):
        # Translators: ISO 3166-2:IQ names the standard of Iraq's province codes, and IQ-BG is one: keep both.
        errors["triage.governorate"] = _("Must be an ISO 3166-2:IQ code (e.g. IQ-BG) or a country code for abroad.")
    if "language" in data and (not isinstance(language, str) or language not in LANGUAGES):
        # Translators: %(values)s lists the language codes allowed, in Latin letters.
        errors["triage.language"] = _("Must be one of %(values)s.") % {"values": "ar, ckb, en"}
    for name in ("immediate_danger", "needs_relocation"):
        if name in data and not isinstance(data[name], bool):
            # Translators: true and false are the JSON values to send; keep them in Latin letters.
            errors[f"triage.{name}"] = _("Must be true or false.")
    flags = data.get("flags", [])
    if not isinstance(flags, list) or not all(isinstance(flag, str) and flag in FLAGS for flag in flags):
        # Translators: %(values)s lists the codes allowed, in Latin letters.
        errors["triage.flags"] = _("Must be a list drawn from %(values)s.") % {"values": ", ".join(sorted(FLAGS))}
        flags = []
    month = _month(errors, data["incident_month"]) if "incident_month" in data else None
    indexer = BlindIndexer.from_settings()
    indicators = _indicators(errors, data.get("indicators", []), indexer)
    if errors:
        return None
    return Triage(
        category=category,
        governorate=governorate,
        incident_month=month,
        immediate_danger=data["immediate_danger"],
        needs_relocation=data["needs_relocation"],
        language=language,
        flags=sorted(set(flags)),
        indicators=indicators,
        indicator_bits=indexer.bits,
    )


def _reply_key(errors: _Errors, value: object) -> bytes | None:
    """A reporter who wants no replies leaves the member out; null is not a key."""
    try:
        raw = b64url_decode(value, max_bytes=64) if isinstance(value, str) else b""
        hpke.load_reply_public_key(raw)  # refuses low-order points
    except CryptoError:
        errors["reply_public_key"] = _("Must be a base64url X25519 public key (32 bytes).")
        return None
    return raw


def parse_report_envelope(data: object, *, max_bytes: int) -> Envelope:
    """A validated report envelope, or ValidationError naming every bad field."""
    errors = _Errors()
    if not errors.require_object(data, "body"):
        errors.raise_if_any()
    errors.unknown(data, ENVELOPE_FIELDS)
    # type() rather than isinstance(): True is an int to Python, and 1.0 == 1.
    if type(data.get("version")) is not int or data["version"] != WIRE_VERSION:
        # Translators: 1 is the number of the wire format version to send.
        errors["version"] = _("Must be 1.")
    key = _key(errors, data.get("key_id"))
    ciphertext = _ciphertext(errors, data.get("ciphertext"), key, max_bytes)
    triage = _triage(errors, data.get("triage"))
    reply_key = _reply_key(errors, data["reply_public_key"]) if "reply_public_key" in data else None
    errors.raise_if_any()
    return Envelope(key=key, ciphertext=ciphertext, triage=triage, reply_public_key=reply_key, pow=data.get("pow"))


def parse_content(data: object, *, max_bytes: int) -> Content:
    """A validated follow-up or evidence body {"key_id", "ciphertext"}."""
    errors = _Errors()
    if not errors.require_object(data, "body"):
        errors.raise_if_any()
    errors.unknown(data, CONTENT_FIELDS)
    key = _key(errors, data.get("key_id"))
    ciphertext = _ciphertext(errors, data.get("ciphertext"), key, max_bytes)
    errors.raise_if_any()
    return Content(key=key, ciphertext=ciphertext)
