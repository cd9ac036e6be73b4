"""Hashcash proof of work and global intake counters: flooding is made costly
without knowing who anyone is.

A challenge is 16 random bytes the server remembers (in the cache shared by
every replica) with the difficulty it was issued at, for a short time. The
client finds a decimal nonce such that SHA-256(challenge || ASCII nonce)
starts with `difficulty` zero bits. A challenge is accepted once: deleting it
from the cache is the atomic "first one wins". Difficulty rises by one bit per
doubling of the intake rate over a threshold. Losing the cache only loses
outstanding challenges, never a report.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache

from backend.crypto.encoding import b64url_decode, b64url_encode
from backend.crypto.errors import MalformedEncoding

CHALLENGE_BYTES = 16
MAX_NONCE_DIGITS = 20


class PowError(Exception):
    """The proof of work is missing, malformed, wrong, expired or used; the message is safe to show."""


@dataclass(frozen=True)
class Challenge:
    challenge: str
    difficulty: int
    expires_at: str


def _now() -> float:
    return time.time()


def _minute(offset: int = 0) -> int:
    return int(_now() // 60) - offset


def count_event(name: str) -> int:
    """Count one event of `name` in the current minute (shared across replicas); returns the new count."""
    key = f"sanad:count:{name}:{_minute()}"
    try:
        return cache.incr(key)  # one round trip in the common case
    except ValueError:  # first event of this minute
        if cache.add(key, 1, timeout=180):
            return 1
        return cache.incr(key)  # another replica created it meanwhile


def recent_count(name: str) -> int:
    """Events of `name` in the current and the previous minute."""
    return sum(cache.get_many([f"sanad:count:{name}:{_minute(offset)}" for offset in (0, 1)]).values())


def current_difficulty() -> int:
    base = settings.SANAD_POW_BASE_BITS
    if base == 0:
        return 0
    rate = recent_count("report")
    extra = 0
    if rate > settings.SANAD_POW_RATE_THRESHOLD:
        extra = math.ceil(math.log2(rate / settings.SANAD_POW_RATE_THRESHOLD))
    return min(settings.SANAD_POW_MAX_BITS, base + extra)


def pow_challenge_issue() -> Challenge:
    difficulty = current_difficulty()
    expires = _now() + settings.SANAD_POW_TTL_SECONDS
    expires_at = datetime.fromtimestamp(expires, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    if difficulty == 0:
        return Challenge(challenge="", difficulty=0, expires_at=expires_at)
    raw = secrets.token_bytes(CHALLENGE_BYTES)
    cache.set(f"sanad:pow:{raw.hex()}", difficulty, timeout=settings.SANAD_POW_TTL_SECONDS)
    return Challenge(challenge=b64url_encode(raw), difficulty=difficulty, expires_at=expires_at)


def leading_zero_bits(digest: bytes) -> int:
    value = int.from_bytes(digest, "big")
    return len(digest) * 8 - value.bit_length()


def pow_required() -> bool:
    return settings.SANAD_POW_BASE_BITS > 0


def pow_verify_and_consume(proof: object) -> None:
    """Accept a {"challenge", "nonce"} proof once, or raise PowError."""
    if not isinstance(proof, dict) or set(proof) != {"challenge", "nonce"}:
        raise PowError('Send "pow": {"challenge": ..., "nonce": ...} from GET /api/v1/pow/.')
    challenge, nonce = proof["challenge"], proof["nonce"]
    if not isinstance(nonce, str) or not nonce.isascii() or not nonce.isdigit() or len(nonce) > MAX_NONCE_DIGITS:
        raise PowError("The nonce must be a decimal string of at most 20 digits.")
    try:
        raw = b64url_decode(challenge, max_bytes=CHALLENGE_BYTES)
    except MalformedEncoding:
        raise PowError("Unknown, expired or used challenge.") from None
    key = f"sanad:pow:{raw.hex()}"
    difficulty = cache.get(key)
    if difficulty is None:
        raise PowError("Unknown, expired or used challenge.")
    if leading_zero_bits(hashlib.sha256(raw + nonce.encode("ascii")).digest()) < difficulty:
        raise PowError("The nonce does not meet the challenge's difficulty.")
    if not cache.delete(key):  # someone else spent it first
        raise PowError("Unknown, expired or used challenge.")
