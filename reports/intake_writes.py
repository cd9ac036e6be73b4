"""Storing what reporters send: refusing replays, and writing concurrent new reports together.

A proof of work is spent, and a ciphertext stored, once: both are unique in
the database and written in the same transaction as what they paid for, so
a replay is refused even after Redis is lost. New reports submitted at the
same moment to one web process share one transaction (backend.group_commit):
bulk INSERTs, one COMMIT and one triage message. Ciphertexts are stored
exactly as received.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from dataclasses import dataclass

from django.db import DatabaseError, IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from backend import budgets
from backend.group_commit import GroupCommit
from backend.pow import Proof
from backend.receipts import receipt_hash, receipt_new
from backend.sealed_fields import seal_value
from reports.envelope import Envelope
from reports.models import Report, ReportIndicator, SpentChallenge
from reports.tasks import triage_publish

logger = logging.getLogger(__name__)


class IntakeError(Exception):
    """A reporter request that cannot be carried out; the message is safe to show.

    The message may be a lazy translation: `str(error)` gives it in the language active where it is read
    (reports.api reads it in the refused request's own thread).
    """

    status = 400
    code = "invalid"
    field = "body"


class DuplicateCiphertext(IntakeError):
    status, code, field = 409, "duplicate", "ciphertext"


class TooMany(IntakeError):
    status, code = 413, "too_many"


class ChallengeSpent(IntakeError):
    field = "pow"


def spend_proof(proof: Proof | None) -> None:
    """Record a proof as spent, inside the caller's transaction (unique: a second spend fails)."""
    if proof is not None:
        SpentChallenge.objects.create(digest=proof.digest, expires_at=proof.expires_at)


# Lazy: these refusals are made in the group commit's leader thread, which serves another request, perhaps in
# another language; the text is chosen when the refused request's own thread reads it.
_SPENT_MESSAGE = gettext_lazy("This proof of work was used already; fetch a new challenge.")
# Translators: the ciphertext is the encrypted content a reporter's app sends.
_DUPLICATE_MESSAGE = gettext_lazy("This ciphertext was received already.")


def _spent() -> ChallengeSpent:
    return ChallengeSpent(_SPENT_MESSAGE)


def _duplicate() -> DuplicateCiphertext:
    return DuplicateCiphertext(_DUPLICATE_MESSAGE)


def proof_spent(proof: Proof | None) -> bool:
    """Whether `proof` was spent already: one indexed lookup in plain SQL, so that a replay is refused before
    its request is parsed, sealed and written. Only a shortcut: the unique digest, written in the same
    transaction as what it pays for (spend_proof, _fresh_write), still refuses a proof spent meanwhile."""
    if proof is None:
        return False
    meta = SpentChallenge._meta
    with connection.cursor() as cursor:
        # Only the model's own table and column names are formatted in; the digest is a parameter.
        cursor.execute(
            f"SELECT 1 FROM {meta.db_table} WHERE {meta.get_field('digest').column} = %s",  # nosec B608
            [proof.digest],
        )
        return cursor.fetchone() is not None


def spent_refusal() -> IntakeError:
    return _spent()


def find_replays(model, items: list[tuple[bytes, Proof | None]]) -> dict[int, IntakeError]:
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


def refusal_for(integrity_error: IntegrityError, *, digest: bytes, model, proof: Proof | None) -> IntakeError:
    """Which uniqueness rule a failed write broke, as the reporter should hear it."""
    refusal = find_replays(model, [(digest, proof)]).get(0)
    if refusal is None:
        raise integrity_error
    return refusal


def forget_spent_challenges_sometimes() -> None:
    # Expired challenges can never be presented again; about one write in a
    # hundred sweeps them, so the table stays as small as a few minutes of intake.
    if secrets.randbelow(100) == 0:
        try:
            SpentChallenge.objects.filter(expires_at__lt=timezone.now()).delete()
        except DatabaseError:  # housekeeping only: the reports are committed and must be answered as such
            logger.warning("could not delete expired proof-of-work challenges; the next write will try again")


def ciphertext_digest(ciphertext: bytes) -> bytes:
    return hashlib.sha256(ciphertext).digest()


@dataclass
class _Submission:
    """One report's rows, built (and sealed) in the request's own thread before the shared write."""

    report: Report
    indicators: list[ReportIndicator]
    proof: Proof | None
    receipt: str


def build_submission(envelope: Envelope, proof: Proof | None) -> _Submission:
    triage = envelope.triage
    receipt = receipt_new()
    report = Report(
        intake_key=envelope.key,
        ciphertext=envelope.ciphertext,
        ciphertext_sha256=ciphertext_digest(envelope.ciphertext),
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


def _database_stalled(exc: Exception) -> bool:
    """Whether PostgreSQL cancelled a statement for running past this process's time limit or waiting past its
    lock limit (backend.db_limits). The connection still works, but so would the next statement wait: the
    batch fails at once, instead of trying each report alone, each up to the limit again."""
    if not isinstance(exc, OperationalError):
        return False
    try:
        from psycopg import errors
    except ImportError:  # SQLite only: no such limits
        return False
    return isinstance(exc.__cause__, (errors.QueryCanceled, errors.LockNotAvailable))


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
        if _database_stalled(exc):
            raise  # every caller of the batch gets the error now, after one limit, not one limit per report
        if not isinstance(exc, IntegrityError):
            if len(batch) == 1:
                raise
            return [_write_alone(item) for item in batch]
        replays = find_replays(Report, [(item.report.ciphertext_sha256, item.proof) for item in batch])
        if len(batch) == 1:
            return [replays.get(0, exc)]
        if replays:  # refuse the replays and write the rest together again: one extra write, not one per report
            rest = iter(_fresh_write([item for index, item in enumerate(batch) if index not in replays]))
            return [replays[index] if index in replays else next(rest) for index in range(len(batch))]
        return [_write_alone(item) for item in batch]
    budgets.REPORTS.spend(len(batch))  # the flood backstop counts stored reports only (fails open)
    forget_spent_challenges_sometimes()
    return [item.report for item in batch]


def _write_alone(item: _Submission) -> Report | Exception:
    try:
        (result,) = _fresh_write([item])
    except Exception as exc:
        return exc  # raised in this report's request only
    return result


# One per process: reports submitted while another batch is being written share the next write.
intake_writes: GroupCommit[_Submission, Report] = GroupCommit(_submissions_write)
