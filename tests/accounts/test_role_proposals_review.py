"""The two-person rule after its security review: a reset takes a decrypting role away, a role is never
approved while someone else knows the subject's password, a proposal lapses with its proposer's sysadmin
role, an expired proposal is never recorded as decided, wrong passwords are audited and limited, and the
forms' passwords stay out of error reports."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import KeyGrant, RoleProposal, SharedKey, StaffSession, StaffUser
from accounts.roles import Role
from accounts.services import (
    AccountError,
    RoleNotAllowed,
    WouldOrphanKey,
    key_grant_create,
    role_proposal_approve,
    role_proposal_cancel,
    role_proposal_reject,
    staff_change_password,
    staff_create,
    staff_deactivate,
    staff_reset_password,
    staff_set_roles,
)
from audit.models import AuditEntry
from audit.verify import verify_chain
from backend.crypto.errors import WrongPassword
from tests.conftest import OTHER_PASSWORD, PASSWORD

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


# --- H1: a reset takes a decrypting role away ----------------------------------------------------


def test_a_reset_takes_the_decrypting_role_away_and_proposes_it_again(personas, staff_login):
    alice, lead, sam = personas["alice"], personas["lead"], personas["sam"]
    staff_login(Client(), alice)
    assert StaffSession.objects.filter(user=alice).exists()
    staff_reset_password(user=alice, new_password=TEMPORARY, acting_user=sam)
    alice.refresh_from_db()
    # Whoever typed TEMPORARY could log in as alice: she acts in no decrypting role until approved again.
    assert alice.role_names == set() and alice.must_change_password
    assert not StaffUser.objects.caseworkers().filter(pk=alice.pk).exists()
    assert not StaffSession.objects.filter(user=alice).exists()
    proposal = pending_of(alice, Role.CASEWORKER)
    assert proposal.proposed_by_id == sam.pk
    reset = AuditEntry.objects.get(action="staff_password_reset", object_id=str(alice.pk))
    assert reset.details["roles_removed"] == [Role.CASEWORKER] and reset.actor_name == "sam"
    proposed = AuditEntry.objects.filter(action="role_proposed", object_id=str(alice.pk)).order_by("-seq").first()
    assert proposed.details["reason"] == "password_reset" and proposed.details["proposal"] == str(proposal.pk)
    # Not approvable while the sysadmin's password is hers; then a key holder approves it again.
    with pytest.raises(AccountError, match="choose their own password"):
        role_proposal_approve(proposal=proposal, approver=lead, approver_password=PASSWORD)
    staff_change_password(user=alice, old_password=TEMPORARY, new_password=CHOSEN)
    role_proposal_approve(proposal=proposal, approver=lead, approver_password=PASSWORD)
    assert StaffUser.objects.get(pk=alice.pk).role_names == {Role.CASEWORKER}
    assert verify_chain().ok


def test_the_changepassword_command_proposes_the_role_again_from_the_server(personas, tmp_path, capsys):
    alice = personas["alice"]
    new = tmp_path / "new"
    new.write_text(TEMPORARY)
    call_command("changepassword", "alice", password_file=str(new))
    assert StaffUser.objects.get(pk=alice.pk).role_names == set()
    proposal = pending_of(alice, Role.CASEWORKER)
    assert proposal.proposed_by_id is None
    assert "caseworker is proposed again for alice" in capsys.readouterr().out


def test_a_reset_of_the_last_holder_is_refused_and_keeps_the_role_unless_forced(personas):
    lead, sam = personas["lead"], personas["sam"]
    KeyGrant.objects.filter(holder=personas["alice"]).delete()  # lead is now the intake key's only holder
    with pytest.raises(WouldOrphanKey):
        staff_reset_password(user=lead, new_password=TEMPORARY, acting_user=sam)
    assert StaffUser.objects.get(pk=lead.pk).role_names == {Role.TRIAGE_LEAD}
    assert not RoleProposal.objects.filter(subject=lead, state=PENDING).exists()
    assert staff_reset_password(user=lead, new_password=TEMPORARY, acting_user=sam, force=True) == 1
    assert StaffUser.objects.get(pk=lead.pk).role_names == set()
    assert pending_of(lead, Role.TRIAGE_LEAD).proposed_by_id == sam.pk
    assert not SharedKey.objects.get(pk=personas["intake"].pk).active


def test_a_reset_leaves_other_roles_and_pending_proposals_as_they_are(personas):
    sam = personas["sam"]
    other = staff_create(username="sid", password=PASSWORD, roles=[Role.SYSADMIN], password_set_by_owner=True)
    staff_reset_password(user=other, new_password=TEMPORARY, acting_user=sam)
    assert StaffUser.objects.get(pk=other.pk).role_names == {Role.SYSADMIN}
    assert not RoleProposal.objects.filter(subject=other).exists()
    nadia = propose("nadia", Role.CASEWORKER, by=sam)
    staff_reset_password(user=nadia, new_password=TEMPORARY, acting_user=sam)
    assert RoleProposal.objects.filter(subject=nadia).count() == 1  # the one pending stays, none added


# --- M1: never approved while someone else knows the subject's password --------------------------


def test_approval_waits_until_the_subject_chose_their_own_password(personas):
    lead, sam = personas["lead"], personas["sam"]
    nadia = propose("nadia", Role.CASEWORKER, by=sam, password=TEMPORARY, own=False)
    with pytest.raises(AccountError, match="must first log in and choose their own password"):
        role_proposal_approve(proposal=pending_of(nadia), approver=lead, approver_password=PASSWORD)
    assert StaffUser.objects.get(pk=nadia.pk).role_names == set()
    assert not AuditEntry.objects.filter(action="role_approval_failed").exists()
    staff_change_password(user=nadia, old_password=TEMPORARY, new_password=CHOSEN)
    role_proposal_approve(proposal=pending_of(nadia), approver=lead, approver_password=PASSWORD)
    assert StaffUser.objects.get(pk=nadia.pk).role_names == {Role.CASEWORKER}


def test_approve_role_on_the_command_line_waits_for_the_subjects_own_password(personas, tmp_path, capsys):
    password_file = tmp_path / "pw"
    password_file.write_text(PASSWORD)
    call_command("create_staff", "nadia", roles="caseworker", password_file=str(password_file))
    assert "can be approved only after that" in capsys.readouterr().out
    with pytest.raises(CommandError, match="choose their own password"):
        call_command("approve_role", "nadia", "caseworker", approver="lead", password_file=str(password_file))
    assert StaffUser.objects.get(username="nadia").role_names == set()


def test_the_approve_page_tells_the_approver_about_the_account(personas, staff_login):
    lead, sam = personas["lead"], personas["sam"]
    nadia = propose("nadia", Role.CASEWORKER, by=sam, password=TEMPORARY, own=False)
    client = staff_login(Client(), lead)
    url = f"/admin/accounts/roleproposal/{pending_of(nadia).pk}/change/"
    page = client.get(url).content.decode()
    assert 'id="subject-facts"' in page and "Account created by sam." in page
    assert f"Joined on {timezone.localtime(nadia.date_joined):%Y-%m-%d}." in page
    assert "Has NOT yet chosen their own password" in page and "Roles now: none." in page
    assert "confirm with this person directly" in page
    # No password field to approve with yet; rejecting stays possible.
    assert 'id="no-own-password"' in page and "/decide/approve/" not in page and "/decide/reject/" in page
    staff_change_password(user=nadia, old_password=TEMPORARY, new_password=CHOSEN)
    staff_reset_password(user=nadia, new_password=TEMPORARY, acting_user=sam)
    staff_change_password(user=nadia, old_password=TEMPORARY, new_password=CHOSEN + "!")
    page = client.get(url).content.decode()
    assert f"Password reset by sam on {timezone.localtime():%Y-%m-%d}." in page
    # Whoever was logged in chose it: the page says when, not that the person did.
    assert f"A password was chosen at a login to this account on {timezone.localtime():%Y-%m-%d}." in page
    assert "Has chosen their own password" not in page and "/decide/approve/" in page


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


def test_approval_checks_the_proposer_is_still_a_sysadmin(personas):
    lead = personas["lead"]
    sid = staff_create(username="sid", password=PASSWORD, roles=[Role.SYSADMIN], password_set_by_owner=True)
    nadia = propose("nadia", Role.CASEWORKER, by=sid)
    sid.groups.clear()  # however the role went (a database write, a path that forgot the proposals)
    with pytest.raises(RoleNotAllowed, match="not a system administrator"):
        role_proposal_approve(proposal=pending_of(nadia), approver=lead, approver_password=PASSWORD)
    assert StaffUser.objects.get(pk=nadia.pk).role_names == set()


# --- L4: an expired proposal is recorded as expired, never as decided --------------------------------


@pytest.mark.parametrize("decision", ["reject", "cancel"])
def test_an_expired_proposal_is_not_rejected_or_cancelled(personas, decision):
    lead, sam = personas["lead"], personas["sam"]
    nadia = propose("nadia", Role.CASEWORKER, by=sam)
    proposal = pending_of(nadia)
    RoleProposal.objects.filter(pk=proposal.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    with pytest.raises(AccountError, match="no longer open"):
        if decision == "reject":
            role_proposal_reject(proposal=proposal, acting_user=lead)
        else:
            role_proposal_cancel(proposal=proposal, acting_user=sam)
    assert RoleProposal.objects.get(pk=proposal.pk).state == RoleProposal.State.EXPIRED
    assert "role_proposal_expired" in actions_on(nadia)
    assert not {"role_proposal_rejected", "role_proposal_cancelled"} & set(actions_on(nadia))


def test_deactivation_and_demotion_record_an_expired_proposal_as_expired(personas):
    sam = personas["sam"]
    sid = staff_create(username="sid", password=PASSWORD, roles=[Role.SYSADMIN], password_set_by_owner=True)
    nadia, omar = propose("nadia", Role.CASEWORKER, by=sid), propose("omar", Role.CASEWORKER, by=sam)
    past = timezone.now() - datetime.timedelta(minutes=1)
    RoleProposal.objects.filter(subject__in=[nadia, omar]).update(expires_at=past)
    staff_set_roles(user=sid, roles=[Role.AUDITOR], acting_user=sam)  # sid's proposals lapse
    staff_deactivate(user=omar, acting_user=sam)
    for user in (nadia, omar):
        assert RoleProposal.objects.get(subject=user).state == RoleProposal.State.EXPIRED
        assert "role_proposal_cancelled" not in actions_on(user)


# --- L5: wrong passwords are audited and limited -------------------------------------------------------


def test_a_wrong_approval_password_is_audited_and_limited(personas, settings):
    settings.AXES_FAILURE_LIMIT = 3
    lead, sam = personas["lead"], personas["sam"]
    nadia = propose("nadia", Role.CASEWORKER, by=sam)
    proposal = pending_of(nadia)
    for _ in range(3):
        with pytest.raises(WrongPassword):
            role_proposal_approve(proposal=proposal, approver=lead, approver_password=OTHER_PASSWORD, via="admin")
    failed = AuditEntry.objects.filter(action="role_approval_failed").order_by("seq")
    assert failed.count() == 3
    entry = failed.first()
    assert entry.actor_name == "lead" and entry.object_id == str(nadia.pk)
    assert entry.details["proposal"] == str(proposal.pk) and entry.details["approver"] == str(lead.pk)
    assert OTHER_PASSWORD not in str(entry.details) and PASSWORD not in str(entry.details)
    # Past the limit, even the right password is not tried.
    with pytest.raises(AccountError, match="Too many wrong passwords"):
        role_proposal_approve(proposal=proposal, approver=lead, approver_password=PASSWORD)
    assert RoleProposal.objects.get(pk=proposal.pk).state == PENDING
    # The cool-off time over, the old failures no longer count.
    settings.AXES_COOLOFF_TIME = datetime.timedelta(seconds=0)
    role_proposal_approve(proposal=proposal, approver=lead, approver_password=PASSWORD)
    assert verify_chain().ok


def test_a_wrong_grant_password_is_audited_and_counts_towards_the_same_limit(personas, settings):
    settings.AXES_FAILURE_LIMIT = 2
    lead, bob, intake = personas["lead"], personas["bob"], personas["intake"]
    with pytest.raises(WrongPassword):
        key_grant_create(shared_key=intake, grantor=lead, grantor_password=OTHER_PASSWORD, grantee=bob)
    entry = AuditEntry.objects.get(action="key_grant_failed")
    assert entry.actor_name == "lead" and entry.object_id == intake.key_id
    assert entry.details == {"grantee": str(bob.pk), "grantor": str(lead.pk)}
    nadia = propose("nadia", Role.CASEWORKER, by=personas["sam"])
    with pytest.raises(WrongPassword):
        role_proposal_approve(proposal=pending_of(nadia), approver=lead, approver_password=OTHER_PASSWORD)
    with pytest.raises(AccountError, match="Too many wrong passwords"):
        key_grant_create(shared_key=intake, grantor=lead, grantor_password=PASSWORD, grantee=bob)
    assert not KeyGrant.objects.filter(holder=bob).exists()


def test_the_admin_says_when_too_many_passwords_were_wrong(personas, staff_login, settings):
    settings.AXES_FAILURE_LIMIT = 1
    nadia = propose("nadia", Role.CASEWORKER, by=personas["sam"])
    lead = staff_login(Client(), personas["lead"])
    url = f"/admin/accounts/roleproposal/{pending_of(nadia).pk}/decide/approve/"
    assert "That is not your password." in lead.post(url, {"password": OTHER_PASSWORD}, follow=True).content.decode()
    assert "Too many wrong passwords" in lead.post(url, {"password": PASSWORD}, follow=True).content.decode()
    assert AuditEntry.objects.get(action="role_approval_failed").details["via"] == "admin"


# --- L6: passwords stay out of error reports ---------------------------------------------------------


def test_the_forms_passwords_are_kept_out_of_error_reports(personas, staff_login):
    sam = staff_login(Client(), personas["sam"])
    alice, bob, intake = personas["alice"], personas["bob"], personas["intake"]
    added = sam.post("/admin/accounts/staffuser/add/", {"username": "x", "password": "short", "roles": ["auditor"]})
    assert added.wsgi_request.sensitive_post_parameters == ("password",)
    reset = sam.post(f"/admin/accounts/staffuser/{alice.pk}/do/reset_password/", {"new_password": "short"})
    assert reset.wsgi_request.sensitive_post_parameters == ("new_password",)
    lead = staff_login(Client(), personas["lead"])
    granted = lead.post(f"/admin/accounts/sharedkey/{intake.pk}/grant/", {"grantee": str(bob.pk), "password": "x"})
    assert granted.wsgi_request.sensitive_post_parameters == ("password",)


# --- L7: the audit entry says where the approval came from -----------------------------------------------


def test_the_approval_says_whether_it_came_from_the_admin_or_the_command_line(personas, staff_login, tmp_path):
    lead, sam = personas["lead"], personas["sam"]
    nadia = propose("nadia", Role.CASEWORKER, by=sam)
    client = staff_login(Client(), lead)
    client.post(f"/admin/accounts/roleproposal/{pending_of(nadia).pk}/decide/approve/", {"password": PASSWORD})
    omar = propose("omar", Role.CASEWORKER, by=sam)
    password_file = tmp_path / "pw"
    password_file.write_text(PASSWORD)
    call_command("approve_role", "omar", "caseworker", approver="lead", password_file=str(password_file))
    via = {entry.object_id: entry.details["via"] for entry in AuditEntry.objects.filter(action="role_approved")}
    assert via[str(nadia.pk)] == "admin" and via[str(omar.pk)] == "command_line"
