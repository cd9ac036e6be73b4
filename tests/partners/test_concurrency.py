"""Two builds racing on PostgreSQL for the year's last room under the cap: one is published, the other
refused, and the ledger adds up to no more than the cap. Without the budget row's lock both would fit
(each reads the same spend), so this fails if the lock goes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from partners.models import BudgetYear, LedgerEntry, Release
from partners.stats import StatsError, release_build
from tests.partners.conftest import utc
from tests.races import run_together

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_two_builds_racing_for_the_last_room_never_pass_the_cap(report_at, settings):
    settings.SANAD_STATS_RHO_PER_YEAR = "0.06"  # room for one release of 0.05, not two
    report_at(utc(2026, 1))
    report_at(utc(2026, 2))
    BudgetYear.objects.create(year=2026, spent=Decimal(0))  # both find the row: only its lock orders them
    outcomes = run_together(
        [
            lambda: release_build(date(2026, 1, 1), today=date(2026, 5, 1)),
            lambda: release_build(date(2026, 2, 1), today=date(2026, 5, 1)),
        ],
        {StatsError: "refused"},
    )
    assert sorted(outcomes) == ["ok", "refused"]
    assert Release.objects.count() == 1 and LedgerEntry.objects.count() == 1
    spent = BudgetYear.objects.get(year=2026).spent
    assert spent == LedgerEntry.objects.get().rho and spent <= Decimal("0.06")
