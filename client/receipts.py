"""Receipts as reporters type them, turned into the one form the client sends.

A receipt is 20 digits shown in groups of four. Reporters may type the digits
in Arabic-Indic (U+0660..U+0669) or Extended Arabic-Indic / Persian
(U+06F0..U+06F9) script and separate the groups with spaces, dashes or dots.
The server accepts the same characters (backend/receipts.py); this is a copy
of its small table, because the client shares no code with the server.
Normalising here also keeps the Authorization header ASCII, which HTTP needs.
"""

from __future__ import annotations

from client.i18n import N_, _

DIGITS = 20
GROUP = 4
MAX_INPUT_LENGTH = 64
# Separators people type between groups; anything else makes the receipt malformed.
SEPARATORS = frozenset({" ", "-", "\u00a0", "\u2009", "\u202f", "\u2010", "\u2011", "\u2012", "\u2013", "\u2212", "."})
# Arabic-Indic (U+0660..) and Extended Arabic-Indic (U+06F0..) digits map to ASCII.
_DIGIT_MAP = {chr(base + i): str(i) for base in (0x0660, 0x06F0) for i in range(10)}
_DIGIT_MAP.update({str(i): str(i) for i in range(10)})

# Shown to the reporter (translated then); never includes what was typed.
# Translators: the example may be written in Arabic-Indic digits too: the client accepts them.
MALFORMED = N_("A receipt is 20 digits in groups of four, like 1234-5678-9012-3456-7890: check it and type it again.")


class MalformedReceipt(ValueError):
    def __init__(self) -> None:
        super().__init__(_(MALFORMED))


def receipt_canonical(text: str) -> str:
    """The receipt as '1234-5678-9012-3456-7890' in ASCII digits, or MalformedReceipt."""
    if not isinstance(text, str) or len(text) > MAX_INPUT_LENGTH:
        raise MalformedReceipt()
    digits = []
    for char in text.strip():
        if char in _DIGIT_MAP:
            digits.append(_DIGIT_MAP[char])
        elif char not in SEPARATORS:
            raise MalformedReceipt()
    if len(digits) != DIGITS:
        raise MalformedReceipt()
    return "-".join("".join(digits[i : i + GROUP]) for i in range(0, DIGITS, GROUP))
