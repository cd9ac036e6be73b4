"""Hashcash proof of work: flooding is made costly without knowing who anyone is.

A challenge is stateless: 16 random bytes, its expiry and its difficulty,
authenticated with a MAC under a key derived from SECRET_KEY. Issuing one
writes nothing (so fetching challenges cannot fill any store). The client
finds a decimal nonce such that SHA-256(challenge bytes || ASCII nonce) starts
with `difficulty` zero bits. A challenge is spent once: the caller records its
digest in PostgreSQL in the same transaction as what it paid for (see
reports.models.SpentChallenge), so single use survives a Redis outage.

Difficulty rises by one bit per doubling of the intake rate over a threshold;
a proof issued more than one bit below the current difficulty is refused, so
cheap challenges cannot be stockpiled for a flood. The rate comes from
backend.budgets (the stored-reports counter), which fails open: with Redis
down, difficulty is the base one and intake goes on.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
import struct
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from backend import budgets
from backend.crypto.encoding import b64url_check_characters, b64url_decode, b64url_encode, b64url_length
from backend.crypto.errors import MalformedEncoding

_BODY = struct.Struct(">16sQB")  # random, expiry (unix seconds), difficulty
_MAC_LEN = 16
CHALLENGE_BYTES = _BODY.size + _MAC_LEN
MAX_NONCE_DIGITS = 20
# The shapes a proof's members must have (the API schema states the same): ASCII decimal digits, and
# base64url no longer than a challenge's (padded) encoding.
NONCE_PATTERN = f"[0-9]{{1,{MAX_NONCE_DIGITS}}}"
NONCE = re.compile(rf"\A{NONCE_PATTERN}\Z")
CHALLENGE_MAX_LENGTH = b64url_length(CHALLENGE_BYTES)
_MAC_SALT = "sanad.pow.challenge.v1"


class PowError(Exception):
    """The proof of work is missing, malformed, wrong, expired or too cheap; the message is safe to show
    (in the language of the request that sent the proof)."""


@dataclass(frozen=True)
class Challenge:
    challenge: str
    difficulty: int
    expires_at: str


@dataclass(frozen=True)
class Proof:
    """A verified, not yet spent proof: record `digest` where it is spent."""

    digest: bytes
    expires_at: datetime


def _now() -> float:
    return time.time()


# --- Challenges -----------------------------------------------------------------------


def pow_required() -> bool:
    return settings.SANAD_POW_BASE_BITS > 0


def current_difficulty() -> int:
    base = settings.SANAD_POW_BASE_BITS
    if base == 0:
        return 0
    rate = budgets.REPORTS.used()
    extra = 0
    if rate > settings.SANAD_POW_RATE_THRESHOLD:
        extra = math.ceil(math.log2(rate / settings.SANAD_POW_RATE_THRESHOLD))
    return min(settings.SANAD_POW_MAX_BITS, base + extra)


def _mac(body: bytes) -> bytes:
    return salted_hmac(_MAC_SALT, body, algorithm="sha256").digest()[:_MAC_LEN]


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def pow_challenge_issue() -> Challenge:
    difficulty = current_difficulty()
    expires = int(_now()) + settings.SANAD_POW_TTL_SECONDS
    if difficulty == 0:
        return Challenge(challenge="", difficulty=0, expires_at=_iso(expires))
    body = _BODY.pack(secrets.token_bytes(16), expires, difficulty)
    return Challenge(challenge=b64url_encode(body + _mac(body)), difficulty=difficulty, expires_at=_iso(expires))


def leading_zero_bits(digest: bytes) -> int:
    return len(digest) * 8 - int.from_bytes(digest, "big").bit_length()


def pow_check_shape(proof: object) -> tuple[str, str]:
    """The challenge and nonce of a {"challenge", "nonce"} proof that has the shape of one, or PowError.

    Checked even when no proof is needed: a `pow` member is never taken as it comes."""
    if not isinstance(proof, dict) or set(proof) != {"challenge", "nonce"} or not _challenge_shaped(proof["challenge"]):
        # Translators: "pow", "challenge" and "nonce" are JSON member names and GET /api/v1/pow/ an address:
        # keep them, and the JSON punctuation, exactly as they are.
        raise PowError(_('Send "pow": {"challenge": ..., "nonce": ...} from GET /api/v1/pow/.'))
    challenge, nonce = proof["challenge"], proof["nonce"]
    if not isinstance(nonce, str) or not NONCE.match(nonce):
        raise PowError(
            ngettext(
                "The nonce must be a decimal string of at most %(limit)d digit.",
                "The nonce must be a decimal string of at most %(limit)d digits.",
                MAX_NONCE_DIGITS,
            )
            % {"limit": MAX_NONCE_DIGITS}
        )
    return challenge, nonce


def _challenge_shaped(challenge: object) -> bool:
    return isinstance(challenge, str) and len(challenge) <= CHALLENGE_MAX_LENGTH and b64url_check_characters(challenge)


def pow_verify(proof: object) -> Proof:
    """Check a {"challenge", "nonce"} proof; the caller spends it (records its digest) atomically."""
    challenge, nonce = pow_check_shape(proof)
    try:
        raw = b64url_decode(challenge, max_bytes=CHALLENGE_BYTES)
    except MalformedEncoding:
        raw = b""
    if len(raw) != CHALLENGE_BYTES or not hmac.compare_digest(_mac(raw[: _BODY.size]), raw[_BODY.size :]):
        raise PowError(_("Unknown or expired challenge; fetch a new one."))
    _random, expires, difficulty = _BODY.unpack(raw[: _BODY.size])
    if expires < _now():
        raise PowError(_("Unknown or expired challenge; fetch a new one."))
    if difficulty < current_difficulty() - 1:
        raise PowError(_("This challenge was issued before intake got busier; fetch a new one."))
    if leading_zero_bits(hashlib.sha256(raw + nonce.encode("ascii")).digest()) < difficulty:
        raise PowError(_("The nonce does not meet the challenge's difficulty."))
    return Proof(digest=hashlib.sha256(raw).digest(), expires_at=datetime.fromtimestamp(expires, UTC))
