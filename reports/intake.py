"""What a reporter does: submit a report, follow up, add evidence, withdraw, and find their report by receipt.

Each write runs in one transaction: a refused request (a replay, over a cap,
a withdrawn report) writes nothing. How rows reach the database, with replays
refused and concurrent reports written together, is reports.intake_writes.
"""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext_lazy

from backend.pow import Proof
from backend.receipts import MalformedReceipt, receipt_hash
from reports.envelope import Content, Envelope
from reports.intake_writes import (
    IntakeError,
    TooMany,
    build_submission,
    ciphertext_digest,
    forget_spent_challenges_sometimes,
    intake_writes,
    refusal_for,
    spend_proof,
)
from reports.models import CandidateLink, Evidence, FollowUp, Report, ReportState, ReportTransition
from reports.signals import report_withdrawn
from reports.states import report_transition


def report_submit(*, envelope: Envelope, proof: Proof | None = None) -> tuple[Report, str]:
    """Store a new report in state pending, spending `proof`; returns it and its receipt (shown once, never stored).

    Returns only once the report is committed. Concurrent submissions in this
    process are committed together (backend.group_commit): the bulk INSERTs and
    the one COMMIT cost a batch about what one report used to.
    """
    item = build_submission(envelope, proof)
    report = intake_writes.submit(item)
    return report, item.receipt


# What a reporter is told when a report is full, by what was refused. ngettext_lazy with "limit": the plural
# form is chosen by the number given when the message is filled in.
_TOO_MANY = {
    FollowUp: ngettext_lazy(
        # Translators: a follow-up is a message a reporter adds later to a report they sent.
        "A report holds at most %(limit)d follow-up.",
        "A report holds at most %(limit)d follow-ups.",
        "limit",
    ),
    Evidence: ngettext_lazy(
        "A report holds at most %(limit)d evidence file.", "A report holds at most %(limit)d evidence files.", "limit"
    ),
}
_TOO_MUCH = {
    # Translators: %(limit)d is a size in mebibytes (MiB, 1,048,576 bytes).
    Evidence: gettext_lazy("A report holds at most %(limit)d MiB of evidence files."),
}


def _add(
    model,
    *,
    report: Report,
    content: Content,
    proof: Proof | None,
    cap: int,
    total_cap: int | None = None,
    **extra,
):
    digest = ciphertext_digest(content.ciphertext)
    try:
        with transaction.atomic():
            locked = Report.objects.select_for_update().get(pk=report.pk)
            if locked.state == ReportState.WITHDRAWN:
                raise IntakeError(_("This report was withdrawn."))
            existing = model.objects.filter(report=locked)
            if existing.count() >= cap:
                raise TooMany(_TOO_MANY[model] % {"limit": cap})
            if total_cap is not None:
                stored = sum(existing.values_list("size", flat=True))
                if stored + len(content.ciphertext) > total_cap:
                    raise TooMany(_TOO_MUCH[model] % {"limit": total_cap // (1024 * 1024)})
            spend_proof(proof)
            item = model.objects.create(
                report=locked, intake_key=content.key, ciphertext=content.ciphertext, ciphertext_sha256=digest, **extra
            )
            Report.objects.filter(pk=locked.pk).update(updated_at=timezone.now())
    except IntegrityError as exc:
        raise refusal_for(exc, digest=digest, model=model, proof=proof) from None
    forget_spent_challenges_sometimes()
    return item


def followup_add(*, report: Report, content: Content, proof: Proof | None = None) -> FollowUp:
    return _add(
        FollowUp,
        report=report,
        content=content,
        proof=proof,
        cap=settings.SANAD_MAX_FOLLOWUPS_PER_REPORT,
    )


def evidence_add(*, report: Report, content: Content, proof: Proof | None = None) -> Evidence:
    return _add(
        Evidence,
        report=report,
        content=content,
        proof=proof,
        cap=settings.SANAD_MAX_EVIDENCE_PER_REPORT,
        total_cap=settings.SANAD_MAX_EVIDENCE_TOTAL_BYTES,
        size=len(content.ciphertext),
    )


def report_withdraw(*, report: Report) -> None:
    """Delete the content, follow-ups, evidence, replies, indicators and receipt at once.

    The row stays with its coarse columns only (category, governorate, month),
    so statistics still count the report; nothing it said survives.
    """
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        report_withdrawn.send(sender=Report, report=locked)
        # Links would tell that this reporter shared an indicator with named reports.
        CandidateLink.objects.filter(Q(report=locked) | Q(other=locked)).delete()
        locked.notifications.all().delete()
        locked.followups.all().delete()
        locked.evidence.all().delete()
        locked.replies.all().delete()
        locked.indicators.all().delete()
        # Times are cut to the day: with national traffic records, a precise
        # timestamp could tie the row to a subscriber.
        day = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
        report_transition(report=locked, to_state=ReportState.WITHDRAWN)
        Report.objects.filter(pk=locked.pk).update(
            ciphertext=None,
            receipt_hash=None,
            reply_public_key=None,
            triage_sealed=b"",
            # Reasons repeat what the sealed details said (e.g. family_targeted).
            severity_reasons_sealed=None,
            created_at=locked.created_at.replace(hour=0, minute=0, second=0, microsecond=0),
            updated_at=day,
            triaged_at=None,
            sla_due_at=None,
            acknowledged_at=None,
            escalated_at=None,
            claimed_until=None,
            swept_at=None,
        )
        ReportTransition.objects.filter(report=locked).update(at=day)


# Looked up in place of a malformed receipt, so that it costs what a wrong one does.
_DUMMY_RECEIPT = "0000-0000-0000-0000-0000"

IN_REVIEW = "in_review"  # what the reporter sees from triage until the report is closed
STATUS_FOR_STATE = {
    ReportState.PENDING: "received",
    ReportState.PARKED: "received",  # not triaged yet: a lead is looking at why
    ReportState.CLOSED: "closed",
}


def _live_report_id(digest: bytes):
    """The id of the live report whose receipt hashes to `digest`, or None: one indexed lookup in plain SQL.
    Wrong receipts come in floods, and the ORM's query for a whole Report (built anew each time, every column)
    costs the server several times the lookup itself; only a receipt that matches pays for loading its report."""
    meta = Report._meta
    with connection.cursor() as cursor:
        # Only the model's own table and column names are formatted in; every value is a parameter.
        cursor.execute(
            f"SELECT {meta.pk.column} FROM {meta.db_table} "  # nosec B608
            f"WHERE {meta.get_field('receipt_hash').column} = %s AND {meta.get_field('state').column} <> %s LIMIT 1",
            [digest, ReportState.WITHDRAWN],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def report_for_receipt(text: str) -> Report | None:
    """The live report a typed receipt belongs to, or None (malformed, wrong or withdrawn alike)."""
    try:
        digest, malformed = receipt_hash(text), False
    except MalformedReceipt:
        digest, malformed = receipt_hash(_DUMMY_RECEIPT), True
    report_id = _live_report_id(digest)  # looked up for a malformed receipt too, so that it costs what a wrong one does
    if malformed or report_id is None:
        return None
    return Report.objects.filter(pk=report_id).exclude(state=ReportState.WITHDRAWN).first()


def reporter_status(report: Report) -> str:
    """What the reporter sees: received until triaged, in_review from then on, closed at the end."""
    return STATUS_FOR_STATE.get(report.state, IN_REVIEW)
