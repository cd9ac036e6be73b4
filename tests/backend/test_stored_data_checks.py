"""sanad.E010/E011/E012: a process started with keys that do not open the database's sealed values, or that do
not verify its audit chain, refuses (after a restore with the wrong secrets, say)."""

from __future__ import annotations

import base64
import secrets

import pytest

from audit.checks import check_audit_key_verifies_the_chain
from backend.checks import check_sealing_keys_open_stored_data
from backend.crypto.sealed import parse_envelope


def _key() -> bytes:
    return secrets.token_bytes(32)


def _ids(errors) -> list[str]:
    return [error.id for error in errors]


@pytest.fixture
def sealed_rows(personas):
    """alice's contact and the intake key's attestation are sealed under the test ring's first key."""
    from accounts.models import StaffUser

    envelope = bytes(StaffUser.objects.get(username="alice").contact_sealed)
    return parse_envelope(envelope)[1]


def test_the_ring_that_sealed_the_data_passes(sealed_rows):
    assert check_sealing_keys_open_stored_data() == []


def test_a_new_first_key_with_the_old_one_behind_it_passes(settings, sealed_rows):
    settings.SANAD_SEALING_KEYS = [("k-new", _key()), *settings.SANAD_SEALING_KEYS]
    assert check_sealing_keys_open_stored_data() == []


def test_a_wrong_key_under_the_same_id_is_refused_by_id_without_the_key(settings, sealed_rows):
    wrong = _key()
    settings.SANAD_SEALING_KEYS = [(sealed_rows, wrong)]
    errors = check_sealing_keys_open_stored_data()
    assert _ids(errors) == ["sanad.E011"]
    message = errors[0].msg
    assert f"key '{sealed_rows}' does not open" in message
    assert "accounts.StaffUser.contact_sealed" in message and "accounts.SharedKey.attestation_sealed" in message
    assert base64.urlsafe_b64encode(wrong).rstrip(b"=").decode() not in message
    for _, key in settings.SANAD_SEALING_KEYS:
        assert key.hex() not in message


def test_a_ring_without_the_sealing_key_id_is_refused_by_id(settings, sealed_rows):
    settings.SANAD_SEALING_KEYS = [("k-other", _key())]
    errors = check_sealing_keys_open_stored_data()
    assert _ids(errors) == ["sanad.E010"]
    assert f"has no key '{sealed_rows}'" in errors[0].msg


def test_one_edited_value_is_a_warning_not_a_refusal_to_start(sealed_rows):
    """Whoever can write one row must not be able to stop the service."""
    from accounts.models import StaffUser

    alice = StaffUser.objects.get(username="alice")
    envelope = bytearray(alice.contact_sealed)
    envelope[-1] ^= 1
    StaffUser.objects.filter(pk=alice.pk).update(contact_sealed=bytes(envelope))
    errors = check_sealing_keys_open_stored_data()
    assert _ids(errors) == ["sanad.W010"]
    assert f"under key '{sealed_rows}' (accounts.StaffUser.contact_sealed), which does not open them" in errors[0].msg


def test_an_old_key_removed_before_reseal_is_a_warning_naming_it(settings, sealed_rows):
    """Rotation: the new first key sealed the newest values, the old one was dropped from the ring too early."""
    from accounts.models import StaffUser
    from backend.sealed_fields import seal_value

    new = ("k-new", _key())
    settings.SANAD_SEALING_KEYS = [new, *settings.SANAD_SEALING_KEYS]
    bob = StaffUser.objects.get(username="bob")
    StaffUser.objects.filter(pk=bob.pk).update(contact_sealed=seal_value(bob, "contact_sealed", b"bob@example.org"))
    settings.SANAD_SEALING_KEYS = [new]
    errors = check_sealing_keys_open_stored_data()
    assert set(_ids(errors)) == {"sanad.W010"}
    assert any(f"under key '{sealed_rows}'" in error.msg and "is not in the ring" in error.msg for error in errors)


def test_an_empty_database_passes_any_ring(settings, db):
    settings.SANAD_SEALING_KEYS = [("k-other", _key())]
    assert check_sealing_keys_open_stored_data() == []


def test_the_refusal_stops_a_production_start(settings, sealed_rows):
    from django.core.exceptions import ImproperlyConfigured

    from config.startup import refuse_unsafe_start

    settings.SANAD_SEALING_KEYS = [(sealed_rows, _key())]
    with pytest.raises(ImproperlyConfigured, match="sanad.E011"):
        refuse_unsafe_start()


def test_a_warning_does_not_stop_a_start_but_is_logged_at_it(settings, sealed_rows, caplog):
    """sanad.W010 (some sealed values no longer open) is said when gunicorn or a worker starts, not only by
    `manage.py check`."""
    from accounts.models import StaffUser
    from backend.sealed_fields import seal_value
    from config.startup import refuse_unsafe_start

    new = ("k-next", _key())
    settings.SANAD_SEALING_KEYS = [new, *settings.SANAD_SEALING_KEYS]
    bob = StaffUser.objects.get(username="bob")
    StaffUser.objects.filter(pk=bob.pk).update(contact_sealed=seal_value(bob, "contact_sealed", b"bob@example.org"))
    settings.SANAD_SEALING_KEYS = [new]
    settings.ALLOWED_HOSTS = ["127.0.0.1"]  # dev mode's own rule (sanad.E007); the test client adds its own host
    with caplog.at_level("WARNING", logger="sanad.startup"):
        refuse_unsafe_start()
    assert any(record.getMessage().startswith("sanad.W010: ") for record in caplog.records)
    assert not any(key.hex() in caplog.text for _, key in settings.SANAD_SEALING_KEYS)


def test_the_audit_key_that_wrote_the_chain_passes(sealed_rows):
    from audit.models import AuditEntry

    assert AuditEntry.objects.count() >= 2
    assert check_audit_key_verifies_the_chain() == []


def test_a_wrong_audit_key_is_refused_without_the_key(settings, sealed_rows):
    from audit.models import AuditEntry

    wrong = _key()
    settings.SANAD_AUDIT_KEY = wrong
    errors = check_audit_key_verifies_the_chain()
    assert _ids(errors) == ["sanad.E012"]
    first, last = AuditEntry.objects.order_by("seq").first().seq, AuditEntry.objects.order_by("seq").last().seq
    assert f"(entries {first}, {last})" in errors[0].msg
    assert (
        base64.urlsafe_b64encode(wrong).rstrip(b"=").decode() not in errors[0].msg and wrong.hex() not in errors[0].msg
    )


def test_one_edited_entry_is_left_to_verify_audit_not_a_refusal_to_start(sealed_rows):
    """Whoever can write one row must not be able to stop the service; verify_audit names the entry."""
    from audit.models import AuditEntry
    from tests.audit.conftest import tamper

    tamper(AuditEntry.objects.order_by("seq").last().seq, object_id="edited")
    assert check_audit_key_verifies_the_chain() == []


def test_an_empty_chain_passes_any_audit_key(settings, db):
    settings.SANAD_AUDIT_KEY = _key()
    assert check_audit_key_verifies_the_chain() == []


def test_the_fuzzers_published_keys_are_refused_outside_dev_mode(settings):
    """sanad.E013: fuzz/harness.py derives its keys from public strings; a deployment given one refuses."""
    from backend.checks import check_configuration, published_key

    def refused() -> bool:
        return any(message.id == "sanad.E013" for message in check_configuration())

    settings.SANAD_DEV = False
    assert not refused()
    settings.SANAD_BLIND_INDEX_KEY = published_key("SANAD_BLIND_INDEX_KEY")
    assert refused()
    settings.SANAD_DEV = True  # the fuzzer itself runs in dev mode
    assert not refused()


def test_the_fuzzers_published_secret_key_is_refused_outside_dev_mode(settings):
    from backend.checks import check_configuration, published_key
    from backend.crypto.encoding import b64url_encode

    settings.SANAD_DEV = False
    settings.SECRET_KEY = b64url_encode(published_key("SANAD_SECRET_KEY")) * 2  # as fuzz/harness.py makes it
    assert any(message.id == "sanad.E013" for message in check_configuration())
