"""Retention: closed reports older than the period, and withdrawn ones, are deleted; the roll-up keeps
their counts, so a release built after the purge is computed from the same true counts; a report
relocation still refers to is kept; the purge is on the audit chain."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from partners.stats import true_tables
from reports.intake import report_withdraw
from reports.models import Report, ReportState
from reports.retention import reports_purge
from tests.partners.conftest import utc

pytestmark = pytest.mark.django_db


def test_old_closed_and_withdrawn_reports_go_and_the_counts_stay(report_at, settings):
    settings.SANAD_RETENTION_CLOSED_DAYS = 365
    old = report_at(utc(2025, 3, 1), state=ReportState.CLOSED)
    Report.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=400))
    recent = report_at(utc(2025, 3, 2), state=ReportState.CLOSED)
    Report.objects.filter(pk=recent.pk).update(updated_at=timezone.now() - timedelta(days=30))
    withdrawn = report_at(utc(2025, 3, 3))
    report_withdraw(report=withdrawn)
    open_report = report_at(utc(2025, 3, 4))
    before = true_tables(date(2025, 3, 1))
    assert reports_purge(dry_run=True).deleted == 2 and Report.objects.count() == 4
    result = reports_purge()
    assert result.deleted == 2 and result.kept_for_relocation == 0
    assert set(Report.objects.values_list("pk", flat=True)) == {recent.pk, open_report.pk}
    assert true_tables(date(2025, 3, 1)) == before  # the same true counts after the purge
    entry = AuditEntry.objects.get(action="reports_purged")
    assert entry.details["deleted"] == 2
    assert reports_purge().deleted == 0 and AuditEntry.objects.filter(action="reports_purged").count() == 1


def test_a_report_relocation_still_refers_to_is_kept(coordinators, house, report_at):
    from relocation.services import referral_create

    house(region="kri-erbil")
    report = report_at(utc(2025, 5, 1), state=ReportState.ASSIGNED)
    Report.objects.filter(pk=report.pk).update(assigned_to=coordinators["alice"])
    report.refresh_from_db()
    referral_create(user=coordinators["alice"], report=report, adults=1, household_type="single_adult", needs="x")
    Report.objects.filter(pk=report.pk).update(
        state=ReportState.CLOSED, updated_at=timezone.now() - timedelta(days=400)
    )
    result = reports_purge()
    assert (result.deleted, result.kept_for_relocation) == (0, 1)
    assert Report.objects.filter(pk=report.pk).exists()


def test_each_batch_has_its_own_audit_entry_with_what_it_deleted(report_at, settings, monkeypatch):
    from reports import retention

    monkeypatch.setattr(retention, "BATCH", 2)
    for day in (1, 2, 3):
        report_withdraw(report=report_at(utc(2025, 3, day)))
    assert reports_purge().deleted == 3
    entries = AuditEntry.objects.filter(action="reports_purged").order_by("seq")
    assert [entry.details["deleted"] for entry in entries] == [2, 1]
