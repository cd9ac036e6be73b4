"""Migrations that change stored data keep every value, and can be run again after an interruption."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("reports", "0003_queue_indexes"), ("accounts", "0005_flag_existing_passwords")]
COLUMN_ADDED = [("reports", "0004_severity_reasons_sealed")]
SEALED = [("reports", "0005_seal_severity_reasons")]
DROPPED = [("reports", "0006_drop_plain_severity_reasons")]
GIVEN = [["flag_family_targeted", "needs_relocation"], [], ["immediate_danger"]]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def latest_schema_afterwards():
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # the schema the other tests expect


def old_reports(apps, count: int) -> dict:
    """Reports as the code before 0004 stored them: reasons in a plain column."""
    SharedKey, Report = apps.get_model("accounts", "SharedKey"), apps.get_model("reports", "Report")
    key = SharedKey.objects.create(
        key_id="ik-migration", purpose="intake", suite="X25519", public_key=b"k" * 32, attestation_sealed=b"x"
    )
    reasons = {}
    for n in range(count):
        report = Report.objects.create(
            intake_key=key,
            ciphertext=b"c",
            ciphertext_sha256=n.to_bytes(32, "big"),
            category="phone_threat",
            governorate="IQ-BG",
            incident_month=timezone.now().date().replace(day=1),
            triage_sealed=b"s",
            severity_reasons=GIVEN[n % len(GIVEN)],
        )
        reasons[report.pk] = GIVEN[n % len(GIVEN)]
    return reasons


def test_severity_reasons_are_sealed_without_losing_one_and_opened_again_going_back(latest_schema_afterwards):
    from backend.sealed_fields import open_value

    reasons = old_reports(migrate(BEFORE), 2_100)  # more than one batch
    Report = migrate(DROPPED).get_model("reports", "Report")
    assert "severity_reasons" not in {field.name for field in Report._meta.get_fields()}
    for row in Report.objects.all():
        stored = row.severity_reasons_sealed
        if not reasons[row.pk]:
            assert stored is None
            continue
        assert b"flag_" not in bytes(stored) and b"relocation" not in bytes(stored) and b"danger" not in bytes(stored)
        assert json.loads(open_value(row, "severity_reasons_sealed")) == reasons[row.pk]
    Report = migrate(BEFORE).get_model("reports", "Report")
    assert {row.pk: row.severity_reasons for row in Report.objects.all()} == reasons


def test_sealing_interrupted_is_run_again_and_clears_each_plain_value_as_it_seals(
    latest_schema_afterwards, monkeypatch
):
    from backend import sealed_fields

    reasons = old_reports(migrate(BEFORE), 2_500)
    migrate(COLUMN_ADDED)
    real, calls = sealed_fields.seal_value, []

    def seal_then_fail(*args, **kwargs):
        calls.append(1)
        if len(calls) > 1_200:  # the second batch fails half-way: the first stays committed
            raise RuntimeError("interrupted")
        return real(*args, **kwargs)

    monkeypatch.setattr(sealed_fields, "seal_value", seal_then_fail)
    with pytest.raises(RuntimeError):
        migrate(SEALED)
    Report = migrate(COLUMN_ADDED).get_model("reports", "Report")
    sealed = Report.objects.filter(severity_reasons_sealed__isnull=False)
    assert sealed.count() == 1_000  # one whole batch, no part of the next
    assert set(sealed.values_list("severity_reasons", flat=True)) == {None}  # cleared in the same update
    monkeypatch.setattr(sealed_fields, "seal_value", real)
    Report = migrate(SEALED).get_model("reports", "Report")  # run again: seals what is left
    with_reasons = sum(1 for given in reasons.values() if given)
    assert Report.objects.filter(severity_reasons_sealed__isnull=False).count() == with_reasons
    assert not Report.objects.exclude(severity_reasons__isnull=True).exclude(severity_reasons=[]).exists()


def test_the_last_pass_seals_late_plain_reasons_and_keeps_none_of_a_withdrawn_report(latest_schema_afterwards):
    """Old processes running while 0005 sealed: a triage writing plain reasons, a withdrawal clearing only them."""
    from backend.sealed_fields import open_value

    reasons = old_reports(migrate(BEFORE), 6)
    Report = migrate(SEALED).get_model("reports", "Report")
    late, withdrawn = [pk for pk, given in reasons.items() if given][:2]
    Report.objects.filter(pk=late).update(severity_reasons=["recent_attempted_attack"], severity_reasons_sealed=None)
    Report.objects.filter(pk=withdrawn).update(state="withdrawn", severity_reasons=[])
    Report = migrate(DROPPED).get_model("reports", "Report")
    assert json.loads(open_value(Report.objects.get(pk=late), "severity_reasons_sealed")) == ["recent_attempted_attack"]
    assert Report.objects.get(pk=withdrawn).severity_reasons_sealed is None
