"""Blind indexes: truncated keyed hashes of indicators, for candidate links.

An indicator (the phone number that threatened someone, the Telegram channel
that published their photo) is normalised, then HMAC-SHA256'd under its own
key and truncated to L bits. The server keeps only that number; the value
itself lives inside the reporter's HPKE ciphertext.

Truncation follows CipherSweet's planning rule: with R indicator rows
expected, choose L so that R / 2^L >= 2, i.e. every index value is expected to
be shared by at least two unrelated indicators. A match is therefore a
*candidate* link for a caseworker to confirm by reading both reports, never
proof. The same rule protects against an attacker who also holds the key:
Iraq's mobile numbering space is about 10^9 numbers, so each L-bit value
stands for 10^9 / 2^L numbers and the index cannot be inverted to one.

The key cannot be rotated (the server has no plaintext to re-index); changing
L re-indexes nothing either, so the bit length is stored with each index row.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import phonenumbers
from django.utils.translation import gettext_noop

from backend.crypto.errors import InvalidIndicator, InvalidKey

DEFAULT_PHONE_REGION = "IQ"
_DOMAIN = b"sanad/blind-index/v1"
_TELEGRAM_USERNAME = re.compile(r"\A[a-z][a-z0-9_]{3,31}\Z")
_TELEGRAM_INVITE = re.compile(r"\A[A-Za-z0-9_-]{8,64}\Z")
_TELEGRAM_HOSTS = {"t.me", "telegram.me", "telegram.dog"}
MAX_INDICATOR_LENGTH = 256  # characters of an indicator's value as sent
# The wire format's indicator types (a telegram value may turn out to be the kind telegram_invite).
INDICATOR_TYPES = ("phone", "telegram")
# InvalidIndicator messages are shown to reporters (a 400 naming the indicator). They are marked with
# gettext_noop: the exception keeps the English text, and the API edge (reports.envelope) translates it
# into the request's language.


class IndicatorKind:
    PHONE = "phone"
    TELEGRAM = "telegram"
    TELEGRAM_INVITE = "telegram_invite"


def planned_bits(expected_rows: int) -> int:
    """The largest L with expected_rows / 2^L >= 2 (at least 1 bit)."""
    if expected_rows < 4:
        return 1
    return max(1, min(63, math.floor(math.log2(expected_rows / 2))))


def normalise_phone(value: str, default_region: str = DEFAULT_PHONE_REGION) -> str:
    """E.164 form ('+9647701234567'); Iraq is assumed for numbers without a country code."""
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_INDICATOR_LENGTH:
        raise InvalidIndicator(gettext_noop("Not a phone number."))
    e164 = _e164(value, default_region)
    # The index is taken of this form, so typed as shown it must give itself again. phonenumbers reads the
    # first of a national number's leading zeros ("+964 0000 010 567") as a trunk prefix each time, so such
    # a number would have as many indexes as zeros; no real number has them (Italy's one zero reads back).
    if _e164(e164, default_region) != e164:
        raise InvalidIndicator(gettext_noop("Not a possible phone number."))
    return e164


def _e164(value: str, default_region: str) -> str:
    try:
        number = phonenumbers.parse(value, default_region)
    except phonenumbers.NumberParseException:
        raise InvalidIndicator(gettext_noop("Not a phone number.")) from None
    # "Possible" (right length for the country), not "valid": threats come from
    # new ranges and spoofed numbers that the metadata may not know yet.
    if not phonenumbers.is_possible_number(number):
        raise InvalidIndicator(gettext_noop("Not a possible phone number."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_telegram(value: str) -> tuple[str, str]:
    """(kind, value): a lower-cased username, or a private invite hash (case kept)."""
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_INDICATOR_LENGTH:
        raise InvalidIndicator(gettext_noop("Not a Telegram username or link."))
    text = value.strip()
    if text.startswith("@"):
        return IndicatorKind.TELEGRAM, _username(text[1:])
    if "://" not in text and "/" in text:
        text = "https://" + text
    if "://" not in text:
        if text.lower().endswith(".t.me"):
            return IndicatorKind.TELEGRAM, _username(text[: -len(".t.me")])
        return IndicatorKind.TELEGRAM, _username(text)
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").lower()
    except ValueError:  # an unmatched bracket reads as a broken IPv6 address
        raise InvalidIndicator(gettext_noop("Not a Telegram link.")) from None
    if parts.scheme.lower() == "tg":
        domain = parse_qs(parts.query).get("domain", [""])[0]
        return IndicatorKind.TELEGRAM, _username(domain)
    if host.endswith(".t.me"):
        return IndicatorKind.TELEGRAM, _username(host[: -len(".t.me")])
    if host not in _TELEGRAM_HOSTS:
        raise InvalidIndicator(gettext_noop("Not a Telegram link."))
    segments = [segment for segment in parts.path.split("/") if segment]
    if not segments:
        raise InvalidIndicator(gettext_noop("Telegram link names no channel."))
    first = segments[0]
    if first.startswith("+"):
        return IndicatorKind.TELEGRAM_INVITE, _invite(first[1:])
    if first.lower() == "joinchat" and len(segments) > 1:
        return IndicatorKind.TELEGRAM_INVITE, _invite(segments[1])
    if first.lower() == "s" and len(segments) > 1:  # public web preview: t.me/s/<name>
        first = segments[1]
    return IndicatorKind.TELEGRAM, _username(first)


def _username(text: str) -> str:
    handle = text.strip().lower()
    if not _TELEGRAM_USERNAME.match(handle):
        raise InvalidIndicator(gettext_noop("Not a Telegram username."))
    return handle


def _invite(text: str) -> str:
    if not _TELEGRAM_INVITE.match(text):
        raise InvalidIndicator(gettext_noop("Not a Telegram invite link."))
    return text


def normalise_indicator(indicator_type: str, value: str) -> tuple[str, str]:
    """(kind, normalised value) for a wire-format indicator {"type", "value"}."""
    if indicator_type == "phone":
        return IndicatorKind.PHONE, normalise_phone(value)
    if indicator_type == "telegram":
        return normalise_telegram(value)
    raise InvalidIndicator("Unknown indicator type.")


@dataclass(frozen=True)
class BlindIndexer:
    key: bytes
    bits: int

    def __post_init__(self) -> None:
        if len(self.key) < 32:
            raise InvalidKey("The blind-index key must be at least 32 bytes.")
        if not 1 <= self.bits <= 63:
            raise InvalidKey("Blind-index length must be 1 to 63 bits.")

    @classmethod
    def from_settings(cls) -> BlindIndexer:
        from django.conf import settings

        if settings.SANAD_BLIND_INDEX_KEY is None:
            raise InvalidKey("No blind-index key is configured.")
        bits = settings.SANAD_BLIND_INDEX_BITS or planned_bits(settings.SANAD_BLIND_INDEX_EXPECTED_ROWS)
        return cls(settings.SANAD_BLIND_INDEX_KEY, bits)

    def index(self, kind: str, normalised: str) -> int:
        """The L-bit blind index of a normalised indicator of the given kind."""
        message = _DOMAIN + b"\x00" + kind.encode("ascii") + b"\x00" + normalised.encode("utf-8")
        digest = hmac.new(self.key, message, hashlib.sha256).digest()
        return int.from_bytes(digest[:8], "big") >> (64 - self.bits)

    def index_indicator(self, indicator_type: str, value: str) -> tuple[str, int]:
        kind, normalised = normalise_indicator(indicator_type, value)
        return kind, self.index(kind, normalised)
