"""Races on PostgreSQL: a proposal is decided once, whatever arrives at the same moment."""

import pytest
from django.db import connection

from accounts.models import RoleProposal, StaffUser
from accounts.roles import Role, active_roles
from accounts.services import AccountError, key_grant_create, role_proposal_approve, role_proposal_cancel
from audit.models import AuditEntry
from tests.conftest import PASSWORD, make_staff
from tests.races import run_together

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def proposal(personas):
    assert connection.vendor == "postgresql", "this race needs a database with row locks"
    from accounts.services import staff_create

    nadia = staff_create(
        username="nadia",
        password=PASSWORD,
        roles=[Role.CASEWORKER],
        acting_user=personas["sam"],
        password_set_by_owner=True,
    )
    return RoleProposal.objects.get(subject=nadia)


@pytest.mark.parametrize("attempt", range(3))
def test_approve_and_cancel_at_once_decide_once(personas, proposal, attempt):
    outcomes = run_together(
        [
            lambda: role_proposal_approve(proposal=proposal, approver=personas["lead"], approver_password=PASSWORD),
            lambda: role_proposal_cancel(proposal=proposal, acting_user=personas["sam"]),
        ],
        {AccountError: "refused"},
    )
    assert sorted(outcomes) == ["ok", "refused"]
    state = RoleProposal.objects.get(pk=proposal.pk).state
    nadia = StaffUser.objects.get(pk=proposal.subject_id)
    # The role is in effect exactly when the approval won.
    assert (state == RoleProposal.State.APPROVED) == (active_roles(nadia) == {Role.CASEWORKER})
    assert state in (RoleProposal.State.APPROVED, RoleProposal.State.CANCELLED)
    decided = AuditEntry.objects.filter(
        object_id=str(nadia.pk), action__in=["role_approved", "role_proposal_cancelled"]
    ).count()
    assert decided == 1


@pytest.mark.parametrize("attempt", range(3))
def test_two_approvers_at_once_approve_once(personas, proposal, attempt):
    lead = personas["lead"]
    other = make_staff("other-lead", roles=[Role.TRIAGE_LEAD], acting_user=personas["sam"], approver=lead)
    key_grant_create(shared_key=personas["intake"], grantor=lead, grantor_password=PASSWORD, grantee=other)
    outcomes = run_together(
        [
            lambda: role_proposal_approve(proposal=proposal, approver=lead, approver_password=PASSWORD),
            lambda: role_proposal_approve(proposal=proposal, approver=other, approver_password=PASSWORD),
        ],
        {AccountError: "refused"},
    )
    assert sorted(outcomes) == ["ok", "refused"]
    assert AuditEntry.objects.filter(object_id=str(proposal.subject_id), action="role_approved").count() == 1
