"""Places and languages: the shared vocabulary every app speaks (reports, coverage, relocation, statistics).

A place is an ISO 3166-2:IQ code (Iraq's 18 governorates, Halabja and the
Kurdistan Region) or, for people who have fled, an ISO 3166-1 alpha-2 country
code. Staff screens show a place's name, never only its code, in Arabic,
Sorani Kurdish or English. Iraq's names are written here; countries' names
come from the Unicode CLDR (through Babel), which has all three languages.
"""

from __future__ import annotations

from functools import cache

import phonenumbers
from babel import Locale
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

# The languages Sanad speaks: reports say which one the reporter reads, and
# caseworkers say which ones they work in.
LANGUAGE_NAMES = {"ar": "العربية", "ckb": "کوردی", "en": "English"}
LANGUAGES = frozenset(LANGUAGE_NAMES)

# ISO 3166-2:IQ: the 18 governorates, Halabja (IQ-HA, in recent editions) and the
# Kurdistan Region (IQ-KR), for reporters who name the region only.
# code: (English, Arabic, Sorani Kurdish)
IRAQ_NAMES: dict[str, tuple[str, str, str]] = {
    "IQ-AN": ("Anbar", "الأنبار", "ئەنبار"),
    "IQ-AR": ("Erbil", "أربيل", "هەولێر"),
    "IQ-BA": ("Basra", "البصرة", "بەسرە"),
    "IQ-BB": ("Babil", "بابل", "بابل"),
    "IQ-BG": ("Baghdad", "بغداد", "بەغدا"),
    "IQ-DA": ("Duhok", "دهوك", "دهۆک"),
    "IQ-DI": ("Diyala", "ديالى", "دیالە"),
    "IQ-DQ": ("Dhi Qar", "ذي قار", "زیقار"),
    "IQ-KA": ("Karbala", "كربلاء", "کەربەلا"),
    "IQ-KI": ("Kirkuk", "كركوك", "کەرکووک"),
    "IQ-MA": ("Maysan", "ميسان", "مەیسان"),
    "IQ-MU": ("Muthanna", "المثنى", "موسەننا"),
    "IQ-NA": ("Najaf", "النجف", "نەجەف"),
    "IQ-NI": ("Nineveh", "نينوى", "نەینەوا"),
    "IQ-QA": ("Al-Qadisiyah", "القادسية", "قادسیە"),
    "IQ-SD": ("Salah al-Din", "صلاح الدين", "سەڵاحەدین"),
    "IQ-SU": ("Sulaymaniyah", "السليمانية", "سلێمانی"),
    "IQ-WA": ("Wasit", "واسط", "واست"),
    "IQ-HA": ("Halabja", "حلبجة", "هەڵەبجە"),
    "IQ-KR": ("Kurdistan Region", "إقليم كوردستان", "هەرێمی کوردستان"),
}
IRAQ_SUBDIVISIONS = frozenset(IRAQ_NAMES)
# Reporters abroad (Turkey, Jordan, Europe...) give an ISO 3166-1 alpha-2 country
# code; phonenumbers' region list is that set (without "001", non-geographic).
COUNTRIES = frozenset(code for code in phonenumbers.SUPPORTED_REGIONS if len(code) == 2 and code.isalpha())
PLACES = IRAQ_SUBDIVISIONS | COUNTRIES

_IRAQ_COLUMN = {"en": 0, "ar": 1, "ckb": 2}


@cache
def _territories(language: str) -> dict[str, str]:
    return dict(Locale.parse(language).territories)


def _language(language: str | None) -> str:
    """`language`, or the active one when None; anything but ar, ckb or en reads as English."""
    if language is None:
        language = (get_language() or "en").split("-")[0]
    return language if language in LANGUAGES else "en"


def place_name(code: str, language: str | None = None) -> str:
    """The place's name in `language` (ar, ckb or en; None: the active language); the code itself if unknown."""
    language = _language(language)
    if code in IRAQ_NAMES:
        return IRAQ_NAMES[code][_IRAQ_COLUMN[language]]
    if code in COUNTRIES:
        return _territories(language).get(code) or _territories("en").get(code) or code
    return code


def place_choices(codes, language: str | None = None, *, with_code: bool = True) -> list[tuple[str, str]]:
    """(code, "Name (code)"), or (code, "Name") without the code, for each code: Iraq's places first,
    then countries, each by name."""
    language = _language(language)
    return sorted(
        (
            (code, f"{place_name(code, language)} ({code})" if with_code else place_name(code, language))
            for code in codes
        ),
        key=lambda choice: (choice[0] not in IRAQ_SUBDIVISIONS, choice[1]),
    )


# OCHA's admin-1 P-codes for Iraq (the codes humanitarian partners key their data on), by ISO code.
# Halabja has none of its own (OCHA counts it in Sulaymaniyah), nor has the Kurdistan Region. Matched
# by name: OCHA's older IQ-Gnn codes were numbered differently and are not used.
OCHA_PCODES = {
    "IQ-AN": "IQG01",
    "IQ-BA": "IQG02",
    "IQ-MU": "IQG03",
    "IQ-NA": "IQG04",
    "IQ-QA": "IQG05",
    "IQ-SU": "IQG06",
    "IQ-BB": "IQG07",
    "IQ-BG": "IQG08",
    "IQ-DA": "IQG09",
    "IQ-DI": "IQG10",
    "IQ-AR": "IQG11",
    "IQ-KA": "IQG12",
    "IQ-KI": "IQG13",
    "IQ-MA": "IQG14",
    "IQ-NI": "IQG15",
    "IQ-SD": "IQG16",
    "IQ-DQ": "IQG17",
    "IQ-WA": "IQG18",
}
# Places whose counts are published as another's: Halabja in Sulaymaniyah, as OCHA counts it.
FOLDED_INTO = {"IQ-HA": "IQ-SU"}

# The Kurdistan Region's governorates (and the region itself, for reporters who name only it).
KURDISTAN_REGION = frozenset({"IQ-KR", "IQ-AR", "IQ-SU", "IQ-DA", "IQ-HA"})
PLACE_GROUPS = (
    (_("Iraq, outside the Kurdistan Region"), lambda code: code in IRAQ_SUBDIVISIONS and code not in KURDISTAN_REGION),
    (_("Kurdistan Region"), lambda code: code in KURDISTAN_REGION),
    (_("Abroad"), lambda code: code in COUNTRIES),
)


def place_groups(
    codes, language: str | None = None, *, with_code: bool = True
) -> list[tuple[str, list[tuple[str, str]]]]:
    """`codes` as named choices grouped as a select shows them (Django's grouped choices):
    the rest of Iraq, the Kurdistan Region, then countries abroad; empty groups are left out."""
    choices = place_choices(codes, language, with_code=with_code)
    groups = []
    for label, member in PLACE_GROUPS:
        inside = [choice for choice in choices if member(choice[0])]
        if inside:
            groups.append((str(label), inside))
    return groups
