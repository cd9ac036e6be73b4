"""What the schemathesis run of issue 16 found loose, each refused now with a clear 4xx that changes nothing:
a body declared in a charset other than UTF-8, and a `pow` member that is not a proof's shape while no proof
is needed (one that is, is still ignored then)."""

from __future__ import annotations

import json

import pytest

from reports.models import Evidence, FollowUp, Report
from tests.reports.conftest import seal_content


@pytest.mark.parametrize("charset", ["utf-16", "UTF-16LE", "iso-8859-1", "us-ascii", '"utf-32"'])
def test_a_body_declared_in_another_charset_is_refused_with_415(personas, envelope, client, settings, charset):
    settings.SANAD_POW_BASE_BITS = 0
    body = json.dumps(envelope()).encode()  # ASCII, so readable as UTF-8 too: the label alone is refused
    response = client.post("/api/v1/reports/", data=body, content_type=f"application/json; charset={charset}")
    assert response.status_code == 415, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "error": "unsupported_media_type",
        "detail": "Only UTF-8 JSON is accepted: Content-Type: application/json; charset=utf-8.",
    }
    assert Report.objects.count() == 0


@pytest.mark.parametrize("charset", ["utf-8", "UTF-8", '"utf-8"', "utf8", "UTF8"])
def test_utf8_may_be_declared(personas, envelope, client, settings, charset):
    settings.SANAD_POW_BASE_BITS = 0
    body = json.dumps(envelope()).encode()
    response = client.post("/api/v1/reports/", data=body, content_type=f"application/json; charset={charset}")
    assert response.status_code == 201, response.content


def test_a_receipt_call_in_another_charset_is_refused_with_415(personas, envelope, submit, client, settings):
    settings.SANAD_POW_BASE_BITS = 0
    receipt = submit(envelope(), pow=False).json()["receipt"]
    body = json.dumps(seal_content(personas["intake"], b'{"narrative":"x","pad":""}', "followup")).encode()
    response = client.post(
        "/api/v1/reports/followups/",
        data=body,
        content_type="application/json; charset=utf-16",
        HTTP_AUTHORIZATION=f"Receipt {receipt}",
    )
    assert response.status_code == 415 and response.json()["error"] == "unsupported_media_type"
    assert FollowUp.objects.count() == 0


BAD_PROOFS = {
    "null": None,
    "a string": "123",
    "a list": [],
    "no nonce": {"challenge": ""},
    "an extra member": {"challenge": "", "nonce": "1", "x": 1},
    "a null challenge": {"challenge": None, "nonce": "1"},
    "a challenge not base64url": {"challenge": "a b", "nonce": "1"},
    "a challenge too long for one": {"challenge": "A" * 100, "nonce": "1"},
    "a null nonce": {"challenge": "", "nonce": None},
    "a numeric nonce": {"challenge": "", "nonce": 1},
    "an empty nonce": {"challenge": "", "nonce": ""},
    "a nonce in Arabic-Indic digits": {"challenge": "", "nonce": "١٢"},
    "a nonce of 21 digits": {"challenge": "", "nonce": "1" * 21},
}


@pytest.mark.parametrize("proof", BAD_PROOFS.values(), ids=BAD_PROOFS.keys())
def test_without_proof_of_work_a_malformed_pow_is_still_refused(personas, envelope, submit, settings, proof):
    settings.SANAD_POW_BASE_BITS = 0
    response = submit(envelope(pow=proof), pow=False)
    assert response.status_code == 400, response.content
    assert response.json()["error"] == "invalid" and set(response.json()["detail"]) == {"pow"}
    assert Report.objects.count() == 0


@pytest.mark.parametrize("path, model", [("followups", FollowUp), ("evidence", Evidence)])
def test_without_proof_of_work_a_malformed_pow_is_refused_on_receipt_calls(
    personas, envelope, submit, receipt_call, settings, path, model
):
    settings.SANAD_POW_BASE_BITS = 0
    receipt = submit(envelope(), pow=False).json()["receipt"]
    body = seal_content(personas["intake"], b'{"narrative":"x","pad":""}', path.rstrip("s"))
    response = receipt_call("post", f"/api/v1/reports/{path}/", receipt, {**body, "pow": None}, pow=False)
    assert response.status_code == 400 and set(response.json()["detail"]) == {"pow"}
    assert model.objects.count() == 0


def test_without_proof_of_work_a_well_formed_pow_is_ignored(personas, envelope, submit, settings):
    settings.SANAD_POW_BASE_BITS = 0
    proof = {"challenge": "AAAA", "nonce": "0"}  # the shape of a proof; no proof is checked
    assert submit(envelope(pow=proof), pow=False).status_code == 201
