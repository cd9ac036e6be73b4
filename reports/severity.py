"""Severity of a report: a deterministic, explainable, versioned rule set over server-readable fields.

Each rule that fires adds a reason code (never content); the severity is the
highest level any rule gives. Changing a rule means a new RULESET_VERSION, and
reports keep the version that scored them: nothing is re-scored silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

RULESET_VERSION = 1
LEVELS = ("low", "medium", "high", "critical")
SLA_HOURS = {"critical": 1, "high": 24, "medium": 72}

ATTACKS = {"attempted_attack", "kidnapping_attempt"}
HIGH_FLAGS = {"death_threat", "weapon_seen", "home_address_exposed", "family_targeted"}
MEDIUM_FLAGS = {"photo_exposed", "followed"}
CAMPAIGN_AT = 2  # other reports sharing an indicator: a possible campaign once a caseworker confirms
MANY = 50  # linking stops here (a flooded indicator); the reason says "over"


@dataclass(frozen=True)
class Facts:
    category: str
    incident_month: date
    immediate_danger: bool
    needs_relocation: bool
    flags: frozenset[str]
    linked_reports: int  # distinct other reports sharing a blind-indexed indicator
    today: date


def _recent(incident_month: date, today: date) -> bool:
    """Within the last 30 days, at month precision: the month of (today - 30 days) or later."""
    return incident_month >= (today - timedelta(days=30)).replace(day=1)


def assess(facts: Facts) -> tuple[str, list[str]]:
    """(severity, reasons) for the facts; reasons are sorted, highest level first."""
    fired: list[tuple[str, str]] = []
    if facts.immediate_danger:
        fired.append(("critical", "immediate_danger"))
    if facts.category in ATTACKS:
        if _recent(facts.incident_month, facts.today):
            fired.append(("critical", f"recent_{facts.category}"))
        else:
            fired.append(("high", f"past_{facts.category}"))
    fired += [("high", f"flag_{flag}") for flag in sorted(HIGH_FLAGS & facts.flags)]
    if facts.needs_relocation:
        fired.append(("high", "needs_relocation"))
    if facts.linked_reports > MANY:
        fired.append(("high", f"indicator_shared_with_over_{MANY}_reports"))
    elif facts.linked_reports >= CAMPAIGN_AT:
        fired.append(("high", f"indicator_shared_with_{facts.linked_reports}_reports"))
    elif facts.linked_reports == 1:
        fired.append(("medium", "indicator_shared_with_1_report"))
    if facts.category == "telegram_doxxing":
        fired.append(("medium", "telegram_doxxing"))
    if facts.category == "surveillance":
        fired.append(("medium", "surveillance"))
    fired += [("medium", f"flag_{flag}") for flag in sorted(MEDIUM_FLAGS & facts.flags)]
    if not fired:
        return "low", ["no_aggravating_factor"]
    fired.sort(key=lambda item: (-LEVELS.index(item[0]), item[1]))
    return fired[0][0], [code for _, code in fired]


def sla_hours(severity: str) -> int | None:
    """Hours to acknowledge: critical 1, high 24, medium 72; low has no clock."""
    return SLA_HOURS.get(severity)
