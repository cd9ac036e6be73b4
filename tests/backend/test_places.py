"""Places and languages below the apps: every place has a name in Arabic, Sorani Kurdish and English."""

from __future__ import annotations

import re

import pytest

from backend.places import COUNTRIES, IRAQ_SUBDIVISIONS, LANGUAGES, PLACES, place_choices, place_name

ARABIC_SCRIPT = re.compile(r"[\u0600-\u06FF]")


@pytest.mark.parametrize("code", sorted(PLACES))
def test_every_place_has_a_name_in_each_language(code):
    english, arabic, sorani = (place_name(code, language) for language in ("en", "ar", "ckb"))
    assert english and english != code
    assert ARABIC_SCRIPT.search(arabic) and ARABIC_SCRIPT.search(sorani), (code, arabic, sorani)


def test_known_names():
    assert (place_name("IQ-BG"), place_name("IQ-BG", "ar"), place_name("IQ-BG", "ckb")) == ("Baghdad", "بغداد", "بەغدا")
    assert place_name("IQ-AR", "ckb") == "هەولێر"  # Erbil is Hewlêr in Sorani
    assert place_name("TR", "ckb") == "تورکیا" and place_name("JO", "ar") == "الأردن"


def test_an_unknown_code_or_language_does_not_fail():
    assert place_name("IQ-XX") == "IQ-XX"
    assert place_name("IQ-BG", "fr") == "Baghdad"  # anything else reads as English


def test_the_vocabulary_is_what_the_wire_format_accepts():
    assert LANGUAGES == {"ar", "ckb", "en"}
    assert len(IRAQ_SUBDIVISIONS) == 20 and {"IQ-HA", "IQ-KR"} <= IRAQ_SUBDIVISIONS
    assert "TR" in COUNTRIES and "001" not in COUNTRIES and not IRAQ_SUBDIVISIONS & COUNTRIES


def test_choices_put_iraq_first_then_countries_by_name():
    choices = place_choices(["TR", "IQ-NA", "DE", "IQ-BG"])
    assert [code for code, _ in choices] == ["IQ-BG", "IQ-NA", "DE", "TR"]
    assert choices[0] == ("IQ-BG", "Baghdad (IQ-BG)")
