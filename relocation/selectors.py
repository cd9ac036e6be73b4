"""Reads of relocation data for pages: the caseworkers' free-bed bands, and the houses a referral may go to."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from relocation.access import house_refusal
from relocation.models import Referral, SafeHouse
from relocation.vocabulary import WIDER, WIDER_NAMES, HouseStatus, Region

# A band never describes fewer houses than this: one house's free beds, seen falling as a referral is
# placed, would tell where the person went.
MIN_HOUSES_IN_A_BAND = 2


class Band:
    NONE = _("none")
    FEW = _("1-4")
    MANY = _("5 or more")


def band(free_beds: int) -> Promise:
    if free_beds <= 0:
        return Band.NONE
    return Band.FEW if free_beds < 5 else Band.MANY


@dataclass(frozen=True)
class RegionBand:
    name: str | Promise
    band: Promise


def free_bed_bands() -> list[RegionBand]:
    """Free beds in open houses, as bands, per region, for caseworkers: never per house.

    A region is shown alone only if every region of its wider region that has open houses has at
    least two; otherwise the wider region is shown as one. A wider region with a single open house
    cannot be shown at all, so then every house is counted in one band for all regions."""
    free: dict[str, list[int]] = defaultdict(list)
    for region, in_service, held, occupied in SafeHouse.objects.filter(status=HouseStatus.OPEN).values_list(
        "region", "beds_in_service", "beds_held", "beds_occupied"
    ):
        free[region].append(max(0, in_service - held - occupied))
    if not free:
        return []
    rows: list[RegionBand] = []
    for wider, name in WIDER_NAMES.items():
        regions = [region for region in Region.values if WIDER[region] == wider and free.get(region)]
        if not regions:
            continue
        if all(len(free[region]) >= MIN_HOUSES_IN_A_BAND for region in regions):
            rows += [RegionBand(Region(region).label, band(sum(free[region]))) for region in regions]
        elif sum(len(free[region]) for region in regions) >= MIN_HOUSES_IN_A_BAND:
            rows.append(RegionBand(name, band(sum(sum(free[region]) for region in regions))))
        else:
            return [RegionBand(_("All regions"), band(sum(sum(beds) for beds in free.values())))]
    return rows


@dataclass(frozen=True)
class HouseOption:
    house: SafeHouse
    preferred: bool
    refusal: str | None  # why beds cannot be held there for this referral; None if they can


def houses_for(referral: Referral, details: dict) -> list[HouseOption]:
    """Every house not closed, as options for `referral` (its sealed `details` opened by the caller):
    those that may take the people first, the preferred regions first among them, then by code name."""
    preferred = set(details.get("preferred_regions", ()))
    options = [
        HouseOption(
            house=house,
            preferred=house.region in preferred,
            refusal=house_refusal(house, details=details, threat_place=referral.report.governorate),
        )
        for house in SafeHouse.objects.exclude(status=HouseStatus.CLOSED).order_by("code_name")
    ]
    return sorted(options, key=lambda option: (option.refusal is not None, not option.preferred))
