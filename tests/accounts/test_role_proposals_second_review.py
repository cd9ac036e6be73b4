"""The two-person rule after its second security review: the approve page tells a key holder what a reset
could hide, changing one's password is no password oracle, one password attempt per person at a time,
grant_intake_key's wrong passwords count, create_staff --own-password is on the record, the count of wrong
passwords starts again after a right one, and a proposal that lapsed during a reset does not stand."""

from __future__ import annotations

import datetime
import threading
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections
from django.test import Client
from django.utils import timezone

from accounts import services
from accounts.models import KeyGrant, RoleProposal, StaffUser
from accounts.roles import Role
from accounts.services import (
    AccountError,
    PasswordAttemptBusy,
    RoleNotAllowed,
    key_grant_create,
    role_proposal_approve,
    staff_change_password,
    staff_create,
    staff_reset_password,
)
from audit.actions import Action
from audit.models import AuditEntry
from audit.services import audit_record
from audit.verify import verify_chain
from backend.crypto.errors import WrongPassword
from tests.accounts.test_role_proposals_review import CHOSEN, TEMPORARY, pending_of
from tests.conftest import OTHER_PASSWORD, PASSWORD

pytestmark = pytest.mark.django_db


# --- M-A: the approve page shows what a reset could hide -------------------------------------------


def test_the_approve_page_flags_a_proposal_made_by_a_reset_and_shows_the_facts(personas, staff_login):
    alice, lead, sam = personas["alice"], personas["lead"], personas["sam"]
    staff_reset_password(user=alice, new_password=TEMPORARY, acting_user=sam)
    proposal = pending_of(alice, Role.CASEWORKER)
    # What the resetter could do next, as the login and enrolment pages record it.
    audit_record(Action.LOGIN_SUCCEEDED, actor=alice, obj_type="staff", obj_id=str(alice.pk))
    audit_record(Action.TOTP_ENROLLED, actor=alice, obj_type="staff", obj_id=str(alice.pk))
    staff_change_password(user=alice, old_password=TEMPORARY, new_password=CHOSEN)
    audit_record(Action.LOGIN_SUCCEEDED, actor=alice, obj_type="staff", obj_id=str(alice.pk))
    page = staff_login(Client(), lead).get(f"/admin/accounts/roleproposal/{proposal.pk}/change/").content.decode()
    today = f"{timezone.localtime():%Y-%m-%d}"
    assert 'id="proposed-by-reset"' in page
    assert f"This role was removed by a password reset by sam on {today} and is proposed again" in page
    assert "confirm with the person, in person" in page
    assert f"A password was chosen at a login to this account on {today}." in page
    assert f"Two-factor login last set up on {today}." in page
    assert "2 logins since the last reset." in page
    assert "Has chosen their own password" not in page
    # The resetter never approves it: he proposed it, and a sysadmin holds no key.
    with pytest.raises(RoleNotAllowed):
        role_proposal_approve(proposal=proposal, approver=sam, approver_password=PASSWORD)


def test_a_plain_proposal_is_not_flagged_as_made_by_a_reset(personas, staff_login):
    nadia = staff_create(
        username="nadia", password=PASSWORD, roles=[Role.CASEWORKER], acting_user=personas["sam"], via="admin"
    )
    staff_change_password(user=nadia, old_password=PASSWORD, new_password=CHOSEN)
    client = staff_login(Client(), personas["lead"])
    page = client.get(f"/admin/accounts/roleproposal/{pending_of(nadia).pk}/change/").content.decode()
    assert 'id="proposed-by-reset"' not in page and "logins since the last reset" not in page
    assert "No two-factor login set-up is on the audit trail." in page
    assert "typed at the server prompt" not in page


# --- L-b: create_staff --own-password is on the record -------------------------------------------------


def test_create_staff_own_password_is_recorded_and_shown(personas, staff_login, tmp_path):
    password_file = tmp_path / "pw"
    password_file.write_text(PASSWORD)
    call_command("create_staff", "nadia", roles="caseworker", password_file=str(password_file), own_password=True)
    nadia = StaffUser.objects.get(username="nadia")
    created = AuditEntry.objects.get(action="staff_created", object_id=str(nadia.pk))
    assert created.details["own_password"] is True and created.details["via"] == "command_line"
    page = staff_login(Client(), personas["lead"]).get(f"/admin/accounts/roleproposal/{pending_of(nadia).pk}/change/")
    assert "The first password was typed at the server prompt (create_staff --own-password)." in page.content.decode()
    assert "No password chosen at a login to this account is on the audit trail." in page.content.decode()
    sam_made = staff_create(username="omar", password=PASSWORD, roles=[Role.AUDITOR], via="admin")
    details = AuditEntry.objects.get(action="staff_created", object_id=str(sam_made.pk)).details
    assert details["own_password"] is False and details["via"] == "admin"


# --- M-B: changing one's password is no password oracle ------------------------------------------------


def test_a_wrong_current_password_is_audited_and_limited(personas, settings):
    settings.AXES_FAILURE_LIMIT = 2
    bob = personas["bob"]
    for _ in range(2):
        with pytest.raises(WrongPassword):
            staff_change_password(user=bob, old_password=PASSWORD, new_password=CHOSEN)
    failed = AuditEntry.objects.filter(action="password_change_failed")
    assert failed.count() == 2
    entry = failed.first()
    assert entry.actor_name == "bob" and entry.object_id == str(bob.pk)
    assert entry.details == {"user": str(bob.pk)}
    # Past the limit the right password is not even tried, nor a key's password at approval.
    with pytest.raises(AccountError, match="Too many wrong passwords"):
        staff_change_password(user=bob, old_password=OTHER_PASSWORD, new_password=CHOSEN)
    assert StaffUser.objects.get(pk=bob.pk).check_password(OTHER_PASSWORD)
    assert verify_chain().ok


def test_the_change_password_page_says_too_many(personas, staff_login, settings):
    settings.AXES_FAILURE_LIMIT = 1
    client = staff_login(Client(), personas["bob"], password=OTHER_PASSWORD)
    form = {"old_password": PASSWORD, "new_password1": CHOSEN, "new_password2": CHOSEN}
    assert "Your current password is not right." in client.post("/admin/password_change/", form).content.decode()
    form["old_password"] = OTHER_PASSWORD
    assert "Too many wrong passwords" in client.post("/admin/password_change/", form).content.decode()


# --- L-c: the count starts again after a right password ---------------------------------------------------


def test_a_right_password_starts_the_count_again(personas, settings):
    settings.AXES_FAILURE_LIMIT = 3
    lead, bob, intake = personas["lead"], personas["bob"], personas["intake"]
    for _ in range(2):
        with pytest.raises(WrongPassword):
            key_grant_create(shared_key=intake, grantor=lead, grantor_password=OTHER_PASSWORD, grantee=bob)
    key_grant_create(shared_key=intake, grantor=lead, grantor_password=PASSWORD, grantee=bob)
    for _ in range(2):
        with pytest.raises(WrongPassword):
            key_grant_create(shared_key=intake, grantor=lead, grantor_password=OTHER_PASSWORD, grantee=bob)
    # 4 wrong within the cool-off time, but only 2 since the right one.
    key_grant_create(shared_key=intake, grantor=lead, grantor_password=PASSWORD, grantee=bob)
    # A right password to change one's own counts as one too.
    for _ in range(2):
        with pytest.raises(WrongPassword):
            staff_change_password(user=lead, old_password=OTHER_PASSWORD, new_password=CHOSEN)
    staff_change_password(user=lead, old_password=PASSWORD, new_password=CHOSEN)
    with pytest.raises(WrongPassword):
        staff_change_password(user=lead, old_password=OTHER_PASSWORD, new_password=PASSWORD + "x")


# --- L-a: grant_intake_key's wrong passwords are recorded and counted --------------------------------------


def test_grant_intake_key_records_a_wrong_password(personas, tmp_path, settings):
    settings.AXES_FAILURE_LIMIT = 1
    wrong = tmp_path / "wrong"
    wrong.write_text(OTHER_PASSWORD)
    with pytest.raises(CommandError, match="No grant was made"):
        call_command("grant_intake_key", grantor="lead", grantee="bob", password_file=str(wrong))
    entry = AuditEntry.objects.get(action="key_grant_failed")
    assert entry.actor_name == "lead" and entry.details["grantee"] == str(personas["bob"].pk)
    right = tmp_path / "right"
    right.write_text(PASSWORD)
    with pytest.raises(CommandError, match="Too many wrong passwords"):
        call_command("grant_intake_key", grantor="lead", grantee="bob", password_file=str(right))
    assert not KeyGrant.objects.filter(holder=personas["bob"]).exists()


# --- L-f: a proposal that lapsed during a reset does not stand for its role ----------------------------------


def test_a_proposal_that_lapsed_during_a_reset_is_expired_and_the_role_proposed_again(personas, monkeypatch):
    alice, sam = personas["alice"], personas["sam"]
    past = timezone.now() - datetime.timedelta(days=30)
    stale = RoleProposal.objects.create(
        subject=alice, role=Role.CASEWORKER, proposed_by=sam, proposed_at=past, expires_at=past
    )
    # As if it lapsed between role_proposals_expire and the lock.
    monkeypatch.setattr(services, "role_proposals_expire", lambda **kwargs: 0)
    staff_reset_password(user=alice, new_password=TEMPORARY, acting_user=sam)
    stale.refresh_from_db()
    assert stale.state == RoleProposal.State.EXPIRED
    fresh = pending_of(alice, Role.CASEWORKER)
    assert fresh.pk != stale.pk and fresh.is_open
    assert AuditEntry.objects.filter(action="role_proposal_expired", details__proposal=str(stale.pk)).exists()
    assert verify_chain().ok


# --- M-C: one password attempt per person at a time ------------------------------------------------------------


def test_a_second_attempt_while_one_is_checked_is_refused(personas):
    lead, bob, intake = personas["lead"], personas["bob"], personas["intake"]
    holding, done = threading.Event(), threading.Event()

    def hold():
        try:
            with services._one_password_attempt(lead):
                holding.set()
                done.wait(30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert holding.wait(30)
        with pytest.raises(PasswordAttemptBusy):
            key_grant_create(shared_key=intake, grantor=lead, grantor_password=OTHER_PASSWORD, grantee=bob)
        with pytest.raises(PasswordAttemptBusy):
            staff_change_password(user=lead, old_password=OTHER_PASSWORD, new_password=CHOSEN)
    finally:
        done.set()
        thread.join(30)
    assert not AuditEntry.objects.filter(action__in=["key_grant_failed", "password_change_failed"]).exists()
    # Once it is over, the next attempt is checked.
    with pytest.raises(WrongPassword):
        key_grant_create(shared_key=intake, grantor=lead, grantor_password=OTHER_PASSWORD, grantee=bob)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("what", ["approve", "grant", "change"])
def test_parallel_wrong_passwords_get_no_more_guesses_than_the_limit(personas, settings, monkeypatch, what):
    from django.db import connection

    from tests.races import run_together

    assert connection.vendor == "postgresql", "this race needs PostgreSQL"
    settings.AXES_FAILURE_LIMIT = 3
    lead, bob, intake = personas["lead"], personas["bob"], personas["intake"]
    nadia = staff_create(
        username="nadia",
        password=PASSWORD,
        roles=[Role.CASEWORKER],
        acting_user=personas["sam"],
        password_set_by_owner=True,
    )
    proposal = pending_of(nadia)
    tried, guard = [], threading.Lock()
    unlock, check = services.personal_key_unlock, StaffUser.check_password

    def counted(function):
        def wrapped(*args, **kwargs):
            with guard:
                tried.append(1)
            time.sleep(0.3)  # Argon2 is slow: every parallel request is inside it at once
            return function(*args, **kwargs)

        return wrapped

    monkeypatch.setattr(services, "personal_key_unlock", counted(unlock))
    monkeypatch.setattr(StaffUser, "check_password", counted(check))
    attempts = {
        "approve": lambda: role_proposal_approve(proposal=proposal, approver=lead, approver_password=OTHER_PASSWORD),
        "grant": lambda: key_grant_create(
            shared_key=intake, grantor=lead, grantor_password=OTHER_PASSWORD, grantee=bob
        ),
        "change": lambda: staff_change_password(user=lead, old_password=OTHER_PASSWORD, new_password=CHOSEN),
    }
    outcomes = []
    for _ in range(3):  # bursts, one after another, as a script would send them
        outcomes += run_together([attempts[what]] * 8, {WrongPassword: "wrong", AccountError: "refused"})
    assert None not in outcomes
    failures = AuditEntry.objects.filter(
        action__in=["role_approval_failed", "key_grant_failed", "password_change_failed"]
    ).count()
    assert failures == outcomes.count("wrong") <= 3
    assert len(tried) <= 3


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_the_attempt_lock_is_not_left_behind_by_an_aborted_transaction(personas):
    from django.db import DatabaseError, connection, transaction

    assert connection.vendor == "postgresql", "this needs PostgreSQL's session-level locks"
    lead = personas["lead"]
    with pytest.raises(DatabaseError), transaction.atomic():
        with services._one_password_attempt(lead):
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1/0")
    outcome = []

    def other_request():
        try:
            with services._one_password_attempt(lead):
                outcome.append("ok")
        except PasswordAttemptBusy:
            outcome.append("busy")
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_request)
    thread.start()
    thread.join(30)
    assert outcome == ["ok"]
