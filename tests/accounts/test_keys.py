"""Personal keys, shared keys and grants: who can open what, and what the database holds."""

import pytest
from django.core.exceptions import ValidationError

from accounts.models import KeyGrant, PersonalKey, RoleProposal, SharedKey, StaffUser
from accounts.roles import KeyPurpose, Role
from accounts.services import (
    AccountError,
    NoPersonalKey,
    NotAKeyHolder,
    RoleNotAllowed,
    WouldOrphanKey,
    key_grant_create,
    personal_key_unlock,
    role_bootstrap,
    role_proposal_approve,
    shared_key_create,
    shared_key_retire,
    shared_key_unlock,
    staff_change_password,
    staff_contact,
    staff_create,
    staff_deactivate,
    staff_reset_password,
    staff_set_roles,
)
from backend.crypto import hpke
from backend.crypto.errors import DecryptionFailed, WrongPassword
from tests.conftest import OTHER_PASSWORD, PASSWORD
from tests.dumps import database_dump

pytestmark = pytest.mark.django_db


def unlock(user, password=PASSWORD, key=None):
    personal = personal_key_unlock(user=user, password=password)
    return shared_key_unlock(shared_key=key, user=user, personal_key=personal)


def test_only_decrypting_roles_get_a_personal_key(personas):
    assert PersonalKey.objects.filter(user__in=[personas["lead"], personas["alice"], personas["bob"]]).count() == 3
    assert not PersonalKey.objects.filter(user__in=[personas["sam"], personas["audrey"]]).exists()


def test_no_private_key_or_contact_is_stored_in_clear(personas):
    alice_personal = personal_key_unlock(user=personas["alice"], password=PASSWORD)
    intake_private = unlock(personas["alice"], key=personas["intake"])
    stored = database_dump()
    for secret in (alice_personal.raw, intake_private.raw):
        assert secret not in stored
        assert secret[:16] not in stored
        assert secret.hex().encode() not in stored
    assert b"alice@example.org" not in stored
    assert staff_contact(user=personas["alice"]) == "alice@example.org"


def test_holder_and_grantee_open_the_same_intake_key(personas):
    from_lead = unlock(personas["lead"], key=personas["intake"])
    from_alice = unlock(personas["alice"], key=personas["intake"])
    assert from_lead.raw == from_alice.raw
    assert from_lead.public_key().raw == bytes(personas["intake"].public_key)
    report = hpke.encrypt(from_lead.public_key(), b"report", info=hpke.report_info(personas["intake"].key_id))
    assert hpke.decrypt(from_alice, report, info=hpke.report_info(personas["intake"].key_id)) == b"report"


def test_a_caseworker_without_a_grant_cannot_open_the_key(personas):
    with pytest.raises(NotAKeyHolder):
        unlock(personas["bob"], password=OTHER_PASSWORD, key=personas["intake"])


def test_wrong_password_does_not_unlock(personas):
    with pytest.raises(WrongPassword):
        personal_key_unlock(user=personas["alice"], password=OTHER_PASSWORD)


def test_users_without_a_key_have_nothing_to_unlock(personas):
    with pytest.raises(NoPersonalKey):
        personal_key_unlock(user=personas["sam"], password=PASSWORD)


def test_a_grant_copied_to_another_holder_does_not_open(personas):
    """Wrong row: Bob's grant row given Alice's wrapped key fails, even with Bob's own personal key."""
    lead, alice, bob, intake = personas["lead"], personas["alice"], personas["bob"], personas["intake"]
    key_grant_create(shared_key=intake, grantor=lead, grantor_password=PASSWORD, grantee=bob)
    alice_grant = KeyGrant.objects.get(shared_key=intake, holder=alice)
    KeyGrant.objects.filter(shared_key=intake, holder=bob).update(wrapped_private_key=alice_grant.wrapped_private_key)
    with pytest.raises(DecryptionFailed):
        unlock(bob, password=OTHER_PASSWORD, key=intake)


def test_only_triage_leads_grant_and_only_caseworkers_and_leads_hold(personas):
    intake = personas["intake"]
    with pytest.raises(RoleNotAllowed):
        key_grant_create(
            shared_key=intake, grantor=personas["alice"], grantor_password=PASSWORD, grantee=personas["bob"]
        )
    for outsider in (personas["sam"], personas["audrey"]):
        with pytest.raises(RoleNotAllowed):
            key_grant_create(shared_key=intake, grantor=personas["lead"], grantor_password=PASSWORD, grantee=outsider)
    with pytest.raises(RoleNotAllowed):
        shared_key_create(purpose=KeyPurpose.INTAKE, holder=personas["alice"], holder_password=PASSWORD)
    assert not KeyGrant.objects.filter(holder__in=[personas["bob"], personas["sam"], personas["audrey"]]).exists()


def test_wrong_grantor_password_writes_nothing(personas):
    with pytest.raises(WrongPassword):
        key_grant_create(
            shared_key=personas["intake"], grantor=personas["lead"], grantor_password="nope", grantee=personas["bob"]
        )
    assert not KeyGrant.objects.filter(holder=personas["bob"]).exists()


def test_deactivated_staff_get_no_grant(personas):
    StaffUser.objects.filter(pk=personas["bob"].pk).update(is_active=False)
    personas["bob"].refresh_from_db()
    with pytest.raises(AccountError):
        key_grant_create(
            shared_key=personas["intake"], grantor=personas["lead"], grantor_password=PASSWORD, grantee=personas["bob"]
        )


def test_password_change_makes_a_new_key_pair_and_keeps_access(personas):
    alice, intake = personas["alice"], personas["intake"]
    before = unlock(alice, key=intake).raw
    # What an attacker with an old backup and the old (phished) password would hold:
    old_personal = personal_key_unlock(user=alice, password=PASSWORD)
    staff_change_password(user=alice, old_password=PASSWORD, new_password=OTHER_PASSWORD)
    alice.refresh_from_db()
    assert alice.check_password(OTHER_PASSWORD)
    assert bytes(PersonalKey.objects.get(user=alice).public_key) != old_personal.public_key().raw
    assert unlock(alice, password=OTHER_PASSWORD, key=intake).raw == before
    with pytest.raises(WrongPassword):
        personal_key_unlock(user=alice, password=PASSWORD)
    grant = KeyGrant.objects.get(holder=alice, shared_key=intake)
    with pytest.raises(DecryptionFailed):
        hpke.decrypt(old_personal, bytes(grant.wrapped_private_key), info=hpke.grant_info(intake.key_id, str(alice.pk)))


def test_password_change_needs_the_old_password_and_a_valid_new_one(personas):
    alice = personas["alice"]
    with pytest.raises(WrongPassword):
        staff_change_password(user=alice, old_password="wrong", new_password=OTHER_PASSWORD)
    with pytest.raises(ValidationError):
        staff_change_password(user=alice, old_password=PASSWORD, new_password="short")
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)
    assert personal_key_unlock(user=alice, password=PASSWORD)


def test_admin_reset_loses_key_and_grants_until_granted_again(personas):
    alice, intake, lead = personas["alice"], personas["intake"], personas["lead"]
    old_public = bytes(alice.personal_key.public_key)
    assert staff_reset_password(user=alice, new_password=OTHER_PASSWORD) == 1
    assert not KeyGrant.objects.filter(holder=alice).exists()
    # No key under the password the resetter chose; none can be granted until alice chooses her own.
    alice.refresh_from_db()
    assert alice.must_change_password and not PersonalKey.objects.filter(user=alice).exists()
    with pytest.raises(AccountError):
        key_grant_create(shared_key=intake, grantor=lead, grantor_password=PASSWORD, grantee=alice)
    staff_change_password(user=alice, old_password=OTHER_PASSWORD, new_password="alice chose this one herself 5")
    fresh = PersonalKey.objects.get(user=alice)
    assert bytes(fresh.public_key) != old_public
    with pytest.raises(NotAKeyHolder):
        unlock(alice, password="alice chose this one herself 5", key=intake)
    # The reset took her role away too: a key holder approves it again, and then grants.
    with pytest.raises(AccountError):
        key_grant_create(shared_key=intake, grantor=lead, grantor_password=PASSWORD, grantee=alice)
    proposal = RoleProposal.objects.get(subject=alice, state=RoleProposal.State.PENDING)
    role_proposal_approve(proposal=proposal, approver=lead, approver_password=PASSWORD)
    key_grant_create(shared_key=intake, grantor=lead, grantor_password=PASSWORD, grantee=alice)
    assert unlock(alice, password="alice chose this one herself 5", key=intake).raw == unlock(lead, key=intake).raw


def test_staff_create_refuses_weak_passwords_duplicates_and_unknown_roles(db):
    with pytest.raises(ValidationError):
        staff_create(username="weak", password="password1234", roles=[Role.CASEWORKER], password_set_by_owner=True)
    with pytest.raises(ValueError):
        staff_create(username="nobody", password=PASSWORD, roles=["superhero"], password_set_by_owner=True)
    staff_create(username="taken", password=PASSWORD, roles=[Role.AUDITOR], password_set_by_owner=True)
    with pytest.raises(AccountError):
        staff_create(username="taken", password=PASSWORD, roles=[Role.AUDITOR], password_set_by_owner=True)
    assert StaffUser.objects.filter(username__in=["weak", "nobody"]).count() == 0


@pytest.mark.parametrize("suite", list(hpke.Suite), ids=[s.value for s in hpke.Suite])
def test_intake_keys_of_either_suite(personas, suite):
    key = shared_key_create(purpose=KeyPurpose.INTAKE, holder=personas["lead"], holder_password=PASSWORD, suite=suite)
    assert key.suite == suite.value
    assert len(bytes(key.public_key)) == suite.public_key_length
    assert key.key_id.startswith("ik-")
    assert unlock(personas["lead"], key=key).public_key().raw == bytes(key.public_key)


def test_retired_keys_stay_readable(personas):
    intake = shared_key_retire(shared_key=personas["intake"], holder=personas["lead"], holder_password=PASSWORD)
    assert not intake.active and intake.retired_at is not None
    assert unlock(personas["alice"], key=intake)


def test_str_shows_no_key_material(personas):
    for obj in (personas["alice"], personas["alice"].personal_key, personas["intake"], KeyGrant.objects.first()):
        text = str(obj)
        assert "\\x" not in text and len(text) < 64


def test_sysadmins_and_auditors_cannot_also_decrypt(db):
    for roles in (
        [Role.SYSADMIN, Role.TRIAGE_LEAD],
        [Role.AUDITOR, Role.CASEWORKER],
        [Role.SYSADMIN, Role.RELOCATION_COORDINATOR],
    ):
        with pytest.raises(RoleNotAllowed):
            staff_create(username="mixed", password=PASSWORD, roles=roles)
    assert not StaffUser.objects.filter(username="mixed").exists()


def test_a_sysadmin_cannot_take_a_decrypting_role_later(personas):
    with pytest.raises(RoleNotAllowed):
        staff_set_roles(user=personas["sam"], roles=[Role.SYSADMIN, Role.TRIAGE_LEAD])
    assert personas["sam"].role_names == {"sysadmin"}


def test_only_an_existing_holder_creates_further_intake_keys(personas):
    """A fresh triage-lead account (which a sysadmin could make) cannot mint a key clients would use."""
    newcomer = staff_create(username="newlead", password=PASSWORD, roles=[Role.TRIAGE_LEAD], password_set_by_owner=True)
    with pytest.raises(RoleNotAllowed):  # the role is only proposed
        shared_key_create(purpose=KeyPurpose.INTAKE, holder=newcomer, holder_password=PASSWORD)
    # Even once a key holder approved the role, holding no key, they cannot make one.
    role_proposal_approve(
        proposal=RoleProposal.objects.get(subject=newcomer), approver=personas["lead"], approver_password=PASSWORD
    )
    with pytest.raises(NotAKeyHolder):
        shared_key_create(purpose=KeyPurpose.INTAKE, holder=newcomer, holder_password=PASSWORD)
    with pytest.raises(WrongPassword):
        shared_key_create(purpose=KeyPurpose.INTAKE, holder=personas["lead"], holder_password=OTHER_PASSWORD)
    assert SharedKey.objects.count() == 1
    assert shared_key_create(purpose=KeyPurpose.INTAKE, holder=personas["lead"], holder_password=PASSWORD)


def test_reset_refuses_to_remove_a_keys_last_holder_unless_forced(personas):
    lead = personas["lead"]
    only_lead = shared_key_create(purpose=KeyPurpose.INTAKE, holder=lead, holder_password=PASSWORD)
    with pytest.raises(WouldOrphanKey) as excinfo:
        staff_reset_password(user=lead, new_password=OTHER_PASSWORD)
    assert excinfo.value.key_ids == [only_lead.key_id]
    lead.refresh_from_db()
    assert lead.check_password(PASSWORD) and KeyGrant.objects.filter(holder=lead).count() == 2
    assert staff_reset_password(user=lead, new_password=OTHER_PASSWORD, force=True) == 2
    only_lead.refresh_from_db()
    assert not only_lead.active and only_lead.retired_at is not None
    assert SharedKey.objects.get(pk=personas["intake"].pk).active  # alice still holds it


def test_deactivation_revokes_grants_and_refuses_unlock(personas):
    alice, intake = personas["alice"], personas["intake"]
    personal = personal_key_unlock(user=alice, password=PASSWORD)
    assert staff_deactivate(user=alice) == 1
    with pytest.raises(NotAKeyHolder):
        shared_key_unlock(shared_key=intake, user=alice, personal_key=personal)


def test_a_surviving_grant_row_does_not_help_a_deactivated_or_demoted_user(personas):
    alice, intake = personas["alice"], personas["intake"]
    personal = personal_key_unlock(user=alice, password=PASSWORD)
    StaffUser.objects.filter(pk=alice.pk).update(is_active=False)
    alice.refresh_from_db()
    with pytest.raises(NotAKeyHolder):
        shared_key_unlock(shared_key=intake, user=alice, personal_key=personal)
    StaffUser.objects.filter(pk=alice.pk).update(is_active=True)
    alice.refresh_from_db()
    alice.groups.clear()
    with pytest.raises(NotAKeyHolder):
        shared_key_unlock(shared_key=intake, user=alice, personal_key=personal)


def test_role_change_revokes_grants_the_new_roles_may_not_hold(personas):
    alice = personas["alice"]
    staff_set_roles(user=alice, roles=[Role.AUDITOR])
    assert not KeyGrant.objects.filter(holder=alice).exists()
    assert not PersonalKey.objects.filter(user=alice).exists()


def test_a_deactivated_grantor_cannot_grant(personas):
    StaffUser.objects.filter(pk=personas["lead"].pk).update(is_active=False)
    personas["lead"].refresh_from_db()
    with pytest.raises(RoleNotAllowed):
        key_grant_create(
            shared_key=personas["intake"], grantor=personas["lead"], grantor_password=PASSWORD, grantee=personas["bob"]
        )


def test_staff_holding_grants_cannot_be_deleted_behind_the_services_back(personas):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        personas["alice"].delete()
    assert KeyGrant.objects.filter(holder=personas["alice"]).exists()


def test_argon2_parameters_that_could_not_be_unwrapped_are_refused(personas, settings):
    from backend.crypto.errors import MalformedCiphertext

    settings.SANAD_KEYWRAP_ARGON2 = {"time_cost": 20, "memory_cost": 8 * 1024, "parallelism": 1}
    with pytest.raises(MalformedCiphertext):
        staff_create(username="carol", password=PASSWORD, roles=[Role.CASEWORKER], password_set_by_owner=True)
    assert not StaffUser.objects.filter(username="carol").exists()


def test_retiring_every_key_and_inventing_leads_does_not_mint_a_served_key(personas, client):
    """The re-review's attack: a coerced sysadmin retires the key, creates two leads, mints a key."""
    with pytest.raises(RoleNotAllowed):
        shared_key_retire(shared_key=personas["intake"], holder=personas["sam"], holder_password=PASSWORD)
    shared_key_retire(
        shared_key=personas["intake"], holder=personas["lead"], holder_password=PASSWORD
    )  # even if it were
    mallory_a = staff_create(
        username="mallory-a", password=PASSWORD, roles=[Role.TRIAGE_LEAD], password_set_by_owner=True
    )
    staff_create(username="mallory-b", password=PASSWORD, roles=[Role.TRIAGE_LEAD], password_set_by_owner=True)
    # The leads are only proposed, and with a (retired) intake key in the database the server cannot
    # give the role as to a first holder either.
    for proposal in RoleProposal.objects.filter(subject__username__startswith="mallory"):
        with pytest.raises(RoleNotAllowed):
            role_bootstrap(proposal=proposal)
    with pytest.raises(RoleNotAllowed):
        shared_key_create(purpose=KeyPurpose.INTAKE, holder=mallory_a, holder_password=PASSWORD)
    # Even approved by a key holder, a lead who holds no intake key cannot mint one.
    role_proposal_approve(
        proposal=RoleProposal.objects.get(subject=mallory_a), approver=personas["lead"], approver_password=PASSWORD
    )
    with pytest.raises(NotAKeyHolder):
        shared_key_create(purpose=KeyPurpose.INTAKE, holder=mallory_a, holder_password=PASSWORD)
    assert SharedKey.objects.count() == 1
    # A real holder of the retired key may still create the next one.
    assert shared_key_create(purpose=KeyPurpose.INTAKE, holder=personas["lead"], holder_password=PASSWORD)


def test_a_retired_key_flipped_back_by_a_database_write_is_not_served(personas, client):
    from accounts.selectors import intake_keys_active

    shared_key_retire(shared_key=personas["intake"], holder=personas["lead"], holder_password=PASSWORD)
    SharedKey.objects.filter(pk=personas["intake"].pk).update(active=True, retired_at=None)
    assert intake_keys_active() == []


def test_holders_who_cannot_use_their_grant_do_not_count(personas):
    from accounts.selectors import intake_keys_active

    intake, lead, alice = personas["intake"], personas["lead"], personas["alice"]
    assert [key.pk for key in intake_keys_active()] == [intake.pk]
    StaffUser.objects.filter(pk=alice.pk).update(is_active=False)  # written around the services
    assert intake_keys_active() == []  # one usable holder left: not offered
    with pytest.raises(WouldOrphanKey):
        staff_reset_password(user=lead, new_password=OTHER_PASSWORD)


def test_superusers_never_hold_keys(personas):
    alice = personas["alice"]
    personal = personal_key_unlock(user=alice, password=PASSWORD)
    StaffUser.objects.filter(pk=alice.pk).update(is_superuser=True)
    alice.refresh_from_db()
    with pytest.raises(NotAKeyHolder):
        shared_key_unlock(shared_key=personas["intake"], user=alice, personal_key=personal)


@pytest.mark.parametrize("username", ["", "   ", "tab\tname", "x" * 151, "semi;colon"])
def test_bad_usernames_are_refused_clearly(db, username):
    with pytest.raises(AccountError):
        staff_create(username=username, password=PASSWORD, roles=[Role.AUDITOR], password_set_by_owner=True)
    assert not StaffUser.objects.exists()


def test_roles_cannot_be_renamed_or_edited_in_the_admin():
    from django.contrib import admin
    from django.contrib.auth.models import Group

    assert not admin.site.is_registered(Group)
