"""The reporter's page at / in headless Chromium, as a reporter on a 390-px phone uses it.

In Arabic: a report with a photo carrying GPS and camera tags; the proof of work runs with its progress
shown; the secret is shown once. A caseworker whose admin is in Sorani reads the Arabic narrative and
downloads the photo, which has no metadata left, and replies. On a fresh browser, with only the secret
typed in Arabic-Indic digits, the reporter reads the reply, adds a follow-up and withdraws (after a
confirmation). Throughout: no cookie, no storage, nothing of the report in the URL, no request to any
other origin, no CSP violation, nothing past the screen's edge. Once more in English; a refused field
named beside itself in the reader's language; the quick exit; the page's weight.

With SANAD_SCREENSHOTS set, each step is kept as a PNG (`make screenshots`: the README shows them).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import re
from urllib.parse import urlsplit
from urllib.request import urlopen

import pytest
from django.core.management import call_command
from django.utils import translation
from PIL import Image

from accounts.models import Coverage
from reports import casework
from reports.models import FollowUp, Report, ReportState
from reports.pages import page_strings
from reports.triage import report_triage
from tests.e2e.helpers import check_page, log_in, shot
from tests.e2e.test_photo_browser import CANARIES, tagged_jpeg

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

NARRATIVE = {
    "ar": "نشرت قناة على تيليغرام صورتي وعنوان بيتي، وتلقيت اتصالاً من رقم مجهول يهددني بالقتل.",
    "en": "A Telegram channel posted my photo and my street, and an unknown number called to threaten me.",
}
REPLY = {
    "ckb": "ڕاپۆرتەکەتمان خوێندەوە. ئەمڕۆ پەیوەندیت پێوە دەکەین.",
    "en": "We read your report. We will reach you today.",
}
FOLLOW_UP = {"ar": "اتصل بي الرقم نفسه مرة أخرى الليلة.", "en": "The same number called again tonight."}
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
# Recorded in the page from its first script on: CSP violations and the progress bar's values.
WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
window.__progress = [];
new MutationObserver((records) => {
  for (const r of records) {
    if (r.target.id === 'progress' && r.attributeName === 'value') window.__progress.push(Number(r.target.getAttribute('value')));
    if (r.target.id === 'eta' || (r.target.parentNode && r.target.parentNode.id === 'eta')) window.__progress.push(document.getElementById('eta').textContent);
  }
}).observe(document, { subtree: true, attributes: true, attributeFilter: ['value'], childList: true, characterData: true });
"""


@pytest.fixture
def reporter(phone, live_server):
    """A fresh phone browser on the reporter's page, which records every request it makes."""

    def open_page(language: str, path: str = "/"):
        page = phone(language)
        page.requests = []
        page.responses = []
        page.context.on("request", lambda request: page.requests.append(request.url))
        page.context.on("response", lambda response: page.responses.append(response))
        page.add_init_script(WATCH)
        query = "" if language == "ar" else f"?lang={language}"
        page.goto(f"{live_server.url}{path}{query}")
        page.wait_for_selector("[data-view]:not([hidden])")
        return page

    return open_page


def targets_are_large(page) -> None:
    """Every control a thumb must hit is at least 44 px high (a checkbox through its label's row)."""
    small = page.evaluate(
        """() => [...document.querySelectorAll('button, select, input[type=text], textarea, nav a, .exit, .choice')]
             .filter((e) => e.offsetParent !== null && e.getBoundingClientRect().height < 44)
             .map((e) => e.tagName + '#' + e.id + '.' + e.className)"""
    )
    assert not small, small


def leaves_nothing(page, live_server, secret: str | None = None) -> None:
    """No cookie, no storage, nothing of the secret in the URL or history, no request elsewhere, no CSP
    violation."""
    assert page.context.cookies() == []
    stored = page.evaluate(
        "async () => [localStorage.length, sessionStorage.length, (await indexedDB.databases()).length,"
        " (await caches.keys()).length]"
    )
    assert stored == [0, 0, 0, 0]
    if secret:
        digits = re.sub(r"\D", "", secret)
        assert digits[:8] not in page.url and digits[-8:] not in page.url
    origin = urlsplit(live_server.url)
    elsewhere = [
        url for url in page.requests if urlsplit(url)[:2] != origin[:2] and not url.startswith(("blob:", "file:"))
    ]
    assert not elsewhere, elsewhere
    assert page.evaluate("window.__csp") == []


def fill_report(page, language: str, *, photo: bytes | None = None, phone_number: str = "07701234567") -> None:
    page.click("[data-go=report]")
    page.wait_for_selector("#view-report:not([hidden])")
    page.check("input[name=category][value=telegram_doxxing]")
    page.select_option("#governorate", "IQ-BG")
    page.select_option("#month", index=1)  # this month
    page.check("input[name=flag][value=death_threat]")
    page.check("input[name=flag][value=photo_exposed]")
    page.fill("#narrative", NARRATIVE.get(language, NARRATIVE["ar"]))
    page.fill("#phones", phone_number)
    page.fill("#telegram", "@example_channel")
    if photo:
        page.set_input_files(
            "#report-files", files=[{"name": "IMG_20261201_083015.jpg", "mimeType": "image/jpeg", "buffer": photo}]
        )
        page.wait_for_selector("[data-files=report] .files li")


def submit_and_keep_secret(page) -> str:
    page.click("#report-form [type=submit]")
    page.wait_for_selector("#view-secret:not([hidden])", timeout=60_000)
    secret = page.inner_text("#secret").strip()
    assert re.fullmatch(r"\d{4}(-\d{4}){9}", secret), secret
    return secret


def open_with_secret(page, typed: str) -> None:
    page.fill("#secret-input", typed)
    page.click("#check-form [type=submit]")
    page.wait_for_selector("#view-status:not([hidden])", timeout=30_000)


def test_arabic_report_with_a_photo_a_sorani_caseworker_replies_the_reporter_reads_it_elsewhere_and_withdraws(
    live_server, personas, phone, reporter, settings
):
    settings.SANAD_POW_BASE_BITS = 17
    alice = personas["alice"]
    Coverage.objects.create(user=alice, governorates=["IQ-BG"], languages=["ar"])

    page = reporter("ar")
    check_page(page, "ar")
    shot(page, "ar-reporter-1-start")
    fill_report(page, "ar", photo=tagged_jpeg())
    check_page(page, "ar", data=("@example_channel",))
    targets_are_large(page)
    shot(page, "ar-reporter-2-form")
    secret = submit_and_keep_secret(page)
    progress = page.evaluate("window.__progress")
    fractions = [value for value in progress if isinstance(value, (int, float))]
    assert any(0 < value <= 1 for value in fractions), progress  # the proof of work's progress was shown
    # "About N seconds left", in Arabic: a sentence of the page's, with the time the solver expects.
    assert any(isinstance(value, str) and re.search(r"[\u0600-\u06ff]", value) for value in progress), progress
    page.wait_for_selector("#secret-evidence li.sent", timeout=60_000)  # the photo has gone too
    assert page.locator("#secret-evidence li").count() == 1
    assert page.is_disabled("#secret-done")  # until "I have written it down" is ticked
    page.check("#written")
    check_page(page, "ar")
    shot(page, "ar-reporter-3-secret")
    page.click("#secret-done")
    assert page.inner_text("#secret") == "" and page.is_visible("#view-start")  # shown once: gone from the page
    leaves_nothing(page, live_server, secret)

    report = Report.objects.get()
    assert report.evidence.count() == 1
    report_triage(report_id=report.pk)
    report.refresh_from_db()
    assert report.assigned_to == alice

    # The caseworker, her admin in Sorani, reads it and downloads the photo: no metadata in it.
    staff = phone("ckb")
    log_in(staff, live_server, alice)
    staff.goto(f"{live_server.url}/admin/reports/report/{report.pk}/change/")
    staff.wait_for_selector("#report-narrative")
    assert staff.inner_text("#report-narrative").strip() == NARRATIVE["ar"]
    check_page(staff, "ckb", data=("alice", report.reference, "photo-1.jpg", "image/jpeg", "@example_channel"))
    with staff.expect_download() as download:
        staff.click("a[href*='/evidence/']")
    photo = download.value.path().read_bytes()
    assert not any(canary in photo for canary in CANARIES) and b"Exif" not in photo
    assert Image.open(io.BytesIO(photo)).size == (320, 200)
    staff.click("#report-actions form:has(input[type=submit]) >> nth=0")  # acknowledge
    staff.wait_for_selector(".messagelist .success")
    staff.fill("#report-reply textarea[name=body]", REPLY["ckb"])
    staff.click("#report-reply [type=submit]")
    staff.wait_for_selector(".messagelist .success")

    # A fresh browser, the secret typed in Arabic-Indic digits with spaces.
    again = reporter("ar", "/status/")
    assert again.is_visible("#view-check")
    shot(again, "ar-reporter-4-open")
    open_with_secret(again, secret.translate(ARABIC_INDIC).replace("-", " "))
    assert [text.strip() for text in again.locator("#replies .reply p:not(.small)").all_inner_texts()] == [REPLY["ckb"]]
    check_page(again, "ar", data=tuple(REPLY["ckb"].split()))
    shot(again, "ar-reporter-5-reply")
    again.fill("#followup", FOLLOW_UP["ar"])
    again.click("#followup-form [type=submit]")
    again.wait_for_selector("#followup-progress .done", timeout=30_000)
    assert FollowUp.objects.filter(report=report).count() == 1
    again.click("#withdraw")
    assert again.is_visible("#withdraw-confirm")
    assert Report.objects.get().state != ReportState.WITHDRAWN  # asking is not withdrawing
    shot(again, "ar-reporter-6-withdraw")
    again.click("#withdraw-yes")
    again.wait_for_selector("#view-withdrawn:not([hidden])")
    assert Report.objects.get().state == ReportState.WITHDRAWN
    check_page(again, "ar")
    leaves_nothing(again, live_server, secret)

    # The secret now opens nothing, and the page says so beside the field.
    again.click("#view-withdrawn [data-go=start]")
    again.click("[data-go=check]")
    open_attempt = again.locator("#check-form [data-field=secret] .field-error")
    again.fill("#secret-input", secret)
    again.click("#check-form [type=submit]")
    open_attempt.wait_for(state="visible")
    assert re.search(r"[\u0600-\u06ff]", open_attempt.inner_text())


@pytest.mark.parametrize("language", ["en", "ckb"])
def test_the_same_in_english_and_in_sorani_and_a_receipt_alone_reads_no_reply(
    live_server, personas, reporter, settings, language
):
    settings.SANAD_POW_BASE_BITS = 12
    alice = personas["alice"]
    Coverage.objects.create(user=alice, governorates=["IQ-BG"], languages=[language])
    page = reporter(language)
    check_page(page, language)
    shot(page, f"{language}-reporter-1-start")
    fill_report(page, language)
    check_page(page, language, data=("@example_channel",))
    targets_are_large(page)
    shot(page, f"{language}-reporter-2-form")
    secret = submit_and_keep_secret(page)
    check_page(page, language)
    shot(page, f"{language}-reporter-3-secret")
    report = Report.objects.get()
    report_triage(report_id=report.pk)
    casework.reply_send(user=alice, report=Report.objects.get(), body=REPLY[language])

    again = reporter(language, "/status/")
    check_page(again, language)
    shot(again, f"{language}-reporter-4-open")
    open_with_secret(again, secret)
    assert again.locator("#replies .reply p:not(.small)").all_inner_texts() == [REPLY[language]]
    check_page(again, language, data=tuple(REPLY[language].split()))
    shot(again, f"{language}-reporter-5-reply")
    again.click("#status-close")
    again.click("[data-go=check]")
    open_with_secret(again, secret[:24])  # the receipt alone: status, but the reply stays closed
    assert again.locator("#replies .reply.warning-text").count() == 1
    assert REPLY[language] not in again.inner_text("#replies")
    # A follow-up with a photo: the text, then the photo, stripped, as evidence.
    again.fill("#followup", FOLLOW_UP["ar" if language == "ckb" else language])
    again.set_input_files(
        "#followup-files", files=[{"name": "IMG_2.jpg", "mimeType": "image/jpeg", "buffer": tagged_jpeg()}]
    )
    again.click("#followup-form [type=submit]")
    again.wait_for_selector("#followup-progress .done", timeout=30_000)
    assert FollowUp.objects.filter(report=report).count() == 1 and report.evidence.count() == 1
    assert again.locator("#followup-progress li.sent").count() == 1
    again.click("#withdraw")
    check_page(again, language)
    shot(again, f"{language}-reporter-6-withdraw")
    again.click("#withdraw-no")  # asking again is not withdrawing
    assert again.is_hidden("#withdraw-confirm") and Report.objects.get().state != ReportState.WITHDRAWN
    again.click("#withdraw")
    again.click("#withdraw-yes")
    again.wait_for_selector("#view-withdrawn:not([hidden])")
    assert Report.objects.get().state == ReportState.WITHDRAWN
    check_page(again, language)
    leaves_nothing(again, live_server, secret)


@pytest.mark.parametrize("language", ["ar", "ckb"])
def test_a_refused_field_is_named_beside_itself_in_the_readers_language_and_nothing_is_stored(
    live_server, personas, reporter, settings, language
):
    settings.SANAD_POW_BASE_BITS = 8
    page = reporter(language)
    fill_report(page, language, phone_number="12")
    page.click("#report-form [type=submit]")
    error = page.locator("#report-form [data-field='triage.indicators'] .field-error")
    error.wait_for(state="visible", timeout=30_000)
    assert "12" in error.inner_text() and re.search(r"[\u0600-\u06ff]", error.inner_text())
    assert page.is_visible("#view-report") and page.input_value("#narrative") == NARRATIVE["ar"]  # nothing lost
    assert not Report.objects.exists()
    check_page(page, language, data=("@example_channel", "12"))
    shot(page, f"{language}-reporter-7-refused")

    # Nothing chosen: each missing answer is named, and nothing is sent at all.
    page.click("#view-report [data-go=start]")
    page.click("[data-go=report]")
    sent = len(page.requests)
    page.click("#report-form [type=submit]")
    for field in ("triage.category", "triage.governorate", "triage.incident_month", "narrative"):
        assert page.is_visible(f"#report-form [data-field='{field}'] .field-error"), field
    assert len(page.requests) == sent


def test_a_file_that_is_not_a_photo_needs_send_as_is(live_server, personas, reporter, settings):
    settings.SANAD_POW_BASE_BITS = 8
    page = reporter("ckb")
    fill_report(page, "ckb")
    page.set_input_files(
        "#report-files", files=[{"name": "threat.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 Author: me"}]
    )
    assert page.is_visible("[data-files=report] .as-is")
    page.click("#report-form [type=submit]")
    page.locator("#report-form [data-field=files] .field-error").wait_for(state="visible")
    assert not Report.objects.exists()
    page.check("[data-files=report] .as-is input")
    page.click("#report-form [type=submit]")
    page.wait_for_selector("#view-secret:not([hidden])", timeout=60_000)
    page.wait_for_selector("#secret-evidence li.sent", timeout=60_000)
    evidence = Report.objects.get().evidence.get()
    assert evidence.size > 0


def test_a_photo_the_browser_cannot_decode_is_refused_before_anything_is_sent(live_server, personas, reporter):
    """Photos are stripped before the report goes: one that does not decode stops it there, beside the
    field, and nothing reaches the server."""
    page = reporter("ar")
    fill_report(page, "ar")
    page.set_input_files(
        "#report-files", files=[{"name": "IMG_1.jpg", "mimeType": "image/jpeg", "buffer": b"\xff\xd8 not a jpeg"}]
    )
    sent = len(page.requests)
    page.click("#report-form [type=submit]")
    error = page.locator("#report-form [data-field=files] .field-error")
    error.wait_for(state="visible", timeout=30_000)
    assert "IMG_1.jpg" in error.inner_text() and page.is_visible("#view-report")
    assert not [url for url in page.requests[sent:] if "/api/" in url] and not Report.objects.exists()


def test_quick_exit_leaves_for_the_neutral_site_and_out_of_the_history(live_server, reporter, settings):
    """Also after the reader changed the language: that too replaced the page, so no Sanad page is left
    one step back."""
    settings.SANAD_QUICK_EXIT_URL = "https://neutral.example/"
    page = reporter("ar")
    page.context.route(
        "https://neutral.example/**",
        lambda route: route.fulfill(status=200, body="<p>weather</p>", content_type="text/html"),
    )
    length = page.evaluate("history.length")
    page.click("header nav a[hreflang=ckb]")
    page.wait_for_url("**/?lang=ckb")
    page.wait_for_selector("#view-start:not([hidden])")
    assert page.evaluate("history.length") == length
    fill_report(page, "ckb")
    page.click("#exit")
    page.wait_for_url("https://neutral.example/")
    assert page.evaluate("history.length") == length  # replaced, not added: "back" does not return
    page.go_back()
    assert not page.url.startswith(live_server.url)


def test_the_page_weighs_under_100_kb_compressed(live_server, personas, reporter, settings):
    """Everything the browser fetched for a whole report (the page, its style, script and both workers),
    each gzipped as a server would send it."""
    settings.SANAD_POW_BASE_BITS = 8
    page = reporter("ar")
    fill_report(page, "ar")
    submit_and_keep_secret(page)
    origin = live_server.url
    loaded = {}
    for response in page.responses:
        path = urlsplit(response.url).path
        if response.url.startswith(origin) and not path.startswith("/api/") and response.status == 200:
            # The bytes fetched again (the browser does not keep a worker's): the same file, the same page.
            with urlopen(response.url) as again:  # noqa: S310 (the test's own live server)
                loaded[path] = len(gzip.compress(again.read(), 9))
    assert {"/", "/static/sanad/web/page.js", "/static/sanad/web/page.css"} <= set(loaded), loaded
    assert {"/static/sanad/web/pow-worker.js", "/static/sanad/web/key-worker.js"} <= set(loaded), loaded
    total = sum(loaded.values())
    print(f"page weight: {total} bytes gzipped: {loaded}")
    assert total < 100 * 1024, loaded


def test_the_self_contained_file_opened_from_disk_reports_and_reads_replies(
    live_server, personas, phone, settings, tmp_path
):
    """Built by `manage.py reporter_page_file`, opened as file://, talking to the API by CORS: a report, its
    secret, a reply read; the same bytes on every build, and the fingerprint printed is the file's."""
    settings.SANAD_POW_BASE_BITS = 14
    alice = personas["alice"]
    Coverage.objects.create(user=alice, governorates=["IQ-BG"], languages=["ar"])
    printed = io.StringIO()
    call_command("reporter_page_file", api=live_server.url, out=str(tmp_path), stdout=printed)
    files = {path.name: path.read_bytes() for path in tmp_path.iterdir()}
    assert set(files) == {"sanad-ar.html", "sanad-ckb.html", "sanad-en.html"}
    assert printed.getvalue().splitlines() == [
        f"{hashlib.sha256(files[name]).hexdigest()}  {name}"
        for name in ("sanad-ar.html", "sanad-ckb.html", "sanad-en.html")
    ]
    again = tmp_path / "again"
    call_command("reporter_page_file", api=live_server.url, out=str(again), stdout=io.StringIO())
    assert {path.name: path.read_bytes() for path in again.iterdir()} == files  # reproducible
    assert b"/static/" not in files["sanad-ar.html"]  # nothing fetched from the server but the API

    page = phone("ar")
    page.requests = []
    page.context.on("request", lambda request: page.requests.append(request.url))
    page.add_init_script(WATCH)
    page.goto((tmp_path / "sanad-ar.html").as_uri())
    page.wait_for_selector("[data-view]:not([hidden])")
    check_page(page, "ar")
    shot(page, "ar-reporter-8-file")
    fill_report(page, "ar", photo=tagged_jpeg())
    secret = submit_and_keep_secret(page)
    page.wait_for_selector("#secret-evidence li.sent", timeout=60_000)
    report = Report.objects.get()
    report_triage(report_id=report.pk)
    casework.reply_send(user=alice, report=Report.objects.get(), body=REPLY["ckb"])
    page.check("#written")
    page.click("#secret-done")
    page.click("[data-go=check]")
    open_with_secret(page, secret.translate(ARABIC_INDIC))
    assert [text.strip() for text in page.locator("#replies .reply p:not(.small)").all_inner_texts()] == [REPLY["ckb"]]
    page.fill("#followup", FOLLOW_UP["ar"])
    page.click("#followup-form [type=submit]")
    page.wait_for_selector("#followup-progress .done", timeout=30_000)
    assert FollowUp.objects.filter(report=report).count() == 1
    page.click("#withdraw")
    page.click("#withdraw-yes")
    page.wait_for_selector("#view-withdrawn:not([hidden])")
    report = Report.objects.get()
    assert report.state == ReportState.WITHDRAWN and not FollowUp.objects.filter(report=report).exists()
    leaves_nothing(page, live_server, secret)
    assert any(url.startswith(live_server.url + "/api/") for url in page.requests)


def test_a_file_whose_keys_the_server_no_longer_offers_refuses_to_encrypt(live_server, personas, phone, tmp_path):
    """The self-contained file encrypts only to the keys it carries: a server (or whoever answers for it)
    offering another key gets nothing, and the reporter reads that the copy is out of date."""
    call_command("reporter_page_file", api=live_server.url, out=str(tmp_path), language=["ar"], stdout=io.StringIO())
    path = tmp_path / "sanad-ar.html"
    html = path.read_text()
    pinned = re.findall(r'"public_key": "([A-Za-z0-9_-]+)"', html)
    assert pinned
    for key in pinned:  # as if built against other keys: the JSON is data, outside the CSP's hashes
        html = html.replace(key, "A" + key[1:] if key[0] != "A" else "B" + key[1:])
    path.write_text(html)
    page = phone("ar")
    page.goto(path.as_uri())
    page.wait_for_selector("[data-view]:not([hidden])")
    fill_report(page, "ar")
    page.click("#report-form [type=submit]")
    page.locator("#alert").wait_for(state="visible", timeout=30_000)
    with translation.override("ar"):
        assert page.inner_text("#alert") == page_strings()["errors"]["stale_file"]
    assert not Report.objects.exists()
