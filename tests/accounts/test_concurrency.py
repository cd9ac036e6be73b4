"""Races on PostgreSQL: the last holder of a key is never removed by two revocations at once."""

import threading

import pytest
from django.db import connection, connections

from accounts.models import KeyGrant, StaffUser
from accounts.services import WouldOrphanKey, staff_deactivate, staff_reset_password
from tests.conftest import OTHER_PASSWORD

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def run_together(*functions):
    barrier = threading.Barrier(len(functions))
    outcomes = [None] * len(functions)

    def runner(index, function):
        barrier.wait()
        try:
            function()
            outcomes[index] = "ok"
        except WouldOrphanKey:
            outcomes[index] = "refused"
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.parametrize("attempt", range(5))
def test_two_holders_revoked_at_once_leave_one(personas, attempt):
    assert connection.vendor == "postgresql", "this race needs a database with row locks"
    intake = personas["intake"]
    lead = StaffUser.objects.get(username="lead")
    alice = StaffUser.objects.get(username="alice")
    outcomes = run_together(
        lambda: staff_deactivate(user=alice),
        lambda: staff_reset_password(user=lead, new_password=OTHER_PASSWORD),
    )
    assert sorted(outcomes) == ["ok", "refused"]
    assert KeyGrant.objects.filter(shared_key=intake).count() == 1
