"""Writes for the reporter's side: submit, follow up, add evidence, withdraw.

Each runs in one transaction: a refused request (duplicate, over a cap)
writes nothing. Ciphertexts are stored exactly as received.
"""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from backend.receipts import receipt_hash, receipt_new
from backend.sealed_fields import seal_value
from reports.envelope import Content, Envelope
from reports.models import Evidence, FollowUp, Report, ReportIndicator, ReportState


class IntakeError(Exception):
    """A reporter request that cannot be carried out; the message is safe to show."""

    status = 400
    code = "invalid"
    field = "body"


class DuplicateCiphertext(IntakeError):
    status, code, field = 409, "duplicate", "ciphertext"


class TooMany(IntakeError):
    status, code = 413, "too_many"


def _digest(ciphertext: bytes) -> bytes:
    return hashlib.sha256(ciphertext).digest()


def report_submit(*, envelope: Envelope) -> tuple[Report, str]:
    """Store a new report in state pending; returns it and its receipt (shown once, never stored)."""
    digest = _digest(envelope.ciphertext)
    receipt = receipt_new()
    triage = envelope.triage
    try:
        with transaction.atomic():
            report = Report(
                intake_key=envelope.key,
                ciphertext=envelope.ciphertext,
                ciphertext_sha256=digest,
                receipt_hash=receipt_hash(receipt),
                reply_public_key=envelope.reply_public_key,
                category=triage.category,
                governorate=triage.governorate,
                incident_month=triage.incident_month,
            )
            report.triage_sealed = seal_value(
                report, "triage_sealed", json.dumps(triage.sealed_details(), sort_keys=True).encode()
            )
            report.save(force_insert=True)
            bits = _indexer_bits()
            ReportIndicator.objects.bulk_create(
                ReportIndicator(report=report, kind=kind, bits=bits, value=value) for kind, value in triage.indicators
            )
    except IntegrityError:
        if Report.objects.filter(ciphertext_sha256=digest).exists():
            raise DuplicateCiphertext("This ciphertext was received already.") from None
        raise
    return report, receipt


def _indexer_bits() -> int:
    from backend.crypto.blind_index import BlindIndexer

    return BlindIndexer.from_settings().bits


def _add(model, *, report: Report, content: Content, cap: int, what: str, **extra):
    digest = _digest(content.ciphertext)
    try:
        with transaction.atomic():
            locked = Report.objects.select_for_update().get(pk=report.pk)
            if locked.state == ReportState.WITHDRAWN:
                raise IntakeError("This report was withdrawn.")
            if model.objects.filter(report=locked).count() >= cap:
                raise TooMany(f"A report holds at most {cap} {what}.")
            item = model.objects.create(
                report=locked, intake_key=content.key, ciphertext=content.ciphertext, ciphertext_sha256=digest, **extra
            )
            Report.objects.filter(pk=locked.pk).update(updated_at=timezone.now())
    except IntegrityError:
        raise DuplicateCiphertext("This ciphertext was received already.") from None
    return item


def followup_add(*, report: Report, content: Content) -> FollowUp:
    return _add(FollowUp, report=report, content=content, cap=settings.SANAD_MAX_FOLLOWUPS_PER_REPORT, what="follow-ups")


def evidence_add(*, report: Report, content: Content) -> Evidence:
    return _add(
        Evidence, report=report, content=content, cap=settings.SANAD_MAX_EVIDENCE_PER_REPORT, what="evidence files",
        size=len(content.ciphertext),
    )


def report_withdraw(*, report: Report) -> None:
    """Delete the content, follow-ups, evidence, replies, indicators and receipt at once.

    The row stays with its coarse columns only (category, governorate, month),
    so statistics still count the report; nothing it said survives.
    """
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        locked.followups.all().delete()
        locked.evidence.all().delete()
        locked.replies.all().delete()
        locked.indicators.all().delete()
        Report.objects.filter(pk=locked.pk).update(
            state=ReportState.WITHDRAWN,
            ciphertext=None,
            receipt_hash=None,
            reply_public_key=None,
            triage_sealed=b"",
            updated_at=timezone.now(),
        )
