import os

import pytest

from backend.crypto import keywrap
from backend.crypto.errors import MalformedCiphertext, UnsupportedVersion, WrongPassword

# CHEAP ARGON2 PARAMETERS, TESTS ONLY (production: time_cost 3, 64 MiB, parallelism 4).
CHEAP = {"time_cost": 1, "memory_cost": 8 * 1024, "parallelism": 1}
SECRET = os.urandom(96)


def test_round_trip_and_secret_absent():
    envelope = keywrap.wrap(SECRET, "pass phrase", context=b"user-1", **CHEAP)
    assert SECRET not in envelope
    assert SECRET[:16] not in envelope
    assert keywrap.unwrap(envelope, "pass phrase", context=b"user-1") == SECRET


def test_wrong_password_fails():
    envelope = keywrap.wrap(SECRET, "pass phrase", context=b"user-1", **CHEAP)
    with pytest.raises(WrongPassword):
        keywrap.unwrap(envelope, "pass phrasE", context=b"user-1")


def test_envelope_moved_to_another_user_fails():
    envelope = keywrap.wrap(SECRET, "pass phrase", context=b"user-1", **CHEAP)
    with pytest.raises(WrongPassword):
        keywrap.unwrap(envelope, "pass phrase", context=b"user-2")


def test_every_flipped_byte_fails_closed():
    envelope = keywrap.wrap(b"k" * 32, "pw", context=b"u", **CHEAP)
    for position in range(len(envelope)):
        tampered = bytearray(envelope)
        tampered[position] ^= 0x01
        with pytest.raises((WrongPassword, UnsupportedVersion, MalformedCiphertext)):
            keywrap.unwrap(bytes(tampered), "pw", context=b"u")


def test_unknown_version_and_truncation_fail_closed():
    envelope = keywrap.wrap(SECRET, "pw", context=b"u", **CHEAP)
    with pytest.raises(UnsupportedVersion):
        keywrap.unwrap(b"\x02" + envelope[1:], "pw", context=b"u")
    for length in (0, 10, 40):
        with pytest.raises(MalformedCiphertext):
            keywrap.unwrap(envelope[:length], "pw", context=b"u")


def test_tampered_parameters_cannot_force_huge_work():
    envelope = bytearray(keywrap.wrap(SECRET, "pw", context=b"u", **CHEAP))
    envelope[5:9] = (64 * 1024 * 1024).to_bytes(4, "big")  # memory_cost: 64 GiB
    with pytest.raises(MalformedCiphertext):
        keywrap.unwrap(bytes(envelope), "pw", context=b"u")
