"""Retention: reports closed longer than SANAD_RETENTION_CLOSED_DAYS, and withdrawn reports, lose their
remaining rows (the report and, by cascade, its transitions, indicators, links and notifications).

Withdrawal already deleted the content, follow-ups, evidence and replies at once (reports.intake); the
row it leaves holds only coarse columns. Statistics never read this table: they are computed from the
partners' roll-up (partners.models.StatsCount), written at triage and placement and kept, so a release
computed after a purge is computed from the same counts.

A report that relocation still refers to (a referral, with its placements) is kept: relocation's
records are its own, and a placement's history outlives the report's content. Such reports are
counted and said, never silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from audit.actions import Action
from audit.services import audit_record
from reports.models import Report, ReportState

BATCH = 500


@dataclass(frozen=True)
class Purged:
    deleted: int
    kept_for_relocation: int


def purge_candidates(now=None):
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.SANAD_RETENTION_CLOSED_DAYS)
    return Report.objects.filter(Q(state=ReportState.WITHDRAWN) | Q(state=ReportState.CLOSED, updated_at__lt=cutoff))


def reports_purge(*, now=None, dry_run: bool = False) -> Purged:
    """Delete what retention allows, in batches, each its own transaction with its own audit entry (a
    purge never holds the table long, and one cut short is on record as far as it went). Each batch
    deletes what the rule still allows at that moment, and records what was actually deleted."""
    candidates = purge_candidates(now)
    kept = candidates.filter(referrals__isnull=False).distinct().count()
    doomed = candidates.filter(referrals__isnull=True)
    if dry_run:
        return Purged(deleted=doomed.count(), kept_for_relocation=kept)
    deleted = 0
    while True:
        with transaction.atomic():
            ids = list(doomed.values_list("pk", flat=True)[:BATCH])
            if not ids:
                break
            gone = doomed.filter(pk__in=ids).delete()[1].get(Report._meta.label, 0)
            if gone:
                audit_record(
                    Action.REPORTS_PURGED,
                    obj_type="report",
                    details={"deleted": gone, "closed_days": settings.SANAD_RETENTION_CLOSED_DAYS},
                )
            deleted += gone
            if not gone:  # another purge took them first
                break
    return Purged(deleted=deleted, kept_for_relocation=kept)
