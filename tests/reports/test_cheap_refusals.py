"""Junk is refused before the work that only a genuine request should cost (bench/flood.py measures the cost).

A reused proof of work is refused after one lookup, before its envelope is parsed, sealed and written (the
write and its rollback used to find it); a wrong receipt costs one lookup of an id, not a Report loaded
whole, and is refused before the request body is read.
"""

from __future__ import annotations

import json

import pytest

from client import content
from reports.models import FollowUp, Report, SpentChallenge
from tests.reports.conftest import fresh_proof, seal_content

pytestmark = pytest.mark.django_db
REPORTS, STATUS, FOLLOWUPS = "/api/v1/reports/", "/api/v1/reports/status/", "/api/v1/reports/followups/"


def post(client, path: str, body, **extra):
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(path, data=data, content_type="application/json", **extra)


def test_a_spent_proof_is_refused_before_its_envelope_is_parsed_or_written(
    personas, envelope, client, django_assert_num_queries
):
    proof = fresh_proof(client)
    assert post(client, REPORTS, envelope(pow=proof)).status_code == 201
    # An envelope that would be refused for its own faults is refused for the spent proof: checked first.
    bad = envelope(pow=proof, triage={"category": "nonsense"}, key_id="ik-unknown")
    response = post(client, REPORTS, bad)
    assert response.status_code == 400
    assert list(response.json()["detail"]) == ["pow"] and "used already" in response.json()["detail"]["pow"]
    # A valid new envelope paying with it: one lookup, no INSERT, no rollback, no second look for the cause.
    with django_assert_num_queries(1) as queries:
        response = post(client, REPORTS, envelope(pow=proof))
    assert response.status_code == 400 and "used already" in response.json()["detail"]["pow"]
    assert "spentchallenge" in queries.captured_queries[0]["sql"]
    assert Report.objects.count() == 1 and SpentChallenge.objects.count() == 1


def test_a_fresh_proof_still_pays_once_and_the_write_still_decides(personas, envelope, client, monkeypatch):
    """The early lookup is only a shortcut: a proof spent between it and the write is refused by the write."""
    from reports import api

    proof = fresh_proof(client)
    monkeypatch.setattr(api, "proof_spent", lambda proof: False)  # as if both requests looked before either wrote
    assert post(client, REPORTS, envelope(pow=proof)).status_code == 201
    response = post(client, REPORTS, envelope(pow=proof))
    assert response.status_code == 400 and "used already" in response.json()["detail"]["pow"]
    assert Report.objects.count() == 1


def test_a_follow_up_paying_with_a_spent_proof_is_refused_before_its_content_is_parsed(personas, envelope, client):
    proof = fresh_proof(client)
    receipt = post(client, REPORTS, envelope(pow=proof)).json()["receipt"]
    auth = {"HTTP_AUTHORIZATION": f"Receipt {receipt}"}
    response = post(client, FOLLOWUPS, {"key_id": "ik-unknown", "ciphertext": "!", "pow": proof}, **auth)
    assert response.status_code == 400
    assert list(response.json()["detail"]) == ["pow"] and "used already" in response.json()["detail"]["pow"]
    good = {**seal_content(personas["intake"], content.followup_content("more"), "followup"), "pow": proof}
    assert post(client, FOLLOWUPS, good, **auth).status_code == 400
    assert FollowUp.objects.count() == 0


@pytest.mark.parametrize("header", ["Receipt 0000-0000-0000-0000-0001", "Receipt not-a-receipt"])
def test_a_wrong_receipt_costs_one_lookup_of_an_id(personas, client, django_assert_num_queries, header):
    with django_assert_num_queries(1) as queries:
        assert client.get(STATUS, HTTP_AUTHORIZATION=header).status_code == 401
    sql = queries.captured_queries[0]["sql"]
    assert sql.startswith("SELECT id FROM reports_report WHERE receipt_hash = ") and "LIMIT 1" in sql


def test_a_right_receipt_still_finds_its_live_report_only(personas, envelope, client):
    receipt = post(client, REPORTS, envelope(pow=fresh_proof(client))).json()["receipt"]
    assert client.get(STATUS, HTTP_AUTHORIZATION=f"Receipt {receipt}").json()["status"] == "received"
    assert client.delete(REPORTS, HTTP_AUTHORIZATION=f"Receipt {receipt}").status_code == 200
    assert client.get(STATUS, HTTP_AUTHORIZATION=f"Receipt {receipt}").status_code == 401


def test_a_wrong_receipt_is_refused_before_the_body_is_read(personas, client, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = post(client, FOLLOWUPS, "{not json", HTTP_AUTHORIZATION="Receipt 0000-0000-0000-0000-0001")
    assert response.status_code == 401  # not 400: the body was never parsed
