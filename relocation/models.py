"""Safe houses, referrals and placements.

Plain columns hold only what the waitlist and the occupancy rule need: a code name, a coarse region,
counts, states and times. A house's address, contact and access notes, and a referral's needs, are
HPKE ciphertext to a relocation key, whose private half exists only as grants to relocation
coordinators: a copy of the database, a backup or a sysadmin reads none of them.

Occupancy is counted on the house row (beds held, beds occupied) and changed only with that row
locked (relocation.services); a database constraint backs the rule, so a bug elsewhere fails loudly
instead of overbooking.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import SharedKey
from relocation.vocabulary import (
    CancelReason,
    HouseStatus,
    PlacementState,
    ReferralState,
    Region,
    Urgency,
)


class SafeHouse(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False, verbose_name=_("identifier"))
    code_name = models.CharField(max_length=40, unique=True, verbose_name=_("code name"))
    region = models.CharField(max_length=24, choices=Region.choices, verbose_name=_("region"))
    status = models.CharField(
        max_length=8, choices=HouseStatus.choices, default=HouseStatus.OPEN, verbose_name=_("status")
    )
    household_types = models.JSONField(default=list, verbose_name=_("household types"))
    beds_funded = models.PositiveIntegerField(verbose_name=_("beds funded"))
    beds_in_service = models.PositiveIntegerField(verbose_name=_("beds in service"))
    beds_held = models.PositiveIntegerField(default=0, editable=False, verbose_name=_("beds held"))
    beds_occupied = models.PositiveIntegerField(default=0, editable=False, verbose_name=_("beds occupied"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created"))

    class Meta:
        verbose_name = _("safe house")
        verbose_name_plural = _("safe houses")
        constraints = [
            models.CheckConstraint(
                condition=Q(beds_held__gte=0) & Q(beds_occupied__gte=0),
                name="safehouse_counts_not_negative",
            ),
            # A code name is one house's, whatever its letters' case: a look-alike cannot sit beside it.
            models.UniqueConstraint(Lower("code_name"), name="safehouse_code_name_unique_any_case"),
            # Never overbooked: held and occupied beds fit in the beds in service.
            models.CheckConstraint(
                condition=Q(beds_in_service__gte=F("beds_held") + F("beds_occupied")),
                name="safehouse_never_overbooked",
            ),
        ]

    def __str__(self) -> str:
        return self.code_name

    @property
    def beds_free(self) -> int:
        return self.beds_in_service - self.beds_held - self.beds_occupied


class SafeHouseSecret(models.Model):
    """A house's address, contact and access notes: HPKE ciphertext to a relocation key, bound to the house.

    HPKE does not say who encrypted: anyone with the public key could write a new ciphertext. The
    sealed attestation (AES-GCM under SANAD_SEALING_KEYS, bound to this row) holds the ciphertext's
    hash, so a row written by anyone but Sanad itself is refused, never shown as an address."""

    house = models.OneToOneField(
        SafeHouse, on_delete=models.CASCADE, primary_key=True, related_name="secret", verbose_name=_("safe house")
    )
    relocation_key = models.ForeignKey(
        SharedKey, on_delete=models.PROTECT, related_name="+", verbose_name=_("relocation key")
    )
    ciphertext = models.BinaryField(editable=False, verbose_name=_("ciphertext"))
    attestation_sealed = models.BinaryField(editable=False, verbose_name=_("attestation (sealed)"))
    updated_at = models.DateTimeField(default=timezone.now, verbose_name=_("updated"))

    class Meta:
        verbose_name = _("safe house's address and contact")
        verbose_name_plural = _("safe houses' addresses and contacts")

    def __str__(self) -> str:
        return f"address of {self.house_id}"


class Referral(models.Model):
    """A caseworker asks for a safe bed for the people of one report.

    Plain: what the waitlist sorts on (state, urgency, time) and nothing that describes the people.
    Sealed (SANAD_SEALING_KEYS, like a report's triage details): who they are as a household, why
    more urgent, where they would and must not go, and the hash of the needs' ciphertext. Needs
    themselves: HPKE to the relocation key, readable only by coordinators."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False, verbose_name=_("identifier"))
    report = models.ForeignKey(
        "reports.Report", on_delete=models.PROTECT, related_name="referrals", verbose_name=_("report")
    )
    referred_by = models.ForeignKey(
        "accounts.StaffUser", on_delete=models.PROTECT, related_name="+", verbose_name=_("referred by")
    )
    urgency = models.PositiveSmallIntegerField(choices=Urgency.choices, verbose_name=_("urgency"))
    # Sealed JSON: adults, children, household_type, urgency_reason, preferred_regions, avoid_regions,
    # needs_sha256. Emptied when the report is withdrawn.
    details_sealed = models.BinaryField(null=True, editable=False, verbose_name=_("details (sealed)"))
    relocation_key = models.ForeignKey(
        SharedKey, on_delete=models.PROTECT, related_name="+", verbose_name=_("relocation key")
    )
    # Free-text needs, HPKE ciphertext to the relocation key (empty: none given, or withdrawn).
    needs_ciphertext = models.BinaryField(null=True, editable=False, verbose_name=_("needs (encrypted)"))
    state = models.CharField(
        max_length=8, choices=ReferralState.choices, default=ReferralState.WAITING, verbose_name=_("status")
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("referred"))

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        indexes = [models.Index("state", "urgency", "created_at", name="referral_waitlist")]
        constraints = [
            # One open referral per report: a second would double-count the people waiting.
            models.UniqueConstraint(
                fields=["report"],
                condition=Q(state__in=[ReferralState.WAITING, ReferralState.HELD, ReferralState.PLACED]),
                name="one_open_referral_per_report",
            ),
        ]

    def __str__(self) -> str:
        return f"referral {str(self.pk)[:8]}"


class Placement(models.Model):
    """A bed offered to a referral in one house: held -> placed -> departed, or held -> cancelled / expired."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False, verbose_name=_("identifier"))
    referral = models.ForeignKey(
        Referral, on_delete=models.PROTECT, related_name="placements", verbose_name=_("referral")
    )
    house = models.ForeignKey(
        SafeHouse, on_delete=models.PROTECT, related_name="placements", verbose_name=_("safe house")
    )
    beds = models.PositiveSmallIntegerField(verbose_name=_("beds"))
    state = models.CharField(
        max_length=10, choices=PlacementState.choices, default=PlacementState.HELD, verbose_name=_("status")
    )
    cancel_reason = models.CharField(
        max_length=24, choices=CancelReason.choices, blank=True, verbose_name=_("why cancelled")
    )
    held_until = models.DateTimeField(verbose_name=_("held until"))
    created_by = models.ForeignKey(
        "accounts.StaffUser", on_delete=models.PROTECT, related_name="+", verbose_name=_("offered by")
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("offered"))
    updated_at = models.DateTimeField(default=timezone.now, verbose_name=_("updated"))

    class Meta:
        verbose_name = _("placement")
        verbose_name_plural = _("placements")
        indexes = [models.Index("state", "held_until", name="placement_holds")]
        constraints = [
            # A referral has at most one bed held or taken at a time.
            models.UniqueConstraint(
                fields=["referral"],
                condition=Q(state__in=[PlacementState.HELD, PlacementState.PLACED]),
                name="one_live_placement_per_referral",
            ),
            models.CheckConstraint(condition=Q(beds__gte=1), name="placement_has_a_bed"),
        ]

    def __str__(self) -> str:
        return f"placement {str(self.pk)[:8]}"


class OccupancyDay(models.Model):
    """A house's beds at the end of each day it changed: for its coordinators only, never exported
    (one house's occupancy near a departure date tells who moved)."""

    house = models.ForeignKey(
        SafeHouse, on_delete=models.CASCADE, related_name="occupancy_days", verbose_name=_("safe house")
    )
    day = models.DateField(verbose_name=_("day"))
    beds_in_service = models.PositiveIntegerField(verbose_name=_("beds in service"))
    beds_held = models.PositiveIntegerField(verbose_name=_("beds held"))
    beds_occupied = models.PositiveIntegerField(verbose_name=_("beds occupied"))

    class Meta:
        verbose_name = _("day's occupancy")
        verbose_name_plural = _("daily occupancy")
        constraints = [models.UniqueConstraint(fields=["house", "day"], name="one_occupancy_row_per_house_and_day")]

    def __str__(self) -> str:
        return f"{self.house_id} {self.day}"
