"""Concurrent appends on PostgreSQL are serialised: 8 threads give one contiguous, valid chain."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from audit.actions import Action
from audit.models import AuditEntry
from audit.services import audit_record
from audit.verify import verify_chain

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

THREADS, EACH = 8, 25


def test_eight_threads_appending_at_once_build_one_valid_chain():
    assert connection.vendor == "postgresql", "this race needs concurrent writers"
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def append(worker: int) -> None:
        try:
            barrier.wait()
            for n in range(EACH):
                if n % 2:
                    audit_record(
                        Action.REPORT_CLAIMED, obj_type="report", obj_id=f"{worker}-{n}", details={"worker": worker}
                    )
                else:  # inside a caller's transaction, as services do
                    with transaction.atomic():
                        audit_record(Action.REPORT_ASSIGNED, obj_type="report", obj_id=f"{worker}-{n}")
        except BaseException as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=append, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert list(AuditEntry.objects.values_list("seq", flat=True)) == list(range(1, THREADS * EACH + 1))
    report = verify_chain(batch_size=37)
    assert report.ok and report.entries == THREADS * EACH
