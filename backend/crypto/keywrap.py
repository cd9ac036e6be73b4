"""Wrap a secret (a personal private key) under a key derived from a password.

Argon2id (argon2-cffi) derives a 32-byte key from the password and a random
salt; AES-256-GCM encrypts the secret. Threat model: a database copy holds
only the envelope, so the secret falls only to an offline password guess at
Argon2id cost. The Argon2 parameters travel inside the envelope and are
authenticated, so raising them later leaves old envelopes readable and an
edited envelope fails. A wrapped key lives until the password changes
(re-wrapped) or an administrator resets it (lost by design).

Envelope, version 1:
    b"\\x01" | time_cost (4) | memory_cost KiB (4) | parallelism (1) | salt (16) | nonce (12) | ct+tag
"""

from __future__ import annotations

import os
import struct

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from backend.crypto.errors import MalformedCiphertext, UnsupportedVersion, WrongPassword

VERSION = 1
_HEADER = struct.Struct(">BIIB16s")
_NONCE_LEN = 12
_TAG_LEN = 16
# Bounds on parameters read back from an envelope: a tampered row must not be
# able to make a login spend gigabytes or minutes.
_MAX_TIME_COST = 16
_MAX_MEMORY_KIB = 1024 * 1024
_MAX_PARALLELISM = 16


def _derive(password: str, salt: bytes, time_cost: int, memory_cost: int, parallelism: int) -> bytes:
    return hash_secret_raw(
        secret=password.encode("utf-8"),
        salt=salt,
        time_cost=time_cost,
        memory_cost=memory_cost,
        parallelism=parallelism,
        hash_len=32,
        type=Type.ID,
    )


def _check_parameters(time_cost: int, memory_cost: int, parallelism: int) -> None:
    if not (1 <= time_cost <= _MAX_TIME_COST and 1 <= parallelism <= _MAX_PARALLELISM):
        raise MalformedCiphertext("Argon2 parameters out of range.")
    if not (8 * parallelism <= memory_cost <= _MAX_MEMORY_KIB):
        raise MalformedCiphertext("Argon2 parameters out of range.")


def wrap(secret: bytes, password: str, *, context: bytes, time_cost: int, memory_cost: int, parallelism: int) -> bytes:
    """Encrypt `secret` under Argon2id(password); `context` (e.g. user id) is authenticated.

    Refuses parameters that unwrap() would refuse, so nothing is wrapped that cannot be opened.
    """
    _check_parameters(time_cost, memory_cost, parallelism)
    salt = os.urandom(16)
    header = _HEADER.pack(VERSION, time_cost, memory_cost, parallelism, salt)
    key = _derive(password, salt, time_cost, memory_cost, parallelism)
    nonce = os.urandom(_NONCE_LEN)
    return header + nonce + AESGCM(key).encrypt(nonce, secret, b"sanad/keywrap/v1\x00" + header + context)


def unwrap(envelope: bytes, password: str, *, context: bytes) -> bytes:
    """Recover the secret; WrongPassword if the password or context does not match."""
    envelope = bytes(envelope)
    if not envelope:
        raise MalformedCiphertext("Wrapped key is empty.")
    if envelope[0] != VERSION:
        raise UnsupportedVersion("Unknown wrapped-key version.")
    if len(envelope) < _HEADER.size + _NONCE_LEN + _TAG_LEN:
        raise MalformedCiphertext("Wrapped key is truncated.")
    header = envelope[: _HEADER.size]
    _, time_cost, memory_cost, parallelism, salt = _HEADER.unpack(header)
    _check_parameters(time_cost, memory_cost, parallelism)
    nonce = envelope[_HEADER.size : _HEADER.size + _NONCE_LEN]
    key = _derive(password, salt, time_cost, memory_cost, parallelism)
    try:
        return AESGCM(key).decrypt(
            nonce, envelope[_HEADER.size + _NONCE_LEN :], b"sanad/keywrap/v1\x00" + header + context
        )
    except InvalidTag:
        raise WrongPassword("Wrong password.") from None
