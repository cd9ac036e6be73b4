"""Races on PostgreSQL: the last holder of a key is never removed by two revocations at once."""

import pytest
from django.db import connection

from accounts.models import KeyGrant, StaffUser
from accounts.services import WouldOrphanKey, staff_deactivate, staff_reset_password
from tests.conftest import OTHER_PASSWORD
from tests.races import run_together as run_together_as

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def run_together(*functions):
    return run_together_as(list(functions), {WouldOrphanKey: "refused"})


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
