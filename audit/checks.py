"""The audit app's start-up check (sanad.E012), beside the chain it reads; registered by AuditConfig.ready
and run with the others (backend.checks) by every command and, in production, at web and worker start."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.db import DatabaseError, connection, transaction

from audit.chain import compute_hash
from audit.models import AuditEntry


@register(Tags.security)
def check_audit_key_verifies_the_chain(app_configs=None, **kwargs):
    """sanad.E012: SANAD_AUDIT_KEY verifies the audit chain this database holds.

    Started with a wrong audit key (after a restore, on a new host), a process would append entries that
    the right key never verifies, and the chain would fail from there on. Each entry's hash covers only
    that entry (its link is a stored field), so the oldest and the newest entry are recomputed; the start
    is refused only when neither verifies, which is what a wrong key gives. One edited entry is
    tampering, for `verify_audit` to name: refusing to start for it would hand whoever can write one row
    a way to stop the service. Skipped, like sanad.E010, where it cannot run.
    """
    if settings.SANAD_CONFIG_ERRORS or not settings.SANAD_AUDIT_KEY:
        return []
    try:
        if AuditEntry._meta.db_table not in set(connection.introspection.table_names()):
            return []
        with transaction.atomic():
            ends = {
                entry.seq: entry
                for entry in (*AuditEntry.objects.order_by("seq")[:1], *AuditEntry.objects.order_by("-seq")[:1])
            }
    except DatabaseError:
        return []
    if not ends or any(compute_hash(entry, settings.SANAD_AUDIT_KEY) == entry.entry_hash for entry in ends.values()):
        return []
    return [
        Error(
            f"SANAD_AUDIT_KEY does not verify this database's audit chain (entries {', '.join(map(str, sorted(ends)))}):"
            " it is not the key the chain was written with. Start with the key this database's chain was written "
            "under (after a restore: the SANAD_AUDIT_KEY in force when the dump was made).",
            id="sanad.E012",
        )
    ]
