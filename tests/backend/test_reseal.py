import os

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import StaffUser
from accounts.services import staff_contact
from backend.crypto.sealed import parse_envelope

pytestmark = pytest.mark.django_db


def envelope_key_ids():
    return {parse_envelope(bytes(row.contact_sealed))[1] for row in StaffUser.objects.exclude(contact_sealed=None)}


def test_rotation_then_reseal_moves_every_row_to_the_new_key(personas, settings, capsys):
    old_ring = list(settings.SANAD_SEALING_KEYS)
    assert envelope_key_ids() == {old_ring[0][0]}
    settings.SANAD_SEALING_KEYS = [("rotated", os.urandom(32)), *old_ring]
    alice = StaffUser.objects.get(username="alice")
    assert staff_contact(user=alice) == "alice@example.org"  # old key still opens
    call_command("reseal", batch_size=1)
    assert "accounts.StaffUser.contact_sealed: 1 of 1 resealed" in capsys.readouterr().out
    assert envelope_key_ids() == {"rotated"}
    settings.SANAD_SEALING_KEYS = settings.SANAD_SEALING_KEYS[:1]  # old key retired
    assert staff_contact(user=StaffUser.objects.get(username="alice")) == "alice@example.org"
    call_command("reseal")
    assert "0 of 1 resealed" in capsys.readouterr().out


def test_reseal_stops_when_a_needed_key_was_removed_and_changes_nothing(personas, settings):
    before = bytes(StaffUser.objects.get(username="alice").contact_sealed)
    settings.SANAD_SEALING_KEYS = [("other", os.urandom(32))]
    with pytest.raises(CommandError, match="Keep the old key"):
        call_command("reseal")
    assert bytes(StaffUser.objects.get(username="alice").contact_sealed) == before
