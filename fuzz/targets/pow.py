"""Proofs of work as sent in a body's "pow": backend.pow.pow_verify.

An input is the JSON of the "pow" member (what BoundedJSONParser would hand
over); an input that is not JSON is not a proof anyone can send. The clock is
fuzz.harness.CLOCK, so the committed proofs are still unexpired. Only PowError
may escape, and an accepted proof is one the challenge's MAC, expiry and
difficulty allow.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from backend.crypto.encoding import b64url_decode
from backend.pow import CHALLENGE_BYTES, PowError, current_difficulty, leading_zero_bits, pow_verify
from fuzz.harness import CLOCK, pow_clock

DECLARED = (PowError,)
DICT = "json.dict"  # fuzz/dicts/: JSON's tokens and the wire format's names
MAX_LEN = 512


def prepared():
    return pow_clock()


def _reject_constant(name: str):
    raise ValueError(name)


def test_one_input(data: bytes) -> None:
    try:
        proof = json.loads(data.decode("utf-8", "surrogatepass"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return
    try:
        verified = pow_verify(proof)
    except DECLARED:
        return
    raw = b64url_decode(proof["challenge"])
    assert len(raw) == CHALLENGE_BYTES
    difficulty = raw[24]  # the challenge: 16 random bytes, expiry (8), difficulty (1), then its MAC
    assert difficulty >= current_difficulty() - 1
    assert leading_zero_bits(hashlib.sha256(raw + proof["nonce"].encode("ascii")).digest()) >= difficulty
    assert verified.digest == hashlib.sha256(raw).digest()
    assert verified.expires_at >= datetime.fromtimestamp(CLOCK, UTC)
