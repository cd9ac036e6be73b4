"""Severity reasons are sealed, in three steps (0004-0006) so that each can be run again after an interruption.

This one adds the sealed column and lets the plain one be empty (NULL), so that the sealing step can
clear each plain value as it seals it, and so that new code can write reports before the plain
column is dropped.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0003_queue_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="report",
            name="severity_reasons_sealed",
            field=models.BinaryField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="report",
            name="severity_reasons",
            field=models.JSONField(blank=True, default=list, null=True),
        ),
    ]
