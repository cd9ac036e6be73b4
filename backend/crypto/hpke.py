"""HPKE (RFC 9180) single-shot encryption for the two suites of wire format v1.

Threat model: report content, follow-ups, evidence and replies are encrypted
to public keys whose private halves the server never holds in clear at rest
(intake and relocation keys exist only wrapped to staff members' personal keys,
and personal keys only wrapped under their passwords). HPKE authenticates the
ciphertext and its `info` context, but not the sender, it has no replay
protection and it does not hide length: callers refuse stored duplicates and
clients pad. Key pairs live until an operator retires them; ephemeral keys are
fresh for every message (generated inside `cryptography`).

Suites (KDF HKDF-SHA256 and AEAD AES-256-GCM in both):
- `X25519`: DHKEM(X25519, HKDF-SHA256). Public key: raw 32 bytes.
- `MLKEM768-X25519`: the post-quantum hybrid. Public key: the ML-KEM-768
  encapsulation key (1184 bytes) followed by the raw X25519 key (32 bytes).
Private keys serialise as the X25519 raw key, or the 64-byte ML-KEM seed
followed by the X25519 raw key.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke as _hpke
from cryptography.hazmat.primitives.asymmetric import mlkem, x25519

from backend.crypto.errors import DecryptionFailed, InvalidKey, MalformedCiphertext, UnknownSuite

KDF_NAME = "HKDF-SHA256"
AEAD_NAME = "AES-256-GCM"
AEAD_TAG_LENGTH = 16

_X25519_LEN = 32
_MLKEM768_PUBLIC_LEN = 1184
_MLKEM768_SEED_LEN = 64


class Suite(enum.StrEnum):
    X25519 = "X25519"
    MLKEM768_X25519 = "MLKEM768-X25519"

    @classmethod
    def parse(cls, name: str) -> Suite:
        try:
            return cls(name)
        except ValueError:
            raise UnknownSuite("Unknown HPKE suite.") from None

    @property
    def public_key_length(self) -> int:
        return _X25519_LEN if self is Suite.X25519 else _MLKEM768_PUBLIC_LEN + _X25519_LEN

    @property
    def private_key_length(self) -> int:
        return _X25519_LEN if self is Suite.X25519 else _MLKEM768_SEED_LEN + _X25519_LEN

    @property
    def encapsulated_key_length(self) -> int:
        kem = _hpke.KEM.X25519 if self is Suite.X25519 else _hpke.KEM.MLKEM768_X25519
        return kem.enc_length()

    @property
    def min_ciphertext_length(self) -> int:
        """Length of the encryption of an empty plaintext: encapsulated key plus AEAD tag."""
        return self.encapsulated_key_length + AEAD_TAG_LENGTH

    def _cipher(self) -> _hpke.Suite:
        kem = _hpke.KEM.X25519 if self is Suite.X25519 else _hpke.KEM.MLKEM768_X25519
        return _hpke.Suite(kem, _hpke.KDF.HKDF_SHA256, _hpke.AEAD.AES_256_GCM)


DEFAULT_SUITE = Suite.MLKEM768_X25519


# --- Contexts (`info`) of wire format v1 and of key grants --------------------


def report_info(key_id: str) -> bytes:
    return b"sanad/v1/report:" + key_id.encode("ascii")


def followup_info(key_id: str) -> bytes:
    return b"sanad/v1/followup:" + key_id.encode("ascii")


def evidence_info(key_id: str) -> bytes:
    return b"sanad/v1/evidence:" + key_id.encode("ascii")


REPLY_INFO = b"sanad/v1/reply"


def grant_info(key_id: str, holder_id: str) -> bytes:
    """Binds a wrapped shared private key to its key and to the holder it was granted to."""
    return b"sanad/v1/grant:" + key_id.encode("ascii") + b"\x00" + holder_id.encode("ascii")


# --- Keys ---------------------------------------------------------------------


@dataclass(frozen=True)
class PublicKey:
    suite: Suite
    raw: bytes = field(repr=False)

    def _native(self):
        if self.suite is Suite.X25519:
            return x25519.X25519PublicKey.from_public_bytes(self.raw)
        return _hpke.MLKEM768X25519PublicKey(
            mlkem.MLKEM768PublicKey.from_public_bytes(self.raw[:_MLKEM768_PUBLIC_LEN]),
            x25519.X25519PublicKey.from_public_bytes(self.raw[_MLKEM768_PUBLIC_LEN:]),
        )


@dataclass(frozen=True)
class PrivateKey:
    suite: Suite
    raw: bytes = field(repr=False)

    def public_key(self) -> PublicKey:
        if self.suite is Suite.X25519:
            native = x25519.X25519PrivateKey.from_private_bytes(self.raw)
            return PublicKey(self.suite, native.public_key().public_bytes_raw())
        seed, x_raw = self.raw[:_MLKEM768_SEED_LEN], self.raw[_MLKEM768_SEED_LEN:]
        ml_public = mlkem.MLKEM768PrivateKey.from_seed_bytes(seed).public_key().public_bytes_raw()
        x_public = x25519.X25519PrivateKey.from_private_bytes(x_raw).public_key().public_bytes_raw()
        return PublicKey(self.suite, ml_public + x_public)

    def _native(self):
        if self.suite is Suite.X25519:
            return x25519.X25519PrivateKey.from_private_bytes(self.raw)
        return _hpke.MLKEM768X25519PrivateKey(
            mlkem.MLKEM768PrivateKey.from_seed_bytes(self.raw[:_MLKEM768_SEED_LEN]),
            x25519.X25519PrivateKey.from_private_bytes(self.raw[_MLKEM768_SEED_LEN:]),
        )


def generate_private_key(suite: Suite = DEFAULT_SUITE) -> PrivateKey:
    x_raw = x25519.X25519PrivateKey.generate().private_bytes_raw()
    if suite is Suite.X25519:
        return PrivateKey(suite, x_raw)
    return PrivateKey(suite, mlkem.MLKEM768PrivateKey.generate().private_bytes_raw() + x_raw)


def load_public_key(suite: Suite, raw: bytes) -> PublicKey:
    """Validate and wrap public key bytes; raises InvalidKey."""
    if len(raw) != suite.public_key_length:
        raise InvalidKey("Public key has the wrong length for its suite.")
    key = PublicKey(suite, bytes(raw))
    try:
        key._native()
    except ValueError:
        raise InvalidKey("Not a valid public key for its suite.") from None
    return key


# A reply key is refused if X25519 with it gives the all-zero shared secret (a low-order
# point, which RFC 7748 and RFC 9180 reject). That depends on the point alone, since every
# scalar is clamped to a multiple of the cofactor, so one private key serves every check;
# the secrets it computes are thrown away. Half the cost of a trial HPKE encryption.
_LOW_ORDER_PROBE = x25519.X25519PrivateKey.generate()


def load_reply_public_key(raw: bytes) -> PublicKey:
    """A reporter's X25519 reply key that replies can be encrypted to; raises InvalidKey."""
    key = load_public_key(Suite.X25519, raw)
    try:
        _LOW_ORDER_PROBE.exchange(key._native())
    except ValueError:
        raise InvalidKey("Cannot encrypt to this public key.") from None
    return key


def load_private_key(suite: Suite, raw: bytes) -> PrivateKey:
    """Validate and wrap private key bytes; raises InvalidKey."""
    if len(raw) != suite.private_key_length:
        raise InvalidKey("Private key has the wrong length for its suite.")
    key = PrivateKey(suite, bytes(raw))
    try:
        key._native()
    except ValueError:
        raise InvalidKey("Not a valid private key for its suite.") from None
    return key


# --- Encryption -----------------------------------------------------------------


def encrypt(public_key: PublicKey, plaintext: bytes, *, info: bytes) -> bytes:
    """Single-shot HPKE: the encapsulated key followed by the AEAD ciphertext."""
    try:
        return public_key.suite._cipher().encrypt(plaintext, public_key._native(), info=info)
    except ValueError:
        # e.g. a low-order X25519 point, whose shared secret RFC 9180 rejects.
        raise InvalidKey("Cannot encrypt to this public key.") from None


def check_ciphertext_shape(suite: Suite, ciphertext: bytes) -> None:
    """Refuse bytes that cannot be this suite's HPKE output, before trying to decrypt."""
    if len(ciphertext) < suite.min_ciphertext_length:
        raise MalformedCiphertext("Ciphertext is shorter than this suite's minimum.")


def decrypt(private_key: PrivateKey, ciphertext: bytes, *, info: bytes) -> bytes:
    """Open single-shot HPKE output; raises MalformedCiphertext or DecryptionFailed."""
    check_ciphertext_shape(private_key.suite, ciphertext)
    try:
        return private_key.suite._cipher().decrypt(ciphertext, private_key._native(), info=info)
    except InvalidTag:
        raise DecryptionFailed("HPKE decryption failed.") from None
    except ValueError:
        raise MalformedCiphertext("Not HPKE output for this suite.") from None
