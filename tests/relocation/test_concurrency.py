"""Races on PostgreSQL: 50 coordinators' holds racing for the last few beds never overbook a house.

With the house row locked, every race ends in a hold or a clear refusal, and the counts add up. The
second test takes the lock away and shows that the race is real: the database's constraint then has to
refuse what the lock would have, so the first test would fail without the lock.
"""

from __future__ import annotations

import time

import pytest
from django.db import IntegrityError, connection

from relocation import services
from relocation.models import Placement, Referral, SafeHouse
from relocation.services import RelocationError
from tests.races import run_together

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

RACERS = 50
FREE_BEDS = 4


def race(functions):
    return run_together(functions, {RelocationError: "refused", IntegrityError: "constraint"})


@pytest.fixture
def contested(coordinators, house, assigned_report):
    """A house with FREE_BEDS free beds and RACERS referrals of one person each, waiting."""
    assert connection.vendor == "postgresql", "this race needs a database with row locks"
    made = house(beds_in_service=FREE_BEDS + 2)
    services.placement_hold(
        user=coordinators["dana"],
        referral=services.referral_create(
            user=coordinators["alice"], report=assigned_report(), adults=2, household_type="family_with_children"
        ),
        house=made,
    )
    referrals = [
        services.referral_create(
            user=coordinators["alice"], report=assigned_report(), adults=1, household_type="single_adult"
        )
        for _ in range(RACERS)
    ]
    return made, referrals


def _holds(coordinators, made, referrals):
    carla = coordinators["carla"]
    return [lambda r=r: services.placement_hold(user=carla, referral=r, house=made) for r in referrals]


def test_fifty_holds_racing_for_the_last_beds_never_overbook(coordinators, contested):
    made, referrals = contested
    outcomes = race(_holds(coordinators, made, referrals))
    assert outcomes.count("ok") == FREE_BEDS
    assert outcomes.count("refused") == RACERS - FREE_BEDS
    assert outcomes.count("constraint") == 0  # every loser was told why, none hit the backstop
    house = SafeHouse.objects.get(pk=made.pk)
    assert (house.beds_held, house.beds_occupied) == (FREE_BEDS + 2, 0)
    assert house.beds_held + house.beds_occupied <= house.beds_in_service
    assert Placement.objects.filter(house=made, state="held").count() == FREE_BEDS + 1
    assert Referral.objects.filter(state="held").count() == FREE_BEDS + 1


def test_without_the_lock_the_race_is_real_and_only_the_constraint_stops_it(coordinators, contested, monkeypatch):
    """The test above would fail if the lock went: here the rows are read without it, with a pause between
    the check and the write, as a slow request would have."""
    made, referrals = contested

    def lock_nothing(referral_id, house_id, placement_id=None):
        referral = Referral.objects.select_related("report").get(pk=referral_id)
        house = SafeHouse.objects.get(pk=house_id)
        placement = Placement.objects.get(pk=placement_id) if placement_id else None
        time.sleep(0.2)
        return referral, house, placement

    monkeypatch.setattr(services, "_lock", lock_nothing)
    outcomes = race(_holds(coordinators, made, referrals[:10]))
    assert outcomes.count("constraint") > 0, outcomes
    house = SafeHouse.objects.get(pk=made.pk)
    assert house.beds_held + house.beds_occupied <= house.beds_in_service  # the backstop held


@pytest.mark.parametrize("attempt", range(3))
def test_two_coordinators_holding_one_referral_at_once_hold_one_bed(coordinators, house, assigned_report, attempt):
    assert connection.vendor == "postgresql"
    first, second = house(), house(region="kri-duhok")
    referral = services.referral_create(
        user=coordinators["alice"], report=assigned_report(), adults=1, household_type="single_adult"
    )
    outcomes = race(
        [
            lambda: services.placement_hold(user=coordinators["carla"], referral=referral, house=first),
            lambda: services.placement_hold(user=coordinators["dana"], referral=referral, house=second),
        ]
    )
    assert sorted(outcomes) == ["ok", "refused"]
    held = SafeHouse.objects.filter(pk__in=[first.pk, second.pk]).values_list("beds_held", flat=True)
    assert sorted(held) == [0, 1]


def test_expiry_run_twice_at_once_or_racing_a_placement_frees_each_bed_once(coordinators, contested):
    """Two beat runs at once (a second worker, or one restarted after dying mid-run) and a coordinator
    placing one of the holds as it expires: each hold ends once, and the counts add up."""
    from django.utils import timezone

    from audit.models import AuditEntry

    made, referrals = contested
    for referral in referrals[:FREE_BEDS]:
        services.placement_hold(user=coordinators["carla"], referral=referral, house=made)
    now = timezone.now()
    Placement.objects.filter(house=made, state="held").update(held_until=now)
    placing = Placement.objects.filter(house=made, state="held").first()
    outcomes = race(
        [
            lambda: services.holds_expire(now=now),
            lambda: services.holds_expire(now=now),
            lambda: services.holds_expire(now=now, limit=2),
            lambda: services.placement_place(user=coordinators["dana"], placement=placing),
        ]
    )
    assert outcomes[:3] == ["ok", "ok", "ok"] and outcomes[3] == "refused"  # expired before it could be placed
    held = Placement.objects.filter(house=made)
    assert held.filter(state="expired").count() == FREE_BEDS + 1
    assert AuditEntry.objects.filter(action="placement_expired").count() == FREE_BEDS + 1  # once each
    house = SafeHouse.objects.get(pk=made.pk)
    assert (house.beds_held, house.beds_occupied) == (0, 0)
    assert Referral.objects.filter(state="waiting").count() == RACERS + 1
