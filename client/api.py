"""The Sanad reporter API (wire format v1) as a small library. Nothing is written to disk here."""

from __future__ import annotations

import base64
import ipaddress
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric import x25519

from client import content, hpke
from client.pow import solve


def b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class ClientError(Exception):
    def __init__(self, status: int, body: object) -> None:
        self.status, self.body = status, body
        super().__init__(f"HTTP {status}: {body}")


@dataclass
class IntakeKey:
    key_id: str
    kem: str
    public_key: bytes


@dataclass
class Triage:
    category: str
    governorate: str
    incident_month: str
    language: str
    immediate_danger: bool = False
    needs_relocation: bool = False
    flags: list[str] = field(default_factory=list)
    indicators: list[dict] = field(default_factory=list)  # {"type", "value"}


@dataclass
class Submission:
    receipt: str
    reply_key: str  # base64url X25519 private key; keep it with the receipt to read replies


@dataclass
class Status:
    status: str
    updated: str
    replies: list[dict]


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect could send the receipt (Authorization) or the triage fields to another host."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        raise ClientError(code, "The server answered with a redirect; refusing to follow it.")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class SanadClient:
    def __init__(self, base_url: str, *, timeout: float = 60) -> None:
        parts = urllib.parse.urlsplit(base_url)
        # Plain http would show the triage fields and the receipt to anyone on the national network.
        if parts.scheme != "https" and not (parts.scheme == "http" and _is_loopback(parts.hostname or "")):
            raise ValueError("The server address must start with https:// (plain http only for this machine).")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._opener = urllib.request.build_opener(_NoRedirects)

    def _call(self, method: str, path: str, body: dict | None = None, receipt: str | None = None) -> object:
        data = json.dumps(body).encode() if body is not None else None
        # No cookies, no user agent detail beyond the library's own.
        headers = {"Accept": "application/json", "User-Agent": "sanad-client"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        if receipt is not None:
            headers["Authorization"] = f"Receipt {receipt}"
        request = urllib.request.Request(self.base_url + path, data=data, method=method, headers=headers)
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                payload = json.loads(raw)
            except ValueError:
                payload = raw.decode("utf-8", "replace")[:200]
            raise ClientError(exc.code, payload) from None

    def intake_keys(self) -> list[IntakeKey]:
        return [
            IntakeKey(k["key_id"], k["kem"], b64d(k["public_key"]))
            for k in self._call("GET", "/api/v1/intake-keys/")
            if k["kem"] in hpke.SUITES and k["kdf"] == "HKDF-SHA256" and k["aead"] == "AES-256-GCM"
        ]

    def choose_key(self) -> IntakeKey:
        """The post-quantum hybrid key when the server offers one, else X25519."""
        keys = self.intake_keys()
        for kem in hpke.SUITES:
            for key in keys:
                if key.kem == kem:
                    return key
        raise ClientError(503, "The server offers no intake key this client supports.")

    def _pow(self) -> dict | None:
        challenge = self._call("GET", "/api/v1/pow/")
        if challenge["difficulty"] == 0:
            return None
        return {"challenge": challenge["challenge"], "nonce": solve(challenge["challenge"], challenge["difficulty"])}

    def submit(
        self,
        *,
        narrative: str,
        triage: Triage,
        occurred_on: str | None = None,
        location_text: str | None = None,
        indicator_notes: dict[str, str] | None = None,
        contact: dict | None = None,
    ) -> Submission:
        key = self.choose_key()
        notes = indicator_notes or {}
        indicators = [{**item, "note": notes.get(item["value"], "")} for item in triage.indicators]
        plaintext = content.report_content(
            narrative=narrative,
            occurred_on=occurred_on,
            location_text=location_text,
            indicators=indicators,
            contact=contact,
        )
        reply_private = x25519.X25519PrivateKey.generate()
        envelope = {
            "version": 1,
            "key_id": key.key_id,
            "ciphertext": b64e(
                hpke.seal(key.kem, key.public_key, plaintext, b"sanad/v1/report:" + key.key_id.encode())
            ),
            "triage": {
                "category": triage.category,
                "governorate": triage.governorate,
                "incident_month": triage.incident_month,
                "immediate_danger": triage.immediate_danger,
                "needs_relocation": triage.needs_relocation,
                "flags": triage.flags,
                "language": triage.language,
                "indicators": [{"type": i["type"], "value": i["value"]} for i in triage.indicators],
            },
            "reply_public_key": b64e(reply_private.public_key().public_bytes_raw()),
        }
        proof = self._pow()
        if proof is not None:
            envelope["pow"] = proof
        answer = self._call("POST", "/api/v1/reports/", envelope)
        return Submission(receipt=answer["receipt"], reply_key=b64e(reply_private.private_bytes_raw()))

    def status(self, receipt: str, reply_key: str | None = None) -> Status:
        answer = self._call("GET", "/api/v1/reports/status/", receipt=receipt)
        replies = []
        if reply_key:
            private = x25519.X25519PrivateKey.from_private_bytes(b64d(reply_key))
            replies = [json.loads(hpke.open_reply(private, b64d(item))) for item in answer["replies"]]
        return Status(status=answer["status"], updated=answer["updated"], replies=replies)

    def _send_content(self, path: str, receipt: str, key: IntakeKey, ciphertext: bytes) -> None:
        body = {"key_id": key.key_id, "ciphertext": b64e(ciphertext)}
        proof = self._pow()
        if proof is not None:
            body["pow"] = proof
        self._call("POST", path, body, receipt=receipt)

    def follow_up(self, receipt: str, narrative: str) -> None:
        key = self.choose_key()
        ciphertext = hpke.seal(
            key.kem, key.public_key, content.followup_content(narrative), b"sanad/v1/followup:" + key.key_id.encode()
        )
        self._send_content("/api/v1/reports/followups/", receipt, key, ciphertext)

    def add_evidence(self, receipt: str, *, data: bytes, filename: str, media_type: str) -> None:
        key = self.choose_key()
        plaintext = content.evidence_plaintext(filename=filename, media_type=media_type, data=data)
        ciphertext = hpke.seal(key.kem, key.public_key, plaintext, b"sanad/v1/evidence:" + key.key_id.encode())
        self._send_content("/api/v1/reports/evidence/", receipt, key, ciphertext)

    def withdraw(self, receipt: str) -> None:
        self._call("DELETE", "/api/v1/reports/", receipt=receipt)
