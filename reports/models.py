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
from django.utils.translation import gettext_lazy as _

from accounts.models import SharedKey
from reports.vocabulary import Category, Outcome, WaitingReason


class ReportState(models.TextChoices):
    PENDING = "pending", _("Waiting for triage")
    TRIAGED = "triaged", _("Triaged")
    ASSIGNED = "assigned", _("Assigned")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    IN_PROGRESS = "in_progress", _("In progress")
    CLOSED = "closed", _("Closed")
    WITHDRAWN = "withdrawn", _("Withdrawn by the reporter")
    PARKED = "parked", _("Parked: triage kept failing")


class Severity(models.TextChoices):
    CRITICAL = "critical", _("Critical")
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


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
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False, verbose_name=_("identifier"))
    intake_key = models.ForeignKey(SharedKey, on_delete=models.PROTECT, related_name="+", verbose_name=_("intake key"))
    # The HPKE output exactly as received; emptied when the reporter withdraws.
    ciphertext = models.BinaryField(null=True, editable=False, verbose_name=_("ciphertext"))
    # SHA-256 of the ciphertext: HPKE has no replay protection, so a stored one is refused.
    ciphertext_sha256 = models.BinaryField(
        max_length=32, unique=True, editable=False, verbose_name=_("ciphertext hash")
    )
    # HMAC of the receipt under SANAD_RECEIPT_KEY; cleared on withdrawal (the receipt stops working).
    receipt_hash = models.BinaryField(
        max_length=32, null=True, unique=True, editable=False, verbose_name=_("receipt hash")
    )
    reply_public_key = models.BinaryField(null=True, editable=False, verbose_name=_("reply key"))
    state = models.CharField(
        max_length=16, choices=ReportState.choices, default=ReportState.PENDING, verbose_name=_("status")
    )
    category = models.CharField(max_length=32, choices=Category.choices, verbose_name=_("category"))
    governorate = models.CharField(max_length=8, verbose_name=_("place"))
    incident_month = models.DateField(
        help_text=_("First day of the month the incident happened."), verbose_name=_("incident month")
    )
    # Sealed JSON: immediate_danger, needs_relocation, flags, language.
    triage_sealed = models.BinaryField(editable=False, verbose_name=_("triage details (sealed)"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("received"))
    updated_at = models.DateTimeField(default=timezone.now, verbose_name=_("updated"))

    # --- Triage (the row is its own outbox: see reports/tasks.py) ---
    severity = models.CharField(max_length=8, choices=Severity.choices, blank=True, verbose_name=_("severity"))
    # The reason codes that produced the severity (never content), as sealed JSON: they repeat the sealed
    # triage details (flags, immediate danger, relocation), which a copy of the database must not show.
    severity_reasons_sealed = models.BinaryField(
        null=True, blank=True, editable=False, verbose_name=_("severity reasons (sealed)")
    )
    # The rule-set version the severity was computed with.
    ruleset_version = models.PositiveSmallIntegerField(null=True, blank=True, verbose_name=_("rule set version"))
    assigned_to = models.ForeignKey(
        "accounts.StaffUser",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_reports",
        verbose_name=_("assigned to"),
    )
    # Why a triaged report waits in the triage leads' queue (e.g. no eligible caseworker).
    waiting_reason = models.CharField(
        max_length=64, blank=True, choices=WaitingReason.choices, verbose_name=_("waiting reason")
    )
    triage_attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("triage attempts"))
    claimed_until = models.DateTimeField(null=True, blank=True, verbose_name=_("claimed until"))
    # When the sweeper last queued it: a backlog is not queued again every sweep.
    swept_at = models.DateTimeField(null=True, blank=True, verbose_name=_("swept at"))
    triaged_at = models.DateTimeField(null=True, blank=True, verbose_name=_("triaged"))
    sla_due_at = models.DateTimeField(null=True, blank=True, verbose_name=_("acknowledge by"))
    acknowledged_at = models.DateTimeField(null=True, blank=True, verbose_name=_("acknowledged"))
    escalated_at = models.DateTimeField(null=True, blank=True, verbose_name=_("escalated"))
    # How the case ended, set when a caseworker closes it.
    outcome = models.CharField(max_length=32, choices=Outcome.choices, blank=True, verbose_name=_("outcome"))

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
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

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="indicators", verbose_name=_("report"))
    kind = models.CharField(max_length=16, verbose_name=_("kind"))
    bits = models.PositiveSmallIntegerField(verbose_name=_("index bits"))
    value = models.BigIntegerField(verbose_name=_("value"))

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        indexes = [models.Index(fields=["kind", "bits", "value"])]

    def __str__(self) -> str:
        return f"indicator of {self.report}"


class FollowUp(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False, verbose_name=_("identifier"))
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="followups", verbose_name=_("report"))
    intake_key = models.ForeignKey(SharedKey, on_delete=models.PROTECT, related_name="+", verbose_name=_("intake key"))
    ciphertext = models.BinaryField(editable=False, verbose_name=_("ciphertext"))
    ciphertext_sha256 = models.BinaryField(
        max_length=32, unique=True, editable=False, verbose_name=_("ciphertext hash")
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("received"))

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")

    def __str__(self) -> str:
        return f"follow-up {str(self.pk)[:8]}"


class Evidence(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False, verbose_name=_("identifier"))
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="evidence", verbose_name=_("report"))
    intake_key = models.ForeignKey(SharedKey, on_delete=models.PROTECT, related_name="+", verbose_name=_("intake key"))
    ciphertext = models.BinaryField(editable=False, verbose_name=_("ciphertext"))
    ciphertext_sha256 = models.BinaryField(
        max_length=32, unique=True, editable=False, verbose_name=_("ciphertext hash")
    )
    size = models.PositiveIntegerField(verbose_name=_("size"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("received"))

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")

    def __str__(self) -> str:
        return f"evidence {str(self.pk)[:8]}"


class Reply(models.Model):
    """A caseworker's answer, HPKE-encrypted to the reporter's reply key (written by the workspace)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False, verbose_name=_("identifier"))
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="replies", verbose_name=_("report"))
    author = models.ForeignKey(
        "accounts.StaffUser",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    ciphertext = models.BinaryField(editable=False, verbose_name=_("ciphertext"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("sent"))

    class Meta:
        verbose_name = _("reply")
        verbose_name_plural = _("replies")

    def __str__(self) -> str:
        return f"reply {str(self.pk)[:8]}"


class SpentChallenge(models.Model):
    """A proof-of-work challenge already paid with: recorded in the same transaction as the
    report, follow-up or evidence it bought, so each is spent once even if Redis is lost."""

    digest = models.BinaryField(max_length=32, unique=True, verbose_name=_("digest"))
    expires_at = models.DateTimeField(db_index=True, verbose_name=_("expires at"))

    class Meta:
        verbose_name = _("spent challenge")
        verbose_name_plural = _("spent challenges")

    def __str__(self) -> str:
        return "spent challenge"


class ReportTransition(models.Model):
    """Every state change, with its time and actor (a user, or the system when empty)."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="transitions", verbose_name=_("report"))
    from_state = models.CharField(max_length=16, choices=ReportState.choices, verbose_name=_("from status"))
    to_state = models.CharField(max_length=16, choices=ReportState.choices, verbose_name=_("to status"))
    actor = models.ForeignKey(
        "accounts.StaffUser", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("actor")
    )
    at = models.DateTimeField(default=timezone.now, verbose_name=_("time"))

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_state} -> {self.to_state}"


class CandidateLink(models.Model):
    """Two reports sharing a blind-indexed indicator: a candidate for a caseworker to confirm, not proof."""

    class Status(models.TextChoices):
        CANDIDATE = "candidate", _("Candidate")
        CONFIRMED = "confirmed", _("Confirmed")
        REJECTED = "rejected", _("Rejected")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="links", verbose_name=_("report"))
    other = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="+", verbose_name=_("other report"))
    kind = models.CharField(max_length=16, verbose_name=_("kind"))
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.CANDIDATE, verbose_name=_("status"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created"))

    class Meta:
        verbose_name = _("candidate link")
        verbose_name_plural = _("candidate links")
        constraints = [models.UniqueConstraint(fields=["report", "other", "kind"], name="one_link_per_pair_and_kind")]

    def __str__(self) -> str:
        return "candidate link"


class Notification(models.Model):
    """A message to a member of staff about a report: severity and reference only, never content.

    Unique per (report, kind, recipient): a task run twice sends once.
    """

    class Kind(models.TextChoices):
        ASSIGNED = "assigned", _("Assigned to you")
        NEEDS_ASSIGNMENT = "needs_assignment", _("Needs assignment")
        SLA_BREACH = "sla_breach", _("Not acknowledged in time")
        PARKED = "parked", _("Parked")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("report"))
    kind = models.CharField(max_length=24, choices=Kind.choices, verbose_name=_("kind"))
    recipient = models.ForeignKey(
        "accounts.StaffUser", on_delete=models.CASCADE, related_name="notifications", verbose_name=_("recipient")
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created"))
    # Sending is at least once: a sender leases the row, marks it sent only after
    # the message went out, and a lapsed lease is retried by the sweeper.
    sending_until = models.DateTimeField(null=True, blank=True, verbose_name=_("sending until"))
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("attempts"))
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("sent"))

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(fields=["report", "kind", "recipient"], name="one_notification_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.kind} notification"
