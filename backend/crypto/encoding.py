"""Strict base64url, the encoding of every key and ciphertext on the wire."""

import base64
import binascii
import re

from backend.crypto.errors import MalformedEncoding

# What b64url_decode accepts, character by character (padded or not); the API schema's pattern too.
B64URL_CHARACTERS = "[A-Za-z0-9_-]*={0,2}"
_ALPHABET = re.compile(rf"\A{B64URL_CHARACTERS}\Z")


def b64url_length(raw_bytes: int, *, padded: bool = True) -> int:
    """Characters of the base64url encoding of `raw_bytes` bytes, with or without its padding."""
    return (raw_bytes + 2) // 3 * 4 if padded else (raw_bytes * 4 + 2) // 3


def b64url_check_characters(text: str) -> bool:
    """Whether `text` is made only of base64url's characters, with at most two "=" of padding at its end."""
    return _ALPHABET.match(text) is not None


def b64url_encode(data: bytes) -> str:
    """Unpadded base64url (RFC 4648 section 5)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str, *, max_bytes: int | None = None) -> bytes:
    """Decode base64url, padded or not; refuse any other character or a non-canonical form."""
    if not isinstance(text, str) or not _ALPHABET.match(text):
        raise MalformedEncoding("Not base64url.")
    if max_bytes is not None and len(text) > (max_bytes * 4) // 3 + 4:
        raise MalformedEncoding("Too long.")
    stripped = text.rstrip("=")
    # Padding, if any, is exactly what the encoding needs ("AAAAAA==", not "AAAAAA=" or "AAAAAAA==").
    if len(stripped) % 4 == 1 or (stripped != text and len(text) % 4 != 0):
        raise MalformedEncoding("Not base64url.")
    try:
        raw = base64.urlsafe_b64decode(stripped + "=" * (-len(stripped) % 4))
    except (binascii.Error, ValueError):
        raise MalformedEncoding("Not base64url.") from None
    # One byte string, one encoding: refuse strings whose unused low bits are set.
    if b64url_encode(raw) != stripped:
        raise MalformedEncoding("Not canonical base64url.")
    return raw
