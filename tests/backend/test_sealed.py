import os

import pytest

from backend.crypto.errors import (
    DecryptionFailed,
    InvalidKey,
    KeyRingMissing,
    MalformedCiphertext,
    UnknownKey,
    UnsupportedVersion,
)
from backend.crypto.sealed import KeyRing, SealContext, parse_envelope

CANARY = b"totp-secret-canary-JBSWY3DPEHPK3PXP"
ROW = SealContext(model="accounts.staffuser", field="contact_sealed", row_id="0b0e8f5e-1")


def ring(*ids):
    return KeyRing([(key_id, os.urandom(32)) for key_id in ids])


def test_round_trip_and_plaintext_absent():
    keys = ring("k1")
    envelope = keys.seal(CANARY, ROW)
    assert CANARY not in envelope
    assert b"canary" not in envelope
    assert keys.open(envelope, ROW) == CANARY


def test_envelope_names_version_and_key():
    envelope = ring("k2026-11").seal(b"x", ROW)
    version, key_id, nonce, body = parse_envelope(envelope)
    assert (version, key_id, len(nonce), len(body)) == (1, "k2026-11", 12, 1 + 16)


@pytest.mark.parametrize(
    "other",
    [
        SealContext(model="accounts.staffuser", field="contact_sealed", row_id="another-row"),
        SealContext(model="accounts.staffuser", field="totp_sealed", row_id=ROW.row_id),
        SealContext(model="reports.report", field="contact_sealed", row_id=ROW.row_id),
    ],
    ids=["wrong row", "wrong field", "wrong model"],
)
def test_value_moved_to_another_row_field_or_model_fails(other):
    keys = ring("k1")
    with pytest.raises(DecryptionFailed):
        keys.open(keys.seal(CANARY, ROW), other)


def test_wrong_key_with_same_id_fails():
    with pytest.raises(DecryptionFailed):
        ring("k1").open(ring("k1").seal(CANARY, ROW), ROW)


def test_key_missing_from_ring_is_unknown():
    with pytest.raises(UnknownKey):
        ring("k2").open(ring("k1").seal(CANARY, ROW), ROW)


def test_every_flipped_byte_fails_closed():
    keys = ring("k1")
    envelope = keys.seal(CANARY, ROW)
    for position in range(len(envelope)):
        tampered = bytearray(envelope)
        tampered[position] ^= 0x01
        with pytest.raises((DecryptionFailed, UnknownKey, UnsupportedVersion, MalformedCiphertext)):
            keys.open(bytes(tampered), ROW)


def test_unknown_version_fails_closed():
    keys = ring("k1")
    envelope = bytearray(keys.seal(CANARY, ROW))
    envelope[0] = 2
    with pytest.raises(UnsupportedVersion):
        keys.open(bytes(envelope), ROW)


@pytest.mark.parametrize("length", [0, 1, 2, 5, 20])
def test_truncated_envelope_is_malformed(length):
    keys = ring("k1")
    with pytest.raises(MalformedCiphertext):
        keys.open(keys.seal(b"", ROW)[:length], ROW)


def test_old_keys_still_open_and_new_values_use_the_first_key():
    old = ring("old")
    envelope = old.seal(CANARY, ROW)
    rotated = KeyRing([("new", os.urandom(32)), ("old", old._keys["old"])])
    assert rotated.open(envelope, ROW) == CANARY
    assert rotated.needs_reseal(envelope)
    assert not rotated.needs_reseal(rotated.seal(CANARY, ROW))


def test_bad_rings_are_refused():
    with pytest.raises(KeyRingMissing):
        KeyRing([])
    with pytest.raises(InvalidKey):
        KeyRing([("k1", os.urandom(16))])
    with pytest.raises(InvalidKey):
        KeyRing([("bad id!", os.urandom(32))])
