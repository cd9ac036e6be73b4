"""The caseworker's side of a report: who sees it, who reads it, and what they may do with it.

Scope (DESIGN.md, Roles): a triage lead sees every report; a caseworker sees
the reports assigned to them and the unassigned queue of the governorates
they cover; nobody else sees reports at all. Reading content additionally
needs a grant of the report's intake key, opened with the personal key held
in the session. Every read and every action is appended to the audit chain,
in the same transaction as the change it records.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Coverage, SharedKey, StaffUser
from accounts.roles import Role, active_roles
from accounts.services import AccountError, shared_key_unlock
from audit.actions import Action
from audit.services import audit_record
from backend.crypto import hpke
from backend.crypto.errors import CryptoError
from reports.models import CandidateLink, Evidence, Notification, Reply, Report, ReportState
from reports.selectors import eligible_assignees
from reports.states import IllegalTransition, report_transition
from reports.vocabulary import Outcome

S = ReportState
MAX_REPLY_CHARS = 4000


class WorkspaceError(Exception):
    """An action that cannot be done; the message is safe to show to the member of staff."""


def is_lead(user: StaffUser) -> bool:
    return Role.TRIAGE_LEAD in active_roles(user)


def is_caseworker(user: StaffUser) -> bool:
    return Role.CASEWORKER in active_roles(user)


def _covered_governorates(user: StaffUser) -> list[str]:
    coverage = Coverage.objects.filter(user=user).first()
    return list(coverage.governorates) if coverage else []


def reports_visible_to(user: StaffUser) -> QuerySet[Report]:
    """The reports `user` may know exist. Everything else answers 404."""
    if is_lead(user):
        return Report.objects.all()
    if is_caseworker(user):
        queue = Q(state=S.TRIAGED, assigned_to__isnull=True, governorate__in=_covered_governorates(user))
        return Report.objects.filter(Q(assigned_to=user) | queue)
    return Report.objects.none()


def may_read(user: StaffUser, report: Report) -> bool:
    """Whether the role allows reading this report's content (a grant is needed as well)."""
    if report.state == S.WITHDRAWN:
        return False
    return is_lead(user) or (is_caseworker(user) and report.assigned_to_id == user.pk)


def may_work(user: StaffUser, report: Report) -> bool:
    """Acknowledge, reply, close, mark links: the assignee, or a lead."""
    return report.state != S.WITHDRAWN and (is_lead(user) or (is_caseworker(user) and report.assigned_to_id == user.pk))


# --- Reading ------------------------------------------------------------------------


@dataclass
class OpenedReport:
    content: dict
    followups: list[tuple[datetime, dict]] = field(default_factory=list)
    evidence: list[tuple[Evidence, dict]] = field(default_factory=list)


class CannotDecrypt(WorkspaceError):
    pass


def _shared_private(
    user: StaffUser, key: SharedKey, personal_key: hpke.PrivateKey | None, cache: dict
) -> hpke.PrivateKey:
    if personal_key is None:
        raise CannotDecrypt("Your personal key is not unlocked in this session. Log out and in again.")
    if key.pk not in cache:
        try:
            cache[key.pk] = shared_key_unlock(shared_key=key, user=user, personal_key=personal_key)
        except (AccountError, CryptoError):
            raise CannotDecrypt(
                f"You hold no usable grant of intake key {key.key_id}. A triage lead who holds it can grant it to you."
            ) from None
    return cache[key.pk]


def _json_object(raw: bytes) -> dict:
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return {"unreadable": "The content is not the JSON the wire format asks for."}
    return value if isinstance(value, dict) else {"unreadable": "The content is not a JSON object."}


def _evidence_header(plaintext: bytes) -> tuple[dict, bytes]:
    header, _, body = plaintext.partition(b"\n")
    meta = _json_object(header)
    return meta, body


def report_open(*, user: StaffUser, report: Report, personal_key: hpke.PrivateKey | None) -> OpenedReport:
    """Decrypt content, follow-ups and the evidence descriptions; recorded in the audit chain."""
    if not may_read(user, report) or report.ciphertext is None:
        raise CannotDecrypt("You may not read this report.")
    keys: dict = {}
    private = _shared_private(user, report.intake_key, personal_key, keys)
    try:
        content = _json_object(
            hpke.decrypt(private, bytes(report.ciphertext), info=hpke.report_info(report.intake_key.key_id))
        )
        opened = OpenedReport(content=content)
        for followup in report.followups.select_related("intake_key").order_by("created_at"):
            private = _shared_private(user, followup.intake_key, personal_key, keys)
            text = hpke.decrypt(
                private, bytes(followup.ciphertext), info=hpke.followup_info(followup.intake_key.key_id)
            )
            opened.followups.append((followup.created_at, _json_object(text)))
        for item in report.evidence.select_related("intake_key").order_by("created_at"):
            private = _shared_private(user, item.intake_key, personal_key, keys)
            plain = hpke.decrypt(private, bytes(item.ciphertext), info=hpke.evidence_info(item.intake_key.key_id))
            opened.evidence.append((item, _evidence_header(plain)[0]))
    except CryptoError:
        raise CannotDecrypt("A ciphertext of this report does not open with its intake key.") from None
    audit_record(
        Action.REPORT_DECRYPTED,
        actor=user,
        obj_type="report",
        obj_id=str(report.pk),
        details={"followups": len(opened.followups), "evidence": len(opened.evidence)},
    )
    return opened


def evidence_open(*, user: StaffUser, evidence: Evidence, personal_key: hpke.PrivateKey | None) -> tuple[dict, bytes]:
    """One evidence file, decrypted: (its description, its bytes); recorded in the audit chain."""
    report = evidence.report
    if not may_read(user, report):
        raise CannotDecrypt("You may not read this report.")
    private = _shared_private(user, evidence.intake_key, personal_key, {})
    try:
        plain = hpke.decrypt(private, bytes(evidence.ciphertext), info=hpke.evidence_info(evidence.intake_key.key_id))
    except CryptoError:
        raise CannotDecrypt("This evidence does not open with its intake key.") from None
    audit_record(
        Action.EVIDENCE_DECRYPTED,
        actor=user,
        obj_type="evidence",
        obj_id=str(evidence.pk),
        details={"report": str(report.pk)},
    )
    return _evidence_header(plain)


# --- Actions ------------------------------------------------------------------------


def _locked(report: Report) -> Report:
    return Report.objects.select_for_update().select_related("intake_key").get(pk=report.pk)


def _holds_grant(user: StaffUser, report: Report) -> bool:
    return user.key_grants.filter(shared_key_id=report.intake_key_id).exists()


def _transition(
    report: Report, to_state: str, actor: StaffUser, action: str | None = None, details: dict | None = None, **fields
) -> Report:
    try:
        return report_transition(
            report=report, to_state=to_state, actor=actor, audit_action=action, audit_details=details, **fields
        )
    except IllegalTransition as exc:
        raise WorkspaceError(str(exc)) from None


def report_claim(*, user: StaffUser, report: Report) -> Report:
    """A caseworker (or lead) takes an unassigned report from the queue."""
    with transaction.atomic():
        report = _locked(report)
        if (
            not reports_visible_to(user).filter(pk=report.pk).exists()
            or report.state != S.TRIAGED
            or report.assigned_to_id
        ):
            raise WorkspaceError("This report is not in your queue any more.")
        if not _holds_grant(user, report):
            raise WorkspaceError("You hold no grant of this report's intake key, so you could not read it.")
        _transition(report, S.ASSIGNED, user, Action.REPORT_CLAIMED, assigned_to=user, waiting_reason="")
    return report


def report_acknowledge(*, user: StaffUser, report: Report) -> Report:
    """The assignee (or a lead) has seen it: the SLA clock stops."""
    with transaction.atomic():
        report = _locked(report)
        if not may_work(user, report) or report.state != S.ASSIGNED:
            raise WorkspaceError("Only an assigned report can be acknowledged, by its caseworker or a lead.")
        _transition(report, S.ACKNOWLEDGED, user, Action.REPORT_ACKNOWLEDGED, acknowledged_at=timezone.now())
    return report


def report_start(*, user: StaffUser, report: Report) -> Report:
    with transaction.atomic():
        report = _locked(report)
        if not may_work(user, report) or report.state != S.ACKNOWLEDGED:
            raise WorkspaceError("Work starts on an acknowledged report, by its caseworker or a lead.")
        _transition(report, S.IN_PROGRESS, user)
    return report


def report_close(*, user: StaffUser, report: Report, outcome: str) -> Report:
    if outcome not in Outcome.values:
        raise WorkspaceError("Choose an outcome.")
    with transaction.atomic():
        report = _locked(report)
        if not may_work(user, report) or report.state not in (S.ACKNOWLEDGED, S.IN_PROGRESS):
            raise WorkspaceError(
                "Only an acknowledged or in-progress report can be closed, by its caseworker or a lead."
            )
        _transition(report, S.CLOSED, user, Action.REPORT_CLOSED, {"outcome": outcome}, outcome=outcome)
    return report


def report_reassign(*, user: StaffUser, report: Report, assignee: StaffUser) -> list[int]:
    """A lead gives a report to a caseworker; returns notification ids to send after commit."""
    if not is_lead(user):
        raise WorkspaceError("Only a triage lead reassigns.")
    with transaction.atomic():
        report = _locked(report)
        if not eligible_assignees(report).filter(pk=assignee.pk).exists():
            raise WorkspaceError(f"{assignee.username} is not an active caseworker holding this report's key.")
        if report.assigned_to_id == assignee.pk:
            raise WorkspaceError(f"The report is already with {assignee.username}.")
        details = {"assignee": str(assignee.pk)}
        if report.state == S.TRIAGED:
            _transition(
                report, S.ASSIGNED, user, Action.REPORT_ASSIGNED, details, assigned_to=assignee, waiting_reason=""
            )
        elif report.state in (S.ASSIGNED, S.ACKNOWLEDGED, S.IN_PROGRESS):
            changed = Report.objects.filter(pk=report.pk, state=report.state).update(
                assigned_to=assignee, updated_at=timezone.now()
            )
            if changed != 1:
                raise WorkspaceError("The report changed meanwhile.")
            audit_record(
                Action.REPORT_REASSIGNED, actor=user, obj_type="report", obj_id=str(report.pk), details=details
            )
        else:
            raise WorkspaceError(f"A {report.state} report cannot be reassigned.")
        note, created = Notification.objects.get_or_create(
            report=report, kind=Notification.Kind.ASSIGNED, recipient=assignee
        )
        if not created:
            Notification.objects.filter(pk=note.pk).update(sent_at=None, sending_until=None, attempts=0)
    return [note.pk]


def report_unpark(*, user: StaffUser, report: Report) -> Report:
    """A lead sends a parked report back to triage with a fresh count of attempts."""
    from reports.tasks import enqueue_triage

    if not is_lead(user):
        raise WorkspaceError("Only a triage lead sends a parked report back to triage.")
    with transaction.atomic():
        report = _locked(report)
        if report.state != S.PARKED:
            raise WorkspaceError("The report is not parked.")
        _transition(report, S.PENDING, user, triage_attempts=0, waiting_reason="", claimed_until=None, swept_at=None)
        enqueue_triage(report.pk)
    return report


def link_mark(*, user: StaffUser, link: CandidateLink, confirmed: bool) -> None:
    """Confirm or reject a candidate link (both directions), by someone who may work its report."""
    with transaction.atomic():
        report = _locked(link.report)
        if not may_work(user, report) or not reports_visible_to(user).filter(pk=link.other_id).exists():
            raise WorkspaceError("You may not work this report.")
        status = CandidateLink.Status.CONFIRMED if confirmed else CandidateLink.Status.REJECTED
        CandidateLink.objects.filter(
            Q(report_id=link.report_id, other_id=link.other_id) | Q(report_id=link.other_id, other_id=link.report_id),
            kind=link.kind,
        ).update(status=status)
        audit_record(
            Action.LINK_CONFIRMED if confirmed else Action.LINK_REJECTED,
            actor=user,
            obj_type="candidate_link",
            obj_id=str(link.pk),
            details={"report": str(link.report_id), "other": str(link.other_id), "kind": link.kind},
        )


def reply_send(*, user: StaffUser, report: Report, body: str) -> Reply:
    """Encrypt a reply to the reporter's reply key (HPKE, X25519, info b"sanad/v1/reply")."""
    body = (body or "").strip()
    if not body:
        raise WorkspaceError("Write the reply first.")
    if len(body) > MAX_REPLY_CHARS:
        raise WorkspaceError(f"A reply is at most {MAX_REPLY_CHARS} characters.")
    with transaction.atomic():
        report = _locked(report)
        if not may_work(user, report):
            raise WorkspaceError("Only the assigned caseworker or a lead replies.")
        if report.reply_public_key is None:
            raise WorkspaceError("The reporter gave no reply key, so they cannot receive replies.")
        if report.state not in (S.ASSIGNED, S.ACKNOWLEDGED, S.IN_PROGRESS):
            raise WorkspaceError(f"A {report.state} report takes no replies.")
        public = hpke.load_public_key(hpke.Suite.X25519, bytes(report.reply_public_key))
        # The minute is enough for the reporter, and all the server should say.
        sent_at = timezone.now().replace(second=0, microsecond=0).isoformat()
        plaintext = json.dumps({"body": body, "sent_at": sent_at}, ensure_ascii=False).encode("utf-8")
        reply = Reply.objects.create(
            report=report, author=user, ciphertext=hpke.encrypt(public, plaintext, info=hpke.REPLY_INFO)
        )
        Report.objects.filter(pk=report.pk).update(updated_at=timezone.now())
        audit_record(
            Action.REPLY_SENT, actor=user, obj_type="report", obj_id=str(report.pk), details={"reply": str(reply.pk)}
        )
    return reply
