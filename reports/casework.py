"""What staff do to a report: claim, acknowledge, start, close, assign, unpark, reply, mark links.

Each service locks the report row, asks reports.access.require whether the
member of staff may do it now, makes the change and appends it to the audit
chain in the same transaction, and queues its own side effects (triage,
notifications) to run after commit: no caller has anything to remember.
"""

from __future__ import annotations

import json

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import StaffUser
from audit.actions import Action
from audit.services import audit_record
from backend.crypto import hpke
from reports import notifications
from reports.access import CaseAction, CaseworkError, eligible_assignees, require, visible_q
from reports.models import CandidateLink, Notification, Reply, Report, ReportState
from reports.states import IllegalTransition, report_transition
from reports.tasks import enqueue_triage
from reports.vocabulary import Outcome

S = ReportState
MAX_REPLY_CHARS = 4000


def _locked(report: Report, user: StaffUser, action: str) -> Report:
    """The report's row, locked for the change, once `user` may do `action` to it."""
    report = Report.objects.select_for_update().select_related("intake_key").get(pk=report.pk)
    require(user, report, action)
    return report


def _transition(
    report: Report, to_state: str, actor: StaffUser, action: str | None = None, details: dict | None = None, **fields
) -> Report:
    try:
        return report_transition(
            report=report, to_state=to_state, actor=actor, audit_action=action, audit_details=details, **fields
        )
    except IllegalTransition as exc:
        raise CaseworkError(str(exc)) from None


def report_claim(*, user: StaffUser, report: Report) -> Report:
    """A caseworker (or lead) takes an unassigned report from the queue."""
    with transaction.atomic():
        report = _locked(report, user, CaseAction.CLAIM)
        _transition(report, S.ASSIGNED, user, Action.REPORT_CLAIMED, assigned_to=user, waiting_reason="")
    return report


def report_acknowledge(*, user: StaffUser, report: Report) -> Report:
    """The assignee (or a lead) has seen it: the SLA clock stops."""
    with transaction.atomic():
        report = _locked(report, user, CaseAction.ACKNOWLEDGE)
        _transition(report, S.ACKNOWLEDGED, user, Action.REPORT_ACKNOWLEDGED, acknowledged_at=timezone.now())
    return report


def report_start(*, user: StaffUser, report: Report) -> Report:
    with transaction.atomic():
        report = _locked(report, user, CaseAction.START)
        _transition(report, S.IN_PROGRESS, user)
    return report


def report_close(*, user: StaffUser, report: Report, outcome: str) -> Report:
    if outcome not in Outcome.values:
        raise CaseworkError(_("Choose an outcome."))
    with transaction.atomic():
        report = _locked(report, user, CaseAction.CLOSE)
        _transition(report, S.CLOSED, user, Action.REPORT_CLOSED, {"outcome": outcome}, outcome=outcome)
    return report


def report_reassign(*, user: StaffUser, report: Report, assignee: StaffUser) -> Report:
    """A lead gives a report to a caseworker, who is told once the change commits."""
    with transaction.atomic():
        report = _locked(report, user, CaseAction.REASSIGN)
        if not eligible_assignees(report).filter(pk=assignee.pk).exists():
            raise CaseworkError(
                _("%(name)s is not an active caseworker holding this report's key.") % {"name": assignee.username}
            )
        if report.assigned_to_id == assignee.pk:
            raise CaseworkError(_("The report is already with %(name)s.") % {"name": assignee.username})
        details = {"assignee": str(assignee.pk)}
        if report.state == S.TRIAGED:
            _transition(
                report, S.ASSIGNED, user, Action.REPORT_ASSIGNED, details, assigned_to=assignee, waiting_reason=""
            )
        else:
            changed = Report.objects.filter(pk=report.pk, state=report.state).update(
                assigned_to=assignee, updated_at=timezone.now()
            )
            if changed != 1:
                raise CaseworkError(_("The report changed meanwhile."))
            report.assigned_to = assignee
            audit_record(
                Action.REPORT_REASSIGNED, actor=user, obj_type="report", obj_id=str(report.pk), details=details
            )
        notifications.notify(report, Notification.Kind.ASSIGNED, [assignee])
    return report


def report_unpark(*, user: StaffUser, report: Report) -> Report:
    """A lead sends a parked report back to triage with a fresh count of attempts."""
    with transaction.atomic():
        report = _locked(report, user, CaseAction.UNPARK)
        _transition(report, S.PENDING, user, triage_attempts=0, waiting_reason="", claimed_until=None, swept_at=None)
        enqueue_triage(report.pk)
    return report


def link_mark(*, user: StaffUser, report: Report, link_id: int, confirmed: bool) -> CandidateLink | None:
    """Confirm or reject a candidate link of `report` (both directions); None if no such link is in the user's
    scope (its other report too), so that a link to a report one may not see cannot be told from none."""
    with transaction.atomic():
        report = _locked(report, user, CaseAction.MARK_LINK)
        link = report.links.filter(visible_q(user, prefix="other__"), pk=link_id).first()
        if link is None:
            return None
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
    return link


def reply_send(*, user: StaffUser, report: Report, body: str) -> Reply:
    """Encrypt a reply to the reporter's reply key (HPKE, X25519, info b"sanad/v1/reply")."""
    body = (body or "").strip()
    if not body:
        raise CaseworkError(_("Write the reply first."))
    if len(body) > MAX_REPLY_CHARS:
        raise CaseworkError(_("A reply is at most %(limit)d characters.") % {"limit": MAX_REPLY_CHARS})
    with transaction.atomic():
        report = _locked(report, user, CaseAction.REPLY)
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
