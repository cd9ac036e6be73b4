"""The closed vocabularies of relocation: regions (coarse, never a city block), household types, states."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Region(models.TextChoices):
    """Where a safe house is, as coarsely as a caseworker needs to choose: a region, never a town."""

    KRI_ERBIL = "kri-erbil", _("Kurdistan Region: Erbil")
    KRI_SULAYMANIYAH = "kri-sulaymaniyah", _("Kurdistan Region: Sulaymaniyah")
    KRI_DUHOK = "kri-duhok", _("Kurdistan Region: Duhok")
    TR = "tr", _("Turkey")
    # Anywhere the regions above are not: it may be the very place of a threat made elsewhere.
    OTHER = "other", _("Elsewhere")


# A region's wider region, for caseworkers' bands: a region with a single open house is shown only
# inside its wider one, so that a band never describes one house.
WIDER = {
    Region.KRI_ERBIL: "kri",
    Region.KRI_SULAYMANIYAH: "kri",
    Region.KRI_DUHOK: "kri",
    Region.TR: "abroad",
    Region.OTHER: "abroad",
}
WIDER_NAMES = {"kri": _("Kurdistan Region"), "abroad": _("Abroad")}

# The places (backend.places codes) a region lies in: a threat there rules the region out.
REGION_PLACES = {
    Region.KRI_ERBIL: frozenset({"IQ-AR", "IQ-KR"}),
    Region.KRI_SULAYMANIYAH: frozenset({"IQ-SU", "IQ-HA", "IQ-KR"}),
    Region.KRI_DUHOK: frozenset({"IQ-DA", "IQ-KR"}),
    Region.TR: frozenset({"TR"}),
    Region.OTHER: frozenset(),
}


NAMED_PLACES = frozenset().union(*REGION_PLACES.values())


def regions_ruled_out(threat_place: str) -> frozenset[str]:
    """Regions a person threatened in `threat_place` may never be sent to: the region that holds the place
    and, for a place outside every named region (Baghdad, Jordan...), "elsewhere", which may be there."""
    ruled_out = {region for region, places in REGION_PLACES.items() if threat_place in places}
    if threat_place not in NAMED_PLACES:
        ruled_out.add(Region.OTHER)
    return frozenset(ruled_out)


class HouseholdType(models.TextChoices):
    SINGLE_ADULT = "single_adult", _("Single adult")
    COUPLE = "couple", _("Couple")
    FAMILY_WITH_CHILDREN = "family_with_children", _("Family with children")
    WOMEN_ONLY = "women_only", _("Women only")


class HouseStatus(models.TextChoices):
    OPEN = "open", _("Open")
    PAUSED = "paused", _("Paused: takes no one new")
    CLOSED = "closed", _("Closed")


class Urgency(models.IntegerChoices):
    """Lower is sooner: the waitlist's order."""

    IMMEDIATE = 0, _("Immediate")
    HIGH = 1, _("High")
    NORMAL = 2, _("Normal")
    LOW = 3, _("Low")


# A referral's urgency as the report's severity gives it; a caseworker may raise it, with a reason.
URGENCY_FROM_SEVERITY = {"critical": Urgency.IMMEDIATE, "high": Urgency.HIGH, "medium": Urgency.NORMAL}


class UrgencyReason(models.TextChoices):
    """Why a caseworker raised a referral's urgency above what the report's severity gives."""

    LOCATION_KNOWN = "location_known", _("Those threatening them know where they are staying")
    RECENT_ATTACK = "recent_attack", _("They or their family were attacked very recently")
    NOWHERE_TO_STAY = "nowhere_to_stay", _("They have nowhere safe to stay tonight")
    CHILDREN_AT_RISK = "children_at_risk", _("Children are at risk")


class ReferralState(models.TextChoices):
    WAITING = "waiting", _("Waiting for a bed")
    HELD = "held", _("Beds are held")
    PLACED = "placed", _("Placed")
    CLOSED = "closed", _("Closed")


class PlacementState(models.TextChoices):
    HELD = "held", _("Held")
    PLACED = "placed", _("Placed")
    DEPARTED = "departed", _("Departed")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired")


class CancelReason(models.TextChoices):
    DECLINED_BY_PERSON = "declined_by_person", _("Declined by the person")
    DECLINED_BY_HOUSE = "declined_by_house", _("Declined by the house")
    NO_LONGER_NEEDED = "no_longer_needed", _("No longer needed")
