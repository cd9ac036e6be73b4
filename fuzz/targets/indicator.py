"""Indicators as reporters type them: backend.crypto.blind_index's phone and Telegram normalisation.

The first byte chooses phone (even) or Telegram (odd); the rest is the typed
text, decoded as UTF-8 with undecodable bytes kept as lone surrogates (JSON's
"\\udcxx" can send those). Only InvalidIndicator may escape, and a normalised
value is a fixed point: typed again, in any form the normaliser reads, it gives
the same value and so the same blind index.
"""

from __future__ import annotations

import contextlib

from backend.crypto.blind_index import (
    BlindIndexer,
    IndicatorKind,
    normalise_indicator,
    normalise_phone,
    normalise_telegram,
)
from backend.crypto.errors import InvalidIndicator

DECLARED = (InvalidIndicator,)
MAX_LEN = 512


def prepared():
    return contextlib.nullcontext()


def typed_text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def _check_phone(text: str) -> None:
    normalised = normalise_phone(text)
    assert normalised.startswith("+") and normalised[1:].isascii() and normalised[1:].isdigit(), normalised
    assert normalise_phone(normalised) == normalised, (text, normalised)


def _check_telegram(text: str) -> None:
    kind, normalised = normalise_telegram(text)
    assert normalised.isascii(), normalised
    if kind == IndicatorKind.TELEGRAM:
        forms = (normalised, "@" + normalised, "https://t.me/" + normalised, f"{normalised}.t.me")
    else:
        assert kind == IndicatorKind.TELEGRAM_INVITE, kind
        forms = ("https://t.me/+" + normalised, "t.me/joinchat/" + normalised)
    for form in forms:
        assert normalise_telegram(form) == (kind, normalised), (text, form)


def test_one_input(data: bytes) -> None:
    if not data:
        return
    indicator_type = "telegram" if data[0] % 2 else "phone"
    text = typed_text(data[1:])
    indexer = BlindIndexer.from_settings()
    try:
        kind, normalised = normalise_indicator(indicator_type, text)
    except DECLARED:
        # The envelope refuses it the same way (reports.envelope indexes through index_indicator).
        try:
            indexer.index_indicator(indicator_type, text)
        except DECLARED:
            return
        raise AssertionError("index_indicator accepted what normalise_indicator refused") from None
    if indicator_type == "phone":
        _check_phone(text)
    else:
        _check_telegram(text)
    index_kind, index = indexer.index_indicator(indicator_type, text)
    assert (index_kind, index) == (kind, indexer.index(kind, normalised))
    assert 0 <= index < 2**indexer.bits
