"""Reports and placements for the statistics tests, straight into the tables triage and relocation write."""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, date, datetime

import pytest

from partners.receivers import placement_counted, report_counted
from tests.relocation.conftest import coordinators, house  # noqa: F401  (fixtures)
from tests.reports.conftest import envelope, submit  # noqa: F401  (fixtures)


@pytest.fixture
def report_at(personas):
    """A report received at `when` (UTC) in `category` and `governorate`, counted as triage counts it."""
    from reports.models import Report, ReportState

    def make(when: datetime, *, category="phone_threat", governorate="IQ-BG", count=True, state=ReportState.ASSIGNED):
        report = Report.objects.create(
            intake_key=personas["intake"],
            ciphertext=b"x" * 64,
            ciphertext_sha256=hashlib.sha256(os.urandom(16)).digest(),
            category=category,
            governorate=governorate,
            incident_month=date(2026, 1, 1),
            triage_sealed=b"sealed-in-tests",
            state=state,
            created_at=when,
        )
        if count:
            report_counted(report)
        return report

    return make


@pytest.fixture
def many_reports(report_at):
    """`n` reports at `when`, in one cell (counted the way triage counts them)."""

    def make(n: int, when: datetime, **cell):
        return [report_at(when, **cell) for _ in range(n)]

    return make


def utc(year, month, day=15, hour=12) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


__all__ = ["placement_counted", "utc"]
