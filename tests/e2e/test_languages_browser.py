"""Sanad's staff pages in Arabic, Sorani Kurdish and English, on a 390-px phone, in headless Chromium.

A caseworker whose browser asks for Sorani logs in, reads a report written in Arabic and replies; a lead
whose browser asks for Arabic reassigns a report; both once more in English. On every page: `lang` and
`dir` match the browser's language, no English string of ours shows in the Arabic and Sorani pages,
and nothing scrolls sideways at 390 px.

Set SANAD_SCREENSHOTS to a folder to keep the pages as PNGs: the README's screenshots are these
(`make screenshots` writes them to docs/screenshots).
"""

from __future__ import annotations

import pytest

from accounts.models import Coverage
from accounts.services import key_grant_create
from client.api import SanadClient, Triage
from reports.models import Report, ReportState
from reports.triage import report_triage
from tests.conftest import PASSWORD
from tests.e2e.helpers import check_page, log_in, shot

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

NARRATIVE = "رجل على دراجة نارية صوّر باب بيتي مرتين هذا الأسبوع، ثم نُشر عنواني في قناة على تيليغرام."
REPLIES = {
    "ckb": "ڕاپۆرتەکەتمان خوێندەوە. هاوکارێکمان ئەمڕۆ لە سیگناڵ پەیوەندیت پێوە دەکات.",
    "en": "We read your report. A colleague will call you on Signal today.",
}


def _report(live_server, personas, *, governorate="IQ-BG") -> Report:
    reporter = SanadClient(live_server.url)
    submission = reporter.submit(
        narrative=NARRATIVE,
        triage=Triage(
            category="telegram_doxxing",
            governorate=governorate,
            incident_month=_this_month(),
            language="ar",
            flags=["death_threat", "home_address_exposed"],
            indicators=[{"type": "telegram", "value": "@example_channel"}],
        ),
    )
    report = Report.objects.get()
    report_triage(report_id=report.pk)
    report.refresh_from_db()
    report.submission = submission
    return report


@pytest.mark.parametrize("language", ["ckb", "en"])
def test_caseworker_reads_an_arabic_report_and_replies(live_server, personas, phone, settings, language):
    settings.SANAD_POW_BASE_BITS = 6
    alice = personas["alice"]
    Coverage.objects.create(user=alice, governorates=["IQ-BG"], languages=["ar", "ckb"])
    report = _report(live_server, personas)
    assert report.assigned_to == alice and report.state == ReportState.ASSIGNED
    data = ("alice", report.reference)

    page = phone(language)
    page.goto(f"{live_server.url}/admin/login/")
    check_page(page, language)
    shot(page, f"{language}-1-login")
    log_in(page, live_server, alice)
    check_page(page, language, data=data)

    page.goto(f"{live_server.url}/admin/reports/report/")
    check_page(page, language, data=data)
    shot(page, f"{language}-2-queue")
    page.click(f"text={report.reference}")
    page.wait_for_selector("#report-narrative")
    assert page.inner_text("#report-narrative").strip() == NARRATIVE
    check_page(page, language, data=data)
    shot(page, f"{language}-3-report")

    page.click("#report-actions form:has(input[type=submit]) >> nth=0")  # acknowledge: the only action
    page.wait_for_selector(".messagelist .success")
    report.refresh_from_db()
    assert report.state == ReportState.ACKNOWLEDGED
    check_page(page, language, data=data)
    page.fill("#report-reply textarea[name=body]", REPLIES[language])
    page.click("#report-reply [type=submit]")
    page.wait_for_selector(".messagelist .success")
    check_page(page, language, data=data)
    shot(page, f"{language}-4-replied")

    status = SanadClient(live_server.url).status(report.submission.receipt, report.submission.reply_key)
    assert [reply["body"] for reply in status.replies] == [REPLIES[language]]


@pytest.mark.parametrize("language", ["ar", "en"])
def test_lead_reassigns(live_server, personas, phone, settings, language):
    settings.SANAD_POW_BASE_BITS = 6
    alice, bob, lead = personas["alice"], personas["bob"], personas["lead"]
    key_grant_create(shared_key=personas["intake"], grantor=lead, grantor_password=PASSWORD, grantee=bob)
    Coverage.objects.create(user=alice, governorates=["IQ-NA"], languages=["ar"])
    Coverage.objects.create(user=bob, governorates=["IQ-NA"], languages=["ar"], capacity=0)
    report = _report(live_server, personas, governorate="IQ-NA")
    assert report.assigned_to == alice
    data = ("lead", "alice", "bob", report.reference)

    page = phone(language)
    log_in(page, live_server, lead)
    page.goto(f"{live_server.url}/admin/reports/report/")
    check_page(page, language, data=data)
    page.goto(f"{live_server.url}/admin/reports/report/{report.pk}/change/")
    page.wait_for_selector("#report-narrative")
    check_page(page, language, data=data)
    shot(page, f"{language}-5-lead-report")
    page.select_option("select[name=assignee]", str(bob.pk))
    page.click("form:has(select[name=assignee]) [type=submit]")
    page.wait_for_selector(".messagelist .success")
    check_page(page, language, data=data)
    report.refresh_from_db()
    assert report.assigned_to == bob
    assert page.inner_text("#report-assignee").strip() == "bob"


def _this_month() -> str:
    from django.utils import timezone

    return timezone.now().strftime("%Y-%m")
