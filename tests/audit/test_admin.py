"""Auditors read the chain in the admin; nobody, not even a superuser, can add, change or delete there."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps as global_apps
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test import RequestFactory

from accounts.models import StaffUser
from audit.admin import AuditEntryAdmin
from audit.models import AuditEntry

pytestmark = pytest.mark.django_db
migration = importlib.import_module("audit.migrations.0002_auditor_view_permission")


def request_as(user):
    request = RequestFactory().get("/admin/audit/auditentry/")
    request.user = user
    return request


@pytest.fixture
def model_admin():
    return admin.site._registry[AuditEntry]


def test_registered_on_the_default_site(model_admin):
    assert isinstance(model_admin, AuditEntryAdmin)
    assert model_admin.list_display == ("seq", "at", "actor", "action", "object_kind", "object_code")
    assert model_admin.list_filter == ("action",)
    assert model_admin.search_fields == ("=object_id", "=actor_name")


def test_nobody_can_add_change_or_delete(model_admin, chain):
    root = StaffUser.objects.create_superuser(username="root", password=None)
    request = request_as(root)
    entry = chain[0]
    assert model_admin.has_view_permission(request, entry)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, entry)
    assert not model_admin.has_delete_permission(request, entry)
    assert model_admin.get_actions(request) == {}
    # Every field the page shows is read-only (most are shown through display methods: codes as codes).
    shown = set(model_admin.get_fields(request, entry))
    assert shown and shown <= set(model_admin.get_readonly_fields(request, entry))
    assert not shown & {f.name for f in AuditEntry._meta.concrete_fields} - {"seq", "at", "action"}


def test_the_auditor_role_may_view_and_others_may_not(model_admin):
    migration.grant_view_to_auditors(global_apps, SimpleNamespace(connection=connection))  # as migrate did
    auditor = StaffUser.objects.create_user(username="audrey", password=None)
    auditor.groups.add(Group.objects.get(name="auditor"))
    caseworker = StaffUser.objects.create_user(username="carol", password=None)
    caseworker.groups.add(Group.objects.get_or_create(name="caseworker")[0])
    assert model_admin.has_view_permission(request_as(StaffUser.objects.get(pk=auditor.pk)))
    assert not model_admin.has_view_permission(request_as(StaffUser.objects.get(pk=caseworker.pk)))


def test_the_migration_gives_auditors_view_only_and_can_run_again():
    Group.objects.filter(name="auditor").delete()
    Permission.objects.filter(codename="view_auditentry").delete()
    schema_editor = SimpleNamespace(connection=connection)
    migration.grant_view_to_auditors(global_apps, schema_editor)
    migration.grant_view_to_auditors(global_apps, schema_editor)
    codenames = set(
        Group.objects.get(name="auditor")
        .permissions.filter(content_type__app_label="audit")
        .values_list("codename", flat=True)
    )
    assert codenames == {"view_auditentry"}
    migration.revoke_view_from_auditors(global_apps, schema_editor)
    assert not Group.objects.get(name="auditor").permissions.exists()
