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


FLAGS = frozenset(
    {"death_threat", "home_address_exposed", "photo_exposed", "family_targeted", "followed", "weapon_seen"}
)
LANGUAGES = frozenset({"ar", "ckb", "en"})

# ISO 3166-2:IQ: the 18 governorates, Halabja (IQ-HA, in recent editions) and the
# Kurdistan Region (IQ-KR), for reporters who name the region only.
IRAQ_SUBDIVISIONS = frozenset(
    {
        "IQ-AN", "IQ-AR", "IQ-BA", "IQ-BB", "IQ-BG", "IQ-DA", "IQ-DI", "IQ-DQ", "IQ-KA", "IQ-KI",
        "IQ-MA", "IQ-MU", "IQ-NA", "IQ-NI", "IQ-QA", "IQ-SD", "IQ-SU", "IQ-WA", "IQ-HA", "IQ-KR",
    }
)
# Reporters abroad (Turkey, Jordan, Europe...) give an ISO 3166-1 alpha-2 country
# code; phonenumbers' region list is that set (without "001", non-geographic).
COUNTRIES = frozenset(code for code in phonenumbers.SUPPORTED_REGIONS if len(code) == 2 and code.isalpha())
PLACES = IRAQ_SUBDIVISIONS | COUNTRIES
