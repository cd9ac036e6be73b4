"""Follow-ups and evidence: the bodies reporters POST, and the plaintexts caseworkers open.

The first byte of an input chooses what the rest is:
0. POST /api/v1/reports/followups/'s body (FollowUpsView.checked: proof of work, parse_content);
1. POST /api/v1/reports/evidence/'s body (EvidenceView.checked);
2. a decrypted report or follow-up, as reports.access reads it for a caseworker's page;
3. a decrypted evidence file (one line of JSON metadata, a newline, the file), likewise.

A reporter chooses the plaintext as freely as the body: whatever it is, the
caseworker's side must get a JSON object whose strings a page can print.
"""

from __future__ import annotations

from django.conf import settings

from backend.crypto.encoding import b64url_encode
from fuzz.harness import pow_clock
from fuzz.targets.envelope import DECLARED as BODY_ERRORS
from fuzz.targets.envelope import render_refusal, request_data
from reports import access
from reports.api import EvidenceView, FollowUpsView

DECLARED = BODY_ERRORS  # the plaintext readers declare none: they always answer
MAX_LEN = 16 * 1024
VIEWS = (FollowUpsView, EvidenceView)


NEEDS_INTAKE_KEYS = True  # the fuzzer's database gets dev_setup's (fuzz.harness.database_with_intake_keys)


def prepared():
    return pow_clock()


def _printable(value: object) -> None:
    """Every string in a parsed plaintext (keys too) can be written out as UTF-8."""
    if isinstance(value, str):
        value.encode("utf-8")
    elif isinstance(value, list):
        for item in value:
            _printable(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _printable(key)
            _printable(item)


def _body(view_class, data: bytes) -> None:
    try:
        body = request_data(view_class, data)
        content, _proof = view_class().checked(body)
    except DECLARED as exc:
        render_refusal(exc, view_class)
        return
    assert b64url_encode(content.ciphertext) == body["ciphertext"].rstrip("=")
    assert len(content.ciphertext) <= getattr(settings, view_class.max_raw_bytes_setting)
    assert content.key.key_id == body["key_id"]


def test_one_input(data: bytes) -> None:
    if not data:
        return
    mode, rest = data[0] % 4, data[1:]
    if mode < 2:
        _body(VIEWS[mode], rest)
    elif mode == 2:
        parsed = access._json_object(rest)
        assert isinstance(parsed, dict)
        _printable(parsed)
    else:
        header, body = access._evidence_header(rest)
        assert isinstance(header, dict)
        _printable(header)
        assert body == rest.partition(b"\n")[2]
