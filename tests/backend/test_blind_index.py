import math
import os

import pytest

from backend.crypto.blind_index import (
    BlindIndexer,
    normalise_indicator,
    normalise_phone,
    normalise_telegram,
    planned_bits,
)
from backend.crypto.errors import InvalidIndicator, InvalidKey


@pytest.mark.parametrize(
    "typed",
    ["07701234567", "0770 123 4567", "+964 770 123 4567", "00964-770-123-4567", "٠٧٧٠١٢٣٤٥٦٧", "۰۷۷۰ ۱۲۳ ۴۵۶۷"],
)
def test_iraqi_numbers_normalise_to_one_e164_form(typed):
    assert normalise_phone(typed) == "+9647701234567"


def test_foreign_numbers_keep_their_country():
    assert normalise_phone("+90 532 123 45 67") == "+905321234567"


@pytest.mark.parametrize("typed", ["", "hello", "123", "+964 1", "0" * 300, None])
def test_impossible_numbers_are_refused(typed):
    with pytest.raises(InvalidIndicator):
        normalise_phone(typed)


@pytest.mark.parametrize("typed", ["+39 06 1234 5678", "+225 07 07 12 34 56", "+964 0770 123 4567", "0770 123 4567"])
def test_a_normalised_number_normalises_to_itself(typed):
    normalised = normalise_phone(typed)
    assert normalise_phone(normalised) == normalised


@pytest.mark.parametrize("typed", ["0000001 0567", "+964 0000 010 567", "+9640000010567"])
def test_numbers_whose_leading_zeros_shrink_on_each_reading_are_refused(typed):
    """phonenumbers takes one of these zeros for a trunk prefix each time it reads the number, so its E.164 form
    would index differently from what was typed (found by fuzz/targets/indicator.py)."""
    with pytest.raises(InvalidIndicator):
        normalise_phone(typed)


@pytest.mark.parametrize(
    "typed",
    [
        "@Jokers_Channel",
        "jokers_channel",
        "t.me/jokers_channel",
        "https://t.me/Jokers_Channel",
        "http://telegram.me/jokers_channel/",
        "https://t.me/s/jokers_channel",
        "https://t.me/jokers_channel/1234",
        "tg://resolve?domain=jokers_channel",
        "jokers_channel.t.me",
        "https://jokers_channel.t.me",
    ],
)
def test_telegram_forms_reduce_to_the_lowercased_handle(typed):
    assert normalise_telegram(typed) == ("telegram", "jokers_channel")


def test_private_invite_links_keep_their_case():
    assert normalise_telegram("https://t.me/+AbCdEfGh1234") == ("telegram_invite", "AbCdEfGh1234")
    assert normalise_telegram("t.me/joinchat/AbCdEfGh1234") == ("telegram_invite", "AbCdEfGh1234")


@pytest.mark.parametrize(
    "typed", ["", "@", "@ab", "https://example.org/jokers", "t.me/", "@1abc_def", "@bad-handle", "https://t.me/+x"]
)
def test_bad_telegram_input_is_refused(typed):
    with pytest.raises(InvalidIndicator):
        normalise_telegram(typed)


@pytest.mark.parametrize(
    "typed",
    ["[a/b", "https://t.me]/x", "https://[t.me/x", "http://[::1/jokers", "t.me:abc/x", "https://t.me:99999999/x"],
)
def test_malformed_urls_are_refused_not_crashed_on(typed):
    with pytest.raises(InvalidIndicator):
        normalise_telegram(typed)


def test_any_typed_text_is_normalised_or_refused_never_crashed_on():
    """Bad input is an InvalidIndicator (a 400 naming the field), never another exception (a 500)."""
    import random

    rng = random.Random(20261130)
    alphabet = "@:/?#[]%.+-_ tgmeTME0123456789abcxyz\u0661\u200f=&"
    for _ in range(20_000):
        typed = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24)))
        for prefix in ("", "https://", "t.me/", "tg://resolve?domain="):
            try:
                normalise_telegram(prefix + typed)
            except InvalidIndicator:
                pass


def test_unknown_indicator_type_is_refused():
    with pytest.raises(InvalidIndicator):
        normalise_indicator("email", "a@b.c")


def test_index_is_deterministic_keyed_and_kind_separated():
    key = os.urandom(32)
    indexer = BlindIndexer(key, 16)
    a = indexer.index_indicator("phone", "07701234567")
    assert a == indexer.index_indicator("phone", "+964 770 123 4567")
    assert 0 <= a[1] < 2**16
    # The same text as a phone and as a Telegram handle lands in separate domains.
    values = {indexer.index("phone", f"v{i}") == indexer.index("telegram", f"v{i}") for i in range(64)}
    assert values != {True}


def test_index_depends_on_the_key():
    indexer_a, indexer_b = BlindIndexer(os.urandom(32), 32), BlindIndexer(os.urandom(32), 32)
    same = sum(
        indexer_a.index("phone", f"+96477000000{i:02d}") == indexer_b.index("phone", f"+96477000000{i:02d}")
        for i in range(50)
    )
    assert same == 0


def test_truncation_gives_the_planned_number_of_coincidences():
    """CipherSweet's rule: R rows, L bits, R / 2^L >= 2 coincidences; measured on real indexes."""
    rows = 4096
    bits = planned_bits(rows)
    assert rows / 2**bits >= 2 and rows / 2 ** (bits + 1) < 2
    indexer = BlindIndexer(os.urandom(32), bits)
    values = [indexer.index("phone", f"+9647{i:09d}") for i in range(rows)]
    assert max(values) < 2**bits
    distinct = len(set(values))
    # With 2^bits buckets and 2x as many rows, about 1 - e^-2 = 86% of buckets are used.
    assert distinct < rows * 0.6
    assert math.isclose(distinct / 2**bits, 1 - math.exp(-rows / 2**bits), abs_tol=0.05)


def test_planned_bits_examples():
    assert planned_bits(100_000) == 15
    assert planned_bits(4) == 1
    assert planned_bits(2**40) == 39


def test_short_key_and_bad_length_are_refused():
    with pytest.raises(InvalidKey):
        BlindIndexer(b"short", 16)
    with pytest.raises(InvalidKey):
        BlindIndexer(os.urandom(32), 64)
