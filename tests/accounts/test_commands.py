import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import KeyGrant, PersonalKey, SharedKey, StaffUser
from accounts.services import personal_key_unlock, shared_key_unlock, staff_contact
from tests.conftest import OTHER_PASSWORD, PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def password_file(tmp_path):
    path = tmp_path / "pw"
    path.write_text(PASSWORD + "\n")
    return str(path)


def test_create_grant_and_use_an_intake_key(password_file, tmp_path, capsys):
    contact = tmp_path / "contact"
    contact.write_text("cw@example.org\n")
    # The first triage lead: nobody holds an intake key to approve them, so the server gives the role.
    call_command(
        "create_staff", "lead", roles="triage_lead", password_file=password_file, own_password=True, bootstrap=True
    )
    call_command(
        "create_staff",
        "cw",
        roles="caseworker",
        password_file=password_file,
        contact_file=str(contact),
        own_password=True,
    )
    assert "Proposed caseworker for cw" in capsys.readouterr().out
    call_command("create_intake_key", holder="lead", suite="X25519", password_file=password_file)
    key = SharedKey.objects.get()
    # The caseworker's role is only proposed: no grant until the lead approves it.
    with pytest.raises(CommandError, match="no role that may hold"):
        call_command("grant_intake_key", grantor="lead", grantee="cw", password_file=password_file)
    call_command("approve_role", "cw", "caseworker", approver="lead", password_file=password_file)
    call_command("grant_intake_key", grantor="lead", grantee="cw", password_file=password_file)
    out = capsys.readouterr().out
    assert f"Granted {key.key_id} to cw." in out
    cw = StaffUser.objects.get(username="cw")
    private = shared_key_unlock(shared_key=key, user=cw, personal_key=personal_key_unlock(user=cw, password=PASSWORD))
    assert private.public_key().raw == bytes(key.public_key)
    assert staff_contact(user=cw) == "cw@example.org"


def test_create_staff_refuses_unknown_roles_and_weak_passwords(tmp_path):
    weak = tmp_path / "weak"
    weak.write_text("12345678")
    with pytest.raises(CommandError, match="Unknown"):
        call_command("create_staff", "x", roles="caseworker,wizard", password_file=str(weak))
    with pytest.raises(CommandError):
        call_command("create_staff", "x", roles="caseworker", password_file=str(weak))
    assert not StaffUser.objects.exists()


def test_create_staff_without_a_terminal_or_file_refuses(monkeypatch):
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    with pytest.raises(CommandError, match="password-file"):
        call_command("create_staff", "x", roles="caseworker")


def test_grant_errors_are_clear_and_write_nothing(personas, tmp_path):
    wrong = tmp_path / "wrong"
    wrong.write_text("not the password")
    with pytest.raises(CommandError, match="[Ww]rong password"):
        call_command("grant_intake_key", grantor="lead", grantee="bob", password_file=str(wrong))
    with pytest.raises(CommandError, match="No staff user"):
        call_command("grant_intake_key", grantor="lead", grantee="nobody", password_file=str(wrong))
    with pytest.raises(CommandError, match="holds no"):
        call_command("grant_intake_key", grantor="bob", grantee="alice", password_file=str(wrong))
    with pytest.raises(CommandError, match="No staff user"):
        call_command("create_intake_key", holder="nobody", password_file=str(wrong))
    with pytest.raises(CommandError, match="[Ww]rong password"):
        call_command("create_intake_key", holder="lead", password_file=str(wrong))
    assert not KeyGrant.objects.filter(holder=personas["bob"]).exists()


def test_a_partial_multi_key_grant_writes_nothing(personas, password_file):
    """grant_intake_key over several keys is all or nothing."""
    from accounts.roles import KeyPurpose
    from accounts.services import shared_key_create

    second = shared_key_create(purpose=KeyPurpose.INTAKE, holder=personas["lead"], holder_password=PASSWORD)
    SharedKey.objects.filter(pk=second.pk).update(suite="X25519")  # its grant no longer opens
    with pytest.raises(CommandError, match="No grant was made"):
        call_command("grant_intake_key", grantor="lead", grantee="bob", password_file=password_file)
    assert not KeyGrant.objects.filter(holder=personas["bob"]).exists()


def test_changepassword_refuses_to_orphan_a_key_unless_forced(personas, tmp_path, password_file):
    from accounts.roles import KeyPurpose
    from accounts.services import shared_key_create

    only_lead = shared_key_create(purpose=KeyPurpose.INTAKE, holder=personas["lead"], holder_password=PASSWORD)
    new = tmp_path / "new"
    new.write_text(OTHER_PASSWORD)
    with pytest.raises(CommandError, match="last holder"):
        call_command("changepassword", "lead", password_file=str(new))
    assert StaffUser.objects.get(username="lead").check_password(PASSWORD)
    call_command("changepassword", "lead", password_file=str(new), force=True)
    assert not SharedKey.objects.get(pk=only_lead.pk).active


def test_deactivate_staff_revokes_grants(personas, capsys):
    call_command("deactivate_staff", "alice")
    assert "1 key grant(s) revoked" in capsys.readouterr().out
    assert not StaffUser.objects.get(username="alice").is_active
    assert not KeyGrant.objects.filter(holder=personas["alice"]).exists()


def test_changepassword_is_a_reset_that_loses_grants(personas, tmp_path, capsys):
    new = tmp_path / "new"
    new.write_text(OTHER_PASSWORD)
    call_command("changepassword", "alice", password_file=str(new))
    assert "1 key grant(s) lost" in capsys.readouterr().out
    alice = StaffUser.objects.get(username="alice")
    assert alice.check_password(OTHER_PASSWORD)
    # The operator chose this password: no key is wrapped under it; alice makes one by choosing her own.
    assert alice.must_change_password and not PersonalKey.objects.filter(user=alice).exists()
    assert not KeyGrant.objects.filter(holder=alice).exists()


def test_retire_intake_key_needs_a_holder(personas, password_file, tmp_path):
    other = tmp_path / "other"
    other.write_text(OTHER_PASSWORD)
    with pytest.raises(CommandError, match="no role"):
        call_command("retire_intake_key", personas["intake"].key_id, holder="bob", password_file=str(other))
    call_command("create_staff", "newlead", roles="triage_lead", password_file=password_file, own_password=True)
    with pytest.raises(CommandError, match="no role"):  # only proposed
        call_command("retire_intake_key", personas["intake"].key_id, holder="newlead", password_file=password_file)
    call_command("approve_role", "newlead", "triage_lead", approver="lead", password_file=password_file)
    with pytest.raises(CommandError, match="Only a holder"):
        call_command("retire_intake_key", personas["intake"].key_id, holder="newlead", password_file=password_file)
    with pytest.raises(CommandError, match="no role"):
        call_command("retire_intake_key", personas["intake"].key_id, holder="sam", password_file=password_file)
    assert SharedKey.objects.get(pk=personas["intake"].pk).active
    call_command("retire_intake_key", personas["intake"].key_id, holder="lead", password_file=password_file)
    assert not SharedKey.objects.get(pk=personas["intake"].pk).active
    with pytest.raises(CommandError):
        call_command("retire_intake_key", "ik-missing", holder="lead", password_file=password_file)


def test_createsuperuser_is_refused(db):
    with pytest.raises(CommandError, match="no superusers"):
        call_command("createsuperuser", "--noinput", "--username", "root")
    assert not StaffUser.objects.exists()


def test_a_password_file_that_is_not_utf8_is_a_clear_error(db, tmp_path):
    bad = tmp_path / "bad"
    bad.write_bytes(b"\xff\xfe\x00password")
    with pytest.raises(CommandError, match="UTF-8"):
        call_command("create_staff", "x", roles="caseworker", password_file=str(bad))


def test_a_password_chosen_by_the_operator_wraps_no_key_and_takes_no_grant(personas, password_file):
    """Whoever typed a new account's password must not be able to open its personal key later."""
    call_command("create_staff", "nadia", roles="caseworker", password_file=password_file)
    nadia = StaffUser.objects.get(username="nadia")
    assert nadia.must_change_password and not PersonalKey.objects.filter(user=nadia).exists()
    with pytest.raises(CommandError, match="own password"):
        call_command("grant_intake_key", grantor="lead", grantee="nadia", password_file=password_file)
    # Once she chooses her own, she has a key (and can be granted).
    from accounts.services import staff_change_password

    staff_change_password(user=nadia, old_password=PASSWORD, new_password=OTHER_PASSWORD)
    nadia.refresh_from_db()
    assert not nadia.must_change_password and PersonalKey.objects.filter(user=nadia).exists()
    call_command("approve_role", "nadia", "caseworker", approver="lead", password_file=password_file)
    call_command("grant_intake_key", grantor="lead", grantee="nadia", password_file=password_file)
    assert KeyGrant.objects.filter(holder=nadia).exists()
