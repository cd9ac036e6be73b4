"""Stored and wire encodings: base64url (backend.crypto.encoding), sealed fields (backend.crypto.sealed through
backend.sealed_fields) and wrapped personal keys (backend.crypto.keywrap).

The first byte of an input chooses what the rest is:
0. base64url text, decoded with and without a size cap; anything encodes and decodes back;
1. a sealed field's stored bytes, opened as report ROW's triage_sealed with the settings' key ring;
2. a wrapped personal key, unwrapped under fuzz.harness's password and context (PASSWORD, CONTEXT);
3. a plaintext, sealed and opened again, and wrapped and unwrapped again.
Only the errors of backend.crypto.errors that each module raises may escape.
"""

from __future__ import annotations

import contextlib
import hashlib
import uuid

from backend.crypto import keywrap
from backend.crypto.encoding import b64url_decode, b64url_encode
from backend.crypto.errors import (
    DecryptionFailed,
    MalformedCiphertext,
    MalformedEncoding,
    UnknownKey,
    UnsupportedVersion,
    WrongPassword,
)
from backend.crypto.sealed import KeyRing, SealContext, parse_envelope
from backend.sealed_fields import open_value, seal_value
from reports.models import Report

DECLARED = (MalformedEncoding, MalformedCiphertext, UnsupportedVersion, UnknownKey, DecryptionFailed, WrongPassword)
MAX_LEN = 4096
# What seeds of mode 2 are wrapped under; the context is shaped as accounts.services binds a personal key.
PASSWORD = "fuzzing only: correct horse battery staple"
CONTEXT = b"sanad/personal-key\x001\x00X25519" + hashlib.sha256(b"fuzz").digest()
# Argon2 parameters above these are real (unwrap accepts up to 16 passes over 1 GiB) but too slow to fuzz:
# such inputs are skipped before any work.
_MAX_FUZZ_TIME_COST = 2
_MAX_FUZZ_MEMORY_KIB = 8 * 1024
_CHEAP = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}
ROW = uuid.UUID(int=1)  # the report that seeds of mode 1 are sealed for
OTHER_ROW = uuid.UUID(int=2)


def prepared():
    return contextlib.nullcontext()


def _base64url(text_bytes: bytes) -> None:
    text = text_bytes.decode("utf-8", "surrogateescape")
    for cap in (None, 32):
        try:
            raw = b64url_decode(text, max_bytes=cap)
        except MalformedEncoding:
            continue
        assert b64url_encode(raw) == text.rstrip("="), text
        assert cap is None or len(raw) <= cap + 3
    assert b64url_decode(b64url_encode(text_bytes)) == text_bytes


def _sealed_field(stored: bytes) -> None:
    ring = KeyRing.from_settings()
    report = Report(pk=ROW, triage_sealed=stored)
    try:
        plaintext = open_value(report, "triage_sealed", ring=ring)
    except DECLARED:
        try:
            ring.needs_reseal(stored)
        except DECLARED:
            pass
        return
    version, key_id, _nonce, _body = parse_envelope(stored)
    assert version == 1
    assert ring.needs_reseal(stored) == (key_id != ring.primary_id)
    # The same bytes in another row, or another column, do not open.
    for other, field in ((Report(pk=OTHER_ROW), "triage_sealed"), (report, "ciphertext")):
        context = SealContext(model="reports.report", field=field, row_id=str(other.pk))
        try:
            ring.open(stored, context)
        except DecryptionFailed:
            continue
        raise AssertionError("a sealed value opened in another place")
    report.triage_sealed = seal_value(report, "triage_sealed", plaintext, ring=ring)
    assert open_value(report, "triage_sealed", ring=ring) == plaintext


def _wrapped_key(envelope: bytes) -> None:
    if len(envelope) >= keywrap._HEADER.size and envelope[0] == keywrap.VERSION:
        _, time_cost, memory_cost, parallelism, _salt = keywrap._HEADER.unpack(envelope[: keywrap._HEADER.size])
        try:
            keywrap._check_parameters(time_cost, memory_cost, parallelism)
        except MalformedCiphertext:
            pass  # refused before any work: fuzz it
        else:
            if time_cost > _MAX_FUZZ_TIME_COST or memory_cost > _MAX_FUZZ_MEMORY_KIB:
                return
    try:
        keywrap.unwrap(envelope, PASSWORD, context=CONTEXT)
    except DECLARED:
        return


def _round_trip(plaintext: bytes) -> None:
    ring = KeyRing.from_settings()
    report = Report(pk=ROW)
    sealed = seal_value(report, "triage_sealed", plaintext, ring=ring)
    report.triage_sealed = sealed
    assert open_value(report, "triage_sealed", ring=ring) == plaintext
    assert not ring.needs_reseal(sealed)
    wrapped = keywrap.wrap(plaintext, PASSWORD, context=CONTEXT, **_CHEAP)
    assert keywrap.unwrap(wrapped, PASSWORD, context=CONTEXT) == plaintext
    try:
        keywrap.unwrap(wrapped, PASSWORD + " ", context=CONTEXT)
    except WrongPassword:
        return
    raise AssertionError("unwrapped under another password")


MODES = (_base64url, _sealed_field, _wrapped_key, _round_trip)


def test_one_input(data: bytes) -> None:
    if data:
        MODES[data[0] % len(MODES)](data[1:])
