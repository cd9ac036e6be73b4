"""Appending to the audit chain: the only code that writes audit entries.

Appends are serialised, because each entry needs the hash of the one before:
two appends reading the same head would fork the chain (the unique `seq` would
then refuse one, failing an action that should have succeeded). On PostgreSQL
a transaction-scoped advisory lock is taken before the head is read; on SQLite
the project opens every transaction with BEGIN IMMEDIATE, which already takes
the database's single write lock.

The entry is written in the caller's transaction when there is one, so it
commits or rolls back with the act it records: no entry for something that
did not happen, and nothing done without its entry. Since the lock is held
until that transaction ends, call audit_record late in it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone

from audit.actions import Action
from audit.chain import GENESIS_HASH, audit_key, compute_hash, normalise_time
from audit.details import clean_details
from audit.models import AuditEntry

if TYPE_CHECKING:
    from accounts.models import StaffUser

SYSTEM_ACTOR_NAME = "system"
# pg_advisory_xact_lock key for the chain: the first 8 bytes of
# SHA-256("sanad.audit.chain") as a signed 64-bit integer. Fixed forever, and
# unlikely to collide with any other advisory lock in the database.
CHAIN_LOCK_ID = -4965608503960954317


def audit_record(
    action: Action | str,
    *,
    actor: StaffUser | None = None,
    obj_type: str = "",
    obj_id: Any = "",
    details: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry (actor None means the system) and return it; ValueError for anything malformed."""
    action = Action(action)
    details = clean_details(details)
    obj_type = _short("obj_type", obj_type, AuditEntry._meta.get_field("object_type").max_length)
    obj_id = _short("obj_id", obj_id, AuditEntry._meta.get_field("object_id").max_length)
    if actor is not None and actor.pk is None:
        raise ValueError("the actor must be a saved staff user (or None for the system).")
    key = audit_key()

    # savepoint=False: a failure here fails the caller's whole transaction
    # rather than quietly dropping the entry and letting the act commit.
    with transaction.atomic(using=DEFAULT_DB_ALIAS, savepoint=False):
        _lock_chain()
        head = AuditEntry.objects.order_by("-seq").values_list("seq", "entry_hash").first()
        seq, prev_hash = (head[0] + 1, head[1]) if head else (1, GENESIS_HASH)
        entry = AuditEntry(
            seq=seq,
            at=normalise_time(timezone.now()),  # read after the lock, so times follow the chain
            actor_id=str(actor.pk) if actor is not None else "",
            actor_name=actor.get_username() if actor is not None else SYSTEM_ACTOR_NAME,
            action=action.value,
            object_type=obj_type,
            object_id=obj_id,
            details=details,
            prev_hash=prev_hash,
        )
        entry.entry_hash = compute_hash(entry, key)
        entry.save(force_insert=True, using=DEFAULT_DB_ALIAS)
    return entry


def _lock_chain() -> None:
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_ID])
    # SQLite: BEGIN IMMEDIATE (settings: transaction_mode) already holds the write lock.


def _short(name: str, value: Any, limit: int) -> str:
    """Object types and ids are short identifiers; SQLite would not enforce the length, so check it here."""
    text = "" if value is None else str(value)
    if len(text) > limit:
        raise ValueError(f"{name} is longer than {limit} characters; it must be an identifier.")
    return text
