"""Drop the plain severity reasons, after a last pass in the same transaction.

Old processes still running while 0005 sealed could have written plain reasons after their row's
batch (a triage), or withdrawn a report whose reasons were already sealed (withdrawal clears the
plain column only). So, with the rows locked: what is still plain is sealed, and a withdrawn
report keeps no reasons at all.
"""

import importlib

from django.db import migrations


def _last_pass(apps, schema_editor):
    Report = apps.get_model("reports", "Report")
    importlib.import_module("reports.migrations.0005_seal_severity_reasons").seal_pending(Report)
    Report.objects.filter(state="withdrawn").update(severity_reasons_sealed=None, severity_reasons=None)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0005_seal_severity_reasons"),
    ]

    operations = [
        migrations.RunPython(_last_pass, migrations.RunPython.noop, elidable=False),
        migrations.RemoveField(
            model_name="report",
            name="severity_reasons",
        ),
    ]
