"""Seal every report's severity reasons: they repeat the sealed triage details (flags, immediate danger,
relocation), which a copy of the database must not show.

In batches of 1,000, each its own transaction: rows are locked a batch at a time, never the table.
Each row's plain value is cleared in the same update that writes its sealed one, so the row version
written holds no plain reasons. Interrupted, it is simply run again: it seals only what is left.
Going back opens them into the plain column again. Needs the sealing keys (SANAD_SEALING_KEYS), as
every run of the application does.

Older row versions, the WAL and physical backups taken before this migration still hold the plain
values until PostgreSQL rewrites them: run VACUUM FULL reports_report in a maintenance window, and
retire those backups as the retention policy allows (README, Deploy).
"""

import json

from django.db import migrations, transaction

BATCH = 1000


def seal_pending(Report) -> int:
    """Seal (and clear) the plain reasons of rows that have some and no sealed value yet; how many."""
    from backend.sealed_fields import seal_value

    done, last_pk = 0, None
    while True:
        with transaction.atomic():
            rows = (
                Report.objects.filter(severity_reasons_sealed__isnull=True, severity_reasons__isnull=False)
                .exclude(severity_reasons=[])
                .order_by("pk")
            )
            if last_pk is not None:
                rows = rows.filter(pk__gt=last_pk)
            batch = list(rows.select_for_update().only("pk", "severity_reasons")[:BATCH])
            if not batch:
                return done
            for row in batch:
                reasons = json.dumps(row.severity_reasons).encode()
                row.severity_reasons_sealed = seal_value(row, "severity_reasons_sealed", reasons)
                row.severity_reasons = None
            Report.objects.bulk_update(batch, ["severity_reasons_sealed", "severity_reasons"])
            done += len(batch)
            last_pk = batch[-1].pk


def _seal(apps, schema_editor):
    seal_pending(apps.get_model("reports", "Report"))


def _open(apps, schema_editor):
    from backend.sealed_fields import open_value

    Report = apps.get_model("reports", "Report")
    for row in Report.objects.filter(severity_reasons_sealed__isnull=False).only("pk", "severity_reasons_sealed"):
        Report.objects.filter(pk=row.pk).update(
            severity_reasons=json.loads(open_value(row, "severity_reasons_sealed")), severity_reasons_sealed=None
        )
    Report.objects.filter(severity_reasons__isnull=True).update(severity_reasons=[])


class Migration(migrations.Migration):
    atomic = False  # each batch commits on its own

    dependencies = [
        ("reports", "0004_severity_reasons_sealed"),
    ]

    operations = [migrations.RunPython(_seal, _open, elidable=False)]
