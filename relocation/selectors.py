"""Reads of relocation data for pages: the caseworkers' free-bed bands, and the houses a referral may go to."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from relocation.access import house_refusal
from relocation.models import Referral, SafeHouse
from relocation.vocabulary import WIDER, WIDER_NAMES, HouseStatus, Region

# A band never stands for one house: one house's free beds, seen falling as a referral is held (or
# rising as someone leaves), would tell where a person went. So a band covers at least this many
# open houses, and of those either none has a free bed or at least this many do (a full house beside
# one with beds would leave the band to that one).
MIN_HOUSES_IN_A_BAND = 2


class Band:
    NONE = _("none")
    FEW = _("1-4")
    MANY = _("5 or more")


BANDS = {"none": Band.NONE, "few": Band.FEW, "many": Band.MANY}


def band(free_beds: int) -> str:
    """The band's code for this many free beds (BANDS gives its words)."""
    if free_beds <= 0:
        return "none"
    return "few" if free_beds < 5 else "many"


@dataclass(frozen=True)
class RegionBand:
    name: str | Promise
    band: Promise


def _may_show(houses: list[int]) -> bool:
    """Whether a band over houses with these free beds describes no single house."""
    with_beds = sum(1 for free in houses if free > 0)
    return len(houses) >= MIN_HOUSES_IN_A_BAND and (with_beds == 0 or with_beds >= MIN_HOUSES_IN_A_BAND)


ALL_REGIONS = "all"


def _name(code: str) -> str | Promise:
    if code == ALL_REGIONS:
        return _("All regions")
    return WIDER_NAMES[code] if code in WIDER_NAMES else Region(code).label


def free_bed_bands(*, now: float | None = None) -> list[RegionBand]:
    """Free beds per region as bands, for caseworkers, as they stood at the start of this period of
    SANAD_RELOCATION_BANDS_SECONDS (0: as they stand now).

    A band seen to change the moment a referral's beds are held would tie the hold to its region, and,
    where a band covers few houses, to one house; a snapshot taken once a period mixes every change of
    the period. Kept in the cache (codes only), so every web process shows the same."""
    period = settings.SANAD_RELOCATION_BANDS_SECONDS
    if not period:
        codes = band_codes()
    else:
        key = f"sanad:relocation:bands:{int((time.time() if now is None else now) // period)}"
        codes = cache.get(key)
        if codes is None:
            cache.add(key, band_codes(), timeout=2 * period)  # the first process of the period wins
            codes = cache.get(key) or band_codes()
    return [RegionBand(_name(name), BANDS[code]) for name, code in codes]


def band_codes() -> list[tuple[str, str]]:
    """Free beds in open houses now, as (region, wider region or ALL_REGIONS; band) codes: never per house.

    A region is shown alone only if every region of its wider region may be (_may_show); otherwise the
    wider region is one band, if it may be; otherwise every open house is counted in one band for all
    regions, if that may be; otherwise no band is shown at all."""
    free: dict[str, list[int]] = defaultdict(list)
    for region, in_service, held, occupied in SafeHouse.objects.filter(status=HouseStatus.OPEN).values_list(
        "region", "beds_in_service", "beds_held", "beds_occupied"
    ):
        free[region].append(max(0, in_service - held - occupied))
    rows: list[tuple[str, str]] = []
    for wider in WIDER_NAMES:
        regions = [region for region in Region.values if WIDER[region] == wider and free.get(region)]
        if not regions:
            continue
        if all(_may_show(free[region]) for region in regions):
            rows += [(region, band(sum(free[region]))) for region in regions]
            continue
        together = [beds for region in regions for beds in free[region]]
        if _may_show(together):
            rows.append((wider, band(sum(together))))
            continue
        everywhere = [beds for houses in free.values() for beds in houses]
        return [(ALL_REGIONS, band(sum(everywhere)))] if _may_show(everywhere) else []
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
