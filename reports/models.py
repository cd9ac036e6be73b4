"""Reports and what reporters add to them. Content is HPKE ciphertext made on the device.

Plain columns are only the coarse fields queues and statistics filter on
(category, governorate, incident month, state). The other triage details are
sealed; indicators exist only as truncated blind indexes; the receipt only as
a keyed hash. No column holds an address, a user agent or anything typed.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from accounts.models import SharedKey
from reports.vocabulary import Category, Outcome


class ReportState(models.TextChoices):
    PENDING = "pending"
    TRIAGED = "triaged"
    ASSIGNED = "assigned"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"
    PARKED = "parked"


class Severity(models.TextChoices):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


def _queue_rank() -> models.Expression:
    """Where a report stands in the caseworkers' queue: open work first, most severe first; closed and
    withdrawn reports last. Parked reports (triage kept failing, severity unknown) rank with the critical."""
    severity = models.Case(
        models.When(state=ReportState.PARKED, then=models.Value(0)),
        models.When(severity=Severity.CRITICAL, then=models.Value(0)),
        models.When(severity=Severity.HIGH, then=models.Value(1)),
        models.When(severity=Severity.MEDIUM, then=models.Value(2)),
        models.When(severity=Severity.LOW, then=models.Value(3)),
        default=models.Value(4),
    )
    done = models.Case(
        models.When(state__in=(ReportState.CLOSED, ReportState.WITHDRAWN), then=models.Value(10)),
        default=models.Value(0),
    )
    return done + severity


# The queue's order, total (the id breaks ties). The rank is an expression, not a column, and the
# indexes below are built on the same expression, so the database reads the queue in index order.
# Reports without a deadline come after those with one, on PostgreSQL and SQLite alike.
QUEUE_RANK = _queue_rank()
QUEUE_ORDER = (
    QUEUE_RANK.asc(),
    models.F("sla_due_at").asc(nulls_last=True),
    models.F("created_at").asc(),
    models.F("id").asc(),
)
_QUEUE_INDEX = (QUEUE_RANK, "sla_due_at", "created_at", "id")
_QUEUE_FILTERS = ["state", "severity", "category", "governorate"]


class Report(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    intake_key = models.ForeignKey(SharedKey, on_delete=models.PROTECT, related_name="+")
    # The HPKE output exactly as received; emptied when the reporter withdraws.
    ciphertext = models.BinaryField(null=True, editable=False)
    # SHA-256 of the ciphertext: HPKE has no replay protection, so a stored one is refused.
    ciphertext_sha256 = models.BinaryField(max_length=32, unique=True, editable=False)
    # HMAC of the receipt under SANAD_RECEIPT_KEY; cleared on withdrawal (the receipt stops working).
    receipt_hash = models.BinaryField(max_length=32, null=True, unique=True, editable=False)
    reply_public_key = models.BinaryField(null=True, editable=False)
    state = models.CharField(max_length=16, choices=ReportState.choices, default=ReportState.PENDING)
    category = models.CharField(max_length=32, choices=Category.choices)
    governorate = models.CharField(max_length=8)
    incident_month = models.DateField(help_text="First day of the month the incident happened.")
    # Sealed JSON: immediate_danger, needs_relocation, flags, language.
    triage_sealed = models.BinaryField(editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    # --- Triage (the row is its own outbox: see reports/tasks.py) ---
    severity = models.CharField(max_length=8, choices=Severity.choices, blank=True)
    # The reason codes that produced the severity (never content), as sealed JSON: they repeat the sealed
    # triage details (flags, immediate danger, relocation), which a copy of the database must not show.
    severity_reasons_sealed = models.BinaryField(null=True, blank=True, editable=False)
    # The rule-set version the severity was computed with.
    ruleset_version = models.PositiveSmallIntegerField(null=True, blank=True)
    assigned_to = models.ForeignKey(
        "accounts.StaffUser", null=True, blank=True, on_delete=models.PROTECT, related_name="assigned_reports"
    )
    # Why a triaged report waits in the triage leads' queue (e.g. no eligible caseworker).
    waiting_reason = models.CharField(max_length=64, blank=True)
    triage_attempts = models.PositiveSmallIntegerField(default=0)
    claimed_until = models.DateTimeField(null=True, blank=True)
    # When the sweeper last queued it: a backlog is not queued again every sweep.
    swept_at = models.DateTimeField(null=True, blank=True)
    triaged_at = models.DateTimeField(null=True, blank=True)
    sla_due_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    # How the case ended, set when a caseworker closes it.
    outcome = models.CharField(max_length=32, choices=Outcome.choices, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["state", "created_at"]),
            models.Index(fields=["state", "sla_due_at"]),
            models.Index(fields=["assigned_to", "state"]),
            # A lead's queue, and each caseworker's assigned reports, read in queue order. The columns
            # the list filters on ride along (PostgreSQL), so a filtered page, and its count, are
            # answered from the index alone.
            models.Index(*_QUEUE_INDEX, name="report_queue_order", include=[*_QUEUE_FILTERS, "assigned_to"]),
            models.Index("assigned_to", *_QUEUE_INDEX, name="report_assignee_queue", include=_QUEUE_FILTERS),
            # The unassigned queue of the places a caseworker covers.
            models.Index(
                "governorate",
                *_QUEUE_INDEX,
                condition=models.Q(state=ReportState.TRIAGED, assigned_to__isnull=True),
                name="report_unassigned_queue",
            ),
        ]

    def __str__(self) -> str:
        return f"report {self.reference}"

    @property
    def reference(self) -> str:
        """A short reference for notifications and staff conversation (not a secret, not content)."""
        return str(self.pk)[:8]


class ReportIndicator(models.Model):
    """One indicator of a report, as its blind index only (see backend/crypto/blind_index.py)."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="indicators")
    kind = models.CharField(max_length=16)
    bits = models.PositiveSmallIntegerField()
    value = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["kind", "bits", "value"])]

    def __str__(self) -> str:
        return f"indicator of {self.report}"


class FollowUp(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="followups")
    intake_key = models.ForeignKey(SharedKey, on_delete=models.PROTECT, related_name="+")
    ciphertext = models.BinaryField(editable=False)
    ciphertext_sha256 = models.BinaryField(max_length=32, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"follow-up {str(self.pk)[:8]}"


class Evidence(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="evidence")
    intake_key = models.ForeignKey(SharedKey, on_delete=models.PROTECT, related_name="+")
    ciphertext = models.BinaryField(editable=False)
    ciphertext_sha256 = models.BinaryField(max_length=32, unique=True, editable=False)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "evidence"

    def __str__(self) -> str:
        return f"evidence {str(self.pk)[:8]}"


class Reply(models.Model):
    """A caseworker's answer, HPKE-encrypted to the reporter's reply key (written by the workspace)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey("accounts.StaffUser", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    ciphertext = models.BinaryField(editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "replies"

    def __str__(self) -> str:
        return f"reply {str(self.pk)[:8]}"


class SpentChallenge(models.Model):
    """A proof-of-work challenge already paid with: recorded in the same transaction as the
    report, follow-up or evidence it bought, so each is spent once even if Redis is lost."""

    digest = models.BinaryField(max_length=32, unique=True)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return "spent challenge"


class ReportTransition(models.Model):
    """Every state change, with its time and actor (a user, or the system when empty)."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField(max_length=16, choices=ReportState.choices)
    to_state = models.CharField(max_length=16, choices=ReportState.choices)
    actor = models.ForeignKey("accounts.StaffUser", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_state} -> {self.to_state}"


class CandidateLink(models.Model):
    """Two reports sharing a blind-indexed indicator: a candidate for a caseworker to confirm, not proof."""

    class Status(models.TextChoices):
        CANDIDATE = "candidate"
        CONFIRMED = "confirmed"
        REJECTED = "rejected"

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="links")
    other = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.CANDIDATE)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["report", "other", "kind"], name="one_link_per_pair_and_kind")]

    def __str__(self) -> str:
        return "candidate link"


class Notification(models.Model):
    """A message to a member of staff about a report: severity and reference only, never content.

    Unique per (report, kind, recipient): a task run twice sends once.
    """

    class Kind(models.TextChoices):
        ASSIGNED = "assigned"
        NEEDS_ASSIGNMENT = "needs_assignment"
        SLA_BREACH = "sla_breach"
        PARKED = "parked"

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    recipient = models.ForeignKey("accounts.StaffUser", on_delete=models.CASCADE, related_name="notifications")
    created_at = models.DateTimeField(default=timezone.now)
    # Sending is at least once: a sender leases the row, marks it sent only after
    # the message went out, and a lapsed lease is retried by the sweeper.
    sending_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["report", "kind", "recipient"], name="one_notification_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.kind} notification"
