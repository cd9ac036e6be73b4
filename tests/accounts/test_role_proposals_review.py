"""The two-person rule after its security review: a reset takes a decrypting role away, a role is never
approved while someone else knows the subject's password, a proposal lapses with its proposer's sysadmin
role, an expired proposal is never recorded as decided, wrong passwords are audited and limited, and the
forms' passwords stay out of error reports."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import KeyGrant, RoleProposal
from accounts.roles import Role
from accounts.services import (
    AccountError,
    role_proposal_approve,
    staff_create,
    staff_set_roles,
)
from audit.models import AuditEntry
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

PENDING = RoleProposal.State.PENDING
TEMPORARY = "a password the sysadmin typed 8"
CHOSEN = "a password only she knows 11"


def pending_of(user, role=None) -> RoleProposal:
    proposals = RoleProposal.objects.filter(subject=user, state=PENDING)
    return proposals.get(role=role) if role else proposals.get()


def propose(username, role, *, by, password=PASSWORD, own=True):
    return staff_create(username=username, password=password, roles=[role], acting_user=by, password_set_by_owner=own)


def actions_on(user) -> list[str]:
    return list(AuditEntry.objects.filter(object_id=str(user.pk)).order_by("seq").values_list("action", flat=True))


# --- L1: keys locked before the audit chain --------------------------------------------------------


def test_setting_roles_locks_the_keys_before_writing_the_audit_chain(personas):
    alice, sam = personas["alice"], personas["sam"]
    staff_set_roles(user=alice, roles=[Role.CASEWORKER, Role.TRIAGE_LEAD], acting_user=sam)  # one pending
    with CaptureQueriesContext(connection) as queries:
        staff_set_roles(user=alice, roles=[Role.AUDITOR], acting_user=sam)  # revokes her grant, cancels the proposal
    sqls = [query["sql"] for query in queries.captured_queries]
    first_key = next(i for i, sql in enumerate(sqls) if '"accounts_sharedkey"' in sql)
    first_chain = next(i for i, sql in enumerate(sqls) if "audit_auditentry" in sql or "pg_advisory" in sql)
    assert first_key < first_chain
    assert RoleProposal.objects.get(subject=alice, role=Role.TRIAGE_LEAD).state == RoleProposal.State.CANCELLED
    assert not KeyGrant.objects.filter(holder=alice).exists()


# --- L3: a proposal counts only while its proposer is a sysadmin -----------------------------------


def test_losing_the_sysadmin_role_cancels_ones_proposals(personas):
    lead, sam = personas["lead"], personas["sam"]
    sid = staff_create(username="sid", password=PASSWORD, roles=[Role.SYSADMIN], password_set_by_owner=True)
    nadia = propose("nadia", Role.CASEWORKER, by=sid)
    proposal = pending_of(nadia)
    staff_set_roles(user=sid, roles=[Role.AUDITOR], acting_user=sam)
    assert RoleProposal.objects.get(pk=proposal.pk).state == RoleProposal.State.CANCELLED
    entry = AuditEntry.objects.get(action="role_proposal_cancelled", object_id=str(nadia.pk))
    assert entry.details["reason"] == "proposer_not_sysadmin" and entry.actor_name == "sam"
    with pytest.raises(AccountError, match="no longer open"):
        role_proposal_approve(proposal=proposal, approver=lead, approver_password=PASSWORD)
