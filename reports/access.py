"""Who may know of a report, who may read it, and what each member of staff may do to it: asked here only.

Scope: a triage lead sees every report; a caseworker sees the reports
assigned to them and the unassigned queue of the places they cover; nobody
else sees reports at all. An object outside one's scope answers 404.

Actions: CASE_ACTIONS is the one list of what may be done to a report, by
whom and in which state. The admin page shows exactly the actions
actions_for() gives, and every casework service calls require() on the
locked row before it changes anything; a test holds the two together for
every role and state.

Reading content additionally needs a grant of the report's intake key,
opened with the personal key held in the session; every reading is on the
audit chain.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import models
from django.db.models import Q, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from accounts.models import Coverage, StaffUser
from accounts.roles import KeyPurpose, Role, has_role
from accounts.selectors import shared_keys_usable
from accounts.services import AccountError, SharedKeyOpener
from audit.actions import Action
from audit.services import audit_record
from backend.crypto import hpke
from backend.crypto.errors import CryptoError
from backend.sealed_fields import open_value
from reports.models import Evidence, Report, ReportState

S = ReportState


class CaseworkError(Exception):
    """An action that cannot be done; the message is safe to show to the member of staff."""


class CannotDecrypt(CaseworkError):
    pass


# --- Scope -------------------------------------------------------------------------


def is_lead(user: StaffUser) -> bool:
    return has_role(user, Role.TRIAGE_LEAD)


def is_caseworker(user: StaffUser) -> bool:
    return has_role(user, Role.CASEWORKER)


def covered_places(user: StaffUser) -> list[str]:
    """The places whose unassigned reports wait in this caseworker's queue."""
    coverage = Coverage.objects.filter(user=user).values_list("governorates", flat=True).first()
    return list(coverage or [])


def visible_parts(user: StaffUser, *, prefix: str = "") -> list[Q]:
    """The reports `user` may know exist, as filters that share no report (their union is the scope), on the
    report reached through `prefix` (e.g. "other__"). A lead: everything; a caseworker: their own reports,
    and the unassigned queue of the places they cover; anyone else: nothing."""
    if is_lead(user):
        return [Q()]
    if is_caseworker(user):
        queue = Q(
            **{
                f"{prefix}state": S.TRIAGED,
                f"{prefix}assigned_to__isnull": True,
                f"{prefix}governorate__in": covered_places(user),
            }
        )
        return [Q(**{f"{prefix}assigned_to": user}), queue]
    return []


def visible_q(user: StaffUser, *, prefix: str = "") -> Q:
    """The reports `user` may know exist, as one filter (see visible_parts)."""
    parts = visible_parts(user, prefix=prefix)
    if not parts:
        return Q(**{f"{prefix}pk__in": []})
    scope = parts[0]
    for part in parts[1:]:
        scope |= part
    return scope


def reports_visible_to(user: StaffUser) -> QuerySet[Report]:
    """The reports `user` may know exist. Everything else answers 404."""
    if not (is_lead(user) or is_caseworker(user)):
        return Report.objects.none()
    return Report.objects.filter(visible_q(user))


def severity_reasons(report: Report) -> list[str]:
    """The reason codes triage gave for the report's severity (sealed at rest); none before triage."""
    sealed = open_value(report, "severity_reasons_sealed")
    return json.loads(sealed) if sealed else []


def severity_reasons_for(user: StaffUser, report: Report) -> list[str]:
    """The report's severity reasons as `user` may read them: how many reports share an indicator counts
    reports outside a caseworker's scope, so only a lead reads the number."""
    reasons = severity_reasons(report)
    if is_lead(user):
        return reasons
    return [
        "indicator_shared_with_other_reports" if reason.startswith("indicator_shared_with_") else reason
        for reason in reasons
    ]


# --- What may be done ----------------------------------------------------------------


class CaseAction(models.TextChoices):
    READ = "read", _l("Read the content")
    CLAIM = "claim", _l("Claim from the queue")
    ACKNOWLEDGE = "acknowledge", _l("Acknowledge")
    START = "start", _l("Start work")
    CLOSE = "close", _l("Close")
    REASSIGN = "reassign", _l("Assign to a caseworker")
    UNPARK = "unpark", _l("Send back to triage")
    REPLY = "reply", _l("Reply to the reporter")
    MARK_LINK = "mark_link", _l("Confirm or reject a candidate link")
    REFER = "refer", _l("Refer for relocation")


# Who: the report's caseworker or any lead; leads only; or whoever's queue holds it.
WORKER, LEAD, QUEUE = "worker", "lead", "queue"
WORKING = frozenset({S.ASSIGNED, S.ACKNOWLEDGED, S.IN_PROGRESS})
NOT_WITHDRAWN = frozenset(S.values) - {S.WITHDRAWN}


@dataclass(frozen=True)
class Rule:
    states: frozenset[str]
    who: str
    refusal: str | Promise  # said when the state or the role does not allow it
    # A further condition on the data: the reason it fails, or None.
    needs: Callable[[StaffUser, Report], str | None] = field(default=lambda user, report: None)


def _unassigned_and_readable(user: StaffUser, report: Report) -> str | None:
    if report.assigned_to_id is not None:
        return _("This report is not in your queue any more.")
    if user.key_grants.filter(shared_key_id=report.intake_key_id).exists():
        return None
    return _("You hold no grant of this report's intake key, so you cannot read it.")


def _has_reply_key(user: StaffUser, report: Report) -> str | None:
    if report.reply_public_key is None:
        return _("The reporter gave no reply key, so they cannot receive replies through Sanad.")
    return None


def _someone_to_assign(user: StaffUser, report: Report) -> str | None:
    if eligible_assignees(report).exclude(pk=report.assigned_to_id).exists():
        return None
    return _("No other active caseworker holds this report's intake key.")


# A referral's states while it is open (relocation.vocabulary.ReferralState; reports does not import
# relocation, which builds on it). One open referral per report is also a constraint in the database.
OPEN_REFERRAL_STATES = ("waiting", "held", "placed")


def _may_refer(user: StaffUser, report: Report) -> str | None:
    if report.referrals.filter(state__in=OPEN_REFERRAL_STATES).exists():
        return _("This report has an open referral already.")
    if not shared_keys_usable(KeyPurpose.RELOCATION):
        return _("Relocation is not set up yet: no relocation key is held by enough coordinators.")
    return None


CASE_ACTIONS: dict[str, Rule] = {
    CaseAction.READ: Rule(NOT_WITHDRAWN, WORKER, _l("You may read a report once it is assigned to you.")),
    CaseAction.CLAIM: Rule(
        frozenset({S.TRIAGED}), QUEUE, _l("This report is not in your queue any more."), _unassigned_and_readable
    ),
    CaseAction.ACKNOWLEDGE: Rule(
        frozenset({S.ASSIGNED}), WORKER, _l("Only an assigned report can be acknowledged, by its caseworker or a lead.")
    ),
    CaseAction.START: Rule(
        frozenset({S.ACKNOWLEDGED}), WORKER, _l("Work starts on an acknowledged report, by its caseworker or a lead.")
    ),
    CaseAction.CLOSE: Rule(
        frozenset({S.ACKNOWLEDGED, S.IN_PROGRESS}),
        WORKER,
        _l("Only an acknowledged or in-progress report can be closed, by its caseworker or a lead."),
    ),
    CaseAction.REASSIGN: Rule(
        frozenset({S.TRIAGED}) | WORKING,
        LEAD,
        _l("Only a triage lead assigns, and only a report in triage or in work."),
        _someone_to_assign,
    ),
    CaseAction.UNPARK: Rule(
        frozenset({S.PARKED}), LEAD, _l("Only a triage lead sends a parked report back to triage.")
    ),
    CaseAction.REPLY: Rule(
        WORKING, WORKER, _l("Only the assigned caseworker or a lead replies, while the case is open."), _has_reply_key
    ),
    CaseAction.MARK_LINK: Rule(NOT_WITHDRAWN, WORKER, _l("You may not work this report.")),
    CaseAction.REFER: Rule(
        WORKING,
        WORKER,
        _l("Only the report's caseworker or a triage lead refers it for relocation, while the case is open."),
        _may_refer,
    ),
}


def _allowed_by_role(user: StaffUser, report: Report, who: str) -> bool:
    if is_lead(user):
        return True
    if who == LEAD or not is_caseworker(user):
        return False
    if who == WORKER:
        return report.assigned_to_id == user.pk
    # QUEUE: a place they cover (that the report is unassigned is the claim rule's own check, for leads too)
    return report.governorate in covered_places(user)


def refusal(user: StaffUser, report: Report, action: str) -> str | None:
    """Why `user` may not do `action` to `report` now, or None if they may."""
    rule = CASE_ACTIONS[action]
    if report.state == S.WITHDRAWN and action == CaseAction.READ:
        return _("The reporter withdrew this report: its content is deleted.")
    if report.state not in rule.states or not _allowed_by_role(user, report, rule.who):
        return rule.refusal
    return rule.needs(user, report)


def actions_for(user: StaffUser, report: Report) -> frozenset[str]:
    """Every action `user` may do to `report` now: what their page offers."""
    return frozenset(action for action in CASE_ACTIONS if refusal(user, report, action) is None)


def require(user: StaffUser, report: Report, action: str) -> None:
    """CaseworkError unless `user` may do `action` to `report` (call on the row locked for the change)."""
    reason = refusal(user, report, action)
    if reason is not None:
        raise CaseworkError(reason)


def eligible_assignees(report: Report) -> QuerySet[StaffUser]:
    """Active caseworkers who hold a grant of the report's intake key: who triage may assign it to,
    and a lead may give it to (someone who cannot read it is no help)."""
    return StaffUser.objects.caseworkers().holding(report.intake_key_id).order_by("username")


# --- Reading -------------------------------------------------------------------------


@dataclass
class OpenedReport:
    content: dict
    followups: list[tuple[datetime, dict]] = field(default_factory=list)
    evidence: list[tuple[Evidence, dict]] = field(default_factory=list)


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _well_formed(value):
    """JSON's strings with any lone surrogate (half an emoji, as "\\ud83d") made U+FFFD: a page cannot print one."""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)  # json.loads joins a pair: what is left is alone
    if isinstance(value, list):
        return [_well_formed(item) for item in value]
    if isinstance(value, dict):
        return {_well_formed(key): _well_formed(item) for key, item in value.items()}
    return value


def _json_object(raw: bytes) -> dict:
    try:
        value = _well_formed(json.loads(raw.decode("utf-8")))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return {"unreadable": _("The content is not the JSON the wire format asks for.")}
    return value if isinstance(value, dict) else {"unreadable": _("The content is not a JSON object.")}


def read_report(plaintext: bytes) -> dict:
    """A decrypted report as its page reads it: a JSON object, whose "indicators" (the page lists them) is a list."""
    content = _json_object(plaintext)
    if not isinstance(content.get("indicators", []), list):
        # Only a client other than Sanad's sends this: the rest is shown, with the problem.
        return {**content, "indicators": [], "unreadable": _("The content is not the JSON the wire format asks for.")}
    return content


def read_followup(plaintext: bytes) -> dict:
    """A decrypted follow-up as its page reads it: a JSON object."""
    return _json_object(plaintext)


def read_evidence(plaintext: bytes) -> tuple[dict, bytes]:
    """A decrypted evidence file: its description (the first line, a JSON object) and its bytes."""
    header, _, body = plaintext.partition(b"\n")
    return _json_object(header), body


def _opener(user: StaffUser, personal_key: hpke.PrivateKey | None) -> Callable:
    keys = SharedKeyOpener(user=user, personal_key=personal_key)

    def open_key(shared_key):
        try:
            return keys.open(shared_key)
        except AccountError as exc:
            raise CannotDecrypt(str(exc)) from None

    return open_key


def report_open(*, user: StaffUser, report: Report, personal_key: hpke.PrivateKey | None) -> OpenedReport:
    """Decrypt content, follow-ups and the evidence descriptions; recorded in the audit chain."""
    if refusal(user, report, CaseAction.READ) is not None or report.ciphertext is None:
        raise CannotDecrypt("You may not read this report.")
    open_key = _opener(user, personal_key)
    try:
        private = open_key(report.intake_key)
        content = read_report(
            hpke.decrypt(private, bytes(report.ciphertext), info=hpke.report_info(report.intake_key.key_id))
        )
        opened = OpenedReport(content=content)
        for followup in report.followups.select_related("intake_key").order_by("created_at"):
            text = hpke.decrypt(
                open_key(followup.intake_key),
                bytes(followup.ciphertext),
                info=hpke.followup_info(followup.intake_key.key_id),
            )
            opened.followups.append((followup.created_at, read_followup(text)))
        for item in report.evidence.select_related("intake_key").order_by("created_at"):
            plain = hpke.decrypt(
                open_key(item.intake_key), bytes(item.ciphertext), info=hpke.evidence_info(item.intake_key.key_id)
            )
            opened.evidence.append((item, read_evidence(plain)[0]))
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
    if refusal(user, report, CaseAction.READ) is not None:
        raise CannotDecrypt("You may not read this report.")
    private = _opener(user, personal_key)(evidence.intake_key)
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
    return read_evidence(plain)
