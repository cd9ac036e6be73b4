"""The report state machine: every state change goes through report_transition.

pending -> triaged -> assigned -> acknowledged -> in_progress -> closed, plus
withdrawn (by the reporter, from any open state) and parked (triage kept
failing; a lead sends it back to pending). Each change is a conditional
update on the expected state, so two actors racing cannot both move a report,
and each is logged with its time and actor (None: the system).
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import StaffUser
from audit.actions import Action
from audit.services import audit_record
from reports.models import Report, ReportState, ReportTransition

S = ReportState
ALLOWED: dict[str, frozenset[str]] = {
    S.PENDING: frozenset({S.TRIAGED, S.PARKED, S.WITHDRAWN}),
    S.TRIAGED: frozenset({S.ASSIGNED, S.WITHDRAWN}),
    S.ASSIGNED: frozenset({S.ACKNOWLEDGED, S.TRIAGED, S.WITHDRAWN}),
    S.ACKNOWLEDGED: frozenset({S.IN_PROGRESS, S.CLOSED, S.WITHDRAWN}),
    S.IN_PROGRESS: frozenset({S.CLOSED, S.WITHDRAWN}),
    S.PARKED: frozenset({S.PENDING, S.WITHDRAWN}),
    S.CLOSED: frozenset({S.WITHDRAWN}),  # the reporter may still delete what they said
    S.WITHDRAWN: frozenset(),
}


class IllegalTransition(Exception):
    """Not allowed from the report's state, or the state changed meanwhile."""


def report_transition(
    *,
    report: Report,
    to_state: str,
    actor: StaffUser | None = None,
    audit_action: str | None = None,
    audit_details: dict | None = None,
    **fields,
) -> Report:
    """Move `report` to `to_state` (setting `fields` too) if allowed from its current state; call inside a transaction.

    A change made by a member of staff is appended to the audit chain (as
    `audit_action`, by default a plain status change). Changes made by the
    system (triage) or by the reporter (withdrawal) are not: the chain can
    never be edited, and their precise times would tie a report, even a
    withdrawn one, to the moment it was sent. ReportTransition keeps those,
    and withdrawal cuts them to the day.
    """
    from_state = report.state
    if to_state not in ALLOWED[from_state]:
        raise IllegalTransition(
            _("A report cannot go from “%(from)s” to “%(to)s”.")
            % {"from": ReportState(from_state).label, "to": ReportState(to_state).label}
        )
    now = timezone.now()
    changed = Report.objects.filter(pk=report.pk, state=from_state).update(state=to_state, updated_at=now, **fields)
    if changed != 1:
        raise IllegalTransition(_("The report changed meanwhile."))
    ReportTransition.objects.create(report=report, from_state=from_state, to_state=to_state, actor=actor, at=now)
    if actor is not None:
        audit_record(
            audit_action or Action.REPORT_TRANSITION,
            actor=actor,
            obj_type="report",
            obj_id=str(report.pk),
            details={"from": from_state, "to": to_state, **(audit_details or {})},
        )
    report.state, report.updated_at = to_state, now
    for name, value in fields.items():
        setattr(report, name, value)
    return report
