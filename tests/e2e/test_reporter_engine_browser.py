"""The reporter's page's engine (web/src/reporter.js) in headless Chromium against a live server: a report
submitted from the browser (padded, sealed, with a real proof of work) is read by its caseworker; the
reply the caseworker sends is read on another browser from the secret alone, typed in Arabic-Indic
digits; a follow-up arrives; withdrawal ends the receipt; and a refused field comes back named, in the
reporter's language, with nothing stored."""

from __future__ import annotations

import re

import pytest

from accounts.models import Coverage
from accounts.services import personal_key_unlock
from backend.crypto import hpke
from reports import access, casework
from reports.models import Report, ReportState
from reports.triage import report_triage
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ENGINE = "/static/sanad/web/reporter.js"
WORKER = "/static/sanad/web/pow-worker.js"
NARRATIVE = "نشرت قناة على تيليغرام صورتي وعنوان بيتي، وتلقيت اتصالاً من رقم مجهول يهددني بالقتل."
TRIAGE = {
    "category": "telegram_doxxing",
    "governorate": "IQ-BG",
    "incident_month": "2026-11",
    "immediate_danger": False,
    "needs_relocation": True,
    "flags": ["death_threat", "home_address_exposed"],
    "indicators": [{"type": "telegram", "value": "@example_channel"}],
}
RUN = """async ([fn, args]) => {
  const engine = await import('ENGINE');
  try { return { ok: await engine[fn]({ workerUrl: 'WORKER', ...args }) }; }
  catch (e) { return { error: e.error ?? e.name, status: e.status ?? null, detail: e.detail ?? String(e), fields: e.fields ?? {} }; }
}""".replace("ENGINE", ENGINE).replace("WORKER", WORKER)


@pytest.fixture
def browser_page(chromium, live_server):
    def make():
        page = chromium.new_context().new_page()  # each a fresh browser: nothing carried over
        page.goto(f"{live_server.url}{ENGINE}")
        return page

    return make


def run(page, live_server, fn: str, **args):
    return page.evaluate(RUN, [fn, {"base": live_server.url, "language": "ar", **args}])


def test_report_reply_follow_up_and_withdraw_from_the_browser(browser_page, live_server, personas, settings):
    settings.SANAD_POW_BASE_BITS = 10
    alice = personas["alice"]
    Coverage.objects.create(user=alice, governorates=["IQ-BG"], languages=["ar"])
    first = browser_page()
    submitted = run(
        first,
        live_server,
        "submitReport",
        triage=TRIAGE,
        content={"narrative": NARRATIVE, "indicators": [{"type": "telegram", "value": "@example_channel", "note": ""}]},
    )
    secret = submitted["ok"]["secret"]
    assert re.fullmatch(r"\d{4}(-\d{4}){9}", secret)  # ten groups: the receipt, then the reply code
    assert secret.startswith(submitted["ok"]["receipt"])
    report = Report.objects.get()
    suite = hpke.Suite.parse(report.intake_key.suite)
    assert suite == hpke.Suite.MLKEM768_X25519  # the hybrid, when the server offers it
    assert len(report.ciphertext) - suite.encapsulated_key_length - 16 == 1024  # padded to its bucket
    report_triage(report_id=report.pk)
    report.refresh_from_db()
    assert report.assigned_to == alice and report.governorate == "IQ-BG"

    key = personal_key_unlock(user=alice, password=PASSWORD)
    opened = access.report_open(user=alice, report=report, personal_key=key)
    assert opened.content["narrative"] == NARRATIVE
    assert opened.content["indicators"][0]["value"] == "@example_channel"

    casework.reply_send(user=alice, report=report, body="قرأنا بلاغك. سنتصل بك اليوم.")
    typed = secret.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")).replace("-", " ")
    other = browser_page()
    status = run(other, live_server, "checkStatus", secret=typed)["ok"]
    assert status["status"] == "in_review"
    assert [reply.get("body") for reply in status["replies"]] == ["قرأنا بلاغك. سنتصل بك اليوم."]

    assert "ok" in run(other, live_server, "followUp", secret=typed, narrative="رقم جديد اتصل بي الليلة.")
    opened = access.report_open(user=alice, report=Report.objects.get(), personal_key=key)
    assert [followup["narrative"] for _, followup in opened.followups] == ["رقم جديد اتصل بي الليلة."]

    assert "ok" in run(other, live_server, "withdraw", secret=typed)
    assert Report.objects.get().state == ReportState.WITHDRAWN
    after = run(other, live_server, "checkStatus", secret=typed)
    assert after["status"] == 401 and after["error"] == "unknown_receipt"


def test_a_refused_field_comes_back_named_in_the_readers_language_and_nothing_is_stored(
    browser_page, live_server, personas, settings
):
    settings.SANAD_POW_BASE_BITS = 6
    refused = run(
        browser_page(),
        live_server,
        "submitReport",
        triage={**TRIAGE, "governorate": "IQ-XX"},
        content={"narrative": NARRATIVE},
    )
    assert refused["status"] == 400 and refused["error"] == "invalid"
    assert set(refused["fields"]) == {"triage.governorate"}
    assert re.search(r"[\u0600-\u06ff]", refused["fields"]["triage.governorate"])  # said in Arabic
    assert not Report.objects.exists()


def test_a_malformed_secret_is_refused_before_anything_is_sent(browser_page, live_server, personas):
    refused = run(browser_page(), live_server, "checkStatus", secret="1234-5678")
    assert refused["error"] == "malformed_secret"


def test_only_wire_format_triage_goes_in_clear_and_the_indicators_go_into_the_content_with_notes(
    browser_page, live_server, personas, settings
):
    """A screen that put a note or a narrative into the triage by mistake sends neither in clear (the
    server refuses unknown fields, so this submission succeeding shows they were dropped); the encrypted
    content carries the indicators with their notes; half an emoji arrives as U+FFFD."""
    settings.SANAD_POW_BASE_BITS = 6
    careless = {**TRIAGE, "narrative": NARRATIVE, "note": "the man at the checkpoint"}
    done = run(
        browser_page(),
        live_server,
        "submitReport",
        triage=careless,
        content={"narrative": "cut emoji \ud83d", "indicatorNotes": {"@example_channel": "posted my street"}},
    )
    assert "ok" in done, done
    report = Report.objects.get()
    report_triage(report_id=report.pk)
    alice = personas["alice"]
    Report.objects.filter(pk=report.pk).update(assigned_to=alice, state=ReportState.ASSIGNED)
    opened = access.report_open(
        user=alice, report=Report.objects.get(), personal_key=personal_key_unlock(user=alice, password=PASSWORD)
    )
    assert opened.content["narrative"] == "cut emoji \ufffd"
    assert opened.content["indicators"] == [
        {"type": "telegram", "value": "@example_channel", "note": "posted my street"}
    ]


def test_a_receipt_alone_checks_follows_up_and_withdraws_but_opens_no_reply(
    browser_page, live_server, personas, settings
):
    settings.SANAD_POW_BASE_BITS = 6
    page = browser_page()
    secret = run(page, live_server, "submitReport", triage=TRIAGE, content={"narrative": NARRATIVE})["ok"]["secret"]
    receipt = secret[: len("1234-5678-9012-3456-7890")]
    report = Report.objects.get()
    Report.objects.filter(pk=report.pk).update(assigned_to=personas["alice"], state=ReportState.ASSIGNED)
    casework.reply_send(user=personas["alice"], report=Report.objects.get(), body="a reply")
    status = run(page, live_server, "checkStatus", secret=receipt)["ok"]
    assert status["replies"] == [{"unreadable": True}]
    assert "ok" in run(page, live_server, "followUp", secret=receipt, narrative="more")
    assert "ok" in run(page, live_server, "withdraw", secret=receipt)
    assert Report.objects.get().state == ReportState.WITHDRAWN


@pytest.mark.parametrize(
    "base",
    [
        "http://sanad.example.org",  # a receipt in clear on the national network
        "https://user:pass@sanad.example.org",
        "https://sanad.example.org/somewhere/",
        "https://sanad.example.org/?next=x",
        "javascript:alert(1)",
        "not an address",
    ],
)
def test_an_unsafe_api_address_is_refused_before_anything_is_sent(browser_page, live_server, base):
    page = browser_page()
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    refused = page.evaluate(RUN, ["checkStatus", {"base": base, "language": "ar", "secret": "1" * 20}])
    assert refused["error"] == "bad_address"
    assert not [url for url in requests if "/api/" in url]


@pytest.mark.parametrize("skew_hours", [-3, 5])
def test_a_phone_whose_clock_is_hours_wrong_still_reports(chromium, live_server, personas, settings, skew_hours):
    """The challenge's lifetime is read by the server's clock: a phone hours fast or slow still solves."""
    settings.SANAD_POW_BASE_BITS = 8
    context = chromium.new_context()
    context.add_init_script(
        "(() => { const real = Date.now; const skew = SKEW * 3600e3; Date.now = () => real() + skew; })();".replace(
            "SKEW", str(skew_hours)
        )
    )
    page = context.new_page()
    page.goto(f"{live_server.url}{ENGINE}")
    done = run(page, live_server, "submitReport", triage=TRIAGE, content={"narrative": NARRATIVE})
    assert "ok" in done, done
    assert Report.objects.count() == 1
