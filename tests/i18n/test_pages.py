"""Every staff page of ours, in Arabic and in Sorani Kurdish: right to left, and no English left on it.

Each page is fetched as the role that uses it, with the browser asking for the language; its visible
text (and readable attributes) must hold no Latin-script word but data: usernames, references, key ids,
codes shown beside names, e-mail addresses, the TOTP key. The browser tests check the same on a phone
for the caseworker's and the lead's pages; this checks every page, quickly.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.test import Client

from accounts.models import Coverage
from audit.models import AuditEntry
from tests.conftest import OTHER_PASSWORD

pytestmark = pytest.mark.django_db

# Data, not words of ours: usernames, hex references and ids, key ids (ik-..., suites), place codes
# (IQ-BG, TR), e-mail addresses, the TOTP key (base32), the product name where it must stay "Sanad"
# (the authenticator app shows that account name).
# Usernames, and safe houses' code names.
USERS = ("lead", "alice", "bob", "sam", "audrey", "carla", "dana", "nadia", "olive", "cedar")
DATA = [
    re.compile(r"\b(?:{})\b".format("|".join(USERS))),
    re.compile(r"[\w.+-]+@[\w.-]+"),
    re.compile(r"\b[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}\b"),
    re.compile(r"\b[0-9a-f]{8}\b"),
    re.compile(r"\b(?:ik|rk)-[\w-]+"),
    re.compile(r"\bMLKEM768-X25519\b|\bX25519\b"),
    re.compile(r"\bIQ-[A-Z]{2}\b"),
    re.compile(r"\((?:[A-Z]{2})\)"),
    re.compile(r"\bSanad: "),
    re.compile(r"\b(?:Aegis|FreeOTP|Google Authenticator)\b"),  # authenticator apps, by their names
    re.compile(r"\bCtrl\b"),  # the key on the keyboard
    re.compile(r"\bEnglish\b"),  # each language by its own name, where languages are chosen
    # The reporter's page names a few things as their makers do: a browser setting, a file type, the
    # form of a Telegram account, a hash.
    re.compile(r"\bJavaScript\b|\bPDF\b|@channel\b|\bt\.me\b|\bSHA-256"),  # also with a Sorani suffix joined to it
    # Differential privacy's parameters and the formats of a release keep their names in every language.
    re.compile(r"\b(?:[Rr]ho|[Ee]psilon|[Dd]elta|zCDP|JSON|CSV)\b"),
    re.compile(r"\b[A-Z2-7]{4}(?: [A-Z2-7]{4})+\b"),
]
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


class _Text(HTMLParser):
    """What a person reads: text outside <script>/<style>, outside elements marked with another
    language (the switcher's "English") or translate="no", outside what reporters wrote (the
    narrative, and values set apart in <bdi>), and the readable attributes."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
    READ = ("title", "alt", "placeholder", "aria-label")

    def __init__(self, language: str) -> None:
        super().__init__(convert_charrefs=True)
        self.language = language
        self.stack: list[tuple[str, bool]] = []
        self.parts: list[str] = []
        self.in_body = False

    def _hidden(self) -> bool:
        return any(skip for _, skip in self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "body":
            self.in_body = True
        skip = (
            tag in ("script", "style", "svg", "template", "bdi")  # bdi: a reporter's or staff member's own words
            or "sanad-narrative" in (attrs.get("class") or "")
            or attrs.get("translate") == "no"
            or (tag != "html" and attrs.get("lang") not in (None, self.language))
        )
        if self.in_body and not skip and not self._hidden():
            self.parts += [attrs[name] for name in self.READ if attrs.get(name)]
            if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
                self.parts.append(attrs["value"])
        if tag not in self.VOID:
            self.stack.append((tag, skip))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if self.in_body and not self._hidden():
            self.parts.append(data)


def english_on(page: str, language: str) -> list[str]:
    parser = _Text(language)
    parser.feed(page)
    text = " ".join(parser.parts)
    for pattern in DATA:
        text = pattern.sub(" ", text)
    return sorted(set(LATIN_WORD.findall(text)))


def test_the_check_finds_english_and_lets_data_through():
    page = (
        '<html lang="ar"><body><p>Hello مرحبا</p><button lang="en">English</button><p>alice IQ-BG 3f2a9c1b</p>'
        '<input type="submit" value="Save"><a title="Open">x</a><script>var a;</script></body></html>'
    )
    assert english_on(page, "ar") == ["Hello", "Open", "Save"]


@pytest.fixture
def world(coordinators, house, envelope, submit):
    """Two reports assigned to alice, the first referred for relocation with beds held for it; coverage,
    two safe houses and a few audit entries: something on every page."""
    from relocation import services
    from reports.models import Report
    from reports.triage import report_triage

    Coverage.objects.create(user=coordinators["alice"], governorates=["IQ-DQ", "TR"], languages=["ar"])
    for _ in range(2):
        assert submit(envelope()).status_code == 201
    report, second = Report.objects.order_by("created_at")
    for each in (report, second):
        report_triage(report_id=each.pk)
        each.refresh_from_db()
    olive = house(code_name="olive", region="kri-erbil")
    house(code_name="cedar", region="kri-erbil")
    referral = services.referral_create(
        user=coordinators["alice"], report=report, adults=1, household_type="single_adult", needs="x"
    )
    services.placement_hold(user=coordinators["carla"], referral=referral, house=olive)
    # A published release (from the roll-up the triage above wrote) and a partner with a token.
    from datetime import date

    from django.utils import timezone

    from partners.models import Partner
    from partners.stats import release_build
    from partners.tokens import token_issue

    month = timezone.localdate().replace(day=1)
    release, _ = release_build(month, today=date(month.year + 1, 1, 10))
    partner = Partner.objects.create(name="مكتب حقوق الإنسان")  # a name as partners write it
    token_issue(partner=partner)
    # A caseworker role sam proposed, waiting for the lead's approval.
    from accounts.models import RoleProposal
    from accounts.roles import Role
    from accounts.services import staff_create

    nadia = staff_create(
        username="nadia", password=OTHER_PASSWORD, roles=[Role.CASEWORKER], acting_user=coordinators["sam"]
    )
    return {
        **coordinators,
        "nadia": nadia,
        "proposal": RoleProposal.objects.get(subject=nadia),
        "report": report,
        "second": second,
        "referral": referral,
        "olive": olive,
        "release": release,
        "partner": partner,
    }


def _pages(world) -> list[tuple[str | None, str]]:
    report, intake = world["report"], world["intake"]
    entry = AuditEntry.objects.order_by("seq").first()
    return [
        (None, "/admin/login/"),
        (None, "/?lang={language}"),
        (None, "/status/?lang={language}"),
        ("alice", "/admin/"),
        ("alice", "/admin/reports/report/"),
        ("alice", f"/admin/reports/report/{report.pk}/change/"),
        ("alice", "/admin/password_change/"),
        ("lead", "/admin/reports/report/?state__exact=assigned"),
        ("lead", f"/admin/reports/report/{report.pk}/change/"),
        ("lead", "/admin/accounts/coverage/"),
        ("lead", "/admin/accounts/coverage/add/"),
        ("lead", "/admin/accounts/sharedkey/"),
        ("lead", f"/admin/accounts/sharedkey/{intake.pk}/change/"),
        ("sam", "/admin/accounts/staffuser/"),
        ("sam", "/admin/accounts/staffuser/add/"),
        ("sam", f"/admin/accounts/staffuser/{world['alice'].pk}/change/"),
        ("sam", f"/admin/accounts/staffuser/{world['nadia'].pk}/change/"),  # a role waiting for approval
        ("sam", "/admin/accounts/roleproposal/"),
        ("sam", f"/admin/accounts/roleproposal/{world['proposal'].pk}/change/"),
        ("lead", "/admin/accounts/roleproposal/"),
        ("lead", f"/admin/accounts/roleproposal/{world['proposal'].pk}/change/"),
        ("audrey", "/admin/audit/auditentry/"),
        ("audrey", f"/admin/audit/auditentry/{entry.pk}/change/"),
        ("alice", f"/admin/reports/report/{world['second'].pk}/change/"),  # the referral form and bands
        ("carla", "/admin/"),
        ("carla", "/admin/relocation/referral/"),
        ("carla", "/admin/relocation/referral/?status=all"),
        ("carla", f"/admin/relocation/referral/{world['referral'].pk}/change/"),
        ("carla", "/admin/relocation/safehouse/"),
        ("carla", "/admin/relocation/safehouse/add/"),
        ("carla", f"/admin/relocation/safehouse/{world['olive'].pk}/change/"),
        ("carla", "/admin/relocation/placement/"),
        ("carla", "/admin/accounts/sharedkey/"),
        ("sam", "/admin/partners/partner/"),
        ("sam", "/admin/partners/partner/add/"),
        ("sam", f"/admin/partners/partner/{world['partner'].pk}/change/"),
        ("audrey", "/admin/partners/release/"),
        ("audrey", f"/admin/partners/release/{world['release'].pk}/change/"),
        ("audrey", "/admin/partners/ledgerentry/"),
    ]


@pytest.mark.parametrize("language", ["ar", "ckb"])
def test_every_staff_page_is_translated(world, staff_login, language):
    clients: dict[str | None, Client] = {None: Client(HTTP_ACCEPT_LANGUAGE=language)}
    found = {}
    for who, url in _pages(world):
        url = url.format(language=language)
        if who not in clients:
            clients[who] = staff_login(Client(HTTP_ACCEPT_LANGUAGE=language), world[who])
        response = clients[who].get(url)
        assert response.status_code == 200, (who, url, response.status_code)
        page = response.content.decode()
        assert f'<html lang="{language}" dir="rtl">' in page, url
        english = english_on(page, language)
        if english:
            found[url] = english
    assert not found, "\n".join(f"{url}: {words}" for url, words in found.items())


@pytest.mark.parametrize("language", ["ar", "ckb"])
def test_the_enrolment_and_lockout_pages_are_translated(personas, settings, language):
    from tests.accounts.test_login import _post_login

    browser = Client(HTTP_ACCEPT_LANGUAGE=language)
    response = browser.post("/admin/login/", {"username": "bob", "password": OTHER_PASSWORD}, follow=True)
    page = response.content.decode()
    assert 'id="totp-qr"' in page and f'<html lang="{language}" dir="rtl">' in page
    assert not english_on(page, language)
    settings.AXES_FAILURE_LIMIT = 1
    locked = Client(HTTP_ACCEPT_LANGUAGE=language)
    _post_login(locked, "alice", "wrong")
    response = _post_login(locked, "alice", "wrong")
    assert response.status_code == 429
    assert not english_on(response.content.decode(), language)
