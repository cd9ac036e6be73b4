"""The audit chain: one row per audited act, append-only, linked by keyed hashes.

The actor is a snapshot (UUID string and username), not a foreign key: a
cascade or SET_NULL on deleting a staff user would rewrite history and break
the chain. Rows are only ever inserted, by audit.services.audit_record; the
guards below refuse updates and deletes through the ORM so no code path can
grow one by accident. (Someone with direct database access can still change
rows; that is what `manage.py verify_audit` detects.)
"""

from __future__ import annotations

from django.db import models

from audit.actions import Action


class AppendOnly(Exception):
    """Audit entries are never updated or deleted."""


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnly("audit entries cannot be updated.")

    def delete(self):
        raise AppendOnly("audit entries cannot be deleted.")


class AuditEntry(models.Model):
    seq = models.PositiveBigIntegerField(unique=True, help_text="Position in the chain, from 1 without gaps.")
    at = models.DateTimeField()
    actor_id = models.CharField(max_length=36, blank=True, help_text="The staff user's UUID; empty for the system.")
    actor_name = models.CharField(max_length=150, help_text="Username at the time, or 'system'.")
    action = models.CharField(max_length=40, choices=Action.choices)
    object_type = models.CharField(max_length=32, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    details = models.JSONField(default=dict, blank=True, help_text="Ids, codes, states and counts only.")
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["seq"]
        verbose_name_plural = "audit entries"
        indexes = [
            models.Index(fields=["object_id"], name="audit_object_id_idx"),
            models.Index(fields=["actor_name"], name="audit_actor_name_idx"),
            models.Index(fields=["action"], name="audit_action_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnly("audit entries cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("audit entries cannot be deleted.")
