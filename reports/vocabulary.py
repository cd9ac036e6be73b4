"""The closed vocabularies of reports: categories, outcomes, flags (places and languages: backend.places)."""

from django.db import models


class Category(models.TextChoices):
    PHONE_THREAT = "phone_threat", "Threat by phone"
    TELEGRAM_DOXXING = "telegram_doxxing", "Named or pictured on Telegram"
    ATTEMPTED_ATTACK = "attempted_attack", "Attempted attack"
    KIDNAPPING_ATTEMPT = "kidnapping_attempt", "Kidnapping attempt"
    SURVEILLANCE = "surveillance", "Followed or watched"
    OTHER = "other", "Other"


class Outcome(models.TextChoices):
    """How a case ended (chosen by the caseworker who closes it; a code, never a narrative)."""

    SUPPORT_GIVEN = "support_given", "Support given"
    REFERRED_RELOCATION = "referred_relocation", "Referred to relocation"
    REFERRED_PARTNER = "referred_partner", "Referred to a partner organisation"
    NO_CONTACT = "no_contact", "Reporter could not be reached"
    DUPLICATE = "duplicate", "Duplicate of another report"
    NOT_ACTIONABLE = "not_actionable", "Nothing we could act on"


FLAGS = frozenset(
    {"death_threat", "home_address_exposed", "photo_exposed", "family_targeted", "followed", "weapon_seen"}
)
