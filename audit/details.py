"""What an audit entry's `details` may hold: ids, codes, states and counts, never content.

The chain is kept for years and read by auditors, so anything written into it
must be safe to show them. Rather than trusting each caller, the shape is
enforced here: a flat mapping of short identifier keys to scalars (None,
booleans, whole numbers, strings of at most 64 characters), or to one level of
list or mapping of such scalars (e.g. roles added and removed). Anything longer
or deeper is refused with ValueError, so a message body or a free-text note
cannot be pasted in. Floats are refused too: they have no single canonical JSON
form, and the entry hash must match what the database gives back.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any

MAX_STRING = 64
MAX_ITEMS = 32
_KEY = re.compile(r"[A-Za-z0-9_]{1,64}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def clean_details(details: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return details in the exact form that is stored and hashed (plain str/int, lists), or raise ValueError."""
    if details is None:
        return {}
    if not isinstance(details, Mapping):
        raise ValueError("audit details must be a mapping.")
    return _clean_mapping(details, nested=False)


def _clean_mapping(mapping: Mapping, *, nested: bool) -> dict[str, Any]:
    if len(mapping) > MAX_ITEMS:
        raise ValueError(f"audit details hold at most {MAX_ITEMS} items per level.")
    return {_clean_key(key): _clean_value(value, nested=nested) for key, value in mapping.items()}


def _clean_value(value: Any, *, nested: bool) -> Any:
    if isinstance(value, (list, tuple, Mapping)):
        if nested:
            raise ValueError("audit details may nest one level deep, no more.")
        if isinstance(value, Mapping):
            return _clean_mapping(value, nested=True)
        if len(value) > MAX_ITEMS:
            raise ValueError(f"audit details hold at most {MAX_ITEMS} items per level.")
        return [_clean_value(item, nested=True) for item in value]
    return _clean_scalar(value)


def _clean_key(key: Any) -> str:
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise ValueError("audit detail keys are identifiers of 1 to 64 letters, digits or underscores.")
    return str.__str__(key)


def _clean_scalar(value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)  # an IntegerChoices member becomes a plain int
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, str):
        if len(value) > MAX_STRING:
            raise ValueError(f"audit detail strings are ids or codes of at most {MAX_STRING} characters.")
        if _CONTROL.search(value):
            raise ValueError("audit detail strings may not hold control characters.")
        return str.__str__(value)  # a TextChoices member becomes a plain str
    raise ValueError(f"audit details hold ids, codes, states and counts, not {type(value).__name__}.")
