"""Severity reasons are sealed: they repeat the sealed triage details (flags, immediate danger, relocation).

No reason is lost: each row's reasons are sealed into the new column, in batches of their own
transaction (rows are locked a batch at a time, never the table), before the plain column is dropped.
Run again after an interruption, it seals only what is left. Going back opens them into the plain
column again. Needs the sealing keys (SANAD_SEALING_KEYS), as every run of the application does.
"""

import json

from django.db import migrations, models, transaction

BATCH = 1000


def _seal_all(apps, schema_editor):
    from backend.sealed_fields import seal_value

    Report = apps.get_model("reports", "Report")
    last_pk = None
    while True:
        with transaction.atomic():
            rows = Report.objects.filter(severity_reasons_sealed__isnull=True).exclude(severity_reasons=[])
            if last_pk is not None:
                rows = rows.filter(pk__gt=last_pk)
            batch = list(rows.order_by("pk").select_for_update().only("pk", "severity_reasons")[:BATCH])
            if not batch:
                return
            for row in batch:
                row.severity_reasons_sealed = seal_value(
                    row, "severity_reasons_sealed", json.dumps(row.severity_reasons).encode()
                )
            Report.objects.bulk_update(batch, ["severity_reasons_sealed"])
            last_pk = batch[-1].pk


def _open_all(apps, schema_editor):
    from backend.sealed_fields import open_value

    Report = apps.get_model("reports", "Report")
    for row in Report.objects.filter(severity_reasons_sealed__isnull=False).only("pk", "severity_reasons_sealed"):
        Report.objects.filter(pk=row.pk).update(severity_reasons=json.loads(open_value(row, "severity_reasons_sealed")))


class Migration(migrations.Migration):
    atomic = False  # each batch commits on its own

    dependencies = [
        ("reports", "0003_queue_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="report",
            name="severity_reasons_sealed",
            field=models.BinaryField(blank=True, null=True),
        ),
        migrations.RunPython(_seal_all, _open_all, elidable=False),
        migrations.RemoveField(
            model_name="report",
            name="severity_reasons",
        ),
    ]
