"""Safe houses, referrals and placements: who may, what is refused, and beds counted right on every path."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.services import personal_key_unlock
from audit.models import AuditEntry
from relocation import services
from relocation.models import OccupancyDay, Placement, Referral, SafeHouse
from relocation.services import RelocationError
from relocation.vocabulary import CancelReason, PlacementState, ReferralState, Urgency
from tests.conftest import PASSWORD, make_staff

pytestmark = pytest.mark.django_db

CANARY = "CANARY-ADDRESS-7731 Karrada"


def _every_table_dump() -> bytes:
    """Every row of every table, as the database returns it (a stand-in for a backup)."""
    out = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')
            out.append(repr(cursor.fetchall()).encode())
    return b"\n".join(out)


def _counts(house) -> tuple[int, int, int]:
    house.refresh_from_db()
    return house.beds_in_service, house.beds_held, house.beds_occupied


# --- Houses ----------------------------------------------------------------------------------


def test_a_house_address_is_readable_only_by_a_coordinator_with_the_key(coordinators, house):
    made = house(address=CANARY, contact="+964 750 000 0000", access_notes="ring twice")
    assert CANARY.encode() not in _every_table_dump() and b"ring twice" not in _every_table_dump()
    carla = coordinators["carla"]
    opened = services.house_address_open(
        user=carla, house=made, personal_key=personal_key_unlock(user=carla, password=PASSWORD)
    )
    assert opened == {"address": CANARY, "contact": "+964 750 000 0000", "access_notes": "ring twice"}
    assert AuditEntry.objects.filter(action="safehouse_address_read", object_id=str(made.pk)).count() == 1
    for other in ("alice", "lead", "sam", "audrey"):  # sysadmins and auditors have no personal key at all
        user = coordinators[other]
        personal = personal_key_unlock(user=user, password=PASSWORD) if other in ("alice", "lead") else None
        with pytest.raises(RelocationError):
            services.house_address_open(user=user, house=made, personal_key=personal)


@pytest.mark.parametrize("what", ["ciphertext", "ciphertext and attestation", "forged"])
def test_an_address_sanad_did_not_write_is_never_shown(coordinators, house, what):
    """Moved from another house's row (with or without its attestation), or written anew by someone with
    the public key and write access to the database (HPKE does not say who encrypted): refused."""
    from relocation.models import SafeHouseSecret

    first, second = house(address=CANARY), house(address="somewhere else")
    source = SafeHouseSecret.objects.get(house=first)
    if what == "ciphertext":
        SafeHouseSecret.objects.filter(house=second).update(ciphertext=source.ciphertext)
    elif what == "ciphertext and attestation":
        SafeHouseSecret.objects.filter(house=second).update(
            ciphertext=source.ciphertext, attestation_sealed=source.attestation_sealed
        )
    else:
        key = coordinators["relocation_key"]
        trap = services._encrypt(key, {"address": "TRAP 99 Militia Road"}, services.house_info(key, second.pk))
        SafeHouseSecret.objects.filter(house=second).update(ciphertext=trap)
    carla = coordinators["carla"]
    with pytest.raises(RelocationError, match="not written by Sanad"):
        services.house_address_open(
            user=carla, house=second, personal_key=personal_key_unlock(user=carla, password=PASSWORD)
        )


def test_addresses_of_different_lengths_encrypt_to_the_same_length(coordinators, house):
    from relocation.models import SafeHouseSecret

    short, longer = house(address="Erbil"), house(address="Building 7, third floor, the door by the pharmacy")
    lengths = {len(bytes(SafeHouseSecret.objects.get(house=h).ciphertext)) for h in (short, longer)}
    assert len(lengths) == 1


def test_no_house_before_two_coordinators_hold_the_key(personas):
    from accounts.roles import KeyPurpose, Role
    from accounts.services import shared_key_create

    carla = make_staff("carla", roles=[Role.RELOCATION_COORDINATOR])  # first coordinator: given on the server
    shared_key_create(purpose=KeyPurpose.RELOCATION, holder=carla, holder_password=PASSWORD)
    with pytest.raises(RelocationError, match="No relocation key is ready"):
        services.house_create(
            user=carla,
            code_name="h",
            region="tr",
            household_types=["couple"],
            beds_funded=2,
            beds_in_service=2,
            address="x",
        )
    assert not SafeHouse.objects.exists()


@pytest.mark.parametrize(
    "changes",
    [
        {"region": "baghdad-karrada"},
        {"household_types": ["castle"]},
        {"household_types": []},
        {"beds_in_service": -1},
        {"beds_in_service": 10_000},
        {"beds_in_service": "5"},
        {"beds_in_service": True},
        {"address": ""},
        {"address": "x" * 3000},
        {"code_name": ""},
        {"user": "alice"},
    ],
)
def test_bad_house_input_is_refused_and_changes_nothing(coordinators, house, changes):
    if changes.get("user") == "alice":
        changes = {"user": coordinators["alice"]}
    with pytest.raises(RelocationError):
        house(**changes)
    assert not SafeHouse.objects.exists()


def test_lowering_beds_below_use_is_refused_with_the_numbers(coordinators, house, assigned_report):
    made = house(beds_in_service=5)
    referral = services.referral_create(
        user=coordinators["alice"],
        report=assigned_report(),
        adults=2,
        children=1,
        household_type="family_with_children",
    )
    services.placement_hold(user=coordinators["carla"], referral=referral, house=made)
    with pytest.raises(RelocationError, match="3 beds of this house are held or occupied"):
        services.house_change(user=coordinators["carla"], house=made, beds_funded=6, beds_in_service=2, status="open")
    assert _counts(made) == (5, 3, 0)
    services.house_change(user=coordinators["carla"], house=made, beds_funded=6, beds_in_service=3, status="paused")
    assert _counts(made) == (3, 3, 0)


def test_the_database_itself_refuses_an_overbooking(coordinators, house):
    """Should a path ever skip the lock, the constraint fails loudly instead of overbooking."""
    made = house(beds_in_service=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        SafeHouse.objects.filter(pk=made.pk).update(beds_held=2, beds_occupied=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        SafeHouse.objects.filter(pk=made.pk).update(beds_held=-1)


# --- Referrals --------------------------------------------------------------------------------


def test_the_caseworker_refers_with_needs_only_coordinators_read(coordinators, house, assigned_report):
    house()
    report = assigned_report(severity="high")
    referral = services.referral_create(
        user=coordinators["alice"],
        report=report,
        adults=1,
        household_type="single_adult",
        preferred_regions=["kri-erbil"],
        needs=f"insulin; {CANARY}",
    )
    assert referral.urgency == Urgency.HIGH and referral.state == ReferralState.WAITING
    assert CANARY.encode() not in _every_table_dump()
    carla = coordinators["carla"]
    needs = services.referral_needs_open(
        user=carla, referral=referral, personal_key=personal_key_unlock(user=carla, password=PASSWORD)
    )
    assert needs == f"insulin; {CANARY}"
    with pytest.raises(RelocationError):
        services.referral_needs_open(
            user=coordinators["alice"],
            referral=referral,
            personal_key=personal_key_unlock(user=coordinators["alice"], password=PASSWORD),
        )


def test_a_reason_raises_urgency_one_step(coordinators, house, assigned_report):
    house()
    referral = services.referral_create(
        user=coordinators["alice"],
        report=assigned_report(severity="high"),
        adults=1,
        household_type="single_adult",
        urgency_reason="location_known",
    )
    assert referral.urgency == Urgency.IMMEDIATE


def test_only_the_reports_caseworker_or_a_lead_refers(coordinators, house, assigned_report):
    house()
    for user in ("bob", "carla", "sam", "audrey"):
        with pytest.raises(RelocationError):
            services.referral_create(
                user=coordinators[user], report=assigned_report(), adults=1, household_type="single_adult"
            )
    assert services.referral_create(
        user=coordinators["lead"], report=assigned_report(), adults=1, household_type="single_adult"
    )


def test_the_region_of_the_threat_is_never_a_destination(coordinators, house, assigned_report):
    sulaymaniyah = house(region="kri-sulaymaniyah")
    house(region="kri-erbil")
    report = assigned_report(governorate="IQ-SU")
    with pytest.raises(RelocationError, match="region of the threat"):
        services.referral_create(
            user=coordinators["alice"],
            report=report,
            adults=1,
            household_type="single_adult",
            preferred_regions=["kri-sulaymaniyah"],
        )
    referral = services.referral_create(
        user=coordinators["alice"], report=report, adults=1, household_type="single_adult"
    )
    assert "kri-sulaymaniyah" in services.referral_details(referral)["avoid_regions"]
    with pytest.raises(RelocationError, match="must not be sent"):
        services.placement_hold(user=coordinators["carla"], referral=referral, house=sulaymaniyah)


@pytest.mark.parametrize(
    "changes",
    [
        {"adults": 0},
        {"adults": -2},
        {"adults": 10_000},
        {"adults": "2"},
        {"children": -1},
        {"household_type": "castle"},
        {"preferred_regions": ["mars"]},
        {"avoid_regions": "kri-erbil"},
        {"urgency_reason": "vibes"},
        {"needs": "x" * 5000},
        {"adults": 6},  # more people than any house takes (5 beds)
    ],
)
def test_bad_referral_input_is_refused_and_changes_nothing(coordinators, house, assigned_report, changes):
    house(beds_in_service=5)
    values = {"user": coordinators["alice"], "report": assigned_report(), "adults": 1, "household_type": "single_adult"}
    values.update(changes)
    with pytest.raises(RelocationError):
        services.referral_create(**values)
    assert not Referral.objects.exists()


def test_one_open_referral_per_report(coordinators, house, assigned_report):
    house()
    report = assigned_report()
    services.referral_create(user=coordinators["alice"], report=report, adults=1, household_type="single_adult")
    with pytest.raises(RelocationError, match="open referral already"):
        services.referral_create(user=coordinators["alice"], report=report, adults=1, household_type="single_adult")
    assert Referral.objects.count() == 1


def test_a_closed_report_is_not_referred(coordinators, house, assigned_report):
    house()
    with pytest.raises(RelocationError, match="while the case is open"):
        services.referral_create(
            user=coordinators["alice"], report=assigned_report(state="closed"), adults=1, household_type="single_adult"
        )


# --- Placements ------------------------------------------------------------------------------


@pytest.fixture
def waiting(coordinators, house, assigned_report):
    made = house(beds_in_service=5)

    def refer(adults=2, children=0, household_type="family_with_children"):
        return services.referral_create(
            user=coordinators["alice"],
            report=assigned_report(),
            adults=adults,
            children=children,
            household_type=household_type,
        )

    return made, refer


def test_hold_place_depart(coordinators, waiting):
    made, refer = waiting
    carla = coordinators["carla"]
    referral = refer(adults=2, children=1)
    placement = services.placement_hold(user=carla, referral=referral, house=made)
    assert _counts(made) == (5, 3, 0) and Referral.objects.get(pk=referral.pk).state == ReferralState.HELD
    services.placement_place(user=coordinators["dana"], placement=placement)
    assert _counts(made) == (5, 0, 3) and Referral.objects.get(pk=referral.pk).state == ReferralState.PLACED
    services.placement_depart(user=carla, placement=placement)
    assert _counts(made) == (5, 0, 0) and Referral.objects.get(pk=referral.pk).state == ReferralState.CLOSED
    assert Placement.objects.get(pk=placement.pk).state == PlacementState.DEPARTED
    with pytest.raises(RelocationError, match="nothing was changed"):
        services.placement_depart(user=carla, placement=placement)
    assert _counts(made) == (5, 0, 0)
    day = OccupancyDay.objects.get(house=made)
    assert (day.beds_in_service, day.beds_held, day.beds_occupied) == (5, 0, 0)
    actions = list(AuditEntry.objects.filter(action__startswith="placement_").values_list("action", flat=True))
    assert actions == ["placement_held", "placement_placed", "placement_departed"]


@pytest.mark.parametrize(
    ("reason", "after"),
    [
        (CancelReason.DECLINED_BY_PERSON, ReferralState.WAITING),
        (CancelReason.DECLINED_BY_HOUSE, ReferralState.WAITING),
        (CancelReason.NO_LONGER_NEEDED, ReferralState.CLOSED),
    ],
)
def test_a_cancelled_hold_frees_its_beds(coordinators, waiting, reason, after):
    made, refer = waiting
    referral = refer()
    placement = services.placement_hold(user=coordinators["carla"], referral=referral, house=made)
    services.placement_cancel(user=coordinators["carla"], placement=placement, reason=reason)
    assert _counts(made) == (5, 0, 0) and Referral.objects.get(pk=referral.pk).state == after
    with pytest.raises(RelocationError):
        services.placement_cancel(user=coordinators["carla"], placement=placement, reason=reason)
    with pytest.raises(RelocationError, match="Choose why"):
        services.placement_cancel(user=coordinators["carla"], placement=placement, reason="bored")


def test_no_more_beds_than_are_free_and_no_paused_house(coordinators, waiting, house):
    made, refer = waiting
    carla = coordinators["carla"]
    services.placement_hold(user=carla, referral=refer(adults=4), house=made)
    with pytest.raises(RelocationError, match="needs 2 beds; this house has 1 bed free"):
        services.placement_hold(user=carla, referral=refer(adults=2), house=made)
    services.house_change(user=carla, house=made, beds_funded=6, beds_in_service=5, status="paused")
    with pytest.raises(RelocationError, match="takes no one new"):
        services.placement_hold(user=carla, referral=refer(adults=1), house=made)
    women = house(household_types=["women_only"])
    with pytest.raises(RelocationError, match="household type"):
        services.placement_hold(user=carla, referral=refer(adults=1), house=women)
    assert _counts(made) == (5, 4, 0) and _counts(women) == (5, 0, 0)


def test_only_coordinators_offer_beds(coordinators, waiting):
    made, refer = waiting
    referral = refer()
    for user in ("alice", "lead", "sam", "audrey"):
        with pytest.raises(RelocationError, match="Only a relocation coordinator"):
            services.placement_hold(user=coordinators[user], referral=referral, house=made)
    assert _counts(made) == (5, 0, 0)


def test_a_hold_expired_a_second_ago_cannot_be_placed_and_expiry_frees_it_once(coordinators, waiting, settings):
    made, refer = waiting
    referral = refer(adults=3)
    placement = services.placement_hold(user=coordinators["carla"], referral=referral, house=made)
    Placement.objects.filter(pk=placement.pk).update(held_until=timezone.now() - timedelta(seconds=1))
    with pytest.raises(RelocationError, match="expired"):
        services.placement_place(user=coordinators["carla"], placement=placement)
    assert _counts(made) == (5, 3, 0)
    assert services.holds_expire() == 1
    assert services.holds_expire() == 0  # run again (a second worker, a redelivered task): frees nothing twice
    assert _counts(made) == (5, 0, 0)
    assert Placement.objects.get(pk=placement.pk).state == PlacementState.EXPIRED
    assert Referral.objects.get(pk=referral.pk).state == ReferralState.WAITING
    # Waiting again, it can be offered a bed anew.
    services.placement_hold(user=coordinators["carla"], referral=referral, house=made)
    assert _counts(made) == (5, 3, 0)


def test_holds_last_the_configured_time(coordinators, waiting, settings):
    settings.SANAD_RELOCATION_HOLD_HOURS = 6
    made, refer = waiting
    before = timezone.now()
    placement = services.placement_hold(user=coordinators["carla"], referral=refer(), house=made)
    assert timedelta(hours=6) <= placement.held_until - before < timedelta(hours=6, seconds=5)
    assert services.holds_expire(now=before + timedelta(hours=5)) == 0
    assert services.holds_expire(now=before + timedelta(hours=7)) == 1


def test_the_beat_task_expires_holds(coordinators, waiting, settings):
    from relocation.tasks import expire_holds

    assert "expire-relocation-holds" in settings.CELERY_BEAT_SCHEDULE
    made, refer = waiting
    placement = services.placement_hold(user=coordinators["carla"], referral=refer(), house=made)
    Placement.objects.filter(pk=placement.pk).update(held_until=timezone.now() - timedelta(minutes=1))
    assert expire_holds.apply().get() == 1
    assert _counts(made) == (5, 0, 0)


def test_a_coordinator_creates_the_relocation_key_from_the_command_line(personas, tmp_path, capsys):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    from accounts.models import SharedKey
    from accounts.roles import KeyPurpose, Role

    make_staff("carla", roles=[Role.RELOCATION_COORDINATOR])  # first coordinator: given on the server
    password_file = tmp_path / "pw"
    password_file.write_text(PASSWORD + "\n")
    call_command("create_relocation_key", holder="carla", password_file=str(password_file))
    key = SharedKey.objects.get(purpose=KeyPurpose.RELOCATION)
    assert f"Created relocation key {key.key_id}" in capsys.readouterr().out
    with pytest.raises(CommandError):  # a caseworker may not hold relocation keys
        call_command("create_relocation_key", holder="alice", password_file=str(password_file))


def test_elsewhere_is_ruled_out_for_a_threat_outside_the_named_regions():
    from relocation.vocabulary import regions_ruled_out

    assert regions_ruled_out("JO") == {"other"}  # "elsewhere" could be Jordan itself
    assert regions_ruled_out("IQ-BG") == {"other"}
    assert regions_ruled_out("IQ-HA") == {"kri-sulaymaniyah"}
    assert regions_ruled_out("IQ-KR") == {"kri-erbil", "kri-sulaymaniyah", "kri-duhok"}
    assert regions_ruled_out("TR") == {"tr"}


def test_a_database_copy_shows_nothing_that_describes_the_people(coordinators, house, assigned_report):
    house(household_types=["women_only", "single_adult"], region="tr")
    services.referral_create(
        user=coordinators["alice"],
        report=assigned_report(),
        adults=2,
        children=0,
        household_type="women_only",
        urgency_reason="children_at_risk",
        preferred_regions=["tr"],
    )
    dump = _every_table_dump()
    for secret in (b"women_only'", b"children_at_risk", b"preferred"):
        assert secret not in dump


def test_a_withdrawn_report_frees_its_held_beds_and_keeps_nothing_about_its_people(coordinators, waiting):
    from reports.intake import report_withdraw

    made, refer = waiting
    referral = refer(adults=2)
    placement = services.placement_hold(user=coordinators["carla"], referral=referral, house=made)
    report_withdraw(report=referral.report)
    referral.refresh_from_db()
    assert referral.state == ReferralState.CLOSED
    assert referral.details_sealed is None and referral.needs_ciphertext is None
    assert referral.created_at.hour == 0 and referral.created_at.minute == 0
    assert Placement.objects.get(pk=placement.pk).state == PlacementState.CANCELLED
    assert _counts(made) == (5, 0, 0)
    with pytest.raises(RelocationError):
        services.placement_hold(user=coordinators["carla"], referral=referral, house=made)


def test_a_placed_person_stays_placed_when_the_report_is_withdrawn(coordinators, waiting):
    from reports.intake import report_withdraw

    made, refer = waiting
    referral = refer(adults=2)
    placement = services.placement_hold(user=coordinators["carla"], referral=referral, house=made)
    services.placement_place(user=coordinators["carla"], placement=placement)
    report_withdraw(report=referral.report)
    assert _counts(made) == (5, 0, 2)  # they are in the house until a coordinator records them leaving
    services.placement_depart(user=coordinators["carla"], placement=placement)
    assert _counts(made) == (5, 0, 0)


def test_a_closed_house_takes_no_one_and_is_not_closed_over_holds(coordinators, waiting):
    made, refer = waiting
    carla = coordinators["carla"]
    placement = services.placement_hold(user=carla, referral=refer(adults=1), house=made)
    with pytest.raises(RelocationError, match="cancel that hold before closing"):
        services.house_change(user=carla, house=made, beds_funded=6, beds_in_service=5, status="closed")
    services.house_change(user=carla, house=made, beds_funded=6, beds_in_service=5, status="paused")
    SafeHouse.objects.filter(pk=made.pk).update(status="closed")  # as an older release could have left it
    with pytest.raises(RelocationError, match="closed"):
        services.placement_place(user=carla, placement=placement)
    assert _counts(made) == (5, 1, 0)


def test_a_hold_is_refused_once_the_report_is_no_longer_in_work(coordinators, waiting):
    from reports.models import Report

    made, refer = waiting
    referral = refer()
    Report.objects.filter(pk=referral.report_id).update(state="closed")
    with pytest.raises(RelocationError, match="no longer being worked on"):
        services.placement_hold(user=coordinators["carla"], referral=referral, house=made)


@pytest.mark.parametrize(
    "changes",
    [
        {"preferred_regions": None},
        {"avoid_regions": 5},
        {"preferred_regions": {"tr": 1}},
        {"preferred_regions": [None]},
        {"urgency_reason": None},
        {"urgency_reason": []},
        {"needs": ["insulin"]},
        {"needs": "\ud800"},
        {"needs": "a\x00b"},
    ],
)
def test_input_of_the_wrong_type_is_refused_not_a_crash(coordinators, house, assigned_report, changes):
    house()
    values = {"user": coordinators["alice"], "report": assigned_report(), "adults": 1, "household_type": "single_adult"}
    values.update(changes)
    with pytest.raises(RelocationError):
        services.referral_create(**values)
    assert not Referral.objects.exists()


@pytest.mark.parametrize("field", ["address", "contact", "access_notes", "code_name"])
@pytest.mark.parametrize("value", [12345, None, "\ud800"])
def test_house_text_of_the_wrong_type_is_refused(coordinators, house, field, value):
    with pytest.raises(RelocationError):
        house(**{field: value})
    assert not SafeHouse.objects.exists()


def test_one_broken_hold_does_not_keep_the_others_held(coordinators, waiting, house):
    made, refer = waiting
    other = house()
    carla = coordinators["carla"]
    broken = services.placement_hold(user=carla, referral=refer(adults=1), house=made)
    fine = services.placement_hold(user=carla, referral=refer(adults=1), house=other)
    past = timezone.now() - timedelta(minutes=1)
    Placement.objects.filter(pk__in=[broken.pk, fine.pk]).update(held_until=past)
    SafeHouse.objects.filter(pk=made.pk).update(beds_held=0)  # drifted by some bug
    assert services.holds_expire() == 1
    assert Placement.objects.get(pk=fine.pk).state == PlacementState.EXPIRED
    assert Placement.objects.get(pk=broken.pk).state == PlacementState.HELD
