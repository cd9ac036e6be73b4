"""The roll-up is written here, when reports and relocation say something happened (their signals,
so that neither imports this app). Each report counts once as a report and once as a placement, however
often triage runs or a person moves: the privacy unit is one report, and a count it could enter twice
would have twice the sensitivity the noise is made for."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from backend.places import COUNTRIES, FOLDED_INTO
from relocation.vocabulary import WIDER


def connect() -> None:
    from relocation.signals import placement_placed
    from reports.signals import report_triaged

    report_triaged.connect(_report_triaged, dispatch_uid="partners.report_triaged")
    placement_placed.connect(_placement_placed, dispatch_uid="partners.placement_placed")


def month_of(moment) -> object:
    """The first day of `moment`'s month, in Sanad's time zone (Asia/Baghdad by default)."""
    return timezone.localtime(moment).date().replace(day=1)


def count_add(kind: str, month, *, category: str = "", governorate: str = "", region: str = "") -> None:
    """One more in the roll-up's cell (a new cell is made at 0 first; a racing maker is no error)."""
    from partners.models import StatsCount

    key = {"kind": kind, "month": month, "category": category, "governorate": governorate, "region": region}
    if StatsCount.objects.filter(**key).update(count=F("count") + 1):
        return
    # A new cell: made at 0 (ON CONFLICT DO NOTHING: a racing maker is no error), then counted.
    StatsCount.objects.bulk_create([StatsCount(count=0, **key)], ignore_conflicts=True)
    StatsCount.objects.filter(**key).update(count=F("count") + 1)


def place_counted(place: str) -> str:
    """The place as the roll-up keeps it: Halabja in Sulaymaniyah, and every country as "abroad" (the
    releases publish abroad as one row, and a country could be one person)."""
    if place in COUNTRIES:
        return "abroad"
    return FOLDED_INTO.get(place, place)


def report_counted(report) -> bool:
    """Count a triaged report (its month received, category and place) unless it already is."""
    from partners.models import CountedReport, StatsKind

    with transaction.atomic(savepoint=False):  # triage's own transaction, when called from it
        # The flag is set by one conditional UPDATE: of two racing counters, only one sees it unset.
        CountedReport.objects.bulk_create([CountedReport(report_id=report.pk)], ignore_conflicts=True)
        if not CountedReport.objects.filter(report_id=report.pk, report_counted=False).update(report_counted=True):
            return False
        governorate = place_counted(report.governorate)
        month = month_of(report.created_at)
        count_add(StatsKind.REPORT_CATEGORY, month, category=report.category)
        count_add(StatsKind.REPORT_PLACE, month, governorate=governorate)
        return True


def placement_counted(report_id, region: str, when=None) -> bool:
    """Count a report's first placement (its month and the house's *wider* region: the Kurdistan Region
    or abroad, never a region that could be one house), never a second one."""
    from partners.models import CountedReport, StatsKind

    with transaction.atomic(savepoint=False):  # its own transaction, after placement_place's commits
        CountedReport.objects.bulk_create([CountedReport(report_id=report_id)], ignore_conflicts=True)
        if not CountedReport.objects.filter(report_id=report_id, placement_counted=False).update(
            placement_counted=True
        ):
            return False
        count_add(StatsKind.PLACEMENT, month_of(when or timezone.now()), region=WIDER.get(region, "abroad"))
        return True


def _report_triaged(sender, *, report, **kwargs) -> None:
    report_counted(report)


def _placement_placed(sender, *, report_id, region, when, **kwargs) -> None:
    # After the placement commits, in a transaction of its own: counting takes a lock on the report's
    # row, which placement_place (referral, house, placement) must not take after them, since a
    # withdrawal takes the report first and the referral after. A count lost to a crash in between is
    # one too few, never one too many.
    # robust: a failure here is logged, never turned into an error for a placement already made.
    transaction.on_commit(lambda: placement_counted(report_id, region, when=when), robust=True)
