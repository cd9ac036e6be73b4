"""The closed vocabularies of wire format v1: categories, flags, languages, places."""

import phonenumbers
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
LANGUAGES = frozenset({"ar", "ckb", "en"})

# ISO 3166-2:IQ: the 18 governorates, Halabja (IQ-HA, in recent editions) and the
# Kurdistan Region (IQ-KR), for reporters who name the region only.
IRAQ_SUBDIVISIONS = frozenset(
    {
        "IQ-AN",
        "IQ-AR",
        "IQ-BA",
        "IQ-BB",
        "IQ-BG",
        "IQ-DA",
        "IQ-DI",
        "IQ-DQ",
        "IQ-KA",
        "IQ-KI",
        "IQ-MA",
        "IQ-MU",
        "IQ-NA",
        "IQ-NI",
        "IQ-QA",
        "IQ-SD",
        "IQ-SU",
        "IQ-WA",
        "IQ-HA",
        "IQ-KR",
    }
)
# Reporters abroad (Turkey, Jordan, Europe...) give an ISO 3166-1 alpha-2 country
# code; phonenumbers' region list is that set (without "001", non-geographic).
COUNTRIES = frozenset(code for code in phonenumbers.SUPPORTED_REGIONS if len(code) == 2 and code.isalpha())
PLACES = IRAQ_SUBDIVISIONS | COUNTRIES
