"""Receipt-authenticated calls: status, follow-ups, evidence, withdrawal; no oracle; brute-force cap."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives.asymmetric import x25519

from client import content
from client import hpke as client_hpke
from client.api import b64d, b64e
from reports.models import Evidence, FollowUp, Reply, Report, ReportIndicator, ReportState
from tests.reports.conftest import seal_content

pytestmark = pytest.mark.django_db
STATUS, FOLLOWUPS, EVIDENCE, REPORTS = (
    "/api/v1/reports/status/",
    "/api/v1/reports/followups/",
    "/api/v1/reports/evidence/",
    "/api/v1/reports/",
)


@pytest.fixture
def filed(personas, envelope, submit):
    """A submitted report: (receipt, reply private key, report)."""
    reply_private = x25519.X25519PrivateKey.generate()
    body = envelope(reply_public_key=b64e(reply_private.public_key().public_bytes_raw()))
    receipt = submit(body).json()["receipt"]
    return receipt, reply_private, Report.objects.get()


def test_status_says_received_until_triaged_then_in_review_then_closed(filed, receipt_call):
    receipt, _, report = filed
    response = receipt_call("get", STATUS, receipt)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "received" and body["replies"] == []
    assert len(body["updated"]) == 10  # a day, not a time
    for state, shown in (
        (ReportState.TRIAGED, "in_review"),
        (ReportState.ACKNOWLEDGED, "in_review"),
        (ReportState.CLOSED, "closed"),
    ):
        Report.objects.filter(pk=report.pk).update(state=state)
        assert receipt_call("get", STATUS, receipt).json()["status"] == shown


def test_replies_arrive_as_ciphertext_only_the_reporter_opens(filed, receipt_call):
    from backend.crypto import hpke

    receipt, reply_private, report = filed
    public = hpke.load_public_key(hpke.Suite.X25519, bytes(report.reply_public_key))
    Reply.objects.create(
        report=report,
        ciphertext=hpke.encrypt(public, b'{"body": "We hear you", "sent_at": "2026-11-21"}', info=hpke.REPLY_INFO),
    )
    replies = receipt_call("get", STATUS, receipt).json()["replies"]
    assert json.loads(client_hpke.open_reply(reply_private, b64d(replies[0]))) == {
        "body": "We hear you",
        "sent_at": "2026-11-21",
    }


def test_typed_receipts_in_arabic_digits_work(filed, receipt_call):
    receipt, _, _ = filed
    arabic = receipt.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")).replace("-", " ")
    assert receipt_call("get", STATUS, arabic).status_code == 200


@pytest.mark.parametrize(
    "header",
    ["Receipt 0000-0000-0000-0000-0001", "Receipt garbage", "Receipt ", "Bearer x", "", "Receipt " + "1" * 500],
)
def test_wrong_and_malformed_receipts_get_the_same_answer(filed, client, header):
    response = client.get(STATUS, HTTP_AUTHORIZATION=header) if header else client.get(STATUS)
    assert response.status_code == 401
    assert response.json() == {"error": "unknown_receipt", "detail": "Unknown receipt."}


def test_malformed_and_wrong_receipts_cost_the_same_queries(filed, client, django_assert_num_queries):
    with django_assert_num_queries(1):
        client.get(STATUS, HTTP_AUTHORIZATION="Receipt 0000-0000-0000-0000-0001")
    with django_assert_num_queries(1):
        client.get(STATUS, HTTP_AUTHORIZATION="Receipt not-a-receipt")


def test_receipt_calls_ignore_cookies(filed, client, receipt_call):
    receipt, _, _ = filed
    client.cookies["sessionid"] = "x"
    client.cookies["csrftoken"] = "y"
    assert receipt_call("get", STATUS, receipt).status_code == 200
    assert client.get(STATUS).status_code == 401  # a cookie is no credential here


def test_brute_force_is_throttled_but_never_locks_a_reporter_out(filed, client, receipt_call, settings):
    receipt, _, _ = filed
    settings.SANAD_RECEIPT_FAILURES_PER_MINUTE = 5
    for attempt in range(5):
        assert client.get(STATUS, HTTP_AUTHORIZATION=f"Receipt 0000-0000-0000-0000-{attempt:04d}").status_code == 401
    for header in ("Receipt 0000-0000-0000-0000-9999", "Receipt malformed"):
        response = client.get(STATUS, HTTP_AUTHORIZATION=header)
        assert response.status_code == 429 and response["Retry-After"] == "60"
    # A flood of failures must not stop a reporter at a checkpoint from withdrawing.
    assert receipt_call("get", STATUS, receipt).status_code == 200
    assert receipt_call("delete", REPORTS, receipt).status_code == 200


def test_the_receipt_scheme_is_case_insensitive(filed, client):
    receipt, _, _ = filed
    for scheme in ("Receipt", "receipt", "RECEIPT"):
        assert client.get(STATUS, HTTP_AUTHORIZATION=f"{scheme} {receipt}").status_code == 200


def test_follow_ups_and_evidence_pay_proof_of_work(filed, receipt_call, personas):
    receipt, _, _ = filed
    body = seal_content(personas["intake"], content.followup_content("more"), "followup")
    response = receipt_call("post", FOLLOWUPS, receipt, body, pow=False)
    assert response.status_code == 400 and "pow" in response.json()["detail"]
    assert receipt_call("post", FOLLOWUPS, receipt, body).status_code == 201


def test_a_global_upload_budget_protects_the_disk(filed, receipt_call, personas, settings):
    receipt, _, _ = filed
    settings.SANAD_UPLOAD_BYTES_PER_MINUTE = 6000
    first = seal_content(personas["intake"], b'{"filename":"a"}\n' + b"x" * 3000, "evidence")
    assert receipt_call("post", EVIDENCE, receipt, first).status_code == 201
    second = seal_content(personas["intake"], b'{"filename":"b"}\n' + b"y" * 3000, "evidence")
    response = receipt_call("post", EVIDENCE, receipt, second)
    assert response.status_code == 429
    assert Evidence.objects.count() == 1


def test_evidence_total_per_report_is_capped(filed, receipt_call, personas, settings):
    receipt, _, _ = filed
    settings.SANAD_MAX_EVIDENCE_TOTAL_BYTES = 5000
    assert (
        receipt_call(
            "post", EVIDENCE, receipt, seal_content(personas["intake"], b"{}\n" + b"x" * 3000, "evidence")
        ).status_code
        == 201
    )
    over = receipt_call("post", EVIDENCE, receipt, seal_content(personas["intake"], b"{}\n" + b"y" * 3000, "evidence"))
    assert over.status_code == 413 and over.json()["error"] == "too_many"


def test_follow_ups_are_stored_as_sent_and_capped(filed, receipt_call, personas, settings):
    receipt, _, report = filed
    settings.SANAD_MAX_FOLLOWUPS_PER_REPORT = 2
    for n in range(2):
        body = seal_content(personas["intake"], content.followup_content(f"more {n}"), "followup")
        assert receipt_call("post", FOLLOWUPS, receipt, body).status_code == 201
    over = receipt_call(
        "post", FOLLOWUPS, receipt, seal_content(personas["intake"], content.followup_content("x"), "followup")
    )
    assert over.status_code == 413 and over.json()["error"] == "too_many"
    assert FollowUp.objects.filter(report=report).count() == 2


def test_follow_up_bad_input_is_refused(filed, receipt_call, personas):
    receipt, _, _ = filed
    key_id = personas["intake"].key_id
    for body, field in (
        ({"key_id": key_id}, "ciphertext"),
        ({"key_id": key_id, "ciphertext": "AA", "x": 1}, "x"),
        ({"key_id": "ik-nope00000000", "ciphertext": "AAAA"}, "key_id"),
    ):
        response = receipt_call("post", FOLLOWUPS, receipt, body)
        assert response.status_code == 400 and field in response.json()["detail"]
    assert FollowUp.objects.count() == 0


def test_evidence_is_size_capped_and_count_capped(filed, receipt_call, personas, settings):
    receipt, _, report = filed
    settings.SANAD_MAX_EVIDENCE_PER_REPORT = 1
    photo = content.evidence_plaintext(filename="evidence.jpg", media_type="image/jpeg", data=b"\xff\xd8jpeg bytes")
    assert (
        receipt_call("post", EVIDENCE, receipt, seal_content(personas["intake"], photo, "evidence")).status_code == 201
    )
    assert Evidence.objects.get().size > len(photo)
    again = receipt_call("post", EVIDENCE, receipt, seal_content(personas["intake"], photo + b"2", "evidence"))
    assert again.status_code == 413
    from reports.api import EvidenceView

    huge = b'{"key_id": "x", "ciphertext": "' + b"A" * EvidenceView.max_body_bytes + b'"}'
    response = receipt_call("post", EVIDENCE, receipt)  # no body, no JSON content type
    assert response.status_code == 415 and response.json()["error"] == "unsupported_media_type"
    response = receipt_call("post", EVIDENCE, receipt, None, data=huge, content_type="application/json")
    assert response.status_code == 413
    assert Evidence.objects.count() == 1


def test_withdrawal_deletes_everything_said_and_the_receipt_stops_working(filed, receipt_call, personas):
    receipt, _, report = filed
    receipt_call(
        "post", FOLLOWUPS, receipt, seal_content(personas["intake"], content.followup_content("more"), "followup")
    )
    receipt_call("post", EVIDENCE, receipt, seal_content(personas["intake"], b'{"filename":"a"}\nbytes', "evidence"))
    Reply.objects.create(report=report, ciphertext=b"r" * 60)
    response = receipt_call("delete", REPORTS, receipt)
    assert response.status_code == 200 and response.json() == {"status": "withdrawn"}
    report.refresh_from_db()
    assert report.state == ReportState.WITHDRAWN
    for moment in (report.created_at, report.updated_at):  # cut to the day
        assert (moment.hour, moment.minute, moment.second, moment.microsecond) == (0, 0, 0, 0)
    assert report.ciphertext is None and report.receipt_hash is None and report.reply_public_key is None
    assert bytes(report.triage_sealed) == b""
    assert not FollowUp.objects.exists() and not Evidence.objects.exists() and not Reply.objects.exists()
    assert not ReportIndicator.objects.exists()
    for method, path in (("get", STATUS), ("delete", REPORTS), ("post", FOLLOWUPS)):
        assert receipt_call(method, path, receipt, {} if method == "post" else None).status_code == 401


def test_each_endpoint_refuses_other_methods_with_json(client):
    for method, path in (
        ("put", REPORTS),
        ("get", REPORTS),
        ("post", STATUS),
        ("get", FOLLOWUPS),
        ("post", "/api/v1/pow/"),
    ):
        response = getattr(client, method)(path)
        assert response.status_code in (401, 405), (method, path)
        assert "error" in response.json()
