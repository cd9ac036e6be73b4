"""Migration 0008 (role proposals) leaves every role staff held before it in effect: nobody is locked out."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.roles import Role

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("accounts", "0007_verbose_names")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def latest_schema_afterwards():
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # the schema the other tests expect


def test_roles_given_before_the_rule_keep_acting(latest_schema_afterwards):
    old = migrate(BEFORE)
    StaffUser, Group = old.get_model("accounts", "StaffUser"), old.get_model("auth", "Group")
    held = {"old-lead": Role.TRIAGE_LEAD, "old-caseworker": Role.CASEWORKER, "old-coord": Role.RELOCATION_COORDINATOR}
    for username, role in held.items():
        user = StaffUser.objects.create(username=username, password="!")
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    from accounts.models import RoleProposal, StaffUser
    from accounts.roles import active_roles

    for username, role in held.items():
        user = StaffUser.objects.get(username=username)
        assert active_roles(user) == {role}
        assert StaffUser.objects.with_role(role).filter(pk=user.pk).exists()
    assert not RoleProposal.objects.exists()
