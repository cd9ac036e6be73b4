"""Which language a page speaks, and who chose it: the browser, the staff member, the reporter page's links.

Also: times in the deployment's zone with the zone shown, places by name in the reader's language,
coverage chosen from named groups, e-mails in the recipient's language, and the command-line client in
the environment's language.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from django.test import Client

from accounts.models import Coverage, StaffUser
from tests.config.test_settings import check

pytestmark = pytest.mark.django_db

ARABIC_SCRIPT = re.compile(r"[\u0600-\u06ff]")
HTML = re.compile(r'<html lang="([^"]*)" dir="([^"]*)">')


def _html(response) -> tuple[str, str]:
    return HTML.search(response.content.decode()).groups()


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("ar", ("ar", "rtl")),
        ("ar-IQ,ar;q=0.9,en;q=0.5", ("ar", "rtl")),
        ("ckb", ("ckb", "rtl")),
        ("ckb-IQ,en;q=0.5", ("ckb", "rtl")),
        ("en-GB", ("en", "ltr")),
        ("fr-FR,de;q=0.5", ("en", "ltr")),  # none of ours: LANGUAGE_CODE
    ],
)
def test_the_admin_speaks_the_browsers_language(client, accept, expected):
    response = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE=accept)
    assert response.status_code == 200
    assert _html(response) == expected
    assert response["Content-Language"] == expected[0] and "Accept-Language" in response["Vary"]


def test_every_staff_page_has_the_switcher(client):
    page = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="ckb").content.decode()
    switcher = page[page.index('id="language-switcher"') : page.index("</form>", page.index('id="language-switcher"'))]
    assert 'name="language" value="ar" lang="ar"' in switcher and 'value="en" lang="en"' in switcher
    assert re.search(r'value="ckb" lang="ckb"\s+dir="rtl" aria-current="true" disabled', switcher)


def test_the_switcher_sets_a_cookie_before_login(client):
    response = client.post("/language/", {"language": "ckb", "next": "/admin/login/"})
    assert response.status_code == 302 and response["Location"] == "/admin/login/"
    cookie = response.cookies["sanad_language"]
    assert cookie.value == "ckb" and cookie["httponly"] and cookie["samesite"] == "Strict"
    assert _html(client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="en")) == ("ckb", "rtl")


def test_a_staff_members_choice_is_kept_on_their_account(personas, staff_login):
    alice = personas["alice"]
    browser = staff_login(Client(HTTP_ACCEPT_LANGUAGE="en"), alice)
    assert _html(browser.get("/admin/")) == ("en", "ltr")
    browser.post("/language/", {"language": "ar", "next": "/admin/"})
    alice.refresh_from_db()
    assert alice.language == "ar"
    # Another browser, which asks for English and has no cookie: the account's choice wins.
    elsewhere = staff_login(Client(HTTP_ACCEPT_LANGUAGE="en"), alice)
    assert _html(elsewhere.get("/admin/")) == ("ar", "rtl")
    # Not before login: the login page follows the browser (the account is not known yet).
    assert _html(Client().get("/admin/login/", HTTP_ACCEPT_LANGUAGE="en")) == ("en", "ltr")


@pytest.mark.parametrize("language", ["xx", "", "ar<script>", "ku"])
def test_the_switcher_refuses_a_language_we_do_not_speak(personas, staff_login, language):
    browser = staff_login(Client(), personas["alice"])
    response = browser.post("/language/", {"language": language, "next": "/admin/"})
    assert response.status_code == 302 and "sanad_language" not in response.cookies
    assert StaffUser.objects.get(pk=personas["alice"].pk).language == ""


def test_the_switcher_never_sends_anyone_elsewhere(client):
    response = client.post("/language/", {"language": "ar", "next": "https://evil.example/x"})
    assert response.status_code == 302 and "evil.example" not in response["Location"]
    assert client.get("/language/").status_code == 405


def test_the_reporter_page_speaks_its_links_language_else_arabic_and_sets_no_cookie(client):
    response = client.get("/?lang=ckb", HTTP_ACCEPT_LANGUAGE="en")
    assert _html(response) == ("ckb", "rtl") and not response.cookies
    assert _html(client.get("/?lang=en", HTTP_ACCEPT_LANGUAGE="ar")) == ("en", "ltr")
    # Arabic unless the reader taps another: a phone set to English says little about its reader.
    assert _html(client.get("/", HTTP_ACCEPT_LANGUAGE="en")) == ("ar", "rtl")
    assert _html(client.get("/?lang=zz", HTTP_ACCEPT_LANGUAGE="en")) == ("ar", "rtl")
    client.cookies["sanad_language"] = "en"  # a staff member's choice on the same browser
    assert _html(client.get("/status/")) == ("ar", "rtl")
    page = response.content.decode()
    assert ARABIC_SCRIPT.search(page[page.index("<main>") :])  # the text too, not only the tag


def test_the_reporter_api_reads_the_language_but_no_view_sees_the_header(client):
    """LocaleMiddleware chooses ar, ckb or en; the scrub then drops Accept-Language (a fingerprint)."""
    from backend.middleware import KEPT_HEADERS

    response = client.get("/api/v1/intake-keys/", HTTP_ACCEPT_LANGUAGE="ckb-IQ,ar;q=0.5")
    assert response["Content-Language"] == "ckb"
    assert "HTTP_ACCEPT_LANGUAGE" not in KEPT_HEADERS


# --- Times, places, reasons -------------------------------------------------------------------------


def test_times_are_shown_in_baghdad_time_with_the_zone(settings):
    from django.utils import translation

    from backend.templatetags.sanad import when

    assert settings.TIME_ZONE == "Asia/Baghdad"  # the default (SANAD_TIME_ZONE unset in tests)
    for language in ("ar", "ckb", "en"):
        with translation.override(language):
            html = str(when(datetime(2026, 12, 6, 12, 4, tzinfo=UTC)))
        assert html == '<time datetime="2026-12-06T15:04:00+03:00" dir="ltr">2026-12-06 15:04 +03</time>'
    assert when(None) == ""
    # Wherever Django prints one (lists, read-only fields), it is isolated left to right in the text itself.
    from django.utils import formats, timezone

    with translation.override("ckb"):
        printed = formats.localize(timezone.localtime(datetime(2026, 12, 6, 12, 4, tzinfo=UTC)))
    assert printed == "\u20662026-12-06 15:04 +03\u2069"


def test_the_time_zone_is_configurable_and_checked(prod_env):
    prod_env["SANAD_TIME_ZONE"] = "Europe/Istanbul"
    assert check(prod_env).returncode == 0
    prod_env["SANAD_TIME_ZONE"] = "Mars/Olympus_Mons"
    result = check(prod_env)
    assert result.returncode != 0 and "SANAD_TIME_ZONE" in result.stderr


def test_places_are_named_in_the_readers_language():
    from django.utils import translation

    from backend.places import place_groups, place_name

    with translation.override("ckb"):
        assert place_name("IQ-AR") == "هەولێر"
        groups = dict(place_groups(["IQ-BG", "IQ-AR", "TR"]))
    with translation.override("ar"):
        assert place_name("IQ-AR") == "أربيل"
    assert len(groups) == 3
    assert [code for code, _ in sum(groups.values(), [])] == ["IQ-BG", "IQ-AR", "TR"]


def test_coverage_is_chosen_from_named_groups(personas, staff_login):
    lead = staff_login(Client(HTTP_ACCEPT_LANGUAGE="ar"), personas["lead"])
    page = lead.get("/admin/accounts/coverage/add/").content.decode()
    groups = re.findall(r'<optgroup label="([^"]*)">', page)
    assert len(groups) == 3 and all(ARABIC_SCRIPT.search(label) for label in groups)
    assert '<option value="IQ-AR">أربيل (IQ-AR)</option>' in page
    assert "[&quot;" not in page and '["IQ-' not in page  # not a JSON list
    response = lead.post(
        "/admin/accounts/coverage/add/",
        {
            "user": personas["alice"].pk,
            "governorates": ["IQ-AR", "TR"],
            "languages": ["ckb"],
            "capacity": 5,
            "accepting": "on",
        },
    )
    assert response.status_code == 302, response.content[:300]
    assert Coverage.objects.get(user=personas["alice"]).governorates == ["IQ-AR", "TR"]


def test_the_report_page_reads_places_and_reasons_in_arabic(personas, staff_login, envelope, submit):
    from backend.sealed_fields import seal_value
    from reports.models import Report

    body = envelope()
    assert submit(body).status_code == 201
    report = Report.objects.get()
    reasons = b'["flag_death_threat", "telegram_doxxing"]'
    Report.objects.filter(pk=report.pk).update(
        severity="high", severity_reasons_sealed=seal_value(report, "severity_reasons_sealed", reasons)
    )
    lead = staff_login(Client(HTTP_ACCEPT_LANGUAGE="ar"), personas["lead"])
    page = lead.get(f"/admin/reports/report/{report.pk}/change/").content.decode()
    assert "ذي قار" in page  # IQ-DQ by name
    reasons_html = page[page.index('id="severity-reasons"') : page.index("</ul>", page.index('id="severity-reasons"'))]
    assert "flag_" not in reasons_html and "telegram_doxxing" not in reasons_html
    assert len(ARABIC_SCRIPT.findall(reasons_html)) > 20
    assert "+03</time>" in page


# --- E-mails and the command-line client ---------------------------------------------------------------


def test_a_notification_is_written_in_its_recipients_language(personas, settings):
    from reports.models import Notification, Report
    from reports.notifications import notification_text

    alice = personas["alice"]
    report = Report(id="12345678-0000-0000-0000-000000000000", severity="critical")
    note = Notification(report=report, kind=Notification.Kind.ASSIGNED, recipient=alice)
    english = notification_text(note)
    assert english[0] == "A report was assigned to you (severity: Critical)"
    alice.language = "ckb"
    subject, body = notification_text(note)
    assert subject != english[0] and ARABIC_SCRIPT.search(subject) and "12345678" in body
    alice.language = ""
    settings.LANGUAGE_CODE = "ar"
    assert ARABIC_SCRIPT.search(notification_text(note)[0])  # no choice: the deployment's language


@pytest.mark.parametrize(("lang", "usage"), [("ar_IQ.UTF-8", "ar"), ("ckb_IQ.UTF-8", "ckb"), ("C.UTF-8", "en")])
def test_the_client_speaks_the_environments_language(lang, usage):
    env = {k: v for k, v in os.environ.items() if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")}
    env["LANG"] = lang
    result = subprocess.run(
        [sys.executable, "-m", "client", "--help"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    first_line = result.stdout.splitlines()[0]
    if usage == "en":
        assert first_line.startswith("usage: ")
    else:
        assert not first_line.startswith("usage") and ARABIC_SCRIPT.search(first_line)
        letters = re.findall(r"[^\W\d_]", result.stdout)
        arabic = [ch for ch in letters if ARABIC_SCRIPT.match(ch)]
        assert len(arabic) > len(letters) / 2, "the help is mostly not in Arabic script"


def test_a_translation_that_cannot_be_filled_costs_the_language_not_the_message(personas, monkeypatch):
    from django.utils.functional import lazy
    from django.utils.translation import get_language

    from reports import notifications
    from reports.models import Notification, Report

    def subject():
        broken = "بلاغ (الخطورة: %(severity))"  # an incomplete placeholder, as a careless translation might have
        return broken if get_language() == "ar" else "A report was assigned to you (severity: %(severity)s)"

    monkeypatch.setitem(notifications.SUBJECTS, Notification.Kind.ASSIGNED, lazy(subject, str)())
    alice = personas["alice"]
    alice.language = "ar"
    note = Notification(report=Report(severity="high"), kind=Notification.Kind.ASSIGNED, recipient=alice)
    assert notifications.notification_text(note)[0] == "A report was assigned to you (severity: High)"


def test_the_access_log_does_not_record_sizes():
    """A refusal's size differs with its language: logged, it would tell which language a reporter reads."""
    import runpy

    from backend.catalogs import ROOT

    config = runpy.run_path(str(ROOT / "config" / "gunicorn.conf.py"))
    assert "%(B)" not in config["access_log_format"] and "%(b)" not in config["access_log_format"]
