"""Every severity rule, each with its stated reason; the rule set is versioned."""

from datetime import date

import pytest

from reports.severity import RULESET_VERSION, Facts, assess, sla_hours

TODAY = date(2026, 11, 21)


def facts(**changes):
    base = dict(
        category="other",
        incident_month=date(2026, 11, 1),
        immediate_danger=False,
        needs_relocation=False,
        flags=frozenset(),
        linked_reports=0,
        today=TODAY,
    )
    base.update(changes)
    return Facts(**base)


@pytest.mark.parametrize(
    "changes, severity, reason",
    [
        ({}, "low", "no_aggravating_factor"),
        ({"immediate_danger": True}, "critical", "immediate_danger"),
        ({"category": "attempted_attack"}, "critical", "recent_attempted_attack"),
        (
            {"category": "kidnapping_attempt", "incident_month": date(2026, 10, 1)},
            "critical",
            "recent_kidnapping_attempt",
        ),
        ({"category": "attempted_attack", "incident_month": date(2026, 9, 1)}, "high", "past_attempted_attack"),
        ({"category": "kidnapping_attempt", "incident_month": date(2025, 1, 1)}, "high", "past_kidnapping_attempt"),
        ({"flags": frozenset({"death_threat"})}, "high", "flag_death_threat"),
        ({"flags": frozenset({"weapon_seen"})}, "high", "flag_weapon_seen"),
        ({"flags": frozenset({"home_address_exposed"})}, "high", "flag_home_address_exposed"),
        ({"flags": frozenset({"family_targeted"})}, "high", "flag_family_targeted"),
        ({"needs_relocation": True}, "high", "needs_relocation"),
        ({"linked_reports": 2}, "high", "indicator_shared_with_2_reports"),
        ({"linked_reports": 7}, "high", "indicator_shared_with_7_reports"),
        ({"linked_reports": 1}, "medium", "indicator_shared_with_1_report"),
        ({"category": "telegram_doxxing"}, "medium", "telegram_doxxing"),
        ({"category": "surveillance"}, "medium", "surveillance"),
        ({"flags": frozenset({"photo_exposed"})}, "medium", "flag_photo_exposed"),
        ({"flags": frozenset({"followed"})}, "medium", "flag_followed"),
        ({"category": "phone_threat"}, "low", "no_aggravating_factor"),
    ],
)
def test_each_rule_gives_its_level_and_states_its_reason(changes, severity, reason):
    got, reasons = assess(facts(**changes))
    assert got == severity and reason in reasons


def test_the_30_day_boundary_at_month_precision():
    # On 21 November, 30 days back is 22 October: October and later are "recent".
    assert assess(facts(category="attempted_attack", incident_month=date(2026, 10, 1)))[0] == "critical"
    assert assess(facts(category="attempted_attack", incident_month=date(2026, 9, 1)))[0] == "high"


def test_the_highest_level_wins_and_every_reason_is_kept_highest_first():
    severity, reasons = assess(
        facts(category="telegram_doxxing", immediate_danger=True, flags=frozenset({"death_threat", "photo_exposed"}))
    )
    assert severity == "critical"
    assert reasons == ["immediate_danger", "flag_death_threat", "flag_photo_exposed", "telegram_doxxing"]


def test_same_facts_same_result():
    one = facts(category="surveillance", flags=frozenset({"followed", "weapon_seen"}), linked_reports=3)
    assert assess(one) == assess(one)


def test_sla_clock_per_severity():
    assert (sla_hours("critical"), sla_hours("high"), sla_hours("medium"), sla_hours("low")) == (1, 24, 72, None)
    assert RULESET_VERSION == 1
