"""Writes for the reporter's side: submit, follow up, add evidence, withdraw.

Each runs in one transaction: a refused request (duplicate, over a cap)
writes nothing. Ciphertexts are stored exactly as received.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from backend.group_commit import GroupCommit
from backend.pow import Proof, count_event
from backend.receipts import receipt_hash, receipt_new
from backend.sealed_fields import seal_value
from reports.envelope import Content, Envelope
from reports.models import (
    CandidateLink,
    Evidence,
    FollowUp,
    Report,
    ReportIndicator,
    ReportState,
    ReportTransition,
    SpentChallenge,
)
from reports.states import report_transition
from reports.tasks import triage_publish

logger = logging.getLogger(__name__)


class IntakeError(Exception):
    """A reporter request that cannot be carried out; the message is safe to show."""

    status = 400
    code = "invalid"
    field = "body"


class DuplicateCiphertext(IntakeError):
    status, code, field = 409, "duplicate", "ciphertext"


class TooMany(IntakeError):
    status, code = 413, "too_many"


class ChallengeSpent(IntakeError):
    field = "pow"


def _spend(proof: Proof | None) -> None:
    """Record a proof as spent, inside the caller's transaction (unique: a second spend fails)."""
    if proof is not None:
        SpentChallenge.objects.create(digest=proof.digest, expires_at=proof.expires_at)


def _spent() -> ChallengeSpent:
    return ChallengeSpent("This proof of work was used already; fetch a new challenge.")


def _duplicate() -> DuplicateCiphertext:
    return DuplicateCiphertext("This ciphertext was received already.")


def _replays(model, items: list[tuple[bytes, Proof | None]]) -> dict[int, IntakeError]:
    """Which of `items` (ciphertext digest, proof) replay a proof already spent or a ciphertext
    already stored in `model`, with the refusal each gets: two indexed lookups for all of them."""
    spent = {
        bytes(digest)
        for digest in SpentChallenge.objects.filter(
            digest__in=[proof.digest for _, proof in items if proof is not None]
        ).values_list("digest", flat=True)
    }
    stored = {
        bytes(digest)
        for digest in model.objects.filter(ciphertext_sha256__in=[digest for digest, _ in items]).values_list(
            "ciphertext_sha256", flat=True
        )
    }
    replays: dict[int, IntakeError] = {}
    for index, (digest, proof) in enumerate(items):
        if proof is not None and proof.digest in spent:
            replays[index] = _spent()
        elif digest in stored:
            replays[index] = _duplicate()
    return replays


def _refusal_for(integrity_error: IntegrityError, *, digest: bytes, model, proof: Proof | None) -> IntakeError:
    """Which uniqueness rule a failed write broke, as the reporter should hear it."""
    refusal = _replays(model, [(digest, proof)]).get(0)
    if refusal is None:
        raise integrity_error
    return refusal


def _forget_spent_challenges_sometimes() -> None:
    # Expired challenges can never be presented again; about one write in a
    # hundred sweeps them, so the table stays as small as a few minutes of intake.
    if secrets.randbelow(100) == 0:
        try:
            SpentChallenge.objects.filter(expires_at__lt=timezone.now()).delete()
        except DatabaseError:  # housekeeping only: the reports are committed and must be answered as such
            logger.warning("could not delete expired proof-of-work challenges; the next write will try again")


def _digest(ciphertext: bytes) -> bytes:
    return hashlib.sha256(ciphertext).digest()


@dataclass
class _Submission:
    """One report's rows, built (and sealed) in the request's own thread before the shared write."""

    report: Report
    indicators: list[ReportIndicator]
    proof: Proof | None
    receipt: str


def _submission(envelope: Envelope, proof: Proof | None) -> _Submission:
    triage = envelope.triage
    receipt = receipt_new()
    report = Report(
        intake_key=envelope.key,
        ciphertext=envelope.ciphertext,
        ciphertext_sha256=_digest(envelope.ciphertext),
        receipt_hash=receipt_hash(receipt),
        reply_public_key=envelope.reply_public_key,
        category=triage.category,
        governorate=triage.governorate,
        incident_month=triage.incident_month,
    )
    report.triage_sealed = seal_value(
        report, "triage_sealed", json.dumps(triage.sealed_details(), sort_keys=True).encode()
    )
    indicators = [
        ReportIndicator(report=report, kind=kind, bits=triage.indicator_bits, value=value)
        for kind, value in triage.indicators
    ]
    return _Submission(report=report, indicators=indicators, proof=proof, receipt=receipt)


def _submissions_write(batch: list[_Submission]) -> list[Report | Exception]:
    """Store a batch of new reports in one transaction; one result per report, in order.

    A ciphertext or proof that appears twice in the batch is refused for all but
    its first report, and only if that first report was stored: otherwise the
    repeat shares its fate (nobody is told "received already" about a report
    that was not). If the write still breaks a uniqueness rule, the replays (a
    proof already spent, a ciphertext already stored) are found with one lookup
    for the whole batch, refused, and the rest written together once more: a
    replay costs the others one extra write, never one write each. A batch
    refused for any other reason is written again one report at a time, so
    that only the offending report is refused.
    """
    first: dict[tuple[str, bytes], int] = {}
    repeats = [_repeat_in_batch(index, item, first) for index, item in enumerate(batch)]
    fresh = [index for index, repeat in enumerate(repeats) if repeat is None]
    results: list[Report | Exception | None] = [None] * len(batch)
    for index, result in zip(fresh, _fresh_write([batch[index] for index in fresh]), strict=True):
        results[index] = result
    for index, repeat in enumerate(repeats):
        if repeat is not None:
            refusal, original = repeat
            results[index] = refusal if isinstance(results[original], Report) else results[original]
    return results


def _repeat_in_batch(index: int, item: _Submission, first: dict) -> tuple[IntakeError, int] | None:
    """(refusal, index of the first report with the same proof or ciphertext), or None if it is the first."""
    keys = [("ciphertext", item.report.ciphertext_sha256)]
    if item.proof is not None:
        if ("proof", item.proof.digest) in first:
            return _spent(), first[("proof", item.proof.digest)]
        keys.append(("proof", item.proof.digest))
    if keys[0] in first:
        return _duplicate(), first[keys[0]]
    for key in keys:
        first[key] = index
    return None


def _connection_lost() -> bool:
    try:
        return not connection.is_usable()
    except Exception:
        return True


def _fresh_write(batch: list[_Submission]) -> list[Report | Exception]:
    """Write reports that share no ciphertext and no proof with each other."""
    if not batch:
        return []
    try:
        with transaction.atomic():
            SpentChallenge.objects.bulk_create(
                SpentChallenge(digest=item.proof.digest, expires_at=item.proof.expires_at)
                for item in batch
                if item.proof is not None
            )
            Report.objects.bulk_create([item.report for item in batch])
            ReportIndicator.objects.bulk_create(indicator for item in batch for indicator in item.indicators)
            ids = [item.report.pk for item in batch]
            # robust: a failure to queue can never turn committed reports into errors (the sweeper queues them).
            transaction.on_commit(lambda: triage_publish(ids), robust=True)
    except Exception as exc:
        if isinstance(exc, (OperationalError, InterfaceError)) and _connection_lost():
            # The connection died, perhaps during COMMIT: whether the batch was stored is unknown,
            # so nobody may be told "refused" (nor given a receipt). Every caller gets the error.
            raise
        if not isinstance(exc, IntegrityError):
            if len(batch) == 1:
                raise
            return [_write_alone(item) for item in batch]
        replays = _replays(Report, [(item.report.ciphertext_sha256, item.proof) for item in batch])
        if len(batch) == 1:
            return [replays.get(0, exc)]
        if replays:  # refuse the replays and write the rest together again: one extra write, not one per report
            rest = iter(_fresh_write([item for index, item in enumerate(batch) if index not in replays]))
            return [replays[index] if index in replays else next(rest) for index in range(len(batch))]
        return [_write_alone(item) for item in batch]
    count_event("report", len(batch))  # the flood backstop counts stored reports only (fails open)
    _forget_spent_challenges_sometimes()
    return [item.report for item in batch]


def _write_alone(item: _Submission) -> Report | Exception:
    try:
        (result,) = _fresh_write([item])
    except Exception as exc:
        return exc  # raised in this report's request only
    return result


# One per process: reports submitted while another batch is being written share the next write.
_intake_writes: GroupCommit[_Submission, Report] = GroupCommit(_submissions_write)


def report_submit(*, envelope: Envelope, proof: Proof | None = None) -> tuple[Report, str]:
    """Store a new report in state pending, spending `proof`; returns it and its receipt (shown once, never stored).

    Returns only once the report is committed. Concurrent submissions in this
    process are committed together (backend.group_commit): the bulk INSERTs and
    the one COMMIT cost a batch about what one report used to.
    """
    submission = _submission(envelope, proof)
    report = _intake_writes.submit(submission)
    return report, submission.receipt


def _add(
    model,
    *,
    report: Report,
    content: Content,
    proof: Proof | None,
    cap: int,
    what: str,
    total_cap: int | None = None,
    **extra,
):
    digest = _digest(content.ciphertext)
    try:
        with transaction.atomic():
            locked = Report.objects.select_for_update().get(pk=report.pk)
            if locked.state == ReportState.WITHDRAWN:
                raise IntakeError("This report was withdrawn.")
            existing = model.objects.filter(report=locked)
            if existing.count() >= cap:
                raise TooMany(f"A report holds at most {cap} {what}.")
            if total_cap is not None:
                stored = sum(existing.values_list("size", flat=True))
                if stored + len(content.ciphertext) > total_cap:
                    raise TooMany(f"A report holds at most {total_cap // (1024 * 1024)} MiB of {what}.")
            _spend(proof)
            item = model.objects.create(
                report=locked, intake_key=content.key, ciphertext=content.ciphertext, ciphertext_sha256=digest, **extra
            )
            Report.objects.filter(pk=locked.pk).update(updated_at=timezone.now())
    except IntegrityError as exc:
        raise _refusal_for(exc, digest=digest, model=model, proof=proof) from None
    _forget_spent_challenges_sometimes()
    return item


def followup_add(*, report: Report, content: Content, proof: Proof | None = None) -> FollowUp:
    return _add(
        FollowUp,
        report=report,
        content=content,
        proof=proof,
        cap=settings.SANAD_MAX_FOLLOWUPS_PER_REPORT,
        what="follow-ups",
    )


def evidence_add(*, report: Report, content: Content, proof: Proof | None = None) -> Evidence:
    return _add(
        Evidence,
        report=report,
        content=content,
        proof=proof,
        cap=settings.SANAD_MAX_EVIDENCE_PER_REPORT,
        what="evidence files",
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
            severity_reasons=[],
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
