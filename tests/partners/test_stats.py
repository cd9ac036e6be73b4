"""Releases: the noise is what it claims, the budget can never pass its cap (and exactly fills it), small
cells read "<11", no table crosses governorate x category x month, no house is ever named, and a release
is built once."""

from __future__ import annotations

import json
import statistics
from datetime import date
from decimal import Decimal

import pytest

from audit.models import AuditEntry
from partners.models import BudgetYear, LedgerEntry, Release
from partners.stats import Noise, StatsError, epsilon_for, published, release_build, true_tables
from tests.partners.conftest import utc

pytestmark = pytest.mark.django_db
AFTER_2026 = date(2027, 3, 1)  # every month of 2026 has closed


def document(release) -> dict:
    return json.loads(bytes(release.body_json))


def test_the_noise_has_the_spread_and_the_margin_it_states():
    """4,000 draws of a fixed count through OpenDP's sampler, at the rho of a monthly release."""
    noise = Noise.for_rho(Decimal("0.05"))
    assert abs(noise.scale - (1 / (2 * 0.05)) ** 0.5) < 0.01 and noise.margin95 == 7
    draws = []
    for _ in range(40):
        draws += [value - 100 for value in noise.add([100] * 100)]
    spread = statistics.pstdev(draws)
    assert abs(spread - noise.scale) / noise.scale < 0.05, spread
    assert abs(statistics.fmean(draws)) < 0.2
    covered = sum(abs(error) <= noise.margin95 for error in draws) / len(draws)
    assert 0.94 <= covered <= 0.995, covered  # OpenDP's discrete bound is a little conservative


def test_epsilon_is_opendps_conversion():
    assert round(epsilon_for(Decimal("0.05"), 1e-6), 2) == 1.47
    assert round(epsilon_for(Decimal("0.6"), 1e-6), 2) == 5.79


def test_small_and_negative_counts_are_published_as_such():
    assert [published(value, 11) for value in (-3, 0, 10, 11, 40)] == ["<11", "<11", "<11", 11, 40]


def test_a_years_twelve_releases_exactly_fill_the_cap_and_nothing_passes_it(report_at):
    for month in range(1, 13):
        report_at(utc(2026, month))
    for month in range(1, 13):
        release, fresh = release_build(date(2026, month, 1), today=AFTER_2026)
        assert fresh
    spent = BudgetYear.objects.get(year=2026).spent
    assert spent <= Decimal("0.6") and spent > Decimal("0.599999")
    assert sum(entry.rho for entry in LedgerEntry.objects.filter(year=2026)) == spent
    assert Release.objects.count() == 12


def test_a_release_that_would_pass_the_cap_is_refused_and_nothing_is_spent(report_at, settings):
    settings.SANAD_STATS_RHO_PER_YEAR = "0.1"
    for month in (1, 2, 3):
        report_at(utc(2026, month))
    release_build(date(2026, 1, 1), today=AFTER_2026)
    release_build(date(2026, 2, 1), today=AFTER_2026)
    before = (BudgetYear.objects.get(year=2026).spent, LedgerEntry.objects.count(), AuditEntry.objects.count())
    with pytest.raises(StatsError, match="0.1"):
        release_build(date(2026, 3, 1), today=AFTER_2026)
    assert not Release.objects.filter(month=date(2026, 3, 1)).exists()
    assert (BudgetYear.objects.get(year=2026).spent, LedgerEntry.objects.count(), AuditEntry.objects.count()) == before


def test_a_release_is_built_once_and_only_for_a_closed_month(report_at):
    report_at(utc(2026, 5))
    with pytest.raises(StatsError):
        release_build(date(2026, 5, 1), today=date(2026, 6, 2))  # SANAD_STATS_BUILD_AFTER_DAYS not yet past
    first, fresh = release_build(date(2026, 5, 1), today=date(2026, 6, 3))
    again, again_fresh = release_build(date(2026, 5, 1), today=date(2026, 6, 4))
    assert fresh and not again_fresh and again.pk == first.pk and LedgerEntry.objects.count() == 1
    entry = AuditEntry.objects.get(action="stats_release_built")
    assert entry.object_id == "2026-05"


def test_published_cells_are_at_least_the_threshold_or_read_below_it(many_reports, report_at, house, coordinators):
    """A quarter's last month: three tables; big cells, empty cells; never a cell under 11 in figures."""
    many_reports(60, utc(2026, 6, 3), category="phone_threat", governorate="IQ-BG")
    many_reports(2, utc(2026, 6, 4), category="kidnapping_attempt", governorate="IQ-HA")
    many_reports(30, utc(2026, 4, 4), category="surveillance", governorate="TR")
    olive = house(code_name="olive", region="kri-erbil")
    from partners.receivers import placement_counted
    from reports.models import Report

    for report in Report.objects.all()[:25]:
        placement_counted(report.pk, olive.region, when=utc(2026, 5, 1))
    release, _ = release_build(date(2026, 6, 1), today=AFTER_2026)
    body = document(release)
    assert [table["name"] for table in body["tables"]] == [
        "reports_by_category",
        "reports_by_governorate",
        "placements_by_region",
    ]
    for table in body["tables"]:
        for row in table["rows"]:
            assert row["count"] == "<11" or (isinstance(row["count"], int) and row["count"] >= 11), row
            # never governorate x category (x month): no row carries both
            assert not ({"category", "governorate"} <= set(row)), row
    places = {row["governorate"]: row for row in body["tables"][1]["rows"]}
    assert "IQ-HA" not in places and places["IQ-SU"]["pcode"] == "IQG06" and places["IQ-KR"]["pcode"] is None
    assert "TR" not in places and "abroad" in places  # every country abroad in one row
    for raw in (bytes(release.body_json), bytes(release.body_csv)):
        assert b"olive" not in raw and b"house" not in raw  # no per-house number anywhere
    privacy = body["privacy"]
    assert privacy["threshold"] == 11 and privacy["unit"] == "one report"
    assert Decimal(privacy["rho"]) <= Decimal("0.05") and privacy["delta"] == 1e-6
    assert {table["margin95"] for table in body["tables"]} == {12}  # rho 0.05 over three tables


def test_true_counts_are_what_the_roll_up_says(many_reports):
    many_reports(3, utc(2026, 7, 1), category="attempted_attack")
    national = true_tables(date(2026, 7, 1))[0]
    assert dict((labels["category"], count) for labels, count in national["cells"])["attempted_attack"] == 3
    assert len(true_tables(date(2026, 7, 1))) == 1  # July closes no quarter


def test_every_closed_month_gets_a_release_counts_or_none(report_at):
    """Whether a month has a release must not tell whether anyone reported in it."""
    from partners.stats import releases_due

    report_at(utc(2026, 1))
    report_at(utc(2026, 3))
    assert releases_due(today=date(2026, 4, 10)) == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]


def test_the_ledger_not_the_budget_row_says_what_is_spent(report_at, settings):
    """A lost or edited budget row gives back nothing the ledger records as spent."""
    settings.SANAD_STATS_RHO_PER_YEAR = "0.1"
    for month in (1, 2, 3):
        report_at(utc(2026, month))
    release_build(date(2026, 1, 1), today=AFTER_2026)
    release_build(date(2026, 2, 1), today=AFTER_2026)
    BudgetYear.objects.filter(year=2026).update(spent=Decimal(0))
    with pytest.raises(StatsError):
        release_build(date(2026, 3, 1), today=AFTER_2026)


@pytest.mark.parametrize(("per_release", "per_year"), [("0.7", "0.6"), ("0.05", "1.5"), ("0", "0.6")])
def test_no_setting_can_loosen_the_budget_past_its_bounds(report_at, settings, per_release, per_year):
    settings.SANAD_STATS_RHO_PER_RELEASE, settings.SANAD_STATS_RHO_PER_YEAR = per_release, per_year
    report_at(utc(2026, 1))
    with pytest.raises(StatsError):
        release_build(date(2026, 1, 1), today=AFTER_2026)
    assert not Release.objects.exists()


def test_placements_are_published_by_wider_region_only(report_at, house, coordinators):
    from partners.receivers import placement_counted

    olive = house(code_name="olive", region="tr")  # the only house abroad: its region alone would be it
    for _ in range(3):
        placement_counted(report_at(utc(2026, 12, 2)).pk, olive.region, when=utc(2026, 12, 3))
    body = document(release_build(date(2026, 12, 1), today=date(2027, 1, 10))[0])
    regions = [row["region"] for row in body["tables"][2]["rows"]]
    assert regions == ["abroad", "kri"]
