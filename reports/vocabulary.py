"""The closed vocabularies of reports: categories, outcomes, flags, and the reasons staff read
(places and languages: backend.places)."""

import re

from django.db import models
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    PHONE_THREAT = "phone_threat", _("Threat by phone")
    TELEGRAM_DOXXING = "telegram_doxxing", _("Named or pictured on Telegram")
    ATTEMPTED_ATTACK = "attempted_attack", _("Attempted attack")
    KIDNAPPING_ATTEMPT = "kidnapping_attempt", _("Kidnapping attempt")
    SURVEILLANCE = "surveillance", _("Followed or watched")
    OTHER = "other", _("Other")


class Outcome(models.TextChoices):
    """How a case ended (chosen by the caseworker who closes it; a code, never a narrative)."""

    SUPPORT_GIVEN = "support_given", _("Support given")
    REFERRED_RELOCATION = "referred_relocation", _("Referred to relocation")
    REFERRED_PARTNER = "referred_partner", _("Referred to a partner organisation")
    NO_CONTACT = "no_contact", _("Reporter could not be reached")
    DUPLICATE = "duplicate", _("Duplicate of another report")
    NOT_ACTIONABLE = "not_actionable", _("Nothing we could act on")


FLAGS = frozenset(
    {"death_threat", "home_address_exposed", "photo_exposed", "family_targeted", "followed", "weapon_seen"}
)


class WaitingReason(models.TextChoices):
    """Why a report waits for a triage lead rather than a caseworker."""

    NO_ELIGIBLE_CASEWORKER = (
        "no_eligible_caseworker",
        _("No active caseworker who covers this place holds its intake key: a triage lead must assign it."),
    )
    TRIAGE_FAILED = (
        "triage_failed_repeatedly",
        _("Triage failed several times in a row: a triage lead must send it back to triage."),
    )


# The severity rules' reason codes (reports.severity) as sentences a caseworker reads.
_REASONS = {
    "immediate_danger": _("The reporter says they are in immediate danger."),
    "recent_attempted_attack": _("An attempted attack in the last 30 days."),
    "recent_kidnapping_attempt": _("A kidnapping attempt in the last 30 days."),
    "past_attempted_attack": _("An attempted attack, more than 30 days ago."),
    "past_kidnapping_attempt": _("A kidnapping attempt, more than 30 days ago."),
    "flag_death_threat": _("They were threatened with death."),
    "flag_weapon_seen": _("A weapon was seen."),
    "flag_home_address_exposed": _("Their home address was exposed."),
    "flag_family_targeted": _("Their family was targeted."),
    "flag_photo_exposed": _("Their photo was exposed."),
    "flag_followed": _("They were followed."),
    "needs_relocation": _("They ask for help to move somewhere safe."),
    "telegram_doxxing": _("They were named or pictured on Telegram."),
    "surveillance": _("They were followed or watched."),
    "indicator_shared_with_other_reports": _("A phone number or Telegram account in this report is in other reports."),
    "no_aggravating_factor": _("Nothing in the report raises its severity."),
}
_SHARED = re.compile(r"\Aindicator_shared_with_(over_)?(\d+)_reports?\Z")


def reason_sentence(code: str) -> str:
    """A severity reason code as a sentence in the active language; an unknown code as itself."""
    if code in _REASONS:
        return str(_REASONS[code])
    shared = _SHARED.match(code)
    if shared is None:
        return code
    count = int(shared.group(2))
    if shared.group(1):
        return gettext("A phone number or Telegram account in this report is in more than %(count)d other reports.") % {
            "count": count
        }
    return ngettext(
        "A phone number or Telegram account in this report is in %(count)d other report.",
        "A phone number or Telegram account in this report is in %(count)d other reports.",
        count,
    ) % {"count": count}
