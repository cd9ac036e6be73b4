"""Reporter receipts: the only credential a reporter holds, shown once.

A receipt is 20 random decimal digits (66 bits of entropy), shown in groups
of four so it can be typed on any phone keyboard; digits typed in Arabic-Indic
or Extended Arabic-Indic (Persian/Kurdish) script are accepted as the same
digits. The server stores only HMAC-SHA256(receipt key, receipt), which is
also the lookup key, and compares in constant time. Without the receipt key a
database copy cannot even test a guessed receipt. A receipt lives as long as
its report: withdrawal or retention purge deletes the hash.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from backend.crypto.errors import InvalidKey

DIGITS = 20
GROUP = 4
_DOMAIN = b"sanad/receipt/v1\x00"
# Separators people type between groups, and the invisible marks that copying digits out of
# right-to-left text carries along (direction marks, embeddings and isolates, zero-width spaces,
# joiners and no-breaks, the Arabic letter mark and thousands separator, line breaks); anything else
# makes the receipt malformed. web/src/secret.js accepts the same.
_SEPARATORS = {" ", "-", "\u00a0", "\u2009", "\u202f", "\u2010", "\u2011", "\u2012", "\u2013", "\u2212", "."}
_SEPARATORS |= {"\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u2066", "\u2067", "\u2068", "\u2069"}
_SEPARATORS |= {
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",
    "\u2060",
    "\ufeff",
    "\u061c",
    "\u066c",
    "\n",
    "\r",
    "\t",
}
# Arabic-Indic (U+0660..) and Extended Arabic-Indic (U+06F0..) digits map to ASCII.
_DIGIT_MAP = {chr(base + i): str(i) for base in (0x0660, 0x06F0) for i in range(10)}
_DIGIT_MAP.update({str(i): str(i) for i in range(10)})
MAX_INPUT_LENGTH = 64


class MalformedReceipt(ValueError):
    pass


def receipt_new() -> str:
    """A fresh receipt, grouped for display: '1234-5678-9012-3456-7890'."""
    digits = f"{secrets.randbelow(10**DIGITS):0{DIGITS}d}"
    return "-".join(digits[i : i + GROUP] for i in range(0, DIGITS, GROUP))


def receipt_canonical(text: str) -> str:
    """The 20 ASCII digits of a typed receipt, or MalformedReceipt."""
    if not isinstance(text, str) or len(text) > MAX_INPUT_LENGTH:
        raise MalformedReceipt("Malformed receipt.")
    digits = []
    for char in text.strip():
        if char in _DIGIT_MAP:
            digits.append(_DIGIT_MAP[char])
        elif char not in _SEPARATORS:
            raise MalformedReceipt("Malformed receipt.")
    if len(digits) != DIGITS:
        raise MalformedReceipt("Malformed receipt.")
    return "".join(digits)


def _key() -> bytes:
    from django.conf import settings

    key = settings.SANAD_RECEIPT_KEY
    if not key or len(key) < 32:
        raise InvalidKey("No receipt key is configured.")
    return key


def receipt_hash(receipt: str, *, key: bytes | None = None) -> bytes:
    """The keyed hash stored for (and used to look up) a receipt."""
    canonical = receipt_canonical(receipt)
    return hmac.new(key or _key(), _DOMAIN + canonical.encode("ascii"), hashlib.sha256).digest()


def receipt_matches(receipt: str, stored_hash: bytes, *, key: bytes | None = None) -> bool:
    """Constant-time check of a typed receipt against a stored hash; False if malformed."""
    try:
        candidate = receipt_hash(receipt, key=key)
    except MalformedReceipt:
        # Hash a fixed dummy so a malformed receipt costs the same time as a wrong one.
        candidate = hmac.new(key or _key(), _DOMAIN + b"0" * DIGITS, hashlib.sha256).digest()
        hmac.compare_digest(candidate, bytes(stored_hash))
        return False
    return hmac.compare_digest(candidate, bytes(stored_hash))
