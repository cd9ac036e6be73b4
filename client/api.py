"""The Sanad reporter API (wire format v1) as a small library. Nothing is written to disk here."""

from __future__ import annotations

import base64
import contextlib
import http.client
import ipaddress
import json
import re
import socket
import ssl
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric import x25519

from client import content, hpke
from client.i18n import N_, _, _f, language
from client.pow import solve
from client.receipts import receipt_canonical

# Why no answer came (ServerUnreachable.kind), translated when shown.
UNREACHABLE = {
    "refused_connection": N_(
        "The server could not be reached (it refused the connection), so nothing was sent or stored."
    ),
    "name_not_found": N_(
        "The server could not be reached (its name was not found: check the address and your connection), "
        "so nothing was sent or stored."
    ),
    "connect_timeout": N_(
        "The server could not be reached (it did not answer in time), so nothing was sent or stored."
    ),
    "tls": N_(
        "The server could not be reached (its secure connection could not be verified, which can mean the network "
        "is interfering), so nothing was sent or stored."
    ),
    "unreachable": N_("The server could not be reached, so nothing was sent or stored."),
    "lost_reading": N_("The connection to the server broke before it answered, so nothing changed: try again later."),
    "lost_writing": N_(
        "The connection to the server broke before it answered, so this client cannot tell whether anything was "
        "stored: try again later."
    ),
}
# Field paths of the server's error details, in plain words (translated when shown).
FIELD_NAMES = {
    # Translators: the subject of "{field} was refused: {message}".
    "version": N_("The format version"),
    # Translators: the subject of "{field} was refused: {message}".
    "key_id": N_("The intake key"),
    # Translators: the subject of "{field} was refused: {message}".
    "ciphertext": N_("The encrypted content"),
    # Translators: the subject of "{field} was refused: {message}".
    "reply_public_key": N_("The reply key"),
    # Translators: the subject of "{field} was refused: {message}".
    "pow": N_("The proof of work"),
    # Translators: the subject of "{field} was refused: {message}".
    "triage": N_("The report's summary"),
    # Translators: the subject of "{field} was refused: {message}".
    "triage.category": N_("The category"),
    # Translators: the subject of "{field} was refused: {message}".
    "triage.governorate": N_("The governorate"),
    # Translators: the subject of "{field} was refused: {message}".
    "triage.incident_month": N_("The month of the incident"),
    # Translators: the subject of "{field} was refused: {message}".
    "triage.language": N_("The language"),
    # Translators: the subject of "{field} was refused: {message}".
    "triage.immediate_danger": N_("The answer to 'in immediate danger'"),
    # Translators: the subject of "{field} was refused: {message}".
    "triage.needs_relocation": N_("The answer to 'needs to relocate'"),
    # Translators: the subject of "{field} was refused: {message}".
    "triage.flags": N_("The flags"),
    # Translators: the subject of "{field} was refused: {message}".
    "triage.indicators": N_("The list of phone numbers and Telegram names"),
}
_INDICATOR = re.compile(r"\Atriage\.indicators\[(\d+)\](?:\.(?:type|value))?\Z")
_GENERAL = {"body", "detail", "non_field_errors"}  # not a field: the message speaks for itself
MAX_SHOWN = 300  # characters of one server message


def b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _shown(text: object) -> str:
    """A server string made safe for a terminal: no control or format characters, bounded."""
    cleaned = "".join(char for char in str(text) if not unicodedata.category(char).startswith("C"))
    return " ".join(cleaned.split())[:MAX_SHOWN]


def _lowered(message: str) -> str:
    """'Must be ...' becomes 'must be ...' after a colon; 'ISO ...' stays."""
    if len(message) > 1 and message[0].isupper() and message[1].islower():
        return message[0].lower() + message[1:]
    return message


def _field_name(path: str) -> str:
    match = _INDICATOR.match(path)
    if match:
        # Translators: the subject of "{field} was refused: {message}"; number counts from 1.
        return _f("Phone number or Telegram name {number}", number=int(match.group(1)) + 1)
    if path in FIELD_NAMES:
        return _(FIELD_NAMES[path])
    # Translators: the subject of "{field} was refused: {message}"; path is the server's name for it.
    return _f("The field {path}", path=path)


def _messages(detail: object) -> list[str]:
    """One plain message per leaf of a DRF error detail (a string, a list, or a dict of them)."""
    if isinstance(detail, dict):
        return [message for value in detail.values() for message in _messages(value)]
    if isinstance(detail, list):
        return [message for value in detail for message in _messages(value)]
    text = _shown(detail) if detail is not None else ""
    return [text] if text else []


def describe(status: int, body: object, *, receipt_call: bool = False) -> str:
    """The server's error answer as plain sentences, one per line (one per refused field)."""
    if status == 401 and receipt_call:
        return _("The server does not know this receipt: it may be mistyped, or the report was withdrawn.")
    if status == 429:
        return _("The server is receiving too many requests right now: wait a minute and try again.")
    if status >= 500:
        # Translators: status is an HTTP status number, such as 502.
        return _f("The server had a problem (error {status}): try again later.", status=status)
    detail = body.get("detail") if isinstance(body, dict) else None
    lines = []
    if isinstance(detail, dict):
        for path, value in detail.items():
            for message in _messages(value):
                if path in _GENERAL:
                    lines.append(_refused(message))
                else:
                    name = _field_name(_shown(path)[:80])
                    # Translators: field is a phrase such as "The governorate"; message is the server's
                    # reason, in the same language (in English, put in lower case after the colon).
                    lines.append(_f("{field} was refused: {message}", field=name, message=_lowered(message)))
    else:
        lines = [_refused(message) for message in _messages(detail)]
    # Translators: status is an HTTP status number, such as 418.
    return "\n".join(lines) or _f("The server refused the request (error {status}).", status=status)


def _refused(message: str) -> str:
    # Translators: message is the server's reason, in the same language.
    return _f("The server refused the request: {message}", message=_lowered(message))


class ClientError(Exception):
    """A request that did not succeed.

    `status` is the HTTP status (None when the server was never reached), `body`
    the server's decoded error body, and str(error) plain sentences, one per
    line, fit to show a reporter: they never contain a receipt, a reply key or
    what the reporter wrote.
    """

    def __init__(self, status: int | None, body: object, message: str | None = None, *, receipt_call: bool = False):
        self.status, self.body = status, body
        self.message = message or describe(status or 0, body, receipt_call=receipt_call)
        super().__init__(self.message)


class ServerUnreachable(ClientError):
    """No HTTP answer: refused, name not found, timed out, TLS failure, or the connection broke."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        super().__init__(None, None, _(UNREACHABLE[kind]))


@contextlib.contextmanager
def _understood():
    """A 2xx answer missing what wire format v1 promises (another service at that address, say)."""
    try:
        yield
    except (KeyError, TypeError, IndexError, AttributeError, ValueError):
        raise ClientError(None, None, _("The server sent an answer this client does not understand.")) from None


def _unreachable_kind(reason: object) -> str:
    if isinstance(reason, ssl.SSLError):
        return "tls"
    if isinstance(reason, socket.gaierror):
        return "name_not_found"
    if isinstance(reason, ConnectionRefusedError):
        return "refused_connection"
    if isinstance(reason, TimeoutError):
        return "connect_timeout"
    return "unreachable"


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
        raise ClientError(code, None, _("The server answered with a redirect, which this client never follows."))


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
            raise ValueError(_("The server address must start with https:// (plain http only for this machine)."))
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._opener = urllib.request.build_opener(_NoRedirects)

    def _call(self, method: str, path: str, body: dict | None = None, receipt: str | None = None) -> object:
        data = json.dumps(body).encode() if body is not None else None
        # No cookies, no user agent detail beyond the library's own. The server words its refusals
        # in the client's language.
        headers = {"Accept": "application/json", "Accept-Language": language(), "User-Agent": "sanad-client"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        if receipt is not None:
            # Canonical ASCII: a receipt typed in Arabic-Indic digits cannot go into an HTTP header as it is.
            headers["Authorization"] = f"Receipt {receipt_canonical(receipt)}"
        request = urllib.request.Request(self.base_url + path, data=data, method=method, headers=headers)
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            try:
                payload = json.loads(exc.read())
            except (ValueError, OSError, http.client.HTTPException):
                payload = None  # an HTML page from a proxy, say: nothing worth showing
            raise ClientError(exc.code, payload, receipt_call=receipt is not None) from None
        except urllib.error.URLError as exc:
            # Raised before the request was complete: the server has nothing from us.
            raise ServerUnreachable(_unreachable_kind(exc.reason)) from None
        except (OSError, http.client.HTTPException):
            # The request went out but no answer came back (timeout, reset, closed).
            raise ServerUnreachable("lost_reading" if method == "GET" else "lost_writing") from None
        try:
            return json.loads(raw or b"null")
        except ValueError:
            raise ClientError(None, None, _("The server sent an answer this client does not understand.")) from None

    def intake_keys(self) -> list[IntakeKey]:
        answer = self._call("GET", "/api/v1/intake-keys/")
        with _understood():
            return [
                IntakeKey(k["key_id"], k["kem"], b64d(k["public_key"]))
                for k in answer
                if k["kem"] in hpke.SUITES and k["kdf"] == "HKDF-SHA256" and k["aead"] == "AES-256-GCM"
            ]

    def choose_key(self) -> IntakeKey:
        """The post-quantum hybrid key when the server offers one, else X25519."""
        keys = self.intake_keys()
        for kem in hpke.SUITES:
            for key in keys:
                if key.kem == kem:
                    return key
        raise ClientError(None, None, _("The server offers no intake key this client supports, so nothing was sent."))

    def _pow(self) -> dict | None:
        answer = self._call("GET", "/api/v1/pow/")
        with _understood():
            challenge, difficulty = str(answer["challenge"]), int(answer["difficulty"])
        if difficulty == 0:
            return None
        return {"challenge": challenge, "nonce": solve(challenge, difficulty)}

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
        with _understood():
            receipt = str(answer["receipt"])
        return Submission(receipt=receipt, reply_key=b64e(reply_private.private_bytes_raw()))

    def status(self, receipt: str, reply_key: str | None = None) -> Status:
        receipt = receipt_canonical(receipt)
        private = None
        if reply_key:
            try:
                private = x25519.X25519PrivateKey.from_private_bytes(b64d(reply_key.strip()))
            except ValueError:  # binascii.Error is a ValueError too
                raise ValueError(_("The reply key is not valid: check that it was copied whole.")) from None
        answer = self._call("GET", "/api/v1/reports/status/", receipt=receipt)
        with _understood():
            status, updated, sealed = str(answer["status"]), str(answer["updated"]), [str(r) for r in answer["replies"]]
        replies = []
        if private is not None:
            for item in sealed:
                try:
                    reply = json.loads(hpke.open_reply(private, b64d(item)))
                except (InvalidTag, ValueError):  # a wrong key or a damaged reply: say so, show nothing
                    raise ValueError(_("A reply could not be opened with this reply key.")) from None
                replies.append(reply if isinstance(reply, dict) else {"body": str(reply)})
        return Status(status=status, updated=updated, replies=replies)

    def _send_content(self, path: str, receipt: str, key: IntakeKey, ciphertext: bytes) -> None:
        body = {"key_id": key.key_id, "ciphertext": b64e(ciphertext)}
        proof = self._pow()
        if proof is not None:
            body["pow"] = proof
        self._call("POST", path, body, receipt=receipt)

    def follow_up(self, receipt: str, narrative: str) -> None:
        receipt = receipt_canonical(receipt)  # refused here, before anything is fetched or sent
        key = self.choose_key()
        ciphertext = hpke.seal(
            key.kem, key.public_key, content.followup_content(narrative), b"sanad/v1/followup:" + key.key_id.encode()
        )
        self._send_content("/api/v1/reports/followups/", receipt, key, ciphertext)

    def add_evidence(self, receipt: str, *, data: bytes, filename: str, media_type: str) -> None:
        receipt = receipt_canonical(receipt)
        key = self.choose_key()
        plaintext = content.evidence_plaintext(filename=filename, media_type=media_type, data=data)
        ciphertext = hpke.seal(key.kem, key.public_key, plaintext, b"sanad/v1/evidence:" + key.key_id.encode())
        self._send_content("/api/v1/reports/evidence/", receipt, key, ciphertext)

    def withdraw(self, receipt: str) -> None:
        receipt = receipt_canonical(receipt)
        self._call("DELETE", "/api/v1/reports/", receipt=receipt)
