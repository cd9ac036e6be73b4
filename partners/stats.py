"""Monthly releases: true counts from the roll-up, noise from OpenDP, a budget that never resets.

A release describes one calendar month once it has closed. Its tables are coarse and fixed:
- reports received in the month, by category, nationally;
- in the month that closes a quarter, reports received in the quarter by governorate (OCHA's P-codes
  beside the ISO codes; Halabja in Sulaymaniyah; the Kurdistan Region and "abroad" as their own rows);
- in that month too, placements made in the quarter by wider destination region (the Kurdistan Region,
  abroad: relocation's own grouping, so that no row can be one house).
Never governorate x category x month, never a single safe house.

Each table is one vector of counts to which a report contributes at most 1 in one cell (L2 sensitivity
1): OpenDP's discrete Gaussian, its scale found by OpenDP's own search so that the table's rho is met
exactly (the analytic 1/sqrt(2 rho) rounds up and would refuse the release that fills the cap). The
release's rho (SANAD_STATS_RHO_PER_RELEASE) is split evenly over its tables and composes (zCDP adds).
Noisy counts below 0 become 0 and below the threshold (on the noisy value, never the true one) "<11":
both are post-processing and cost nothing.

The ledger (LedgerEntry, BudgetYear) is the source of truth: a release's spend is written in the
transaction that publishes it, with the year's budget row locked, and a release that would pass the
year's cap is refused with nothing spent.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from functools import lru_cache
from importlib.metadata import version

import opendp.prelude as dp
from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import Action
from audit.services import audit_record
from backend.places import COUNTRIES, IRAQ_SUBDIVISIONS, OCHA_PCODES
from partners.models import BudgetYear, LedgerEntry, Release, StatsCount, StatsKind
from relocation.vocabulary import WIDER
from reports.vocabulary import Category

dp.enable_features("contrib")

# Rows of the governorate table: the 18 governorates with P-codes, the Kurdistan Region (reporters
# who name only it; it has no P-code) and everyone abroad as one row (a country could be one person).
GOVERNORATE_ROWS = [*sorted(OCHA_PCODES), "IQ-KR", "abroad"]
# Rows of the placements table: relocation's wider regions (the Kurdistan Region, abroad), never a region
# that could hold a single house.
WIDER_REGIONS = sorted(set(WIDER.values()))
RHO_PLACES = Decimal("0.000000000001")
# A year's releases never spend more than this, whatever a setting says (epsilon about 8 at delta 1e-6).
MAX_RHO_PER_YEAR = Decimal(1)
# Less would leave each table a rho OpenDP cannot calibrate (and noise drowning every count).
MIN_RHO_PER_RELEASE = Decimal("0.0001")
HXL = {
    "table": "#meta+table",
    "date_start": "#date+start",
    "date_end": "#date+end",
    "category": "#event+type",
    "adm1_code": "#adm1+code+v_iso2",
    "adm1_pcode": "#adm1+code+v_pcode",
    "destination": "#loc+dest+code",
    "count": "#event+num",
    "margin95": "#meta+moe95",
}


class StatsError(Exception):
    """A release that cannot be built; the message says why, in the reader's language."""


def _space():
    return dp.vector_domain(dp.atom_domain(T=int)), dp.l2_distance(T=int)


def _measurement(scale: float):
    return _space() >> dp.m.then_gaussian(scale)


@lru_cache(maxsize=32)
def _scale_for(rho: Decimal) -> float:
    """The discrete Gaussian's scale that spends `rho` on a sensitivity-1 vector: OpenDP's own search,
    once per rho (a release's tables share one, and its epsilon is read from the same)."""
    return dp.binary_search_param(_measurement, d_in=1, d_out=float(rho))


@dataclass(frozen=True)
class Noise:
    """The discrete Gaussian for one table at `rho`: its scale, its exact spend, its 95% margin."""

    rho: Decimal
    scale: float
    spent: Decimal
    margin95: int

    @classmethod
    def for_rho(cls, rho: Decimal) -> Noise:
        scale = _scale_for(rho)
        spent = Decimal(repr(_measurement(scale).map(1))).quantize(RHO_PLACES, rounding=ROUND_CEILING)
        margin = int(math.ceil(dp.discrete_gaussian_scale_to_accuracy(scale, alpha=0.05)))
        return cls(rho=rho, scale=scale, spent=spent, margin95=margin)

    def add(self, counts: list[int]) -> list[int]:
        """The counts with noise (OpenDP's own sampler, seeded by the operating system)."""
        return list(_measurement(self.scale)(list(counts))) if counts else []


def epsilon_for(rho: Decimal, delta: float) -> float:
    """(epsilon, delta)-DP that zCDP at `rho` implies, by OpenDP's conversion, rounded up to 4 places."""
    if rho <= 0:
        return 0.0
    scale = _scale_for(rho)
    epsilon = float(dp.c.make_zCDP_to_approxDP(_measurement(scale)).map(1).epsilon(delta))
    return math.ceil(epsilon * 10_000) / 10_000


def published(value: int, threshold: int) -> int | str:
    """A noisy count as published: never below 0, and "<threshold" below the threshold."""
    value = max(0, int(value))
    return f"<{threshold}" if value < threshold else value


# ---- periods ----------------------------------------------------------------------------------------


MONTH = re.compile(r"\A(\d{4})-(\d{2})\Z", re.ASCII)


def month_start(text: str) -> date:
    """The first day of "YYYY-MM" (ASCII digits only), or StatsError."""
    match = MONTH.match(text) if isinstance(text, str) else None
    try:
        if match is None:
            raise ValueError
        return date(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise StatsError(_('A month is written "YYYY-MM", as 2026-11.')) from None


def month_end(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def quarter_months(first: date) -> list[date] | None:
    """The three months of the quarter `first` closes, or None if it closes none."""
    if first.month % 3:
        return None
    return [first.replace(month=first.month - offset) for offset in (2, 1, 0)]


def closed(first: date, today: date | None = None) -> bool:
    """Whether the month is over, and SANAD_STATS_BUILD_AFTER_DAYS of the next have passed (triage is
    seconds behind intake, but a report received at midnight on the last day is still counted)."""
    today = today or timezone.localdate()
    return today >= month_end(first) + timedelta(days=1 + settings.SANAD_STATS_BUILD_AFTER_DAYS)


# ---- true counts ------------------------------------------------------------------------------------


def _sums(kind: str, months: list[date], field: str) -> dict[str, int]:
    rows = (
        StatsCount.objects.filter(kind=kind, month__in=months)
        .values(field)
        .annotate(total=Sum("count"))
        .values_list(field, "total")
    )
    return dict(rows)


def true_tables(first: date) -> list[dict]:
    """The release's tables before noise: [{name, start, end, cells: [(labels, count)]}]. Computed from
    the roll-up alone, so a purge of old reports changes none of it."""
    tables = []
    by_category = _sums(StatsKind.REPORT_CATEGORY, [first], "category")
    tables.append(
        {
            "name": "reports_by_category",
            "start": first,
            "end": month_end(first),
            "cells": [({"category": category}, by_category.get(category, 0)) for category in Category.values],
        }
    )
    quarter = quarter_months(first)
    if quarter:
        places = _sums(StatsKind.REPORT_PLACE, quarter, "governorate")
        abroad = sum(count for place, count in places.items() if place in COUNTRIES or place == "abroad")
        unknown = set(places) - IRAQ_SUBDIVISIONS - COUNTRIES - {"abroad"}
        if unknown:  # the roll-up holds only places intake accepted: anything else is a bug, not a row
            raise StatsError(f"unknown places in the roll-up: {sorted(unknown)}")
        cells = [
            ({"governorate": code, "pcode": OCHA_PCODES.get(code)}, abroad if code == "abroad" else places.get(code, 0))
            for code in GOVERNORATE_ROWS
        ]
        tables.append({"name": "reports_by_governorate", "start": quarter[0], "end": month_end(first), "cells": cells})
        regions = _sums(StatsKind.PLACEMENT, quarter, "region")
        tables.append(
            {
                "name": "placements_by_region",
                "start": quarter[0],
                "end": month_end(first),
                "cells": [({"region": region}, regions.get(region, 0)) for region in WIDER_REGIONS],
            }
        )
    return tables


# ---- building a release -----------------------------------------------------------------------------


def _budget_locked(year: int) -> BudgetYear:
    """The year's budget row, locked for this transaction (created at 0 spent if new). Its `spent` is
    taken as the larger of the row and the sum of the year's ledger: a lost or edited row cannot give
    back budget the ledger records as spent."""
    # ON CONFLICT DO NOTHING, as the roll-up makes its cells: a racing build's row is no error.
    BudgetYear.objects.bulk_create([BudgetYear(year=year, spent=Decimal(0))], ignore_conflicts=True)
    budget = BudgetYear.objects.select_for_update().get(year=year)
    ledger = LedgerEntry.objects.filter(year=year).aggregate(total=Sum("rho"))["total"] or Decimal(0)
    budget.spent = max(budget.spent, ledger)
    return budget


def budget_settings() -> tuple[Decimal, Decimal]:
    """(rho per release, rho per year), or StatsError if they are not sane: each above 0, a release no
    more than the year, a year no more than MAX_RHO_PER_YEAR whatever the environment says."""
    rho = Decimal(settings.SANAD_STATS_RHO_PER_RELEASE)
    cap = Decimal(settings.SANAD_STATS_RHO_PER_YEAR)
    if not (MIN_RHO_PER_RELEASE <= rho <= cap <= MAX_RHO_PER_YEAR):
        raise StatsError(f"rho per release ({rho}) and per year ({cap}) must satisfy 0.0001 <= release <= year <= 1")
    return rho, cap


def _document(first: date, tables: list[dict], noises: list[Noise], budget: dict) -> dict:
    threshold = settings.SANAD_STATS_THRESHOLD
    out = []
    for table, noise in zip(tables, noises, strict=True):
        noisy = noise.add([count for _labels, count in table["cells"]])
        out.append(
            {
                "name": table["name"],
                "start": table["start"].isoformat(),
                "end": table["end"].isoformat(),
                "rho": str(noise.rho.normalize()),
                "scale": round(noise.scale, 6),
                "margin95": noise.margin95,
                "rows": [
                    {**labels, "count": published(value, threshold)}
                    for (labels, _count), value in zip(table["cells"], noisy, strict=True)
                ],
            }
        )
    return {
        "release": first.strftime("%Y-%m"),
        "start": first.isoformat(),
        "end": month_end(first).isoformat(),
        "privacy": {
            "unit": "one report",
            "mechanism": f"discrete Gaussian under zero-concentrated DP (OpenDP {version('opendp')})",
            "rho": str(budget["rho"]),
            "epsilon": budget["epsilon"],
            "delta": budget["delta"],
            "year": first.year,
            "year_spent": str(budget["year_spent"]),
            "year_cap": str(budget["year_cap"]),
            "threshold": threshold,
            "negative_counts": "published as 0",
        },
        "tables": out,
    }


def _csv(document: dict) -> bytes:
    """The release as CSV: a header, HXL's hashtag row under it, then one row a cell."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(list(HXL))
    writer.writerow(list(HXL.values()))
    for table in document["tables"]:
        for row in table["rows"]:
            place = row.get("governorate", "")
            writer.writerow(
                [
                    table["name"],
                    table["start"],
                    table["end"],
                    row.get("category", ""),
                    place,
                    row.get("pcode") or "",
                    row.get("region", ""),
                    row["count"],
                    table["margin95"],
                ]
            )
    return out.getvalue().encode("utf-8")


def release_build(first: date, *, actor=None, today: date | None = None) -> tuple[Release, bool]:
    """Build and publish `first`'s release once: (release, built now). An existing release is returned
    as it is (a release is never rebuilt: new noise could be averaged with the old)."""
    if first.day != 1:
        raise StatsError(_("A release describes a whole month."))
    if not closed(first, today):
        raise StatsError(_("This month has not closed yet: its release is built once it has."))
    existing = Release.objects.filter(month=first).first()
    if existing:
        return existing, False
    rho, cap = budget_settings()
    delta = settings.SANAD_STATS_DELTA
    with transaction.atomic():
        budget = _budget_locked(first.year)
        existing = Release.objects.filter(month=first).first()  # built while this one waited for the lock
        if existing:
            return existing, False
        tables = true_tables(first)
        each = (rho / len(tables)).quantize(RHO_PLACES, rounding=ROUND_FLOOR)  # never more than rho in all
        noises = [Noise.for_rho(each) for _table in tables]
        spent = sum((noise.spent for noise in noises), Decimal(0))
        if budget.spent + spent > cap:
            raise StatsError(
                _(
                    "The privacy budget for %(year)s would be passed: %(spent)s of %(cap)s is spent and this "
                    "release needs %(rho)s. Nothing was published or spent."
                )
                % {
                    "year": first.year,
                    "spent": budget.spent.normalize(),
                    "cap": cap.normalize(),
                    "rho": spent.normalize(),
                }
            )
        document = _document(
            first,
            tables,
            noises,
            {
                "rho": spent.normalize(),
                "epsilon": epsilon_for(spent, delta),
                "delta": delta,
                "year_spent": (budget.spent + spent).normalize(),
                "year_cap": cap.normalize(),
            },
        )
        body = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
        release = Release.objects.create(
            month=first,
            rho=spent,
            epsilon=document["privacy"]["epsilon"],
            delta=delta,
            body_json=body,
            body_csv=_csv(document),
            sha256=hashlib.sha256(body).hexdigest(),
        )
        LedgerEntry.objects.create(release=release, year=first.year, rho=spent, spent_before=budget.spent, cap=cap)
        BudgetYear.objects.filter(pk=budget.pk).update(spent=budget.spent + spent)
        audit_record(
            Action.STATS_RELEASE_BUILT,
            actor=actor,
            obj_type="release",
            obj_id=document["release"],
            details={"rho": str(spent), "year_spent": str(budget.spent + spent)},
        )
    return release, True


def releases_due(today: date | None = None) -> list[date]:
    """Every closed month from the first with any count, without a release yet, oldest first (what the
    beat task builds). Every month, counts or none: whether a month has a release must not tell
    whether anyone reported in it."""
    today = today or timezone.localdate()
    earliest = StatsCount.objects.order_by("month").values_list("month", flat=True).first()
    if earliest is None:
        return []
    built = set(Release.objects.values_list("month", flat=True))
    due, month = [], earliest
    while closed(month, today):
        if month not in built:
            due.append(month)
        month = month_end(month) + timedelta(days=1)
    return due
