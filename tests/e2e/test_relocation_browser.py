"""A coordinator's walkthrough on a 390-px phone, in headless Chromium, in English and in Arabic.

The caseworker refers a report from its page (the free beds shown as regional bands); the coordinator,
whose password unlocked the relocation key at login, finds it on the waitlist, reads the needs, holds
beds in a house, opens the house's address and records the arrival; the caseworker sees the referral
placed and the band change. With SANAD_SCREENSHOTS set, the pages are kept as PNGs: the README's
coordinator walkthrough shows these (`make screenshots`).
"""

from __future__ import annotations

import pytest
from django.utils import translation

from accounts.models import Coverage
from audit.models import AuditEntry
from relocation.models import Placement, Referral
from relocation.selectors import Band
from tests.e2e.helpers import check_page, log_in, shot
from tests.e2e.test_languages_browser import _report
from tests.relocation.conftest import coordinators, house  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

NEEDS = "أم وطفلان؛ أحد الطفلين يحتاج إنسولين في برّاد."
ADDRESS = "Example Street 12, second floor (fiction)"


def _text(language: str, message) -> str:
    with translation.override(language):
        return str(message)


@pytest.mark.parametrize("language", ["en", "ar"])
def test_refer_hold_place_and_see_it_placed(live_server, coordinators, house, phone, settings, language):  # noqa: F811
    settings.SANAD_POW_BASE_BITS = 6
    settings.SANAD_RELOCATION_BANDS_SECONDS = 0  # live bands, so the walkthrough shows them change at once
    alice, carla = coordinators["alice"], coordinators["carla"]
    Coverage.objects.create(user=alice, governorates=["IQ-BG"], languages=["ar"])
    # Two houses in Erbil, one in Sulaymaniyah: Sulaymaniyah alone would describe one house, so the
    # caseworker sees the Kurdistan region as one band (6 free beds: "5 or more").
    olive = house(code_name="olive", region="kri-erbil", beds_in_service=3, address=ADDRESS)
    house(code_name="cedar", region="kri-erbil", beds_in_service=1)
    house(code_name="river", region="kri-sulaymaniyah", beds_in_service=2)
    report = _report(live_server, coordinators)
    assert report.assigned_to == alice
    data = ("alice", "carla", report.reference, "olive", "cedar", "river")

    # The caseworker refers the report.
    caseworker = phone(language)
    log_in(caseworker, live_server, alice)
    caseworker.goto(f"{live_server.url}/admin/reports/report/{report.pk}/change/")
    caseworker.wait_for_selector("#refer-form")
    assert caseworker.inner_text("#free-beds dd").strip() == _text(language, Band.MANY)
    caseworker.fill("#refer-form input[name=adults]", "1")
    caseworker.fill("#refer-form input[name=children]", "2")
    caseworker.check("#refer-form input[name=household_type][value=family_with_children]")
    caseworker.check("#refer-form input[name=urgency_reason][value=location_known]")
    caseworker.check("#refer-form input[name=preferred_regions][value=kri-erbil]")
    caseworker.fill("#refer-needs", NEEDS)
    check_page(caseworker, language, data=data)
    shot(caseworker, f"{language}-relocation-1-refer")
    caseworker.click("#refer-form [type=submit]")
    caseworker.wait_for_selector(".messagelist .success")
    check_page(caseworker, language, data=data)
    referral = Referral.objects.get(report=report)
    assert referral.state == "waiting" and referral.urgency == 0  # high, raised by the reason

    # The coordinator logs in (the password unlocks the relocation key for the session) and holds beds.
    coordinator = phone(language)
    log_in(coordinator, live_server, carla)
    coordinator.goto(f"{live_server.url}/admin/relocation/referral/")
    check_page(coordinator, language, data=data)
    shot(coordinator, f"{language}-relocation-2-waitlist")
    coordinator.click(f"a[href='/admin/relocation/referral/{referral.pk}/change/']")
    coordinator.click("#show-needs [type=submit]")  # decrypted only when asked
    coordinator.wait_for_selector("#needs-text")
    assert coordinator.inner_text("#needs-text").strip() == NEEDS
    check_page(coordinator, language, data=data)
    coordinator.click("#referral-hold tr:has-text('olive') [type=submit]")
    coordinator.wait_for_selector(".messagelist .success")
    check_page(coordinator, language, data=data)
    shot(coordinator, f"{language}-relocation-3-held")
    assert Placement.objects.get().state == "held"

    # The house's page: its address, decrypted for the coordinator; then the arrival.
    coordinator.goto(f"{live_server.url}/admin/relocation/safehouse/{olive.pk}/change/")
    coordinator.click("#show-address [type=submit]")
    coordinator.wait_for_selector("#address-text")
    assert coordinator.inner_text("#address-text").strip() == ADDRESS
    check_page(coordinator, language, data=(*data, ADDRESS))
    shot(coordinator, f"{language}-relocation-4-house")
    coordinator.click("#house-placements form[action$='/act/place/'] [type=submit]")
    coordinator.wait_for_selector(".messagelist .success")
    assert coordinator.inner_text("#house-occupied").strip() == "3"
    check_page(coordinator, language, data=(*data, ADDRESS))
    assert Placement.objects.get().state == "placed"
    assert AuditEntry.objects.filter(action="safehouse_address_read", actor_name="carla").exists()

    # The caseworker sees the referral placed and the band fall to "1-4" (3 free beds).
    caseworker.goto(f"{live_server.url}/admin/reports/report/{report.pk}/change/")
    caseworker.wait_for_selector("#report-referral")
    status = caseworker.inner_text("#report-referral .referral-status")
    with translation.override(language):
        from relocation.vocabulary import ReferralState

        assert str(ReferralState.PLACED.label) in status
    assert caseworker.inner_text("#free-beds dd").strip() == _text(language, Band.FEW)
    assert "olive" not in caseworker.inner_text("body") and ADDRESS not in caseworker.inner_text("body")
    check_page(caseworker, language, data=data)
    shot(caseworker, f"{language}-relocation-5-placed")
