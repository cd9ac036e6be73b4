"""Migrations that change stored data keep every value."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("reports", "0003_queue_indexes"), ("accounts", "0005_flag_existing_passwords")]
AFTER = [("reports", "0004_seal_severity_reasons")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_severity_reasons_are_sealed_without_losing_one_and_opened_again_going_back():
    from backend.sealed_fields import open_value

    apps = migrate(BEFORE)
    SharedKey, Report = apps.get_model("accounts", "SharedKey"), apps.get_model("reports", "Report")
    key = SharedKey.objects.create(
        key_id="ik-migration", purpose="intake", suite="X25519", public_key=b"k" * 32, attestation_sealed=b"x"
    )
    reasons = {}
    for n, given in enumerate([["flag_family_targeted", "needs_relocation"], [], ["immediate_danger"]] * 700):
        report = Report.objects.create(
            intake_key=key,
            ciphertext=b"c",
            ciphertext_sha256=n.to_bytes(32, "big"),
            category="phone_threat",
            governorate="IQ-BG",
            incident_month=timezone.now().date().replace(day=1),
            triage_sealed=b"s",
            severity_reasons=given,
        )
        reasons[report.pk] = given
    apps = migrate(AFTER)  # 2,100 rows: more than one batch
    Report = apps.get_model("reports", "Report")
    for row in Report.objects.all():
        stored = row.severity_reasons_sealed
        if not reasons[row.pk]:
            assert stored is None
            continue
        assert b"flag_" not in bytes(stored) and b"relocation" not in bytes(stored) and b"danger" not in bytes(stored)
        assert json.loads(open_value(row, "severity_reasons_sealed")) == reasons[row.pk]
    assert {"severity_reasons"} & {f.name for f in Report._meta.get_fields()} == set()
    apps = migrate(BEFORE)
    Report = apps.get_model("reports", "Report")
    assert {row.pk: row.severity_reasons for row in Report.objects.all()} == reasons
    migrate(AFTER)  # the schema the other tests expect
