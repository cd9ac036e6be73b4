"""Sanad's staff pages in Arabic, Sorani Kurdish and English, on a 390-px phone, in headless Chromium.

A caseworker whose browser asks for Sorani logs in, reads a report written in Arabic and replies; a lead
whose browser asks for Arabic reassigns a report; both once more in English. On every page: `lang` and
`dir` match the browser's language, no English string of ours shows in the Arabic and Sorani pages,
and nothing scrolls sideways at 390 px.

Set SANAD_SCREENSHOTS to a folder to keep the pages as PNGs: the README's screenshots are these
(`make screenshots` writes them to docs/screenshots).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from accounts.models import Coverage
from accounts.services import key_grant_create
from client.api import SanadClient, Triage
from reports.models import Report, ReportState
from reports.triage import report_triage
from tests.conftest import PASSWORD, enrol, totp_code_for

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
NARRATIVE = "رجل على دراجة نارية صوّر باب بيتي مرتين هذا الأسبوع، ثم نُشر عنواني في قناة على تيليغرام."
REPLIES = {
    "ckb": "ڕاپۆرتەکەتمان خوێندەوە. هاوکارێکمان ئەمڕۆ لە سیگناڵ پەیوەندیت پێوە دەکات.",
    "en": "We read your report. A colleague will call you on Signal today.",
}
DIRECTION = {"ar": "rtl", "ckb": "rtl", "en": "ltr"}
# Latin-script words that may show on an Arabic or Sorani page: data, not strings of ours.
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]+")


@pytest.fixture
def phone(chromium):
    """Opens a Chromium page on a 390 x 844 phone screen whose browser asks for `language`."""

    def open_page(language: str):
        context = chromium.new_context(
            viewport=PHONE,
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            extra_http_headers={"Accept-Language": f"{language},{language}-IQ;q=0.9"},
        )
        page = context.new_page()
        page.set_default_timeout(20_000)
        return page

    return open_page


def shot(page, name: str) -> None:
    folder = os.environ.get("SANAD_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def check_page(page, language: str, *, data: tuple[str, ...] = ()) -> None:
    """lang and dir are the browser's language; at 390 px nothing scrolls sideways; an Arabic or Sorani
    page shows no English of ours (Latin-script words are allowed only in `data`: usernames, references;
    in elements marked with another language, such as the switcher's "English"; and in what reporters
    wrote: the narrative and the values set apart in <bdi>)."""
    html = page.locator("html")
    assert (html.get_attribute("lang"), html.get_attribute("dir")) == (language, DIRECTION[language]), page.url
    sideways = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert sideways[0] <= sideways[1], f"{page.url} is {sideways[0]} px wide on a {sideways[1]}-px screen"
    wide = page.evaluate(
        """(limit) => [...document.querySelectorAll('body *')].filter(e => {
             const r = e.getBoundingClientRect();
             return r.width > 0 && (r.right > limit + 1 || r.left < -1) && getComputedStyle(e).position !== 'fixed';
           }).map(e => e.tagName + '#' + e.id + '.' + e.className).slice(0, 5)""",
        PHONE["width"],
    )
    assert not wide, f"{page.url}: elements past the screen's edge: {wide}"
    if language == "en":
        return
    text = page.evaluate(
        """() => {
             const clone = document.body.cloneNode(true);
             clone.querySelectorAll('[lang]:not([lang="' + document.documentElement.lang + '"]), script, style, '
                                    + 'bdi, .sanad-narrative, [translate="no"]')
                  .forEach(e => e.remove());
             return clone.innerText + ' ' + [...document.querySelectorAll('[title],[placeholder],[aria-label]')]
                  .filter(e => !e.closest('[lang]:not([lang="' + document.documentElement.lang + '"])'))
                  .map(e => [e.title, e.placeholder || '', e.getAttribute('aria-label') || ''].join(' ')).join(' ');
           }"""
    )
    for value in data:
        text = text.replace(value, " ")
    english = sorted(set(LATIN_WORD.findall(text)))
    assert not english, f"{page.url} in {language} shows English: {english}"


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


def _log_in(page, live_server, user, password=PASSWORD) -> None:
    device = enrol(user)
    page.goto(f"{live_server.url}/admin/")
    page.wait_for_selector("#login-form")
    page.fill("#id_username", user.username)
    page.fill("#id_password", password)
    page.fill("#id_otp_token", totp_code_for(device))
    page.click("#login-form [type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")


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
    _log_in(page, live_server, alice)
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
    _log_in(page, live_server, lead)
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
