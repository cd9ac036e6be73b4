"""Reads for the reporter's side."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import StaffUser
from accounts.roles import Role
from backend.receipts import MalformedReceipt, receipt_hash
from reports.models import Report, ReportState

# Looked up in place of a malformed receipt, so that it costs what a wrong one does.
_DUMMY_RECEIPT = "0000-0000-0000-0000-0000"

STATUS_FOR_STATE = {
    ReportState.PENDING: "received",
    ReportState.PARKED: "received",  # not triaged yet: a lead is looking at why
    ReportState.CLOSED: "closed",
}


def report_for_receipt(text: str) -> Report | None:
    """The live report a typed receipt belongs to, or None (malformed, wrong or withdrawn alike)."""
    try:
        digest, malformed = receipt_hash(text), False
    except MalformedReceipt:
        digest, malformed = receipt_hash(_DUMMY_RECEIPT), True
    report = Report.objects.filter(receipt_hash=digest).exclude(state=ReportState.WITHDRAWN).first()
    return None if malformed else report


def reporter_status(report: Report) -> str:
    """What the reporter sees: received until triaged, in_review from then on, closed at the end."""
    return STATUS_FOR_STATE.get(report.state, "in_review")


def eligible_assignees(report: Report) -> QuerySet[StaffUser]:
    """Active caseworkers who hold a grant of the report's intake key: who triage may assign it to,
    and a lead may give it to (someone who cannot read it is no help)."""
    return (
        StaffUser.objects.filter(
            is_active=True,
            is_superuser=False,
            groups__name=Role.CASEWORKER,
            key_grants__shared_key_id=report.intake_key_id,
        )
        .distinct()
        .order_by("username")
    )
