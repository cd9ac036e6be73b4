"""Relocation's pages: who sees what (role x view x object), the referral on a report's page, the
coordinator's waitlist, house and placement pages, and bad input through them."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.test import Client
from django.utils import timezone

from accounts.roles import Role
from accounts.services import staff_create
from audit.models import AuditEntry
from relocation import access, services
from relocation.access import PlacementAction, RelocationError
from relocation.models import Placement, Referral, SafeHouse
from tests.conftest import PASSWORD, make_staff
from tests.dumps import database_dump

pytestmark = pytest.mark.django_db

NEEDS_CANARY = "needs-canary-5d2a: دواء السكري"
ADDRESS_CANARY = "address-canary-9c41: شارع الأمل"


def text(response) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))


def bands_on(page) -> list[tuple[str, str]]:
    """The free-bed bands a report's page shows: (region, band)."""
    block = re.search(r'<dl class="sanad-grid" id="free-beds">(.*?)</dl>', page.content.decode(), re.S)
    if block is None:
        return []
    return [(unescape(a), unescape(b)) for a, b in re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", block.group(1))]


def refer_form(**changes) -> dict:
    form = {
        "adults": "1",
        "children": "2",
        "household_type": "family_with_children",
        "urgency_reason": "location_known",
        "preferred_regions": ["kri-erbil"],
        "needs": NEEDS_CANARY,
    }
    form.update(changes)
    return form


@pytest.fixture
def scene(coordinators, house, assigned_report):
    """Three open houses (two in Erbil, one in Sulaymaniyah), a report assigned to alice, referred by her,
    and a second coordinator's view; sam (sysadmin) and audrey (auditor) from personas."""
    erbil_a = house(code_name="olive", region="kri-erbil", beds_in_service=4, address=ADDRESS_CANARY)
    erbil_b = house(code_name="cedar", region="kri-erbil", beds_in_service=2)
    suli = house(code_name="river", region="kri-sulaymaniyah", beds_in_service=3)
    report = assigned_report(governorate="IQ-DQ", severity="high")
    carol = make_staff("carol", roles=[Role.CASEWORKER], approver=coordinators["lead"])
    return {**coordinators, "carol": carol, "report": report, "houses": [erbil_a, erbil_b, suli]}


def report_url(report) -> str:
    return f"/admin/reports/report/{report.pk}/change/"


def test_the_caseworker_refers_from_the_report_page_and_follows_its_status(scene, staff_login):
    alice = staff_login(Client(), scene["alice"])
    page = alice.get(report_url(scene["report"]))
    assert 'id="refer-form"' in page.content.decode()
    # Bands: Sulaymaniyah has one house, so the Kurdistan region is shown as one band (9 free beds).
    assert bands_on(page) == [("Kurdistan Region", "5 or more")]
    response = alice.post(f"/admin/reports/report/{scene['report'].pk}/act/refer/", refer_form())
    assert response.status_code == 302
    referral = Referral.objects.get(report=scene["report"])
    assert referral.urgency == 0  # high severity, raised one step by the reason
    details = services.referral_details(referral)
    assert details["avoid_regions"] == ["other"]  # a threat in Dhi Qar: "elsewhere" may be there
    assert (details["adults"], details["children"], details["household_type"]) == (1, 2, "family_with_children")
    page = text(alice.get(report_url(scene["report"])))
    assert "Waiting for a bed" in page and "refer-form" not in page
    # The needs are in no table in clear.
    assert NEEDS_CANARY.encode() not in database_dump()
    assert ADDRESS_CANARY.encode() not in database_dump()


def test_the_coordinator_waitlist_house_and_placement_pages(scene, staff_login):
    services.referral_create(
        user=scene["alice"],
        report=scene["report"],
        adults=1,
        children=2,
        household_type="family_with_children",
        needs=NEEDS_CANARY,
    )
    referral = Referral.objects.get()
    carla = staff_login(Client(), scene["carla"])
    waitlist = carla.get("/admin/relocation/referral/")
    assert (
        waitlist.status_code == 200 and f"/admin/relocation/referral/{referral.pk}/change/" in waitlist.content.decode()
    )
    # Visiting decrypts nothing; the needs are decrypted when asked, and that reading is audited.
    page = carla.get(f"/admin/relocation/referral/{referral.pk}/change/")
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    assert NEEDS_CANARY not in page.content.decode() and 'id="show-needs"' in page.content.decode()
    assert not AuditEntry.objects.filter(action="referral_needs_read").exists()
    assert carla.get(f"/admin/relocation/referral/{referral.pk}/needs/").status_code == 405
    page = carla.post(f"/admin/relocation/referral/{referral.pk}/needs/")
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    assert NEEDS_CANARY in page.content.decode()
    assert AuditEntry.objects.filter(action="referral_needs_read", object_id=str(referral.pk)).count() == 1
    olive = scene["houses"][0]
    response = carla.post(f"/admin/relocation/referral/{referral.pk}/hold/", {"house": str(olive.pk)}, follow=True)
    assert "olive" not in str(response.client.cookies.get("messages", ""))  # no house's name in a cookie
    placement = Placement.objects.get()
    assert placement.state == "held" and SafeHouse.objects.get(pk=olive.pk).beds_held == 3
    house_page = carla.get(f"/admin/relocation/safehouse/{olive.pk}/change/")
    assert ADDRESS_CANARY not in house_page.content.decode()
    assert not AuditEntry.objects.filter(action="safehouse_address_read").exists()
    house_page = carla.post(f"/admin/relocation/safehouse/{olive.pk}/address/")
    assert ADDRESS_CANARY in house_page.content.decode() and "no-store" in house_page["Cache-Control"]
    assert AuditEntry.objects.filter(action="safehouse_address_read", object_id=str(olive.pk)).count() == 1
    carla.post(f"/admin/relocation/placement/{placement.pk}/act/place/", {"back": "house"})
    assert AuditEntry.objects.filter(action="safehouse_address_read").count() == 1  # acting decrypts nothing
    assert Placement.objects.get().state == "placed"
    assert SafeHouse.objects.get(pk=olive.pk).beds_occupied == 3
    alice = staff_login(Client(), scene["alice"])
    assert "Placed" in text(alice.get(report_url(scene["report"])))


# Who may open what. An object outside one's scope is a 404; a list one may not see, a 403.
WHO = ["lead", "alice", "carol", "carla", "sam", "audrey"]


@pytest.mark.parametrize("who", WHO)
def test_who_sees_relocation(scene, staff_login, who):
    referral = services.referral_create(
        user=scene["alice"], report=scene["report"], adults=1, household_type="single_adult", needs=NEEDS_CANARY
    )
    olive = scene["houses"][0]
    placement = services.placement_hold(user=scene["carla"], referral=referral, house=olive)
    client = staff_login(Client(), scene[who])
    coordinator = who == "carla"
    for url in ("/admin/relocation/referral/", "/admin/relocation/safehouse/", "/admin/relocation/placement/"):
        assert client.get(url).status_code == (200 if coordinator else 403), (who, url)
    for url in (
        f"/admin/relocation/referral/{referral.pk}/change/",
        f"/admin/relocation/safehouse/{olive.pk}/change/",
        "/admin/relocation/safehouse/add/",
        f"/admin/relocation/referral/{referral.pk}/needs/",
        f"/admin/relocation/safehouse/{olive.pk}/address/",
    ):
        response = client.post(url) if url.endswith(("/needs/", "/address/")) else client.get(url)
        assert response.status_code == (200 if coordinator else 404), (who, url)
        if not coordinator:
            assert NEEDS_CANARY not in response.content.decode() and ADDRESS_CANARY not in response.content.decode()
    if not coordinator:
        for url, data in (
            (f"/admin/relocation/referral/{referral.pk}/hold/", {"house": str(scene["houses"][1].pk)}),
            (f"/admin/relocation/placement/{placement.pk}/act/cancel/", {"reason": "no_longer_needed"}),
            (f"/admin/relocation/placement/{placement.pk}/act/place/", {}),
            (
                f"/admin/relocation/safehouse/{olive.pk}/change/",
                {"beds_funded": 0, "beds_in_service": 1, "status": "closed"},
            ),
        ):
            assert client.post(url, data).status_code == 404, (who, url)
        assert Placement.objects.get().state == "held"
        assert SafeHouse.objects.get(pk=olive.pk).beds_in_service == 4
    # The report's page: its caseworker and a lead see the referral's status; nobody else sees the page.
    page = client.get(report_url(scene["report"]))
    assert page.status_code == (200 if who in ("lead", "alice") else 404), who
    if page.status_code == 200:
        shown = text(page)
        assert "Beds are held" in shown
        assert "olive" not in shown and NEEDS_CANARY not in shown and ADDRESS_CANARY not in shown
    # The admin index lists relocation only for the coordinator.
    index = client.get("/admin/")
    assert ("/admin/relocation/" in index.content.decode()) == coordinator, who


@pytest.mark.parametrize(
    "bad",
    [
        {"adults": "abc"},
        {"adults": "-1"},
        {"adults": "0"},
        {"adults": "1000"},
        {"children": "2.5"},
        {"household_type": "palace"},
        {"preferred_regions": ["mars"]},
        {"avoid_regions": ["kri-erbil", "\x00"]},
        {"urgency_reason": "bored"},
        {"needs": "x" * (services.MAX_TEXT + 1)},
        {"adults": "20", "children": "20"},  # more than any house takes
    ],
)
def test_a_bad_referral_is_refused_with_a_message_and_changes_nothing(scene, staff_login, bad):
    alice = staff_login(Client(), scene["alice"])
    response = alice.post(f"/admin/reports/report/{scene['report'].pk}/act/refer/", refer_form(**bad), follow=True)
    assert response.status_code == 200
    assert 'class="error"' in response.content.decode()
    assert not Referral.objects.exists()


def test_bad_house_input_is_refused_and_changes_nothing(scene, staff_login):
    carla = staff_login(Client(), scene["carla"])
    before = SafeHouse.objects.count()
    for bad in (
        {
            "code_name": "",
            "region": "kri-erbil",
            "household_types": ["single_adult"],
            "beds_funded": 1,
            "beds_in_service": 1,
            "address": "a",
        },
        {
            "code_name": "x",
            "region": "moon",
            "household_types": ["single_adult"],
            "beds_funded": 1,
            "beds_in_service": 1,
            "address": "a",
        },
        {
            "code_name": "x",
            "region": "tr",
            "household_types": ["castle"],
            "beds_funded": 1,
            "beds_in_service": 1,
            "address": "a",
        },
        {
            "code_name": "x",
            "region": "tr",
            "household_types": ["single_adult"],
            "beds_funded": -1,
            "beds_in_service": 1,
            "address": "a",
        },
        {
            "code_name": "x",
            "region": "tr",
            "household_types": ["single_adult"],
            "beds_funded": 1,
            "beds_in_service": 9999,
            "address": "a",
        },
        {
            "code_name": "x",
            "region": "tr",
            "household_types": ["single_adult"],
            "beds_funded": 1,
            "beds_in_service": 1,
            "address": "",
        },
        {
            "code_name": "olive",
            "region": "tr",
            "household_types": ["single_adult"],
            "beds_funded": 1,
            "beds_in_service": 1,
            "address": "a",
        },
    ):
        response = carla.post("/admin/relocation/safehouse/add/", bad)
        assert response.status_code == 200, bad
        assert "errorlist" in response.content.decode(), bad
    assert SafeHouse.objects.count() == before
    good = {
        "code_name": "fig",
        "region": "tr",
        "household_types": ["single_adult"],
        "beds_funded": 2,
        "beds_in_service": 2,
        "address": "Somewhere 1",
    }
    assert carla.post("/admin/relocation/safehouse/add/", good).status_code == 302
    assert SafeHouse.objects.filter(code_name="fig", region="tr").exists()
    # Lowering beds in service below use is refused with a message, nothing changed.
    referral = services.referral_create(
        user=scene["alice"], report=scene["report"], adults=2, household_type="single_adult"
    )
    olive = scene["houses"][0]
    services.placement_hold(user=scene["carla"], referral=referral, house=olive)
    response = carla.post(
        f"/admin/relocation/safehouse/{olive.pk}/change/", {"beds_funded": 6, "beds_in_service": 1, "status": "open"}
    )
    assert response.status_code == 200 and "held or occupied" in text(response)
    assert SafeHouse.objects.get(pk=olive.pk).beds_in_service == 4


# --- One registry: the pages offer exactly what the services accept ---------------------------------


def offered(client, referral) -> set[str]:
    page = client.get(f"/admin/relocation/referral/{referral.pk}/change/").content.decode()
    found = set(re.findall(r"/admin/relocation/placement/[0-9a-f-]+/act/(\w+)/", page))
    if re.search(r"/admin/relocation/referral/[0-9a-f-]+/hold/", page):
        found.add(PlacementAction.HOLD)
    return found


def accepted(user, referral, house) -> set[str]:
    from django.db import transaction

    done = set()
    placement = referral.placements.order_by("-created_at").first()
    tries = {
        PlacementAction.HOLD: lambda: services.placement_hold(user=user, referral=referral, house=house),
        PlacementAction.PLACE: lambda: services.placement_place(user=user, placement=placement),
        PlacementAction.DEPART: lambda: services.placement_depart(user=user, placement=placement),
        PlacementAction.CANCEL: lambda: services.placement_cancel(
            user=user, placement=placement, reason="declined_by_house"
        ),
    }
    for action, attempt in tries.items():
        if action != PlacementAction.HOLD and placement is None:
            continue
        savepoint = transaction.savepoint()
        try:
            attempt()
            done.add(str(action))
        except RelocationError:
            pass
        finally:
            transaction.savepoint_rollback(savepoint)
    return done


@pytest.mark.parametrize("stage", ["waiting", "held", "placed", "departed", "cancelled", "expired"])
def test_the_pages_offer_exactly_what_the_services_accept(scene, staff_login, stage):
    from datetime import timedelta

    from django.utils import timezone

    referral = services.referral_create(
        user=scene["alice"], report=scene["report"], adults=1, household_type="single_adult"
    )
    olive = scene["houses"][0]
    if stage != "waiting":
        placement = services.placement_hold(user=scene["carla"], referral=referral, house=olive)
        if stage in ("placed", "departed"):
            services.placement_place(user=scene["carla"], placement=placement)
        if stage == "departed":
            services.placement_depart(user=scene["carla"], placement=placement)
        if stage == "cancelled":
            services.placement_cancel(user=scene["carla"], placement=placement, reason="no_longer_needed")
        if stage == "expired":
            Placement.objects.filter(pk=placement.pk).update(held_until=timezone.now() - timedelta(seconds=1))
    referral = Referral.objects.get(pk=referral.pk)
    carla = staff_login(Client(), scene["carla"])
    shown = offered(carla, referral)
    done = accepted(scene["carla"], referral, olive)
    placement = referral.placements.order_by("-created_at").first()
    registry = set(access.actions_for(scene["carla"], referral)) | (
        set(access.actions_for(scene["carla"], placement)) if placement else set()
    )
    assert shown == done == {str(a) for a in registry}, (stage, shown, done, registry)
    expected = {
        "waiting": {"hold"},
        "held": {"place", "cancel"},
        "placed": {"depart"},
        "departed": set(),
        "cancelled": set(),  # no longer needed: the referral closed
        "expired": {"cancel"},  # an expired hold not yet swept can be cancelled, never placed
    }
    assert shown == expected[stage]
    # Nobody but a coordinator is offered or accepted anything.
    assert accepted(scene["alice"], referral, olive) == set()


def test_the_reporter_status_shows_nothing_of_a_referral(coordinators, house, envelope, submit, client):
    from reports.models import Report

    body = envelope()
    receipt = submit(body).json()["receipt"]
    Report.objects.update(state="assigned", assigned_to=coordinators["alice"], severity="high")
    house()

    def status():
        return client.get("/api/v1/reports/status/", HTTP_AUTHORIZATION=f"Receipt {receipt}").content

    before, row_before = status(), Report.objects.values().get()
    referral = services.referral_create(
        user=coordinators["alice"], report=Report.objects.get(), adults=1, household_type="single_adult"
    )
    placement = services.placement_hold(user=coordinators["carla"], referral=referral, house=SafeHouse.objects.get())
    services.placement_place(user=coordinators["carla"], placement=placement)
    assert status() == before
    assert Report.objects.values().get() == row_before


def test_no_referral_is_offered_until_enough_coordinators_hold_a_relocation_key(scene, staff_login, settings):
    from reports import access as case_access

    settings.SANAD_INTAKE_MIN_HOLDERS = 3  # two hold it
    assert case_access.refusal(scene["alice"], scene["report"], case_access.CaseAction.REFER) == (
        "Relocation is not set up yet: no relocation key is held by enough coordinators."
    )
    alice = staff_login(Client(), scene["alice"])
    assert "refer-form" not in alice.get(report_url(scene["report"])).content.decode()
    alice.post(f"/admin/reports/report/{scene['report'].pk}/act/refer/", refer_form())
    assert not Referral.objects.exists()


# --- Bands: free beds per region, never per house ------------------------------------------------


@pytest.mark.parametrize(
    "houses, expected",
    [
        ([], []),
        # Two houses with free beds in each region shown, or none: per region.
        (
            [("kri-erbil", 3), ("kri-erbil", 3), ("kri-duhok", 0), ("kri-duhok", 0), ("tr", 1), ("tr", 2)],
            [
                ("Kurdistan Region: Erbil", "5 or more"),
                ("Kurdistan Region: Duhok", "none"),
                ("Turkey", "1-4"),
            ],
        ),
        # A region of one house is never shown alone, full or not (a rise would tell of a departure).
        (
            [("kri-erbil", 3), ("kri-erbil", 3), ("kri-duhok", 0), ("tr", 1), ("tr", 2)],
            [("Kurdistan Region", "5 or more"), ("Turkey", "1-4")],
        ),
        # Duhok has one house with free beds: the Kurdistan region is one band; Turkey (two) stays.
        (
            [("kri-erbil", 3), ("kri-erbil", 3), ("kri-duhok", 2), ("tr", 1), ("tr", 2)],
            [("Kurdistan Region", "5 or more"), ("Turkey", "1-4")],
        ),
        # A full house does not make a second: Erbil's one house with beds is folded in.
        (
            [("kri-erbil", 3), ("kri-erbil", 0), ("kri-duhok", 1), ("kri-duhok", 1), ("tr", 1), ("tr", 2)],
            [("Kurdistan Region", "5 or more"), ("Turkey", "1-4")],
        ),
        # Turkey and elsewhere, one house with beds each: "abroad" is one band of two.
        (
            [("kri-erbil", 1), ("kri-erbil", 1), ("tr", 1), ("other", 3)],
            [("Kurdistan Region: Erbil", "1-4"), ("Abroad", "1-4")],
        ),
        # A single house with beds abroad cannot be shown at all: one band for every house.
        ([("kri-erbil", 1), ("kri-erbil", 1), ("tr", 4), ("other", 0)], [("All regions", "5 or more")]),
        # A single house with free beds anywhere: no band at all.
        ([("tr", 4)], []),
        ([("tr", 4), ("kri-erbil", 0), ("kri-erbil", 0)], []),
        ([("tr", 0)], []),
        ([("tr", 0), ("tr", 0)], [("Turkey", "none")]),
    ],
)
def test_free_bed_bands_never_describe_one_house(coordinators, house, houses, expected):
    from relocation.selectors import free_bed_bands

    for n, (region, free) in enumerate(houses):
        house(code_name=f"h{n}", region=region, beds_in_service=free)
    shown = [(str(row.name), str(row.band)) for row in free_bed_bands()]
    assert shown == expected


def test_paused_and_closed_houses_count_in_no_band(coordinators, house):
    from relocation.selectors import free_bed_bands

    for n in range(2):
        house(code_name=f"open{n}", region="tr", beds_in_service=0)
    paused = house(code_name="paused", region="tr", beds_in_service=9)
    services.house_change(user=coordinators["carla"], house=paused, beds_funded=9, beds_in_service=9, status="paused")
    assert [(str(r.name), str(r.band)) for r in free_bed_bands()] == [("Turkey", "none")]


def test_a_canary_in_an_address_or_needs_reaches_no_table_log_message_or_page_of_others(scene, staff_login, caplog):
    """Through every page and action, with every logger at DEBUG and every Celery message published on the
    way recorded (relocation's one task takes no arguments; this fails if a change makes any message carry
    the canary)."""
    from celery.signals import before_task_publish

    from relocation.tasks import expire_holds

    published = []

    def record(sender=None, body=None, headers=None, **kwargs):
        published.append(repr((sender, body, headers)))

    before_task_publish.connect(record, weak=False)
    try:
        with caplog.at_level("DEBUG"):
            alice = staff_login(Client(), scene["alice"])
            alice.post(f"/admin/reports/report/{scene['report'].pk}/act/refer/", refer_form())
            referral = Referral.objects.get()
            carla = staff_login(Client(), scene["carla"])
            pages = [carla.post(f"/admin/relocation/referral/{referral.pk}/needs/")]
            olive = scene["houses"][0]
            carla.post(f"/admin/relocation/referral/{referral.pk}/hold/", {"house": str(olive.pk)})
            pages.append(carla.post(f"/admin/relocation/safehouse/{olive.pk}/address/"))
            Placement.objects.update(held_until=timezone.now())
            expire_holds.apply()  # as the beat task runs it (it takes no arguments: no message carries data)
            others = [alice.get(report_url(scene["report"])), alice.get("/admin/relocation/referral/")]
    finally:
        before_task_publish.disconnect(record)
    assert NEEDS_CANARY in pages[0].content.decode() and ADDRESS_CANARY in pages[1].content.decode()
    assert Placement.objects.get().state == "expired"
    for canary in (NEEDS_CANARY, ADDRESS_CANARY):
        assert canary not in caplog.text
        assert canary.encode() not in database_dump()
        assert not any(canary in message for message in published)
        assert not any(canary in page.content.decode() for page in others)
        assert not any(
            canary in value for cookie in (alice.cookies, carla.cookies) for value in map(str, cookie.values())
        )


def test_the_coordinator_role_alone_shows_nothing_and_moves_nothing(scene, staff_login):
    """The role (proposed by a sysadmin, approved by a key holder) is not the key: a coordinator without
    a grant of the relocation key sees no house, referral or placement and can neither add a house nor
    hold, pause or place."""
    mallory = make_staff(
        "mallory", roles=[Role.RELOCATION_COORDINATOR], acting_user=scene["sam"], approver=scene["carla"]
    )
    referral = services.referral_create(
        user=scene["alice"], report=scene["report"], adults=1, household_type="single_adult"
    )
    olive = scene["houses"][0]
    client = staff_login(Client(), mallory)
    for url in ("/admin/relocation/referral/", "/admin/relocation/safehouse/", "/admin/relocation/placement/"):
        assert client.get(url).status_code == 403, url
    assert client.get(f"/admin/relocation/referral/{referral.pk}/change/").status_code == 404
    assert client.post(f"/admin/relocation/referral/{referral.pk}/hold/", {"house": str(olive.pk)}).status_code == 404
    assert client.post("/admin/relocation/safehouse/add/", {"code_name": "decoy"}).status_code == 404
    for attempt in (
        lambda: services.placement_hold(user=mallory, referral=referral, house=olive),
        lambda: services.house_change(user=mallory, house=olive, beds_funded=6, beds_in_service=4, status="paused"),
        lambda: services.house_create(
            user=mallory,
            code_name="decoy",
            region="kri-erbil",
            household_types=["single_adult"],
            beds_funded=1,
            beds_in_service=1,
            address="a trap",
        ),
    ):
        with pytest.raises(RelocationError, match="holding the relocation key"):
            attempt()
    assert not Placement.objects.exists() and SafeHouse.objects.count() == 3
    assert SafeHouse.objects.get(pk=olive.pk).status == "open"


def test_a_coordinator_is_never_also_a_caseworker_or_a_lead():
    from accounts.services import RoleNotAllowed

    for other in (Role.CASEWORKER, Role.TRIAGE_LEAD):
        with pytest.raises(RoleNotAllowed, match="who reported and where they sleep"):
            staff_create(username=f"both-{other}", password=PASSWORD, roles=[Role.RELOCATION_COORDINATOR, other])


def new_house(scene, code_name: str):
    """A one-bed house in Turkey with this code name, as carla adds it."""
    return services.house_create(
        user=scene["carla"],
        code_name=code_name,
        region="tr",
        household_types=["single_adult"],
        beds_funded=1,
        beds_in_service=1,
        address="somewhere",
    )


@pytest.mark.parametrize("look_alike", ["OLIVE", "Olive", "ｏｌｉｖｅ", " olive "])
def test_a_code_name_is_taken_in_any_case_and_any_width(scene, look_alike):
    with pytest.raises(RelocationError, match="Another house has this code name"):
        new_house(scene, look_alike)
    assert SafeHouse.objects.count() == 3


def test_the_referral_form_takes_digits_of_any_script_and_nothing_else(scene, staff_login):
    alice = staff_login(Client(), scene["alice"])
    alice.post(f"/admin/reports/report/{scene['report'].pk}/act/refer/", refer_form(adults="1_0", children="0"))
    assert not Referral.objects.exists()
    alice.post(f"/admin/reports/report/{scene['report'].pk}/act/refer/", refer_form(adults="١", children="٢"))
    details = services.referral_details(Referral.objects.get())
    assert (details["adults"], details["children"]) == (1, 2)


def test_a_refusal_for_too_many_people_tells_nothing_of_a_region_or_type(scene):
    """The size check is against the largest house of any region and type (olive, 4 beds): a caseworker
    cannot learn the size of the one women-only house in Turkey (2 beds) by trying larger parties."""
    services.house_create(
        user=scene["carla"],
        code_name="womens-house",
        region="tr",
        household_types=["women_only"],
        beds_funded=2,
        beds_in_service=2,
        address="x",
    )
    only_turkey = ["kri-erbil", "kri-sulaymaniyah", "kri-duhok"]
    referral = services.referral_create(
        user=scene["alice"], report=scene["report"], adults=4, household_type="women_only", avoid_regions=only_turkey
    )
    assert referral.state == "waiting"  # the coordinator, not the form, finds no house for it
    Referral.objects.filter(pk=referral.pk).update(state="closed")
    with pytest.raises(RelocationError, match="No safe house has beds for 5 people"):
        services.referral_create(
            user=scene["alice"],
            report=scene["report"],
            adults=5,
            household_type="women_only",
            avoid_regions=only_turkey,
        )


def test_an_account_holding_both_roles_from_before_is_no_coordinator(scene, staff_login):
    """Roles are kept apart when set; an account that holds both anyway (made before that rule) sees and
    moves nothing in relocation, grant or not."""
    from django.contrib.auth.models import Group

    dana = scene["dana"]
    referral = services.referral_create(
        user=scene["alice"], report=scene["report"], adults=1, household_type="single_adult"
    )
    dana.groups.add(Group.objects.get_or_create(name=Role.CASEWORKER)[0])
    assert not access.is_coordinator(dana)
    client = staff_login(Client(), dana)
    assert client.get("/admin/relocation/safehouse/").status_code == 403
    with pytest.raises(RelocationError):
        services.placement_hold(user=dana, referral=referral, house=scene["houses"][0])


@pytest.mark.parametrize("look_alike", ["ol\u200bive", "olive\u200d", "o\u0336live", "\u202eevilo", "x\x07"])
def test_a_code_name_with_invisible_or_combining_characters_is_refused(scene, look_alike):
    with pytest.raises(RelocationError, match="letters, digits, spaces and punctuation"):
        new_house(scene, look_alike)
    assert SafeHouse.objects.count() == 3


def test_a_code_name_is_measured_after_normalising(scene):
    with pytest.raises(RelocationError, match="at most 40 characters"):
        new_house(scene, "\ufdfa\ufdfa\ufdfa")  # three characters that NFKC makes 54


def test_house_forms_take_digits_only_and_name_no_house_in_the_message_cookie(scene, staff_login):
    carla = staff_login(Client(), scene["carla"])
    form = {"region": "tr", "household_types": ["single_adult"], "beds_funded": "1_0", "beds_in_service": "1"}
    response = carla.post("/admin/relocation/safehouse/add/", {**form, "code_name": "fig", "address": "a"})
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    response = carla.post(
        "/admin/relocation/safehouse/add/", {**form, "beds_funded": "٢", "code_name": "fig", "address": "a"}
    )
    assert response.status_code == 302 and SafeHouse.objects.get(code_name="fig").beds_funded == 2
    assert "fig" not in str(response.cookies.get("messages", ""))
    olive = scene["houses"][0]
    carla.post(
        f"/admin/relocation/safehouse/{olive.pk}/change/",
        {"beds_funded": "1_0", "beds_in_service": "4", "status": "open"},
    )
    assert SafeHouse.objects.get(pk=olive.pk).beds_funded == 6


def test_caseworkers_see_the_bands_of_the_period_not_of_the_moment(coordinators, house, settings):
    """With SANAD_RELOCATION_BANDS_SECONDS set, a hold does not move the bands until the next period."""
    from relocation.selectors import free_bed_bands

    settings.SANAD_RELOCATION_BANDS_SECONDS = 3600
    for n in range(2):
        house(code_name=f"t{n}", region="tr", beds_in_service=3)
    start = 10 * 3600.0

    def shown(now):
        return [(str(row.name), str(row.band)) for row in free_bed_bands(now=now)]

    assert shown(start) == [("Turkey", "5 or more")]
    SafeHouse.objects.update(beds_in_service=1)  # as if beds were taken
    assert shown(start + 3599) == [("Turkey", "5 or more")]  # the same period: the same snapshot
    assert shown(start + 3600) == [("Turkey", "1-4")]  # the next period
