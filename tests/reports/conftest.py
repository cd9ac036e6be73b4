"""Envelopes built with the reference client's own code, so server tests are interop tests too."""

from __future__ import annotations

import copy
import json

import pytest
from cryptography.hazmat.primitives.asymmetric import x25519

from client import content, hpke
from client.api import b64e
from client.pow import solve

CANARY = "canary-narrative-7e1f: رقم هاتف المهدد"
GOOD_TRIAGE = {
    "category": "phone_threat",
    "governorate": "IQ-DQ",
    "incident_month": "2026-10",
    "immediate_danger": False,
    "needs_relocation": False,
    "flags": ["death_threat"],
    "language": "ar",
    "indicators": [{"type": "phone", "value": "0770 123 4567"}, {"type": "telegram", "value": "@jokers_channel"}],
}


def seal_report(key, plaintext: bytes) -> str:
    return b64e(hpke.seal(key.suite, bytes(key.public_key), plaintext, b"sanad/v1/report:" + key.key_id.encode()))


def seal_content(key, plaintext: bytes, purpose: str) -> dict:
    info = f"sanad/v1/{purpose}:".encode() + key.key_id.encode()
    return {"key_id": key.key_id, "ciphertext": b64e(hpke.seal(key.suite, bytes(key.public_key), plaintext, info))}


@pytest.fixture
def envelope(personas):
    """A fresh valid envelope (without proof of work) for the personas' intake key."""

    def make(narrative: str = CANARY, **overrides) -> dict:
        key = personas["intake"]
        plaintext = content.report_content(
            narrative=narrative, indicators=[{"type": "phone", "value": "0770 123 4567", "note": ""}]
        )
        body = {
            "version": 1,
            "key_id": key.key_id,
            "ciphertext": seal_report(key, plaintext),
            "triage": copy.deepcopy(GOOD_TRIAGE),
            "reply_public_key": b64e(x25519.X25519PrivateKey.generate().public_key().public_bytes_raw()),
        }
        body.update(overrides)
        return body

    return make


def fresh_proof(client) -> dict | None:
    challenge = client.get("/api/v1/pow/").json()
    if not challenge["difficulty"]:
        return None
    return {"challenge": challenge["challenge"], "nonce": solve(challenge["challenge"], challenge["difficulty"])}


@pytest.fixture
def submit(client):
    """POST an envelope with a freshly solved proof of work (unless pow=False is given)."""

    def post(body: dict, *, pow: bool = True, **extra):
        body = dict(body)
        proof = fresh_proof(client) if pow else None
        if proof:
            body["pow"] = proof
        return client.post("/api/v1/reports/", data=json.dumps(body), content_type="application/json", **extra)

    return post


@pytest.fixture
def receipt_call(client):
    """A receipt-authenticated call; a POST body gets a fresh proof of work (unless pow=False)."""

    def call(method: str, path: str, receipt: str, body: dict | None = None, *, pow: bool = True, **extra):
        kwargs = {"HTTP_AUTHORIZATION": f"Receipt {receipt}", **extra}
        if body is not None:
            body = dict(body)
            proof = fresh_proof(client) if pow and method == "post" else None
            if proof:
                body["pow"] = proof
            kwargs.update(data=json.dumps(body), content_type="application/json")
        return getattr(client, method)(path, **kwargs)

    return call
