"""Concurrent submissions share one transaction (group commit), and each reporter still gets
exactly their own answer: a receipt for a stored report, or the refusal for theirs alone."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta

import pytest
from django.db import connections
from django.test import Client
from django.utils import timezone

from reports import intake_writes as services
from reports.envelope import parse_report_envelope
from reports.models import Report, ReportIndicator, SpentChallenge
from tests.reports.conftest import GOOD_TRIAGE, fresh_proof

pytestmark = pytest.mark.django_db(transaction=True)


def test_reports_submitted_together_are_written_together_and_answered_one_by_one(personas, envelope, monkeypatch):
    writes, first_started, release = [], threading.Event(), threading.Event()
    real_write = services.intake_writes._write

    def write(batch):
        writes.append(len(batch))
        if len(writes) == 1:  # hold the first write so the others queue behind it
            first_started.set()
            release.wait(10)
        return real_write(batch)

    monkeypatch.setattr(services.intake_writes, "_write", write)
    bodies = [envelope() for _ in range(4)]
    replay = dict(bodies[1])  # the same ciphertext again: HPKE has no replay protection of its own
    answers: dict[int, object] = {}

    def post(index, body):
        try:
            client = Client()
            payload = dict(body)
            proof = fresh_proof(client)
            if proof:
                payload["pow"] = proof
            answers[index] = client.post("/api/v1/reports/", data=json.dumps(payload), content_type="application/json")
        finally:
            connections.close_all()

    leader = threading.Thread(target=post, args=(0, bodies[0]))
    leader.start()
    assert first_started.wait(10)
    others = [threading.Thread(target=post, args=(n, body)) for n, body in enumerate([*bodies[1:], replay], start=1)]
    for thread in others:
        thread.start()
    deadline = time.monotonic() + 10
    while len(services.intake_writes._pending) < 4 and time.monotonic() < deadline:
        time.sleep(0.005)
    release.set()
    for thread in [leader, *others]:
        thread.join(20)

    assert writes[:2] == [1, 4]  # the four that arrived during the first write shared the second
    statuses = sorted(answers[n].status_code for n in range(5))
    assert statuses == [201, 201, 201, 201, 409]
    receipts = {answers[n].json()["receipt"] for n in range(5) if answers[n].status_code == 201}
    assert len(receipts) == 4
    assert Report.objects.count() == 4
    assert ReportIndicator.objects.count() == 4 * len(GOOD_TRIAGE["indicators"])  # nothing of the refused one
    refused = next(answers[n] for n in range(5) if answers[n].status_code == 409)
    assert refused.json()["detail"] == {"ciphertext": "This ciphertext was received already."}
    if SpentChallenge.objects.exists():  # with proof of work on, the refused report spent nothing
        assert SpentChallenge.objects.count() == 4
    for receipt in receipts:  # every receipt opens its own report
        status = Client().get("/api/v1/reports/status/", HTTP_AUTHORIZATION=f"Receipt {receipt}")
        assert status.status_code == 200 and status.json()["status"] == "received"


def test_a_batch_the_database_refuses_is_written_report_by_report(personas, envelope, monkeypatch):
    """Whatever makes the database refuse a batch, only the report at fault is refused."""
    from django.db import DataError

    from reports.models import Report as ReportModel

    real_bulk_create = ReportModel.objects.bulk_create
    poisoned = []

    def bulk_create(objs, *args, **kwargs):
        objs = list(objs)
        if any(obj.governorate == "IQ-NI" for obj in objs):  # stands in for any row the database rejects
            poisoned.append(len(objs))
            raise DataError("value too long")
        return real_bulk_create(objs, *args, **kwargs)

    monkeypatch.setattr(ReportModel.objects, "bulk_create", bulk_create)
    good, bad = envelope(), envelope()
    bad["triage"]["governorate"] = "IQ-NI"
    batch = [services.build_submission(parse_report_envelope(body, max_bytes=10**6), None) for body in (good, bad)]
    results = services._submissions_write(batch)
    assert poisoned == [2, 1]  # the batch, then the bad report alone
    assert isinstance(results[0], ReportModel) and isinstance(results[1], DataError)
    assert list(ReportModel.objects.values_list("pk", flat=True)) == [results[0].pk]


def test_replays_in_a_batch_cost_the_others_one_extra_write_not_one_each(personas, envelope, monkeypatch):
    stored_before = services._submissions_write(_batch(envelope, (envelope(), 1), (replayed := envelope(), 2)))
    assert all(isinstance(result, Report) for result in stored_before)
    real_fresh_write, writes = services._fresh_write, []

    def fresh_write(batch):
        writes.append(len(batch))
        return real_fresh_write(batch)

    monkeypatch.setattr(services, "_fresh_write", fresh_write)
    # A new report reusing a spent proof, a replayed ciphertext, and three honest reports.
    results = services._submissions_write(
        _batch(envelope, (envelope(), 3), (envelope(), 1), (dict(replayed), 4), (envelope(), 5), (envelope(), 6))
    )
    assert isinstance(results[1], services.ChallengeSpent) and isinstance(results[2], services.DuplicateCiphertext)
    assert [isinstance(results[index], Report) for index in (0, 3, 4)] == [True, True, True]
    assert writes == [5, 3]  # the batch, then the three honest reports together once more
    assert Report.objects.count() == 5 and SpentChallenge.objects.count() == 5


def _batch(envelope, *bodies_and_proofs):
    from backend.pow import Proof

    items = []
    for body, proof_seed in bodies_and_proofs:
        proof = (
            Proof(digest=bytes([proof_seed]) * 32, expires_at=timezone.now() + timedelta(minutes=5))
            if proof_seed
            else None
        )
        items.append(services.build_submission(parse_report_envelope(body, max_bytes=10**6), proof))
    return items


def test_the_same_proof_twice_in_one_batch_is_spent_once(personas, envelope):
    results = services._submissions_write(_batch(envelope, (envelope(), 1), (envelope(), 1)))
    assert isinstance(results[0], Report) and isinstance(results[1], services.ChallengeSpent)
    assert Report.objects.count() == 1 and SpentChallenge.objects.count() == 1


def test_a_repeat_shares_the_fate_of_a_first_copy_that_was_not_stored(personas, envelope, monkeypatch):
    """Nobody is told "received already" about a report the database did not store."""
    from django.db import DataError

    real_bulk_create = Report.objects.bulk_create

    def bulk_create(objs, *args, **kwargs):
        objs = list(objs)
        if any(obj.governorate == "IQ-NA" for obj in objs):
            raise DataError("rejected")
        return real_bulk_create(objs, *args, **kwargs)

    monkeypatch.setattr(Report.objects, "bulk_create", bulk_create)
    doomed, good = envelope(), envelope()
    doomed["triage"]["governorate"] = "IQ-NA"
    results = services._submissions_write(_batch(envelope, (doomed, 1), (good, 2), (dict(doomed), 3)))
    assert isinstance(results[0], DataError) and isinstance(results[1], Report)
    assert results[2] is results[0]  # the copy is refused with the first one's error, not "received already"
    assert Report.objects.count() == 1 and SpentChallenge.objects.count() == 1


def test_a_lost_connection_fails_the_whole_batch_and_a_live_one_does_not(personas, envelope, monkeypatch):
    from django.db import OperationalError

    real_bulk_create = ReportIndicator.objects.bulk_create
    calls = []

    def bulk_create(objs, *args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real_bulk_create(objs, *args, **kwargs)

    monkeypatch.setattr(ReportIndicator.objects, "bulk_create", bulk_create)
    monkeypatch.setattr(services, "_connection_lost", lambda: True)
    with pytest.raises(OperationalError):  # outcome unknown: every caller gets the error, nobody a 409
        services._submissions_write(_batch(envelope, (envelope(), 0), (envelope(), 0)))
    assert Report.objects.count() == 0

    calls.clear()
    monkeypatch.setattr(services, "_connection_lost", lambda: False)  # e.g. a deadlock: rolled back, outcome known
    results = services._submissions_write(_batch(envelope, (envelope(), 0), (envelope(), 0)))
    assert all(isinstance(result, Report) for result in results) and Report.objects.count() == 2
