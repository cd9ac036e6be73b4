"""The hash chain's one canonical encoding, shared by appending and verifying.

Each entry's hash is HMAC-SHA256, under SANAD_AUDIT_KEY, of a canonical JSON
encoding of every field, including its sequence number and the previous
entry's hash. Chaining makes a deletion or reordering visible; the key makes a
forged or recomputed entry visible, since whoever edits the database cannot
produce a valid hash without it (a plain SHA-256 could be recomputed by anyone).
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from audit.models import AuditEntry

GENESIS_HASH = "0" * 64
# Part of every hashed record, so a future change of encoding cannot be mistaken for this one.
FORMAT_VERSION = 1


def audit_key() -> bytes:
    key = settings.SANAD_AUDIT_KEY
    if not key:
        raise ImproperlyConfigured("SANAD_AUDIT_KEY is not set; the audit chain cannot be written or verified.")
    return key


def normalise_time(at: datetime.datetime) -> datetime.datetime:
    """UTC, microsecond precision: what PostgreSQL and SQLite both store and give back unchanged."""
    if at.tzinfo is None:
        raise ValueError("audit timestamps must be timezone-aware.")
    return at.astimezone(datetime.UTC)


def canonical_bytes(entry: AuditEntry) -> bytes:
    record = {
        "v": FORMAT_VERSION,
        "seq": entry.seq,
        "at": normalise_time(entry.at).isoformat(timespec="microseconds"),
        "actor_id": entry.actor_id,
        "actor_name": entry.actor_name,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "details": entry.details,
        "prev_hash": entry.prev_hash,
    }
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def compute_hash(entry: AuditEntry, key: bytes | None = None) -> str:
    """Hex HMAC-SHA256 of the entry's canonical encoding (every field but entry_hash itself)."""
    return hmac.new(key or audit_key(), canonical_bytes(entry), hashlib.sha256).hexdigest()
