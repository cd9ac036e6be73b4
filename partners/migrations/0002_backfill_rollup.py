"""The roll-up, for what happened before it existed: every report triage has seen (any state but
waiting, parked or withdrawn: a withdrawn report's creation time was cut to the day, and whether triage
ever saw it is no longer known) and each report's first placement, counted as the receivers count from
now on (partners.receivers): once each, by month and category, by month and place, and placements by
month and wider region. Run again, it adds nothing. Run it before new workers triage (migrate first,
as every deploy does): a triage that commits while it runs could be counted twice."""

from collections import Counter
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import migrations
from django.db.models import F

NOT_COUNTED = ("pending", "parked", "withdrawn")
PLACED = ("placed", "departed")
FOLDED_INTO = {"IQ-HA": "IQ-SU"}
WIDER = {"kri-erbil": "kri", "kri-sulaymaniyah": "kri", "kri-duhok": "kri", "tr": "abroad", "other": "abroad"}
CHUNK = 2000


def _month(moment):
    return moment.astimezone(ZoneInfo(settings.TIME_ZONE)).date().replace(day=1)


def _mark(CountedReport, ids):
    """Mark these reports counted: new rows, and rows a placement made first (report_counted False)."""
    CountedReport.objects.bulk_create([CountedReport(report_id=pk) for pk in ids], ignore_conflicts=True)
    CountedReport.objects.filter(report_id__in=ids).update(report_counted=True)


def backfill(apps, schema_editor):
    Report = apps.get_model("reports", "Report")
    Placement = apps.get_model("relocation", "Placement")
    StatsCount = apps.get_model("partners", "StatsCount")
    CountedReport = apps.get_model("partners", "CountedReport")
    counted = set(CountedReport.objects.filter(report_counted=True).values_list("report_id", flat=True))
    cells = Counter()
    batch = []
    rows = (
        Report.objects.exclude(state__in=NOT_COUNTED)
        .values_list("pk", "created_at", "category", "governorate")
        .iterator(chunk_size=CHUNK)
    )
    for pk, created, category, governorate in rows:
        if pk in counted:
            continue
        month = _month(created)
        cells[("report_category", month, category, "", "")] += 1
        place = "abroad" if governorate[:3] != "IQ-" else FOLDED_INTO.get(governorate, governorate)
        cells[("report_place", month, "", place, "")] += 1
        batch.append(pk)
        if len(batch) >= CHUNK:
            _mark(CountedReport, batch)
            batch = []
    _mark(CountedReport, batch)
    placed = set(CountedReport.objects.filter(placement_counted=True).values_list("report_id", flat=True))
    firsts = {}
    # A placement's month is when it was offered (its hold): its last update may be a departure months on.
    for report_id, created, region in (
        Placement.objects.filter(state__in=PLACED)
        .order_by("created_at")
        .values_list("referral__report_id", "created_at", "house__region")
        .iterator(chunk_size=CHUNK)
    ):
        if report_id not in placed and report_id not in firsts:
            firsts[report_id] = (created, region)
    for created, region in firsts.values():
        cells[("placement", _month(created), "", "", WIDER.get(region, "abroad"))] += 1
    existing = set(CountedReport.objects.filter(report_id__in=list(firsts)).values_list("report_id", flat=True))
    CountedReport.objects.filter(report_id__in=existing).update(placement_counted=True)
    CountedReport.objects.bulk_create(
        [CountedReport(report_id=pk, placement_counted=True) for pk in firsts if pk not in existing],
        batch_size=CHUNK,
        ignore_conflicts=True,
    )
    for (kind, month, category, governorate, region), count in cells.items():
        row, _created = StatsCount.objects.get_or_create(
            kind=kind, month=month, category=category, governorate=governorate, region=region
        )
        StatsCount.objects.filter(pk=row.pk).update(count=F("count") + count)


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0001_initial"),
        ("reports", "0008_labels_and_waiting_reasons"),
        ("relocation", "0002_code_name_unique_any_case"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
