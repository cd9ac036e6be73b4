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
from django.utils.translation import gettext_lazy as _

from audit.actions import Action


class AppendOnly(Exception):
    """Audit entries are never updated or deleted."""


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnly("audit entries cannot be updated.")

    def delete(self):
        raise AppendOnly("audit entries cannot be deleted.")


class AuditEntry(models.Model):
    seq = models.PositiveBigIntegerField(
        # Translators: short for "sequence number", an entry's position in the audit chain.
        _("seq"),
        unique=True,
        help_text=_("Position in the chain, from 1 without gaps."),
    )
    # Translators: a column header: when the audited act happened.
    at = models.DateTimeField(_("at"))
    actor_id = models.CharField(
        _("actor id"), max_length=36, blank=True, help_text=_("The staff user's UUID; empty for the system.")
    )
    actor_name = models.CharField(
        _("actor name"),
        max_length=150,
        # Translators: 'system' is the name stored for acts no person did; keep it as it is.
        help_text=_("Username at the time, or 'system'."),
    )
    action = models.CharField(_("action"), max_length=40, choices=Action.choices)
    object_type = models.CharField(_("object type"), max_length=32, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    details = models.JSONField(
        _("details"), default=dict, blank=True, help_text=_("Ids, codes, states and counts only.")
    )
    prev_hash = models.CharField(_("prev hash"), max_length=64)
    entry_hash = models.CharField(_("entry hash"), max_length=64)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["seq"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [
            models.Index(fields=["object_id"], name="audit_object_id_idx"),
            models.Index(fields=["actor_name"], name="audit_actor_name_idx"),
            models.Index(fields=["action"], name="audit_action_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.get_action_display()}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnly("audit entries cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("audit entries cannot be deleted.")
