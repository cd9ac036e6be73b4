"""The partners' API: the same 401 for a missing, wrong, malformed, expired or revoked token; every
partner gets the same bytes on every fetch; the CSV reads in a second reader with a tag on every column."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from audit.models import AuditEntry
from partners.models import Partner, PartnerToken
from partners.stats import HXL, release_build
from partners.tokens import token_issue, token_revoke, uses_flush
from tests.partners.conftest import utc

pytestmark = pytest.mark.django_db
LIST = "/api/v1/stats/releases/"


@pytest.fixture
def released(many_reports):
    many_reports(40, utc(2026, 9, 2), category="phone_threat")
    many_reports(3, utc(2026, 9, 3), category="attempted_attack", governorate="IQ-DQ")
    release, _ = release_build(date(2026, 9, 1), today=date(2026, 10, 10))
    return release


@pytest.fixture
def tokens():
    un = Partner.objects.create(name="UN office")
    ngo = Partner.objects.create(name="Counting NGO")
    return {"un": token_issue(partner=un), "ngo": token_issue(partner=ngo)}


def get(path, token=None, **headers):
    if token is not None:
        headers["HTTP_AUTHORIZATION"] = f"Token {token}"
    return Client().get(path, **headers)


def test_every_refused_token_gets_the_same_401(released, tokens):
    un_row, un_token = tokens["un"]
    expired_row, expired = token_issue(partner=un_row.partner)
    PartnerToken.objects.filter(pk=expired_row.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    revoked_row, revoked = token_issue(partner=un_row.partner)
    token_revoke(token=revoked_row)
    answers = [
        get(LIST),
        get(LIST, HTTP_AUTHORIZATION=f"Bearer {un_token}"),
        get(LIST, "sanad_pt_" + "A" * 43),
        get(LIST, un_token[:-1]),
        get(LIST, un_token + "x"),
        get(LIST, expired),
        get(LIST, revoked),
        get("/api/v1/stats/releases/2026-09/", revoked),
    ]
    assert {answer.status_code for answer in answers} == {401}
    assert len({answer.content for answer in answers}) == 1
    assert answers[0].json()["error"] == "invalid_token" and answers[0]["WWW-Authenticate"] == "Token"
    assert get(LIST, un_token).status_code == 200  # the partner's live token still works


def test_a_release_is_the_same_bytes_on_every_fetch_and_for_every_partner(released, tokens):
    path = "/api/v1/stats/releases/2026-09/"
    fetched = [get(path, tokens[who][1]).content for who in ("un", "ngo", "un", "ngo")]
    assert len(set(fetched)) == 1 and fetched[0] == bytes(released.body_json)
    csvs = {get(path + "?format=csv", tokens[who][1]).content for who in ("un", "ngo")}
    csvs.add(get(path, tokens["un"][1], HTTP_ACCEPT="text/csv").content)
    assert csvs == {bytes(released.body_csv)}
    listing = get(LIST, tokens["ngo"][1]).json()
    assert listing == [
        {
            "release": "2026-09",
            "built": released.built_at.date().isoformat(),
            "sha256": released.sha256,
            "json": path,
            "csv": path + "?format=csv",
        }
    ]
    assert json.loads(fetched[0])["release"] == "2026-09"


def test_unknown_months_are_404_and_nothing_else_answers(released, tokens):
    token = tokens["un"][1]
    for month in ("2026-08", "2026-13", "September", "2026-9", "../../admin", "2026-9%0A", "٢٠٢٦-٠٩", "2026-%209"):
        assert get(f"/api/v1/stats/releases/{month}/", token).status_code == 404, month
    assert Client().post(LIST, HTTP_AUTHORIZATION=f"Token {token}").status_code == 405
    assert get(LIST + "?format=csv", token).status_code == 404  # the list is JSON only
    assert get("/api/v1/stats/releases/2026-09/?format=xml", token).status_code == 404
    assert get("/api/v1/stats/releases/" + "9" * 5000 + "/", token).status_code == 404


def test_a_long_partner_name_issues_and_revokes_with_their_audit_entries():
    partner = Partner.objects.create(name="United Nations Assistance Mission for Iraq (UNAMI) Human Rights Office")
    row, _token = token_issue(partner=partner)
    assert token_revoke(token=row)
    entries = AuditEntry.objects.filter(object_id=str(row.pk))
    assert sorted(entries.values_list("action", flat=True)) == ["partner_token_issued", "partner_token_revoked"]
    assert all(entry.details["partner_id"] == str(partner.pk) for entry in entries)


def test_use_is_counted_and_issuing_and_revoking_are_on_the_audit_chain(released, tokens):
    row, token = tokens["un"]
    get(LIST, token)
    get(LIST, token)
    uses_flush()  # counted in the process, written every few seconds
    row.refresh_from_db()
    assert row.uses == 2 and row.last_used_on == timezone.localdate()
    assert token not in repr(PartnerToken.objects.values())  # only its keyed hash and first characters
    token_revoke(token=row)
    actions = list(AuditEntry.objects.values_list("action", flat=True))
    assert actions.count("partner_token_issued") == 2 and actions.count("partner_token_revoked") == 1


def test_the_csv_reads_in_a_second_reader_and_every_column_has_an_hxl_tag(released):
    import polars

    frame = polars.read_csv(io.BytesIO(bytes(released.body_csv)), infer_schema=False)
    tags = frame.row(0)
    assert list(frame.columns) == list(HXL) and list(tags) == list(HXL.values())
    assert all(tag and tag.startswith("#") for tag in tags)
    rows = frame.slice(1)
    assert rows.height == 6 + 20 + 2  # September closes a quarter: categories, places, wider regions
    assert set(rows["count"].to_list()) - {"<11"} <= {str(n) for n in range(11, 1000)}
