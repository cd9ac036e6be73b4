"""Translatable labels for every model and field, and the waiting reasons as choices. State only:
`sqlmigrate reports 0008` prints no SQL on SQLite or PostgreSQL, so no table is touched."""

import django.db.models.deletion
import django.utils.timezone
import uuid
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_staffuser_language"),
        ("reports", "0007_ciphertext_out_of_line"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="candidatelink",
            options={"verbose_name": "candidate link", "verbose_name_plural": "candidate links"},
        ),
        migrations.AlterModelOptions(
            name="evidence",
            options={"verbose_name": "evidence", "verbose_name_plural": "evidence"},
        ),
        migrations.AlterModelOptions(
            name="followup",
            options={"verbose_name": "follow-up", "verbose_name_plural": "follow-ups"},
        ),
        migrations.AlterModelOptions(
            name="notification",
            options={"verbose_name": "notification", "verbose_name_plural": "notifications"},
        ),
        migrations.AlterModelOptions(
            name="reply",
            options={"verbose_name": "reply", "verbose_name_plural": "replies"},
        ),
        migrations.AlterModelOptions(
            name="report",
            options={"verbose_name": "report", "verbose_name_plural": "reports"},
        ),
        migrations.AlterModelOptions(
            name="reportindicator",
            options={"verbose_name": "indicator", "verbose_name_plural": "indicators"},
        ),
        migrations.AlterModelOptions(
            name="reporttransition",
            options={
                "ordering": ["at", "id"],
                "verbose_name": "status change",
                "verbose_name_plural": "status changes",
            },
        ),
        migrations.AlterModelOptions(
            name="spentchallenge",
            options={"verbose_name": "spent challenge", "verbose_name_plural": "spent challenges"},
        ),
        migrations.AlterField(
            model_name="candidatelink",
            name="created_at",
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name="created"),
        ),
        migrations.AlterField(
            model_name="candidatelink",
            name="kind",
            field=models.CharField(max_length=16, verbose_name="kind"),
        ),
        migrations.AlterField(
            model_name="candidatelink",
            name="other",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="reports.report",
                verbose_name="other report",
            ),
        ),
        migrations.AlterField(
            model_name="candidatelink",
            name="report",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="links",
                to="reports.report",
                verbose_name="report",
            ),
        ),
        migrations.AlterField(
            model_name="candidatelink",
            name="status",
            field=models.CharField(
                choices=[("candidate", "Candidate"), ("confirmed", "Confirmed"), ("rejected", "Rejected")],
                default="candidate",
                max_length=16,
                verbose_name="status",
            ),
        ),
        migrations.AlterField(
            model_name="evidence",
            name="ciphertext",
            field=models.BinaryField(verbose_name="ciphertext"),
        ),
        migrations.AlterField(
            model_name="evidence",
            name="ciphertext_sha256",
            field=models.BinaryField(max_length=32, unique=True, verbose_name="ciphertext hash"),
        ),
        migrations.AlterField(
            model_name="evidence",
            name="created_at",
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name="received"),
        ),
        migrations.AlterField(
            model_name="evidence",
            name="id",
            field=models.UUIDField(
                default=uuid.uuid4, editable=False, primary_key=True, serialize=False, verbose_name="identifier"
            ),
        ),
        migrations.AlterField(
            model_name="evidence",
            name="intake_key",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="accounts.sharedkey",
                verbose_name="intake key",
            ),
        ),
        migrations.AlterField(
            model_name="evidence",
            name="report",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="evidence",
                to="reports.report",
                verbose_name="report",
            ),
        ),
        migrations.AlterField(
            model_name="evidence",
            name="size",
            field=models.PositiveIntegerField(verbose_name="size"),
        ),
        migrations.AlterField(
            model_name="followup",
            name="ciphertext",
            field=models.BinaryField(verbose_name="ciphertext"),
        ),
        migrations.AlterField(
            model_name="followup",
            name="ciphertext_sha256",
            field=models.BinaryField(max_length=32, unique=True, verbose_name="ciphertext hash"),
        ),
        migrations.AlterField(
            model_name="followup",
            name="created_at",
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name="received"),
        ),
        migrations.AlterField(
            model_name="followup",
            name="id",
            field=models.UUIDField(
                default=uuid.uuid4, editable=False, primary_key=True, serialize=False, verbose_name="identifier"
            ),
        ),
        migrations.AlterField(
            model_name="followup",
            name="intake_key",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="accounts.sharedkey",
                verbose_name="intake key",
            ),
        ),
        migrations.AlterField(
            model_name="followup",
            name="report",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="followups",
                to="reports.report",
                verbose_name="report",
            ),
        ),
        migrations.AlterField(
            model_name="notification",
            name="attempts",
            field=models.PositiveSmallIntegerField(default=0, verbose_name="attempts"),
        ),
        migrations.AlterField(
            model_name="notification",
            name="created_at",
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name="created"),
        ),
        migrations.AlterField(
            model_name="notification",
            name="kind",
            field=models.CharField(
                choices=[
                    ("assigned", "Assigned to you"),
                    ("needs_assignment", "Needs assignment"),
                    ("sla_breach", "Not acknowledged in time"),
                    ("parked", "Parked"),
                ],
                max_length=24,
                verbose_name="kind",
            ),
        ),
        migrations.AlterField(
            model_name="notification",
            name="recipient",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="notifications",
                to=settings.AUTH_USER_MODEL,
                verbose_name="recipient",
            ),
        ),
        migrations.AlterField(
            model_name="notification",
            name="report",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="notifications",
                to="reports.report",
                verbose_name="report",
            ),
        ),
        migrations.AlterField(
            model_name="notification",
            name="sending_until",
            field=models.DateTimeField(blank=True, null=True, verbose_name="sending until"),
        ),
        migrations.AlterField(
            model_name="notification",
            name="sent_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="sent"),
        ),
        migrations.AlterField(
            model_name="reply",
            name="author",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="author",
            ),
        ),
        migrations.AlterField(
            model_name="reply",
            name="ciphertext",
            field=models.BinaryField(verbose_name="ciphertext"),
        ),
        migrations.AlterField(
            model_name="reply",
            name="created_at",
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name="sent"),
        ),
        migrations.AlterField(
            model_name="reply",
            name="id",
            field=models.UUIDField(
                default=uuid.uuid4, editable=False, primary_key=True, serialize=False, verbose_name="identifier"
            ),
        ),
        migrations.AlterField(
            model_name="reply",
            name="report",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="replies",
                to="reports.report",
                verbose_name="report",
            ),
        ),
        migrations.AlterField(
            model_name="report",
            name="acknowledged_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="acknowledged"),
        ),
        migrations.AlterField(
            model_name="report",
            name="assigned_to",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="assigned_reports",
                to=settings.AUTH_USER_MODEL,
                verbose_name="assigned to",
            ),
        ),
        migrations.AlterField(
            model_name="report",
            name="category",
            field=models.CharField(
                choices=[
                    ("phone_threat", "Threat by phone"),
                    ("telegram_doxxing", "Named or pictured on Telegram"),
                    ("attempted_attack", "Attempted attack"),
                    ("kidnapping_attempt", "Kidnapping attempt"),
                    ("surveillance", "Followed or watched"),
                    ("other", "Other"),
                ],
                max_length=32,
                verbose_name="category",
            ),
        ),
        migrations.AlterField(
            model_name="report",
            name="ciphertext",
            field=models.BinaryField(null=True, verbose_name="ciphertext"),
        ),
        migrations.AlterField(
            model_name="report",
            name="ciphertext_sha256",
            field=models.BinaryField(max_length=32, unique=True, verbose_name="ciphertext hash"),
        ),
        migrations.AlterField(
            model_name="report",
            name="claimed_until",
            field=models.DateTimeField(blank=True, null=True, verbose_name="claimed until"),
        ),
        migrations.AlterField(
            model_name="report",
            name="created_at",
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name="received"),
        ),
        migrations.AlterField(
            model_name="report",
            name="escalated_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="escalated"),
        ),
        migrations.AlterField(
            model_name="report",
            name="governorate",
            field=models.CharField(max_length=8, verbose_name="place"),
        ),
        migrations.AlterField(
            model_name="report",
            name="id",
            field=models.UUIDField(
                default=uuid.uuid4, editable=False, primary_key=True, serialize=False, verbose_name="identifier"
            ),
        ),
        migrations.AlterField(
            model_name="report",
            name="incident_month",
            field=models.DateField(
                help_text="First day of the month the incident happened.", verbose_name="incident month"
            ),
        ),
        migrations.AlterField(
            model_name="report",
            name="intake_key",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="accounts.sharedkey",
                verbose_name="intake key",
            ),
        ),
        migrations.AlterField(
            model_name="report",
            name="outcome",
            field=models.CharField(
                blank=True,
                choices=[
                    ("support_given", "Support given"),
                    ("referred_relocation", "Referred to relocation"),
                    ("referred_partner", "Referred to a partner organisation"),
                    ("no_contact", "Reporter could not be reached"),
                    ("duplicate", "Duplicate of another report"),
                    ("not_actionable", "Nothing we could act on"),
                ],
                max_length=32,
                verbose_name="outcome",
            ),
        ),
        migrations.AlterField(
            model_name="report",
            name="receipt_hash",
            field=models.BinaryField(max_length=32, null=True, unique=True, verbose_name="receipt hash"),
        ),
        migrations.AlterField(
            model_name="report",
            name="reply_public_key",
            field=models.BinaryField(null=True, verbose_name="reply key"),
        ),
        migrations.AlterField(
            model_name="report",
            name="ruleset_version",
            field=models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="rule set version"),
        ),
        migrations.AlterField(
            model_name="report",
            name="severity",
            field=models.CharField(
                blank=True,
                choices=[("critical", "Critical"), ("high", "High"), ("medium", "Medium"), ("low", "Low")],
                max_length=8,
                verbose_name="severity",
            ),
        ),
        migrations.AlterField(
            model_name="report",
            name="severity_reasons_sealed",
            field=models.BinaryField(blank=True, null=True, verbose_name="severity reasons (sealed)"),
        ),
        migrations.AlterField(
            model_name="report",
            name="sla_due_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="acknowledge by"),
        ),
        migrations.AlterField(
            model_name="report",
            name="state",
            field=models.CharField(
                choices=[
                    ("pending", "Waiting for triage"),
                    ("triaged", "Triaged"),
                    ("assigned", "Assigned"),
                    ("acknowledged", "Acknowledged"),
                    ("in_progress", "In progress"),
                    ("closed", "Closed"),
                    ("withdrawn", "Withdrawn by the reporter"),
                    ("parked", "Parked: triage kept failing"),
                ],
                default="pending",
                max_length=16,
                verbose_name="status",
            ),
        ),
        migrations.AlterField(
            model_name="report",
            name="swept_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="swept at"),
        ),
        migrations.AlterField(
            model_name="report",
            name="triage_attempts",
            field=models.PositiveSmallIntegerField(default=0, verbose_name="triage attempts"),
        ),
        migrations.AlterField(
            model_name="report",
            name="triage_sealed",
            field=models.BinaryField(verbose_name="triage details (sealed)"),
        ),
        migrations.AlterField(
            model_name="report",
            name="triaged_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="triaged"),
        ),
        migrations.AlterField(
            model_name="report",
            name="updated_at",
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name="updated"),
        ),
        migrations.AlterField(
            model_name="report",
            name="waiting_reason",
            field=models.CharField(
                blank=True,
                choices=[
                    (
                        "no_eligible_caseworker",
                        "No active caseworker who covers this place holds its intake key: a triage lead must assign it.",
                    ),
                    (
                        "triage_failed_repeatedly",
                        "Triage failed several times in a row: a triage lead must send it back to triage.",
                    ),
                ],
                max_length=64,
                verbose_name="waiting reason",
            ),
        ),
        migrations.AlterField(
            model_name="reportindicator",
            name="bits",
            field=models.PositiveSmallIntegerField(verbose_name="index bits"),
        ),
        migrations.AlterField(
            model_name="reportindicator",
            name="kind",
            field=models.CharField(max_length=16, verbose_name="kind"),
        ),
        migrations.AlterField(
            model_name="reportindicator",
            name="report",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="indicators",
                to="reports.report",
                verbose_name="report",
            ),
        ),
        migrations.AlterField(
            model_name="reportindicator",
            name="value",
            field=models.BigIntegerField(verbose_name="value"),
        ),
        migrations.AlterField(
            model_name="reporttransition",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="actor",
            ),
        ),
        migrations.AlterField(
            model_name="reporttransition",
            name="at",
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name="time"),
        ),
        migrations.AlterField(
            model_name="reporttransition",
            name="from_state",
            field=models.CharField(
                choices=[
                    ("pending", "Waiting for triage"),
                    ("triaged", "Triaged"),
                    ("assigned", "Assigned"),
                    ("acknowledged", "Acknowledged"),
                    ("in_progress", "In progress"),
                    ("closed", "Closed"),
                    ("withdrawn", "Withdrawn by the reporter"),
                    ("parked", "Parked: triage kept failing"),
                ],
                max_length=16,
                verbose_name="from status",
            ),
        ),
        migrations.AlterField(
            model_name="reporttransition",
            name="report",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="transitions",
                to="reports.report",
                verbose_name="report",
            ),
        ),
        migrations.AlterField(
            model_name="reporttransition",
            name="to_state",
            field=models.CharField(
                choices=[
                    ("pending", "Waiting for triage"),
                    ("triaged", "Triaged"),
                    ("assigned", "Assigned"),
                    ("acknowledged", "Acknowledged"),
                    ("in_progress", "In progress"),
                    ("closed", "Closed"),
                    ("withdrawn", "Withdrawn by the reporter"),
                    ("parked", "Parked: triage kept failing"),
                ],
                max_length=16,
                verbose_name="to status",
            ),
        ),
        migrations.AlterField(
            model_name="spentchallenge",
            name="digest",
            field=models.BinaryField(max_length=32, unique=True, verbose_name="digest"),
        ),
        migrations.AlterField(
            model_name="spentchallenge",
            name="expires_at",
            field=models.DateTimeField(db_index=True, verbose_name="expires at"),
        ),
    ]
