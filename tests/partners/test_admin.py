"""The partners' pages: a sysadmin adds a partner (contact sealed), issues a token shown once and revokes
it; auditors and sysadmins read releases and the ledger; no one else sees any of it."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.test import Client

from partners.models import Partner, PartnerToken
from partners.stats import release_build
from tests.partners.conftest import utc

pytestmark = pytest.mark.django_db


@pytest.fixture
def released(many_reports):
    many_reports(20, utc(2026, 9, 2))
    return release_build(date(2026, 9, 1), today=date(2026, 10, 10))[0]


def test_a_sysadmin_adds_a_partner_issues_a_token_once_and_revokes_it(personas, staff_login):
    sam = staff_login(Client(), personas["sam"])
    response = sam.post("/admin/partners/partner/add/", {"name": "UN office", "contact": "stats@un.example"})
    assert response.status_code == 302
    partner = Partner.objects.get()
    assert b"stats@un.example" not in bytes(partner.contact_sealed) and partner.contact_sealed
    page = sam.get(f"/admin/partners/partner/{partner.pk}/change/")
    assert page.status_code == 200 and b"stats@un.example" not in page.content
    assert sam.get(f"/admin/partners/partner/{partner.pk}/token/").status_code == 405
    issued = sam.post(f"/admin/partners/partner/{partner.pk}/token/")
    assert issued.status_code == 200 and "no-store" in issued["Cache-Control"]
    token = re.search(rb"sanad_pt_[A-Za-z0-9_-]{43}", issued.content).group().decode()
    assert Client().get("/api/v1/stats/releases/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200
    listed = sam.get(f"/admin/partners/partner/{partner.pk}/change/").content.decode()
    assert token not in listed and token[:12] in listed  # never shown again
    row = PartnerToken.objects.get()
    assert sam.post(f"/admin/partners/partner/{partner.pk}/revoke/{row.pk}/").status_code == 302
    assert Client().get("/api/v1/stats/releases/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 401


@pytest.mark.parametrize("who", ["audrey", "sam"])
def test_auditors_and_sysadmins_read_releases_and_the_ledger(personas, staff_login, released, who):
    browser = staff_login(Client(), personas[who])
    assert browser.get("/admin/partners/release/").status_code == 200
    page = browser.get(f"/admin/partners/release/{released.pk}/change/")
    assert page.status_code == 200 and released.sha256.encode() in page.content
    assert browser.get("/admin/partners/ledgerentry/").status_code == 200


@pytest.mark.parametrize("who", ["alice", "lead"])
def test_no_one_else_sees_partners_releases_or_the_ledger(personas, staff_login, released, who):
    partner = Partner.objects.create(name="UN office")
    browser = staff_login(Client(), personas[who])
    for path in (
        "/admin/partners/partner/",
        f"/admin/partners/partner/{partner.pk}/change/",
        "/admin/partners/release/",
        f"/admin/partners/release/{released.pk}/change/",
        "/admin/partners/ledgerentry/",
    ):
        assert browser.get(path).status_code in (403, 404), path
    assert browser.post(f"/admin/partners/partner/{partner.pk}/token/").status_code in (403, 404)
    assert not PartnerToken.objects.exists()


def test_an_auditor_cannot_add_partners_or_issue_tokens(personas, staff_login):
    partner = Partner.objects.create(name="UN office")
    audrey = staff_login(Client(), personas["audrey"])
    assert audrey.post("/admin/partners/partner/add/", {"name": "X"}).status_code in (403, 404)
    assert audrey.post(f"/admin/partners/partner/{partner.pk}/token/").status_code in (403, 404)
    assert Partner.objects.count() == 1 and not PartnerToken.objects.exists()
