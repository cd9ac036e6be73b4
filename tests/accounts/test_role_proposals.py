"""The two-person rule: a decrypting role is proposed by one member of staff and given only when a key
holder approves it with their password; until then it does nothing."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from accounts.models import KeyGrant, RoleProposal, StaffUser
from accounts.roles import KeyPurpose, Role, active_roles
from accounts.services import (
    AccountError,
    NotAKeyHolder,
    RoleNotAllowed,
    key_grant_create,
    role_bootstrap,
    role_proposal_approve,
    role_proposal_cancel,
    role_proposal_reject,
    role_proposals_approvable,
    role_proposals_expire,
    shared_key_create,
    shared_key_retire,
    staff_create,
    staff_deactivate,
    staff_set_roles,
)
from audit.models import AuditEntry
from audit.verify import verify_chain
from backend.crypto.errors import WrongPassword
from tests.conftest import OTHER_PASSWORD, PASSWORD, make_staff
from tests.reports.conftest import envelope, submit  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

PENDING = RoleProposal.State.PENDING


def proposal_of(user, role=None) -> RoleProposal:
    proposals = RoleProposal.objects.filter(subject=user, state=PENDING)
    return proposals.get(role=role) if role else proposals.get()


def propose(username, role, *, by, password=PASSWORD):
    """A new member of staff whose `role` `by` proposed (with their own password, so a personal key)."""
    return staff_create(username=username, password=password, roles=[role], acting_user=by, password_set_by_owner=True)


@pytest.fixture
def relocation(personas):
    """carla, the first coordinator (given the role on the server: no relocation key existed), holds the
    relocation key."""
    carla = make_staff("carla", roles=[Role.RELOCATION_COORDINATOR])
    key = shared_key_create(purpose=KeyPurpose.RELOCATION, holder=carla, holder_password=PASSWORD)
    return {**personas, "carla": carla, "relocation_key": key}


# Each decrypting role: who approves it, the key it would be granted, and an admin page the role opens.
CASES = {
    Role.CASEWORKER: ("lead", "intake", "/admin/reports/report/"),
    Role.TRIAGE_LEAD: ("lead", "intake", "/admin/accounts/coverage/"),
    Role.RELOCATION_COORDINATOR: ("carla", "relocation_key", "/admin/accounts/sharedkey/"),
}


@pytest.mark.parametrize("role", list(CASES))
def test_a_pending_role_does_nothing_until_a_key_holder_approves_it(relocation, role, staff_login):
    approver_name, key_name, page = CASES[role]
    approver, key, sam = relocation[approver_name], relocation[key_name], relocation["sam"]
    nadia = propose("nadia", role, by=sam)
    # Pending: no group, no role, no permission, in no list of who acts in the role, no grant.
    assert nadia.role_names == set() and active_roles(nadia) == set()
    assert not nadia.has_perm("reports.view_report") and not nadia.has_perm("accounts.view_sharedkey")
    assert not StaffUser.objects.with_role(role).filter(pk=nadia.pk).exists()
    with pytest.raises(RoleNotAllowed):
        key_grant_create(shared_key=key, grantor=approver, grantor_password=PASSWORD, grantee=nadia)
    assert not KeyGrant.objects.filter(holder=nadia).exists()
    client = staff_login(Client(), nadia)
    assert client.get(page).status_code == 403
    # Approved by a holder of a key of the role's purpose: the role acts, and a grant can follow.
    role_proposal_approve(proposal=proposal_of(nadia), approver=approver, approver_password=PASSWORD)
    nadia = StaffUser.objects.get(pk=nadia.pk)
    assert active_roles(nadia) == {role} and StaffUser.objects.with_role(role).filter(pk=nadia.pk).exists()
    assert proposal_of_state(nadia) == RoleProposal.State.APPROVED
    assert client.get("/admin/").status_code == 302  # approval ended her sessions: log in again
    key_grant_create(shared_key=key, grantor=approver, grantor_password=PASSWORD, grantee=nadia)
    client = staff_login(Client(), nadia)
    assert client.get(page).status_code == 200


def proposal_of_state(user) -> str:
    return RoleProposal.objects.filter(subject=user).order_by("-proposed_at").values_list("state", flat=True)[0]


def test_a_pending_triage_lead_sees_no_report_until_approved(personas, envelope, submit):  # noqa: F811
    from reports.access import reports_visible_to

    assert submit(envelope()).status_code == 201
    nadia = propose("nadia", Role.TRIAGE_LEAD, by=personas["sam"])
    assert not reports_visible_to(nadia).exists()
    role_proposal_approve(proposal=proposal_of(nadia), approver=personas["lead"], approver_password=PASSWORD)
    assert reports_visible_to(StaffUser.objects.get(pk=nadia.pk)).count() == 1


def test_who_may_approve(relocation):
    lead, alice, sam, audrey, carla = (relocation[n] for n in ("lead", "alice", "sam", "audrey", "carla"))
    nadia = propose("nadia", Role.CASEWORKER, by=sam)
    proposal = proposal_of(nadia)
    # Neither a sysadmin, an auditor, a caseworker holding the key (who may not grant it), nor a
    # coordinator (another purpose) may approve a caseworker.
    for who in (sam, audrey, alice, carla):
        with pytest.raises(RoleNotAllowed):
            role_proposal_approve(proposal=proposal, approver=who, approver_password=PASSWORD)
    # A triage lead whose role was approved but who holds no intake key may not either.
    keyless = make_staff("keyless", roles=[Role.TRIAGE_LEAD], acting_user=sam, approver=lead)
    with pytest.raises(NotAKeyHolder):
        role_proposal_approve(proposal=proposal, approver=keyless, approver_password=PASSWORD)
    # The right person with the wrong password: refused, nothing given.
    with pytest.raises(WrongPassword):
        role_proposal_approve(proposal=proposal, approver=lead, approver_password=OTHER_PASSWORD)
    assert proposal_of(nadia).pk == proposal.pk and nadia.role_names == set()
    # The lead sees it among the proposals they may approve; the others see nothing to approve.
    assert list(role_proposals_approvable(lead)) == [proposal]
    assert not role_proposals_approvable(alice).exists() and not role_proposals_approvable(carla).exists()
    # A relocation coordinator's role is approved by a coordinator holding the relocation key, not the lead.
    rhea = propose("rhea", Role.RELOCATION_COORDINATOR, by=sam)
    with pytest.raises(RoleNotAllowed):
        role_proposal_approve(proposal=proposal_of(rhea), approver=lead, approver_password=PASSWORD)
    role_proposal_approve(proposal=proposal_of(rhea), approver=carla, approver_password=PASSWORD)
    assert active_roles(StaffUser.objects.get(pk=rhea.pk)) == {Role.RELOCATION_COORDINATOR}


def test_never_the_proposer_nor_the_subject(personas):
    lead, sam = personas["lead"], personas["sam"]
    # A lead proposing a role (the services allow any acting user) cannot then approve it themselves.
    nadia = propose("nadia", Role.CASEWORKER, by=lead)
    with pytest.raises(RoleNotAllowed, match="second person"):
        role_proposal_approve(proposal=proposal_of(nadia), approver=lead, approver_password=PASSWORD)
    # Nor can a key holder approve a role proposed for themselves.
    staff_set_roles(user=lead, roles=[Role.TRIAGE_LEAD, Role.CASEWORKER], acting_user=sam)
    with pytest.raises(RoleNotAllowed, match="second person"):
        role_proposal_approve(proposal=proposal_of(lead), approver=lead, approver_password=PASSWORD)
    assert StaffUser.objects.get(pk=lead.pk).role_names == {Role.TRIAGE_LEAD}
    # A second lead holding the key may approve either.
    other = make_staff("other-lead", roles=[Role.TRIAGE_LEAD], acting_user=sam, approver=lead)
    key_grant_create(shared_key=personas["intake"], grantor=lead, grantor_password=PASSWORD, grantee=other)
    # nadia's proposal came from a lead, not a sysadmin: nobody may approve it.
    with pytest.raises(RoleNotAllowed, match="not a system administrator"):
        role_proposal_approve(proposal=proposal_of(nadia), approver=other, approver_password=PASSWORD)
    role_proposal_approve(proposal=proposal_of(lead), approver=other, approver_password=PASSWORD)
    assert StaffUser.objects.get(pk=lead.pk).role_names == {Role.TRIAGE_LEAD, Role.CASEWORKER}


def test_approval_checks_the_proposal_and_the_subject_again(personas):
    lead, sam = personas["lead"], personas["sam"]
    # Approved once only.
    nadia = propose("nadia", Role.CASEWORKER, by=sam)
    proposal = proposal_of(nadia)
    role_proposal_approve(proposal=proposal, approver=lead, approver_password=PASSWORD)
    with pytest.raises(AccountError, match="no longer open"):
        role_proposal_approve(proposal=proposal, approver=lead, approver_password=PASSWORD)
    # Cancelled: never approved.
    omar = propose("omar", Role.CASEWORKER, by=sam)
    cancelled = proposal_of(omar)
    role_proposal_cancel(proposal=cancelled, acting_user=sam)
    with pytest.raises(AccountError, match="no longer open"):
        role_proposal_approve(proposal=cancelled, approver=lead, approver_password=PASSWORD)
    assert StaffUser.objects.get(pk=omar.pk).role_names == set()
    # Deactivated: their proposals lapse, and are not approved.
    pia = propose("pia", Role.CASEWORKER, by=sam)
    pending = proposal_of(pia)
    staff_deactivate(user=pia, acting_user=sam)
    pending.refresh_from_db()
    assert pending.state == RoleProposal.State.CANCELLED
    with pytest.raises(AccountError):
        role_proposal_approve(proposal=pending, approver=lead, approver_password=PASSWORD)
    # A role that conflicts with one the subject holds by now (given meanwhile) is refused.
    from django.contrib.auth.models import Group

    quinn = propose("quinn", Role.CASEWORKER, by=sam)
    quinn.groups.add(Group.objects.get(name=Role.AUDITOR))
    with pytest.raises(RoleNotAllowed):
        role_proposal_approve(proposal=proposal_of(quinn), approver=lead, approver_password=PASSWORD)
    assert StaffUser.objects.get(pk=quinn.pk).role_names == {Role.AUDITOR}
    assert proposal_of(quinn).state == PENDING  # nothing written


def test_a_deactivated_proposers_proposals_lapse(personas):
    lead, sam = personas["lead"], personas["sam"]
    other_admin = staff_create(username="sami", password=PASSWORD, roles=[Role.SYSADMIN], password_set_by_owner=True)
    nadia = propose("nadia", Role.CASEWORKER, by=other_admin)
    staff_deactivate(user=other_admin, acting_user=sam)
    proposal = RoleProposal.objects.get(subject=nadia)
    assert proposal.state == RoleProposal.State.CANCELLED
    with pytest.raises(AccountError, match="no longer open"):
        role_proposal_approve(proposal=proposal, approver=lead, approver_password=PASSWORD)


def test_a_proposal_expires_unapproved(personas, settings):
    lead, sam = personas["lead"], personas["sam"]
    nadia = propose("nadia", Role.CASEWORKER, by=sam)
    proposal = proposal_of(nadia)
    assert proposal.expires_at - proposal.proposed_at == datetime.timedelta(days=settings.SANAD_ROLE_PROPOSAL_DAYS)
    RoleProposal.objects.filter(pk=proposal.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    with pytest.raises(AccountError, match="no longer open"):
        role_proposal_approve(proposal=proposal, approver=lead, approver_password=PASSWORD)
    proposal.refresh_from_db()
    assert proposal.state == RoleProposal.State.EXPIRED and nadia.role_names == set()
    assert AuditEntry.objects.filter(action="role_proposal_expired", object_id=str(nadia.pk)).count() == 1
    # The beat task's sweep marks others, once.
    omar = propose("omar", Role.CASEWORKER, by=sam)
    later = timezone.now() + datetime.timedelta(days=settings.SANAD_ROLE_PROPOSAL_DAYS, seconds=1)
    assert role_proposals_expire(now=timezone.now()) == 0
    assert role_proposals_expire(now=later) == 1 and role_proposals_expire(now=later) == 0
    assert RoleProposal.objects.get(subject=omar).state == RoleProposal.State.EXPIRED
    # A new proposal can then be made.
    staff_set_roles(user=omar, roles=[Role.CASEWORKER], acting_user=sam)
    assert proposal_of(omar).state == PENDING


def test_the_beat_expires_proposals_hourly(personas, settings):
    from accounts.tasks import expire_role_proposals

    assert settings.CELERY_BEAT_SCHEDULE["expire-role-proposals"]["task"] == "accounts.tasks.expire_role_proposals"
    nadia = propose("nadia", Role.CASEWORKER, by=personas["sam"])
    assert expire_role_proposals() == 0
    RoleProposal.objects.filter(subject=nadia).update(expires_at=timezone.now())
    assert expire_role_proposals() == 1
    assert RoleProposal.objects.get(subject=nadia).state == RoleProposal.State.EXPIRED


def test_cancel_and_reject(relocation):
    lead, alice, sam, carla = (relocation[n] for n in ("lead", "alice", "sam", "carla"))
    nadia = propose("nadia", Role.CASEWORKER, by=sam)
    proposal = proposal_of(nadia)
    # Only a sysadmin cancels; only someone who could approve rejects.
    for who in (lead, alice):
        with pytest.raises(RoleNotAllowed):
            role_proposal_cancel(proposal=proposal, acting_user=who)
    for who in (alice, sam, carla):
        with pytest.raises(RoleNotAllowed):
            role_proposal_reject(proposal=proposal, acting_user=who)
    role_proposal_reject(proposal=proposal, acting_user=lead)
    proposal.refresh_from_db()
    assert proposal.state == RoleProposal.State.REJECTED and proposal.decided_by_id == lead.pk
    with pytest.raises(AccountError, match="no longer open"):
        role_proposal_cancel(proposal=proposal, acting_user=sam)
    omar = propose("omar", Role.CASEWORKER, by=sam)
    role_proposal_cancel(proposal=proposal_of(omar), acting_user=sam)
    actions = dict(
        AuditEntry.objects.filter(object_id__in=[str(nadia.pk), str(omar.pk)], action__startswith="role_")
        .values_list("object_id", "action")
        .order_by("seq")
    )
    assert actions == {str(nadia.pk): "role_proposal_rejected", str(omar.pk): "role_proposal_cancelled"}


def test_removing_a_decrypting_role_and_the_other_roles_take_one_step(personas):
    alice, bob, sam = personas["alice"], personas["bob"], personas["sam"]
    # Removing: at once, no proposal, no second person; the grants go with it.
    staff_set_roles(user=alice, roles=[Role.AUDITOR], acting_user=sam)
    alice = StaffUser.objects.get(pk=alice.pk)
    assert active_roles(alice) == {Role.AUDITOR} and not KeyGrant.objects.filter(holder=alice).exists()
    assert not RoleProposal.objects.filter(subject=alice, state=PENDING).exists()
    # Auditor and sysadmin: given at once, as before.
    audra = staff_create(username="audra", password=PASSWORD, roles=[Role.AUDITOR], acting_user=sam)
    assert audra.role_names == {Role.AUDITOR} and not RoleProposal.objects.filter(subject=audra).exists()
    staff_set_roles(user=bob, roles=[Role.SYSADMIN], acting_user=sam)
    assert StaffUser.objects.get(pk=bob.pk).role_names == {Role.SYSADMIN}


def test_setting_roles_proposes_only_what_is_new_and_cancels_what_was_dropped(personas):
    alice, sam, lead = personas["alice"], personas["sam"], personas["lead"]
    # Keeping caseworker and adding triage lead: caseworker (and her grant) stay, triage lead is proposed.
    made = staff_set_roles(user=alice, roles=[Role.CASEWORKER, Role.TRIAGE_LEAD], acting_user=sam)
    assert [p.role for p in made] == [Role.TRIAGE_LEAD]
    alice = StaffUser.objects.get(pk=alice.pk)
    assert alice.role_names == {Role.CASEWORKER} and KeyGrant.objects.filter(holder=alice).exists()
    # The same set again proposes nothing new.
    assert staff_set_roles(user=alice, roles=[Role.CASEWORKER, Role.TRIAGE_LEAD], acting_user=sam) == []
    assert RoleProposal.objects.filter(subject=alice, role=Role.TRIAGE_LEAD).count() == 1
    # Dropping it from the set cancels the proposal (audited), and nothing is given.
    staff_set_roles(user=alice, roles=[Role.CASEWORKER], acting_user=sam)
    assert RoleProposal.objects.get(subject=alice, role=Role.TRIAGE_LEAD).state == RoleProposal.State.CANCELLED
    assert AuditEntry.objects.filter(action="role_proposal_cancelled", object_id=str(alice.pk)).exists()
    # A conflicting set is refused whole, proposals included.
    with pytest.raises(RoleNotAllowed):
        staff_set_roles(user=alice, roles=[Role.CASEWORKER, Role.SYSADMIN], acting_user=sam)
    # Nobody proposes a role for themselves.
    with pytest.raises(RoleNotAllowed):
        staff_set_roles(user=lead, roles=[Role.TRIAGE_LEAD, Role.CASEWORKER], acting_user=lead)
    assert not RoleProposal.objects.filter(subject=lead, state=PENDING).exists()


def test_a_pending_member_with_their_own_password_has_a_personal_key_ready(personas):
    """Made while the password is at hand, so a grant can follow the approval without another login;
    the key opens nothing while the role is pending."""
    nadia = propose("nadia", Role.CASEWORKER, by=personas["sam"])
    assert hasattr(StaffUser.objects.get(pk=nadia.pk), "personal_key")
    role_proposal_approve(proposal=proposal_of(nadia), approver=personas["lead"], approver_password=PASSWORD)
    key_grant_create(shared_key=personas["intake"], grantor=personas["lead"], grantor_password=PASSWORD, grantee=nadia)


def test_bootstrap_only_for_the_first_holder_of_a_purpose(db):
    """On a fresh install nobody holds a key to approve the first triage lead or coordinator: the server
    may give those roles, only while no key of their purpose exists, and says so on the audit chain."""
    sam = staff_create(username="sam", password=PASSWORD, roles=[Role.SYSADMIN], password_set_by_owner=True)
    # A caseworker is never bootstrapped: the first lead approves them once the key exists.
    early = staff_create(username="early", password=PASSWORD, roles=[Role.CASEWORKER], password_set_by_owner=True)
    with pytest.raises(RoleNotAllowed):
        role_bootstrap(proposal=proposal_of(early))
    lead = staff_create(username="lead", password=PASSWORD, roles=[Role.TRIAGE_LEAD], password_set_by_owner=True)
    role_bootstrap(proposal=proposal_of(lead, Role.TRIAGE_LEAD))
    entry = AuditEntry.objects.get(action="role_bootstrapped")
    assert entry.actor_id == "" and entry.object_id == str(lead.pk)
    assert entry.details["role"] == Role.TRIAGE_LEAD and entry.details["purpose"] == KeyPurpose.INTAKE
    intake = shared_key_create(purpose=KeyPurpose.INTAKE, holder=lead, holder_password=PASSWORD)
    # Once an intake key exists, a second lead needs the first's approval, even after the key is retired.
    second = staff_create(
        username="second", password=PASSWORD, roles=[Role.TRIAGE_LEAD], acting_user=sam, password_set_by_owner=True
    )
    with pytest.raises(RoleNotAllowed, match="must approve"):
        role_bootstrap(proposal=proposal_of(second))
    shared_key_retire(shared_key=intake, holder=lead, holder_password=PASSWORD)
    with pytest.raises(RoleNotAllowed, match="must approve"):
        role_bootstrap(proposal=proposal_of(second))
    assert StaffUser.objects.get(pk=second.pk).role_names == set()
    # Relocation is its own purpose: its first coordinator may still be bootstrapped.
    carla = staff_create(
        username="carla", password=PASSWORD, roles=[Role.RELOCATION_COORDINATOR], password_set_by_owner=True
    )
    role_bootstrap(proposal=proposal_of(carla))
    assert active_roles(StaffUser.objects.get(pk=carla.pk)) == {Role.RELOCATION_COORDINATOR}


def test_create_staff_bootstrap_on_the_command_line(db, tmp_path, capsys):
    password_file = tmp_path / "pw"
    password_file.write_text(PASSWORD)
    # Without --bootstrap, even the first lead is only proposed.
    call_command("create_staff", "lead", roles="triage_lead", password_file=str(password_file), own_password=True)
    assert "Proposed triage_lead for lead" in capsys.readouterr().out
    assert StaffUser.objects.get(username="lead").role_names == set()
    call_command(
        "create_staff",
        "lead2",
        roles="triage_lead",
        password_file=str(password_file),
        own_password=True,
        bootstrap=True,
    )
    assert "as first holder" in capsys.readouterr().out
    lead2 = StaffUser.objects.get(username="lead2")
    assert lead2.role_names == {Role.TRIAGE_LEAD}
    shared_key_create(purpose=KeyPurpose.INTAKE, holder=lead2, holder_password=PASSWORD)
    # Refused once a key exists, and then no account is left behind.
    with pytest.raises(CommandError, match="must approve"):
        call_command("create_staff", "lead3", roles="triage_lead", password_file=str(password_file), bootstrap=True)
    assert not StaffUser.objects.filter(username="lead3").exists()
    with pytest.raises(CommandError, match="decrypting role"):
        call_command("create_staff", "aud", roles="auditor", password_file=str(password_file), bootstrap=True)
    # The first lead approves the other from the command line, with their password.
    call_command("approve_role", "lead", "triage_lead", approver="lead2", password_file=str(password_file))
    assert StaffUser.objects.get(username="lead").role_names == {Role.TRIAGE_LEAD}
    with pytest.raises(CommandError, match="No pending proposal"):
        call_command("approve_role", "lead", "triage_lead", approver="lead2", password_file=str(password_file))


def test_the_audit_chain_records_each_step_with_ids_and_no_password(personas):
    lead, sam = personas["lead"], personas["sam"]
    nadia = propose("nadia", Role.CASEWORKER, by=sam)
    proposal = proposal_of(nadia)
    with pytest.raises(WrongPassword):
        role_proposal_approve(proposal=proposal, approver=lead, approver_password=OTHER_PASSWORD)
    role_proposal_approve(proposal=proposal, approver=lead, approver_password=PASSWORD)
    entries = list(AuditEntry.objects.filter(object_id=str(nadia.pk)).order_by("seq"))
    assert [(e.action, e.actor_name) for e in entries] == [
        ("staff_created", "sam"),
        ("role_proposed", "sam"),
        ("role_approval_failed", "lead"),
        ("role_approved", "lead"),
    ]
    assert entries[0].details["proposed"] == [Role.CASEWORKER] and entries[0].details["roles"] == ""
    for entry in entries[1:]:
        assert entry.details["proposal"] == str(proposal.pk) and entry.details["role"] == Role.CASEWORKER
    assert entries[2].details["approver"] == str(lead.pk)
    assert entries[3].details["proposed_by"] == str(sam.pk)
    for entry in AuditEntry.objects.all():
        assert PASSWORD not in str(entry.details) and OTHER_PASSWORD not in str(entry.details)
    assert verify_chain().ok
