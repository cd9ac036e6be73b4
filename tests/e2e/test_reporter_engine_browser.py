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
    assert re.fullmatch(r"\d{4}(-\d{4}){8}", secret)
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
