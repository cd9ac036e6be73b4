"""HPKE for wire format v1, on `cryptography` alone (the client shares no code with the server)."""

from __future__ import annotations

from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric import mlkem, x25519

from client.i18n import _

X25519 = "X25519"
MLKEM768_X25519 = "MLKEM768-X25519"
SUITES = (MLKEM768_X25519, X25519)  # preference order
_MLKEM_PUBLIC = 1184


def _suite(kem: str) -> hpke.Suite:
    kem_id = {X25519: hpke.KEM.X25519, MLKEM768_X25519: hpke.KEM.MLKEM768_X25519}[kem]
    return hpke.Suite(kem_id, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)


def public_key(kem: str, raw: bytes):
    if kem == X25519:
        return x25519.X25519PublicKey.from_public_bytes(raw)
    if kem == MLKEM768_X25519 and len(raw) == _MLKEM_PUBLIC + 32:
        return hpke.MLKEM768X25519PublicKey(
            mlkem.MLKEM768PublicKey.from_public_bytes(raw[:_MLKEM_PUBLIC]),
            x25519.X25519PublicKey.from_public_bytes(raw[_MLKEM_PUBLIC:]),
        )
    raise ValueError(_("Unsupported or malformed intake key."))


def seal(kem: str, raw_public_key: bytes, plaintext: bytes, info: bytes) -> bytes:
    return _suite(kem).encrypt(plaintext, public_key(kem, raw_public_key), info=info)


def open_reply(private_key: x25519.X25519PrivateKey, ciphertext: bytes) -> bytes:
    return _suite(X25519).decrypt(ciphertext, private_key, info=b"sanad/v1/reply")
