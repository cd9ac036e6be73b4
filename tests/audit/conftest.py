"""Helpers for the audit tests: build a chain, and tamper with it as someone with database access would."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from audit.actions import Action
from audit.models import AuditEntry
from audit.services import audit_record

TABLE = AuditEntry._meta.db_table


def tamper(row: int, **fields) -> None:
    """UPDATE one row with raw SQL, bypassing the model (which refuses updates)."""
    assignments, params = [], []
    for name, value in fields.items():
        field = AuditEntry._meta.get_field(name)
        assignments.append(f"{connection.ops.quote_name(field.column)} = %s")
        params.append(field.get_db_prep_save(value, connection))
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET {', '.join(assignments)} WHERE seq = %s", [*params, row])
        assert cursor.rowcount == 1


def delete_rows(*seqs: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE seq IN ({', '.join(['%s'] * len(seqs))})", list(seqs))
        assert cursor.rowcount == len(seqs)


def renumber(old: int, new: int) -> None:
    tamper(old, seq=new)


@pytest.fixture
def staff(db):
    from accounts.models import StaffUser

    return StaffUser.objects.create_user(username="lead", password=None)


@pytest.fixture
def chain(staff):
    """Five entries by a user and by the system, with details of every allowed shape."""
    with transaction.atomic():
        audit_record(
            Action.STAFF_CREATED, actor=staff, obj_type="staff", obj_id=staff.pk, details={"roles": ["caseworker"]}
        )
        audit_record(Action.REPORT_DECRYPTED, actor=staff, obj_type="report", obj_id="0f3c9a", details={"followups": 2})
        audit_record(
            Action.REPORT_TRANSITION,
            obj_type="report",
            obj_id="0f3c9a",
            details={"from": "received", "to": "in_review", "auto": True, "reason": None},
        )
        audit_record(
            Action.STAFF_ROLES_CHANGED,
            actor=staff,
            obj_type="staff",
            obj_id=staff.pk,
            details={"change": {"added": "triage_lead", "removed": None}},
        )
        audit_record(Action.KEY_GRANTED, actor=staff, obj_type="grant", obj_id=17, details={"purpose": "intake"})
    return list(AuditEntry.objects.all())
