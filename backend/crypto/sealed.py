"""Server-sealed fields: AES-256-GCM under a key ring read from the environment.

For what the server itself must read (triage details, TOTP secrets, partner
token metadata, staff contact addresses). Threat model: a copy of the
database or a backup, without the environment, reveals nothing; an attacker
on the live server reads these fields (they are sealed, not end-to-end).

Envelope, version 1:
    b"\\x01" | len(key_id) (1 byte) | key_id (ASCII) | nonce (12 bytes) | ciphertext+tag
The associated data binds the envelope to its model, field and row, so a
sealed value copied into another row or column fails to open. The first key
of the ring seals; every key opens (`SECRET_KEY_FALLBACKS` style), and
`reseal` moves old rows to the first key. Unknown versions fail closed.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from backend.crypto.errors import (
    DecryptionFailed,
    InvalidKey,
    KeyRingMissing,
    MalformedCiphertext,
    UnknownKey,
    UnsupportedVersion,
)

VERSION = 1
_NONCE_LEN = 12
_TAG_LEN = 16
_KEY_LEN = 32


@dataclass(frozen=True)
class SealContext:
    """Where a sealed value lives: bound into the associated data."""

    model: str
    field: str
    row_id: str

    def associated_data(self, version: int, key_id: str) -> bytes:
        parts = [
            b"sanad/sealed",
            bytes([version]),
            key_id.encode("ascii"),
            self.model.encode(),
            self.field.encode(),
            self.row_id.encode(),
        ]
        # Length-prefix every part so no two contexts share an encoding.
        return b"".join(len(part).to_bytes(2, "big") + part for part in parts)


class KeyRing:
    """An ordered set of (key id, 32-byte key); the first seals, all open."""

    def __init__(self, keys: Sequence[tuple[str, bytes]]) -> None:
        if not keys:
            raise KeyRingMissing("No sealing key is configured.")
        for key_id, key in keys:
            if (
                not key_id.isascii()
                or not 1 <= len(key_id) <= 32
                or not key_id.replace("-", "").replace("_", "").isalnum()
            ):
                raise InvalidKey("Sealing key ids are 1-32 ASCII letters, digits, '-' or '_'.")
            if len(key) != _KEY_LEN:
                raise InvalidKey("Sealing keys are 32 bytes.")
        self._keys = dict(keys)
        self.primary_id = keys[0][0]

    @classmethod
    def from_settings(cls) -> KeyRing:
        from django.conf import settings

        return cls(settings.SANAD_SEALING_KEYS)

    def seal(self, plaintext: bytes, context: SealContext) -> bytes:
        key_id = self.primary_id
        nonce = os.urandom(_NONCE_LEN)
        header = bytes([VERSION, len(key_id)]) + key_id.encode("ascii")
        body = AESGCM(self._keys[key_id]).encrypt(nonce, plaintext, context.associated_data(VERSION, key_id))
        return header + nonce + body

    def open(self, envelope: bytes, context: SealContext) -> bytes:
        version, key_id, nonce, body = parse_envelope(envelope)
        key = self._keys.get(key_id)
        if key is None:
            raise UnknownKey("Sealed with a key that is not in the ring.")
        try:
            return AESGCM(key).decrypt(nonce, body, context.associated_data(version, key_id))
        except InvalidTag:
            raise DecryptionFailed("Sealed value failed to open.") from None

    def needs_reseal(self, envelope: bytes) -> bool:
        return parse_envelope(envelope)[1] != self.primary_id


def parse_envelope(envelope: bytes) -> tuple[int, str, bytes, bytes]:
    """Split a sealed envelope into (version, key id, nonce, ciphertext) or fail closed."""
    envelope = bytes(envelope)
    if len(envelope) < 2:
        raise MalformedCiphertext("Sealed value is truncated.")
    if envelope[0] != VERSION:
        raise UnsupportedVersion("Unknown sealed-value version.")
    id_len = envelope[1]
    start = 2 + id_len
    if id_len == 0 or len(envelope) < start + _NONCE_LEN + _TAG_LEN:
        raise MalformedCiphertext("Sealed value is truncated.")
    try:
        key_id = envelope[2:start].decode("ascii")
    except UnicodeDecodeError:
        raise MalformedCiphertext("Sealed value names an invalid key id.") from None
    return envelope[0], key_id, envelope[start : start + _NONCE_LEN], envelope[start + _NONCE_LEN :]
