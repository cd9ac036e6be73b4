"""Appending builds a valid chain; verify_audit names the first entry that was edited, deleted or reordered."""

from __future__ import annotations

import datetime
import hashlib
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from audit.actions import Action
from audit.chain import GENESIS_HASH, canonical_bytes, compute_hash
from audit.models import AppendOnly, AuditEntry
from audit.services import audit_record
from audit.verify import verify_chain
from tests.audit.conftest import delete_rows, renumber, tamper

pytestmark = pytest.mark.django_db


def verify(*args) -> str:
    out = StringIO()
    call_command("verify_audit", *args, stdout=out)
    return out.getvalue()


def verify_fails(*args) -> str:
    with pytest.raises(CommandError) as failure:
        verify(*args)
    return str(failure.value)


# --- appending -------------------------------------------------------------------


def test_appends_link_each_entry_to_the_one_before(chain, staff, settings):
    assert [e.seq for e in chain] == [1, 2, 3, 4, 5]
    assert chain[0].prev_hash == GENESIS_HASH
    for before, after in zip(chain, chain[1:], strict=False):
        assert after.prev_hash == before.entry_hash
    for entry in chain:
        assert entry.entry_hash == compute_hash(entry, settings.SANAD_AUDIT_KEY)
    first, system = chain[0], chain[2]
    assert (first.actor_id, first.actor_name, first.object_id) == (str(staff.pk), "lead", str(staff.pk))
    assert (system.actor_id, system.actor_name) == ("", "system")
    assert str(first) == "#1 Staff created"  # the action by its label, in the active language


def test_the_hash_is_keyed_over_a_canonical_encoding_of_every_field(chain):
    encoded = canonical_bytes(chain[1]).decode()
    assert encoded.startswith('{"action":"report_decrypted","actor_id":')
    for part in (
        '"seq":2',
        f'"prev_hash":"{chain[0].entry_hash}"',
        '"details":{"followups":2}',
        '"object_type":"report"',
    ):
        assert part in encoded
    assert '"at":"' + chain[1].at.astimezone(datetime.UTC).isoformat(timespec="microseconds") + '"' in encoded
    assert chain[1].entry_hash != hashlib.sha256(canonical_bytes(chain[1])).hexdigest()


def test_what_is_hashed_is_what_the_database_gives_back(db, monkeypatch):
    """A whole-second time in another zone, enum members, UUIDs, non-ASCII ids: all hash as they are read back."""
    import uuid

    from django.db import models

    class Level(models.IntegerChoices):
        HIGH = 3

    baghdad = datetime.timezone(datetime.timedelta(hours=3))
    monkeypatch.setattr("audit.services.timezone.now", lambda: datetime.datetime(2026, 3, 1, 12, 0, 0, tzinfo=baghdad))
    ref = uuid.uuid4()
    entry = audit_record(
        Action.REPORT_ASSIGNED,
        obj_type="report",
        obj_id=ref,
        details={"level": Level.HIGH, "state": Action.REPORT_CLOSED, "ref": ref, "code": "IQ-بغداد", "ids": (1, 2)},
    )
    stored = AuditEntry.objects.get(seq=entry.seq)
    assert stored.at == datetime.datetime(2026, 3, 1, 9, 0, tzinfo=datetime.UTC)
    assert stored.details == {"level": 3, "state": "report_closed", "ref": str(ref), "code": "IQ-بغداد", "ids": [1, 2]}
    assert "audit chain OK: 1 entries" in verify()


def test_an_entry_rolls_back_with_its_callers_transaction(staff):
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            audit_record(Action.STAFF_DEACTIVATED, actor=staff, obj_type="staff", obj_id=staff.pk)
            raise RuntimeError("the act failed")
    assert not AuditEntry.objects.exists()
    entry = audit_record(Action.LOGOUT, actor=staff)
    assert entry.seq == 1 and entry.prev_hash == GENESIS_HASH


def test_the_actor_is_a_snapshot_not_a_reference(chain, staff):
    """No relation at all, so deleting or renaming a staff user can never cascade into history."""
    assert not any(field.is_relation for field in AuditEntry._meta.get_fields())
    type(staff).objects.filter(pk=staff.pk).update(username="renamed")
    assert AuditEntry.objects.get(seq=1).actor_name == "lead"
    assert "audit chain OK: 5 entries" in verify()


def test_unknown_actions_and_long_ids_are_refused(db):
    with pytest.raises(ValueError):
        audit_record("report_read_aloud")
    with pytest.raises(ValueError):
        audit_record(Action.REPORT_CLAIMED, obj_type="report", obj_id="x" * 65)
    with pytest.raises(ValueError):
        audit_record(Action.REPORT_CLAIMED, obj_type="a-very-long-object-type-name-indeed")
    assert not AuditEntry.objects.exists()


def test_the_orm_cannot_update_or_delete_entries(chain):
    entry = chain[0]
    entry.action = Action.LOGOUT
    with pytest.raises(AppendOnly):
        entry.save()
    with pytest.raises(AppendOnly):
        entry.delete()
    with pytest.raises(AppendOnly):
        AuditEntry.objects.filter(seq=1).update(action=Action.LOGOUT)
    with pytest.raises(AppendOnly):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.count() == 5


# --- verifying -------------------------------------------------------------------


def test_an_intact_chain_verifies_and_verification_writes_nothing(chain):
    out = verify()
    assert out.strip() == f"audit chain OK: 5 entries, head seq 5 hash {chain[-1].entry_hash}"
    assert AuditEntry.objects.count() == 5


def test_an_empty_chain_verifies(db):
    assert verify().strip() == f"audit chain OK: 0 entries, head seq 0 hash {GENESIS_HASH}"


def test_verification_streams_in_batches(chain):
    report = verify_chain(batch_size=2)
    assert report.ok and report.entries == 5 and report.head_seq == 5


def test_record_appends_one_audit_verified_entry(chain):
    verify("--record")
    entry = AuditEntry.objects.get(seq=6)
    assert entry.action == Action.AUDIT_VERIFIED and entry.actor_name == "system"
    assert entry.details == {"result": "ok", "entries": 5, "head_seq": 5}
    assert "audit chain OK: 6 entries" in verify()


EDITS = {
    "action": lambda seq: tamper(seq, action=Action.LOGOUT),
    "actor_name": lambda seq: tamper(seq, actor_name="someone-else"),
    "actor_id": lambda seq: tamper(seq, actor_id="5b0e7c1e-8d7a-4a8e-9d55-3f0b7d1c2a11"),
    "object_type": lambda seq: tamper(seq, object_type="candidate_link"),
    "object_id": lambda seq: tamper(seq, object_id="another-report"),
    "details": lambda seq: tamper(seq, details={"tampered": 1}),
    "at": lambda seq: tamper(seq, at=AuditEntry.objects.get(seq=seq).at + datetime.timedelta(microseconds=1)),
    "entry_hash": lambda seq: tamper(seq, entry_hash="f" * 64),
}


@pytest.mark.parametrize("seq", [1, 3, 5])
@pytest.mark.parametrize("field", sorted(EDITS))
def test_editing_any_field_of_any_entry_is_detected(chain, field, seq):
    EDITS[field](seq)
    message = verify_fails()
    assert f"first bad entry: seq {seq} (hash mismatch" in message
    assert verify_chain().bad_seq == seq


def test_editing_a_link_is_detected(chain):
    tamper(4, prev_hash=chain[1].entry_hash)
    assert "first bad entry: seq 4 (broken link" in verify_fails()


def test_deleting_an_entry_in_the_middle_is_detected(chain):
    delete_rows(3)
    assert "first bad entry: seq 4 (gap in sequence: expected seq 3" in verify_fails()


def test_deleting_the_first_entry_is_detected(chain):
    delete_rows(1)
    assert "first bad entry: seq 2 (gap in sequence: expected seq 1" in verify_fails()


def test_deleting_and_renumbering_to_close_the_gap_is_detected(chain):
    delete_rows(3)
    renumber(4, 3)
    renumber(5, 4)
    assert "first bad entry: seq 3 (broken link" in verify_fails()


def test_reordering_two_entries_is_detected(chain):
    renumber(2, 1000)
    renumber(3, 2)
    renumber(1000, 3)
    assert "first bad entry: seq 2 (broken link" in verify_fails()


def test_rehashing_an_edit_with_plain_sha256_is_detected(chain):
    """Whoever edits the database without the key cannot make a hash that verifies."""
    edited = AuditEntry.objects.get(seq=3)
    edited.object_id = "someone-elses-report"
    tamper(3, object_id=edited.object_id, entry_hash=hashlib.sha256(canonical_bytes(edited)).hexdigest())
    assert "first bad entry: seq 3 (hash mismatch" in verify_fails()


def test_appending_a_forged_entry_without_the_key_is_detected(chain):
    forged = AuditEntry(
        seq=6,
        at=chain[-1].at,
        actor_id="",
        actor_name="system",
        action=Action.LOGOUT,
        object_type="",
        object_id="",
        details={},
        prev_hash=chain[-1].entry_hash,
    )
    forged.entry_hash = compute_hash(forged, b"k" * 32)
    forged.save(force_insert=True)
    assert "first bad entry: seq 6 (hash mismatch" in verify_fails()


def test_record_notes_a_failed_verification_too(chain):
    delete_rows(2)
    assert "seq 3 (gap in sequence" in verify_fails("--record")
    entry = AuditEntry.objects.get(seq=6)
    assert entry.details == {"result": "failed", "entries": 1, "head_seq": 1, "bad_seq": 3}


# --- anchors: the only way to see the newest entries removed ---------------------


def test_an_anchor_detects_truncation_of_the_tail(chain):
    anchor = f"5:{chain[-1].entry_hash}"
    assert "audit chain OK: 5 entries" in verify("--anchor", anchor)
    delete_rows(4, 5)
    assert "audit chain OK: 3 entries, head seq 3" in verify()  # without an anchor, a shorter chain looks fine
    message = verify_fails("--anchor", anchor)
    assert "anchor seq 5 not found: the chain ends at seq 3 (tail truncated)" in message


def test_an_older_anchor_still_holds_after_more_appends(chain):
    anchor = f"2:{chain[1].entry_hash}"
    audit_record(Action.LOGOUT)
    assert "audit chain OK: 6 entries" in verify("--anchor", anchor)


def test_an_anchor_whose_hash_differs_is_reported(chain):
    message = verify_fails("--anchor", f"3:{chain[1].entry_hash}")
    assert "anchor seq 3 does not match" in message


@pytest.mark.parametrize("anchor", ["5", "five:" + "0" * 64, "0:" + "0" * 64, "5:abc"])
def test_a_malformed_anchor_is_refused(chain, anchor):
    assert "an anchor looks like SEQ:HASH" in verify_fails("--anchor", anchor)


def test_the_help_explains_that_truncation_needs_an_anchor():
    from audit.management.commands.verify_audit import Command

    assert "tail truncation is only detectable against an anchor" in " ".join(Command.help.split())
