"""Solve the server's hashcash challenge (GET /api/v1/pow/)."""

from __future__ import annotations

import base64
import hashlib


def solve(challenge_b64: str, difficulty: int) -> str:
    """The first decimal nonce whose SHA-256(challenge || nonce) has `difficulty` leading zero bits."""
    challenge = base64.urlsafe_b64decode(challenge_b64 + "=" * (-len(challenge_b64) % 4))
    target = 1 << (256 - difficulty)
    nonce = 0
    while True:
        text = str(nonce)
        if int.from_bytes(hashlib.sha256(challenge + text.encode("ascii")).digest(), "big") < target:
            return text
        nonce += 1
