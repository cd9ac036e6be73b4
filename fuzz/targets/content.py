"""Follow-ups and evidence: the bodies reporters POST, and the plaintexts caseworkers open.

The first byte of an input chooses what the rest is:
0. POST /api/v1/reports/followups/'s body (FollowUpsView.checked: proof of work, parse_content);
1. POST /api/v1/reports/evidence/'s body (EvidenceView.checked);
2. a decrypted report or follow-up, as reports.access reads it for a caseworker's page;
3. a decrypted evidence file (one line of JSON metadata, a newline, the file), likewise.

A reporter chooses the plaintext as freely as the body: whatever it is, the
caseworker's side must read a JSON object, and the report's page
(ReportAdmin.change_form_template) must render with it, or the report could
never be read.
"""

from __future__ import annotations

import uuid
from datetime import date

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from backend.crypto.encoding import b64url_encode
from fuzz.harness import pow_clock
from fuzz.targets.envelope import DECLARED as BODY_ERRORS
from fuzz.targets.envelope import render_refusal, request_data
from reports import access
from reports.admin import ReportAdmin
from reports.api import EvidenceView, FollowUpsView
from reports.models import Evidence, Report, ReportState

DECLARED = BODY_ERRORS  # the plaintext readers declare none: they always answer
DICT = "json.dict"  # fuzz/dicts/: JSON's tokens and the wire format's names
MAX_LEN = 16 * 1024
VIEWS = (FollowUpsView, EvidenceView)
# The report whose page shows what was read (unsaved: the page is rendered from it alone).
REPORT = Report(
    pk=uuid.UUID(int=1),
    category="phone_threat",
    governorate="IQ-BG",
    incident_month=date(2026, 11, 1),
    state=ReportState.ASSIGNED,
)


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


def _page(opened: access.OpenedReport) -> None:
    for part in (opened.content, *(followup for _, followup in opened.followups), *(m for _, m in opened.evidence)):
        assert isinstance(part, dict), type(part)
        _printable(part)
    html = render_to_string(ReportAdmin.change_form_template, {"report": REPORT, "opened": opened, "actions": set()})
    html.encode("utf-8")


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
    elif mode == 2:  # the plaintext as a report's content and as a follow-up
        _page(
            access.OpenedReport(
                content=access.read_report(rest), followups=[(timezone.now(), access.read_followup(rest))]
            )
        )
    else:
        header, body = access.read_evidence(rest)
        assert body == rest.partition(b"\n")[2]
        evidence = Evidence(pk=uuid.UUID(int=2), report=REPORT, size=len(rest))
        _page(access.OpenedReport(content=access.read_report(b"{}"), evidence=[(evidence, header)]))
