"""The roll-up: each report counted once when triaged (its month received, in Baghdad; its category and
place), each report's first placement once; Halabja counted in Sulaymaniyah; counts kept when reports go."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from partners.models import StatsCount, StatsKind
from partners.receivers import month_of, placement_counted, report_counted
from partners.stats import true_tables
from reports.intake import report_withdraw
from tests.partners.conftest import utc

pytestmark = pytest.mark.django_db


def cells(kind=StatsKind.REPORT_CATEGORY):
    return {
        (row.month, row.category, row.governorate, row.region): row.count
        for row in StatsCount.objects.filter(kind=kind)
    }


def test_a_report_counts_once_however_often_triage_runs(report_at):
    report = report_at(utc(2026, 3, 10), category="telegram_doxxing", governorate="IQ-NI")
    assert report_counted(report) is False  # triage again: nothing added
    assert cells() == {(date(2026, 3, 1), "telegram_doxxing", "", ""): 1}
    assert cells(StatsKind.REPORT_PLACE) == {(date(2026, 3, 1), "", "IQ-NI", ""): 1}
    # never category and place together, not even in the roll-up
    assert not StatsCount.objects.exclude(category="").exclude(governorate="").exists()


def test_the_month_is_baghdads_and_halabja_counts_in_sulaymaniyah(report_at):
    # 22:30 UTC on 31 January is 01:30 on 1 February in Baghdad (UTC+3).
    report_at(datetime(2026, 1, 31, 22, 30, tzinfo=UTC), governorate="IQ-HA")
    assert cells(StatsKind.REPORT_PLACE) == {(date(2026, 2, 1), "", "IQ-SU", ""): 1}


def test_real_triage_counts_the_report(personas, envelope, submit):
    from reports.models import Report
    from reports.triage import report_triage

    assert submit(envelope()).status_code == 201
    report = Report.objects.get()
    report_triage(report_id=report.pk)
    report_triage(report_id=report.pk)
    assert sum(cells().values()) == 1 and sum(cells(StatsKind.REPORT_PLACE).values()) == 1


def test_a_placement_counts_once_per_report(report_at):
    report = report_at(utc(2026, 4, 2))
    assert placement_counted(report.pk, "kri-erbil", when=utc(2026, 5, 3))
    assert not placement_counted(report.pk, "tr", when=utc(2026, 6, 3))  # moved on: not a second placement
    # counted in the wider region (never a region that could be one house)
    assert cells(StatsKind.PLACEMENT) == {(date(2026, 5, 1), "", "", "kri"): 1}


def test_withdrawal_and_deletion_keep_the_counts(report_at):
    reports = [report_at(utc(2026, 3, day)) for day in (1, 2, 3)]
    before = true_tables(date(2026, 3, 1))
    report_withdraw(report=reports[0])
    reports[1].delete()  # as a retention purge would
    assert true_tables(date(2026, 3, 1)) == before
    assert cells() == {(date(2026, 3, 1), "phone_threat", "", ""): 3}


def test_a_country_abroad_is_kept_as_abroad_never_by_name(report_at):
    report_at(utc(2026, 2, 3), governorate="SE")
    assert cells(StatsKind.REPORT_PLACE) == {(date(2026, 2, 1), "", "abroad", ""): 1}


def test_a_placement_is_counted_once_it_commits(report_at, house, coordinators, django_capture_on_commit_callbacks):
    """Counted after placement_place commits (its own transaction): never a lock on the report's row
    taken after the referral's, the order a withdrawal takes them in reverse."""
    from relocation import services
    from reports.models import Report

    olive = house(region="kri-sulaymaniyah")
    report = report_at(utc(2026, 4, 2))
    Report.objects.filter(pk=report.pk).update(assigned_to=coordinators["alice"])
    report.refresh_from_db()
    referral = services.referral_create(
        user=coordinators["alice"], report=report, adults=1, household_type="single_adult", needs="x"
    )
    placement = services.placement_hold(user=coordinators["carla"], referral=referral, house=olive)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.placement_place(user=coordinators["carla"], placement=placement)
    assert cells(StatsKind.PLACEMENT) == {}  # nothing inside the placement's transaction
    for callback in callbacks:
        callback()
    assert cells(StatsKind.PLACEMENT) == {(month_of(placement.created_at), "", "", "kri"): 1}
