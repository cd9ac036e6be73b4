"""End to end in headless Chromium: a reporter submits with the reference client; a caseworker logs in
with password and TOTP, reads the report, replies; the reporter's client reads the reply.

Set SANAD_SCREENSHOTS to a folder to keep the enrolment page as a PNG (the README shows it; its other
screenshots come from test_languages_browser.py, on a phone).
"""

from __future__ import annotations

import pytest

from accounts.models import Coverage
from client.api import SanadClient, Triage
from reports.models import Report, ReportState
from reports.triage import report_triage
from tests.conftest import PASSWORD, enrol, totp_code_for
from tests.e2e.helpers import shot

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

NARRATIVE = (
    "Browser test: a man on a motorbike photographed my door twice this week. — رجل على دراجة نارية صوّر باب بيتي"
)
REPLY = "We read your report. A colleague will call you on Signal today. — سنتصل بك اليوم"


@pytest.fixture
def browser_page(chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


def test_caseworker_reads_and_replies_in_the_browser(live_server, personas, browser_page, settings):
    settings.SANAD_POW_BASE_BITS = 6
    alice = personas["alice"]
    Coverage.objects.create(user=alice, governorates=["IQ-BG"], languages=["ar"])
    reporter = SanadClient(live_server.url)
    submission = reporter.submit(
        narrative=NARRATIVE,
        triage=Triage(
            category="surveillance",
            governorate="IQ-BG",
            incident_month=_this_month(),
            language="ar",
            flags=["followed", "home_address_exposed"],
            indicators=[{"type": "phone", "value": "07701234567"}],
        ),
    )
    report = Report.objects.get()
    report_triage(report_id=report.pk)
    report.refresh_from_db()
    assert report.assigned_to == alice and report.state == ReportState.ASSIGNED

    page = browser_page
    device = enrol(alice)
    page.goto(f"{live_server.url}/admin/")
    assert "/admin/login/" in page.url
    page.fill("#id_username", "alice")
    page.fill("#id_password", PASSWORD)
    page.fill("#id_otp_token", totp_code_for(device))
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")

    page.goto(f"{live_server.url}/admin/reports/report/")
    page.click(f"text={report.reference}")
    page.wait_for_selector("#report-narrative")
    assert NARRATIVE in page.inner_text("#report-narrative")

    page.click("#report-actions input[value^='Acknowledge']")
    page.wait_for_selector("text=Acknowledged: the deadline clock has stopped.")
    page.fill("#report-reply textarea[name=body]", REPLY)
    page.click("#report-reply input[type=submit]")
    page.wait_for_selector("text=Reply encrypted to the reporter's key.")

    status = reporter.status(submission.receipt, submission.reply_key)
    assert status.status == "in_review"
    assert [reply["body"] for reply in status.replies] == [REPLY]

    page.click("#logout-form button, #logout-form input[type=submit]")
    page.wait_for_url("**/admin/login/**")


def test_first_login_enrolment_in_the_browser(live_server, personas, browser_page):
    """A new caseworker sets up the authenticator from the QR page (its key typed, as from the app)."""
    from accounts.models import TOTPDevice
    from accounts.totp import current_code

    page = browser_page
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "bob")
    page.fill("#id_password", "a different long passphrase 7")
    page.click("input[type=submit]")
    page.wait_for_selector("#totp-qr svg")
    shot(page, "0-enrol")
    device = TOTPDevice.objects.get(user=personas["bob"], confirmed=False)
    assert page.inner_text("#totp-secret").replace(" ", "") in _b32(device.bin_key)
    page.fill("#id_otp_token", current_code(device))
    page.click("#enrol-form input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    device.refresh_from_db()
    assert device.confirmed


def _b32(raw: bytes) -> str:
    from base64 import b32encode

    return b32encode(raw).decode()


def _this_month() -> str:
    from django.utils import timezone

    return timezone.now().strftime("%Y-%m")
