"""POST /api/v1/reports/: the success path, every bad input (400, nothing stored), replay, caps, flooding."""

from __future__ import annotations

import hashlib
import json
import re
import time

import pytest

from accounts.services import personal_key_unlock, shared_key_unlock
from backend.crypto import hpke
from backend.crypto.blind_index import BlindIndexer
from backend.receipts import receipt_hash
from backend.sealed_fields import open_value
from client.api import b64e
from reports.models import FollowUp, Report, ReportIndicator, ReportState
from tests.conftest import PASSWORD
from tests.dumps import database_dump
from tests.reports.conftest import CANARY

pytestmark = pytest.mark.django_db


def test_a_report_is_stored_encrypted_and_answered_with_a_receipt(personas, envelope, submit):
    body = envelope()
    response = submit(body)
    assert response.status_code == 201, response.content
    answer = response.json()
    assert set(answer) == {"receipt", "status"} and answer["status"] == "received"
    assert re.fullmatch(r"\d{4}(-\d{4}){4}", answer["receipt"])
    assert response["Cache-Control"] == "no-store"

    report = Report.objects.get()
    assert report.state == ReportState.PENDING
    assert (report.category, report.governorate, report.incident_month.isoformat()) == (
        "phone_threat",
        "IQ-DQ",
        "2026-10-01",
    )
    assert bytes(report.receipt_hash) == receipt_hash(answer["receipt"])
    from client.api import b64d

    assert bytes(report.ciphertext) == b64d(body["ciphertext"])  # stored exactly as received
    details = json.loads(open_value(report, "triage_sealed"))
    assert details == {
        "immediate_danger": False,
        "needs_relocation": False,
        "flags": ["death_threat"],
        "language": "ar",
    }
    indexer = BlindIndexer.from_settings()
    stored = set(ReportIndicator.objects.values_list("kind", "value"))
    assert stored == {
        indexer.index_indicator("phone", "+9647701234567"),
        indexer.index_indicator("telegram", "jokers_channel"),
    }


def test_staff_with_a_grant_read_what_the_client_wrote(personas, envelope, submit):
    assert submit(envelope()).status_code == 201
    report = Report.objects.get()
    alice = personas["alice"]
    private = shared_key_unlock(
        shared_key=report.intake_key, user=alice, personal_key=personal_key_unlock(user=alice, password=PASSWORD)
    )
    plaintext = hpke.decrypt(private, bytes(report.ciphertext), info=hpke.report_info(report.intake_key.key_id))
    document = json.loads(plaintext)
    assert document["narrative"] == CANARY
    assert len(plaintext) in (1024, 2048, 4096)  # padded to a bucket


def test_no_plaintext_reaches_the_database_or_logs(personas, envelope, submit, caplog):
    with caplog.at_level("DEBUG"):
        assert submit(envelope()).status_code == 201
    dump = database_dump()
    for canary in (CANARY, "canary-narrative-7e1f", "7701234567", "jokers_channel"):
        assert canary.encode() not in dump
        assert canary not in caplog.text


def test_the_receipt_is_not_stored(personas, envelope, submit):
    receipt = submit(envelope()).json()["receipt"]
    dump = database_dump()
    assert receipt.encode() not in dump and receipt.replace("-", "").encode() not in dump


def test_x25519_intake_keys_work_too(personas, envelope, submit):
    from accounts.roles import KeyPurpose
    from accounts.services import key_grant_create, shared_key_create
    from tests.reports.conftest import seal_report

    classic = shared_key_create(
        purpose=KeyPurpose.INTAKE, holder=personas["lead"], holder_password=PASSWORD, suite=hpke.Suite.X25519
    )
    key_grant_create(shared_key=classic, grantor=personas["lead"], grantor_password=PASSWORD, grantee=personas["alice"])
    body = envelope(key_id=classic.key_id, ciphertext=seal_report(classic, b'{"narrative":"x","pad":""}'))
    assert submit(body).status_code == 201


def _triage(**changes):
    from tests.reports.conftest import GOOD_TRIAGE

    triage = dict(GOOD_TRIAGE)
    for name, value in changes.items():
        if value is ...:
            triage.pop(name)
        else:
            triage[name] = value
    return triage


BAD_INPUTS = {
    "unknown top-level field": ({"extra": 1}, "extra"),
    "version 2": ({"version": 2}, "version"),
    "version true": ({"version": True}, "version"),
    "version 1.0": ({"version": 1.0}, "version"),
    "version the string 1": ({"version": "1"}, "version"),
    "version null": ({"version": None}, "version"),
    "key id missing": ({"key_id": None}, "key_id"),
    "unknown key id": ({"key_id": "ik-000000000000"}, "key_id"),
    "ciphertext not base64url": ({"ciphertext": "not/base64+"}, "ciphertext"),
    "ciphertext a number": ({"ciphertext": 12}, "ciphertext"),
    "ciphertext too short for the suite": ({"ciphertext": "AAAA"}, "ciphertext"),
    "triage missing": ({"triage": None}, "triage"),
    "unknown triage field": ({"triage": _triage(ip="1.2.3.4")}, "triage.ip"),
    "unknown category": ({"triage": _triage(category="insult")}, "triage.category"),
    "category missing": ({"triage": _triage(category=...)}, "triage.category"),
    "unknown governorate": ({"triage": _triage(governorate="IQ-XX")}, "triage.governorate"),
    "governorate lower case": ({"triage": _triage(governorate="iq-bg")}, "triage.governorate"),
    "future month": ({"triage": _triage(incident_month="2999-01")}, "triage.incident_month"),
    "malformed month": ({"triage": _triage(incident_month="2026-13")}, "triage.incident_month"),
    "month with day": ({"triage": _triage(incident_month="2026-10-01")}, "triage.incident_month"),
    "danger as a string": ({"triage": _triage(immediate_danger="yes")}, "triage.immediate_danger"),
    "relocation as 1": ({"triage": _triage(needs_relocation=1)}, "triage.needs_relocation"),
    "unknown flag": ({"triage": _triage(flags=["sad"])}, "triage.flags"),
    "flags not a list": ({"triage": _triage(flags="death_threat")}, "triage.flags"),
    "unknown language": ({"triage": _triage(language="fr")}, "triage.language"),
    "language a list": ({"triage": _triage(language=[])}, "triage.language"),
    "category an object": ({"triage": _triage(category={})}, "triage.category"),
    "year zero": ({"triage": _triage(incident_month="0000-01")}, "triage.incident_month"),
    "month in Arabic-Indic digits": ({"triage": _triage(incident_month="٢٠٢٥-10")}, "triage.incident_month"),
    "unknown field with a lone surrogate": ({"\ud800x": 1}, "\\ud800x"),
    "impossible phone": (
        {"triage": _triage(indicators=[{"type": "phone", "value": "12"}])},
        "triage.indicators[0].value",
    ),
    "telegram link with an unmatched bracket": (
        {"triage": _triage(indicators=[{"type": "telegram", "value": "[a/b"}])},
        "triage.indicators[0].value",
    ),
    "telegram host with a stray bracket": (
        {"triage": _triage(indicators=[{"type": "telegram", "value": "https://t.me]/x"}])},
        "triage.indicators[0].value",
    ),
    "unknown indicator type": (
        {"triage": _triage(indicators=[{"type": "email", "value": "a@b.c"}])},
        "triage.indicators[0].type",
    ),
    "indicator with extra field": (
        {"triage": _triage(indicators=[{"type": "phone", "value": "0770 123 4567", "x": 1}])},
        "triage.indicators[0]",
    ),
    "too many indicators": (
        {"triage": _triage(indicators=[{"type": "telegram", "value": f"@chan_{i:03d}"} for i in range(21)])},
        "triage.indicators",
    ),
    "reply key wrong length": ({"reply_public_key": "AAAA"}, "reply_public_key"),
    "reply key null": ({"reply_public_key": None}, "reply_public_key"),
    "category null": ({"triage": _triage(category=None)}, "triage.category"),
    "month null": ({"triage": _triage(incident_month=None)}, "triage.incident_month"),
    "flags null": ({"triage": _triage(flags=None)}, "triage.flags"),
    "a null flag": ({"triage": _triage(flags=[None])}, "triage.flags"),
    "indicators null": ({"triage": _triage(indicators=None)}, "triage.indicators"),
    "indicator value null": (
        {"triage": _triage(indicators=[{"type": "phone", "value": None}])},
        "triage.indicators[0].value",
    ),
    "ciphertext null": ({"ciphertext": None}, "ciphertext"),
    "reply key low order point": ({"reply_public_key": "A" * 43}, "reply_public_key"),
}


@pytest.mark.parametrize("change, field", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_input_is_refused_by_field_and_stores_nothing(personas, envelope, submit, change, field):
    response = submit(envelope(**change))
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["error"] == "invalid" and field in body["detail"], body
    assert Report.objects.count() == 0 and ReportIndicator.objects.count() == 0


@pytest.mark.parametrize(
    "raw, status",
    [(b"{", 400), (b"[]", 400), (b"null", 400), (b'{"version": NaN}', 400), (b"\xff\xfe", 400), (b"[" * 100000, 400)],
    ids=["truncated JSON", "a list", "null", "NaN", "not UTF-8", "nested 100,000 deep"],
)
def test_bodies_that_are_not_an_envelope_are_refused(personas, client, raw, status, settings):
    settings.SANAD_POW_BASE_BITS = 0
    response = client.post("/api/v1/reports/", data=raw, content_type="application/json")
    assert response.status_code == status
    assert "error" in response.json()
    assert Report.objects.count() == 0


def test_an_inactive_key_is_refused(personas, envelope, submit):
    from accounts.services import shared_key_retire

    body = envelope()
    shared_key_retire(shared_key=personas["intake"], holder=personas["lead"], holder_password=PASSWORD)
    response = submit(body)
    assert response.status_code == 400 and "key_id" in response.json()["detail"]


def test_a_replayed_ciphertext_is_refused(personas, envelope, submit):
    body = envelope()
    assert submit(body).status_code == 201
    again = submit(body)
    assert again.status_code == 409
    assert again.json() == {"error": "duplicate", "detail": {"ciphertext": "This ciphertext was received already."}}
    assert Report.objects.count() == 1


def test_an_oversized_body_gets_413_before_parsing(personas, client, settings):
    from reports.api import ReportsView

    body = b'{"version": 1, "ciphertext": "' + b"A" * (ReportsView.max_body_bytes + 10) + b'"}'
    response = client.post("/api/v1/reports/", data=body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"
    assert Report.objects.count() == 0


def test_ciphertext_over_the_cap_is_refused(personas, envelope, submit, settings):
    from client.api import b64e

    settings.SANAD_MAX_REPORT_BYTES = 4096
    response = submit(envelope(ciphertext=b64e(b"\x01" * 5000)))
    assert response.status_code == 400 and "ciphertext" in response.json()["detail"]


def test_proof_of_work_is_required_checked_and_single_use(personas, envelope, submit, client):
    from backend.pow import leading_zero_bits
    from client.api import b64d
    from client.pow import solve

    assert submit(envelope(), pow=False).status_code == 400
    challenge = client.get("/api/v1/pow/").json()
    assert challenge["difficulty"] == 6 and challenge["expires_at"].endswith("Z")
    good = {"challenge": challenge["challenge"], "nonce": solve(challenge["challenge"], challenge["difficulty"])}
    raw = b64d(challenge["challenge"])
    bad_nonce = next(
        str(n) for n in range(10**6) if leading_zero_bits(hashlib.sha256(raw + str(n).encode()).digest()) < 6
    )
    response = submit(envelope(pow={"challenge": challenge["challenge"], "nonce": bad_nonce}), pow=False)
    assert response.status_code == 400 and "difficulty" in response.json()["detail"]["pow"]
    assert submit(envelope(pow=good), pow=False).status_code == 201
    replay = submit(envelope(pow=good), pow=False)
    assert replay.status_code == 400 and "used already" in replay.json()["detail"]["pow"]
    tampered = bytearray(raw)
    tampered[20] ^= 1  # e.g. lowering the difficulty byte or extending the expiry
    forged = {"challenge": b64e(bytes(tampered)), "nonce": "1"}
    assert "Unknown or expired" in submit(envelope(pow=forged), pow=False).json()["detail"]["pow"]
    for proof in (
        {"challenge": challenge["challenge"], "nonce": "-1"},
        {"challenge": 5, "nonce": "1"},
        "x",
        {"nonce": "1"},
    ):
        assert submit(envelope(pow=proof), pow=False).status_code == 400
    assert Report.objects.count() == 1


def test_an_expired_challenge_is_refused(personas, envelope, submit, client, settings):
    import time_machine

    from client.pow import solve

    challenge = client.get("/api/v1/pow/").json()
    proof = {"challenge": challenge["challenge"], "nonce": solve(challenge["challenge"], challenge["difficulty"])}
    with time_machine.travel(time.time() + settings.SANAD_POW_TTL_SECONDS + 5):
        response = submit(envelope(pow=proof), pow=False)
    assert response.status_code == 400 and "expired" in response.json()["detail"]["pow"]


def test_challenges_stockpiled_while_calm_do_not_pay_during_a_flood(personas, envelope, submit, client, settings):
    from backend.budgets import REPORTS
    from client.pow import solve

    settings.SANAD_POW_BASE_BITS, settings.SANAD_POW_RATE_THRESHOLD = 4, 2
    cheap = client.get("/api/v1/pow/").json()
    proof = {"challenge": cheap["challenge"], "nonce": solve(cheap["challenge"], cheap["difficulty"])}
    REPORTS.spend(16)  # 8x the threshold: 3 bits harder now
    response = submit(envelope(pow=proof), pow=False)
    assert response.status_code == 400 and "busier" in response.json()["detail"]["pow"]
    assert submit(envelope()).status_code == 201  # a fresh challenge at today's difficulty is fine


def test_issuing_challenges_stores_nothing(personas, client, monkeypatch):
    """A flood of GET /pow/ must not fill Redis (the broker) or the database."""
    from django.core.cache import cache

    from reports.models import SpentChallenge

    def no_writes(*args, **kwargs):
        raise AssertionError("issuing a challenge wrote to the cache")

    for method in ("set", "add", "incr", "set_many"):
        monkeypatch.setattr(cache, method, no_writes)
    for _ in range(50):
        assert client.get("/api/v1/pow/").status_code == 200
    assert SpentChallenge.objects.count() == 0


def test_intake_goes_on_when_redis_is_down(personas, envelope, submit, monkeypatch):
    """Counters fail open; single use is kept in PostgreSQL, so nothing needs the cache."""
    from django.core.cache import cache

    def down(*args, **kwargs):
        raise ConnectionError("redis unreachable")

    for method in ("incr", "add", "get_many", "get", "set"):
        monkeypatch.setattr(cache, method, down)
    body = envelope()
    assert submit(body).status_code == 201
    assert Report.objects.count() == 1


def test_difficulty_rises_with_the_intake_rate(personas, client, settings):
    from backend.budgets import REPORTS

    settings.SANAD_POW_BASE_BITS, settings.SANAD_POW_RATE_THRESHOLD, settings.SANAD_POW_MAX_BITS = 10, 4, 13
    assert client.get("/api/v1/pow/").json()["difficulty"] == 10
    for _ in range(8):
        REPORTS.spend()
    assert client.get("/api/v1/pow/").json()["difficulty"] == 11  # 2x the threshold: one more bit
    for _ in range(100):
        REPORTS.spend()
    assert client.get("/api/v1/pow/").json()["difficulty"] == 13  # capped


def test_without_proof_of_work_the_server_says_difficulty_zero(personas, envelope, submit, client, settings):
    settings.SANAD_POW_BASE_BITS = 0
    assert client.get("/api/v1/pow/").json()["difficulty"] == 0
    assert submit(envelope(), pow=False).status_code == 201


def test_the_backstop_cap_answers_429_only_after_proof_of_work(personas, envelope, submit, settings):
    settings.SANAD_INTAKE_MAX_PER_MINUTE = 2
    assert submit(envelope(), pow=False).status_code == 400  # unpaid requests never count toward the cap
    assert submit(envelope()).status_code == 201
    assert submit(envelope()).status_code == 201
    response = submit(envelope())
    assert response.status_code == 429 and response.json()["error"] == "throttled"
    assert Report.objects.count() == 2


def test_follow_ups_never_reuse_a_report_ciphertext_twice(personas, envelope, submit, receipt_call):
    body = envelope()
    receipt = submit(body).json()["receipt"]
    response = receipt_call(
        "post", "/api/v1/reports/followups/", receipt, {"key_id": body["key_id"], "ciphertext": body["ciphertext"]}
    )
    assert response.status_code == 201  # different table, different info: it would not decrypt as a follow-up
    again = receipt_call(
        "post", "/api/v1/reports/followups/", receipt, {"key_id": body["key_id"], "ciphertext": body["ciphertext"]}
    )
    assert again.status_code == 409
    assert FollowUp.objects.count() == 1
