"""Accounts in the admin: sysadmins manage staff through the services; key holders grant from a key's page."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import KeyGrant, RoleProposal, StaffUser, TOTPDevice
from audit.models import AuditEntry
from tests.conftest import OTHER_PASSWORD, PASSWORD, enrol

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a brand new long passphrase 9"


def test_sysadmin_creates_staff_with_roles(personas, staff_login):
    sam = staff_login(Client(), personas["sam"])
    response = sam.post(
        "/admin/accounts/staffuser/add/",
        {"username": "nadia", "password": NEW_PASSWORD, "roles": ["caseworker"], "contact": ""},
    )
    assert response.status_code == 302
    nadia = StaffUser.objects.get(username="nadia")
    # sam chose the password: nadia gets her personal key only once she chooses her own. Her role is
    # only proposed by sam: it takes effect when a key holder approves it.
    assert nadia.role_names == set() and nadia.must_change_password and not hasattr(nadia, "personal_key")
    assert nadia.role_proposals.get().role == "caseworker"
    assert AuditEntry.objects.filter(action="staff_created", object_id=str(nadia.pk), actor_name="sam").exists()
    # A weak password and a conflicting role set are refused with a message, nothing created.
    for data in (
        {"username": "weak", "password": "password123", "roles": ["caseworker"]},
        {"username": "both", "password": NEW_PASSWORD, "roles": ["sysadmin", "triage_lead"]},
    ):
        response = sam.post("/admin/accounts/staffuser/add/", data)
        assert response.status_code == 200 and not StaffUser.objects.filter(username=data["username"]).exists()


def test_sysadmin_cannot_make_themselves_a_reader(personas, staff_login):
    sam = staff_login(Client(), personas["sam"])
    sam.post(f"/admin/accounts/staffuser/{personas['sam'].pk}/do/roles/", {"roles": ["sysadmin", "triage_lead"]})
    assert StaffUser.objects.get(pk=personas["sam"].pk).role_names == {"sysadmin"}


def test_reset_shows_the_key_loss_and_needs_a_new_grant(personas, staff_login):
    alice = personas["alice"]
    enrol(alice)
    sam = staff_login(Client(), personas["sam"])
    response = sam.post(
        f"/admin/accounts/staffuser/{alice.pk}/do/reset_password/", {"new_password": OTHER_PASSWORD}, follow=True
    )
    page = response.content.decode()
    assert "They lost 1 key grant:" in page and "NONE: must first choose their own password" in page
    # The role itself goes too, proposed again: whoever typed the new password could otherwise act in it.
    assert "lice no longer acts as Caseworker" in page and "then their role waits for a key holder" in page
    assert StaffUser.objects.get(pk=alice.pk).role_names == set()
    assert not KeyGrant.objects.filter(holder=alice).exists()
    assert not TOTPDevice.objects.filter(user=alice).exists()
    assert AuditEntry.objects.filter(action="staff_password_reset", object_id=str(alice.pk)).exists()


def test_a_reset_that_would_orphan_a_key_is_refused_unless_forced(personas, staff_login):
    sam = staff_login(Client(), personas["sam"])
    lead = personas["lead"]
    # alice holds a grant too, so lead is not the last holder; revoke hers first.
    KeyGrant.objects.filter(holder=personas["alice"]).delete()
    response = sam.post(
        f"/admin/accounts/staffuser/{lead.pk}/do/reset_password/", {"new_password": OTHER_PASSWORD}, follow=True
    )
    assert "last holder" in response.content.decode()
    assert KeyGrant.objects.filter(holder=lead).exists()


def test_deactivation_from_the_admin(personas, staff_login):
    alice_client = staff_login(Client(), personas["alice"])
    sam = staff_login(Client(), personas["sam"])
    sam.post(f"/admin/accounts/staffuser/{personas['alice'].pk}/do/deactivate/")
    assert not StaffUser.objects.get(pk=personas["alice"].pk).is_active
    assert alice_client.get("/admin/").status_code == 302  # her session is gone
    sam.post(f"/admin/accounts/staffuser/{personas['sam'].pk}/do/deactivate/")
    assert StaffUser.objects.get(pk=personas["sam"].pk).is_active


def test_staff_admin_rejects_bad_input_without_500(personas, staff_login):
    sam = staff_login(Client(), personas["sam"])
    for url, data in (
        (f"/admin/accounts/staffuser/{personas['alice'].pk}/do/roles/", {"roles": ["emperor"]}),
        (f"/admin/accounts/staffuser/{personas['alice'].pk}/do/reset_password/", {}),
        (f"/admin/accounts/staffuser/{personas['alice'].pk}/do/unknown/", {}),
        ("/admin/accounts/staffuser/not-a-uuid/change/", None),
        ("/admin/accounts/staffuser/00000000-0000-0000-0000-000000000000/change/", None),
    ):
        response = sam.post(url, data) if data is not None else sam.get(url)
        assert response.status_code in (302, 404), (url, response.status_code)
    assert StaffUser.objects.get(pk=personas["alice"].pk).role_names == {"caseworker"}


def test_a_key_holder_grants_from_the_admin(personas, staff_login):
    bob, key = personas["bob"], personas["intake"]
    lead = staff_login(Client(), personas["lead"])
    page = lead.get(f"/admin/accounts/sharedkey/{key.pk}/change/").content.decode()
    assert "Grant this key to a colleague" in page and ">bob<" in page
    lead.post(f"/admin/accounts/sharedkey/{key.pk}/grant/", {"grantee": str(bob.pk), "password": "wrong password!!"})
    assert not KeyGrant.objects.filter(holder=bob).exists()
    lead.post(f"/admin/accounts/sharedkey/{key.pk}/grant/", {"grantee": str(personas["sam"].pk), "password": PASSWORD})
    assert not KeyGrant.objects.filter(holder=personas["sam"]).exists()  # a sysadmin is never offered
    lead.post(f"/admin/accounts/sharedkey/{key.pk}/grant/", {"grantee": str(bob.pk), "password": PASSWORD})
    assert KeyGrant.objects.filter(holder=bob, shared_key=key).exists()
    assert AuditEntry.objects.filter(action="key_granted", object_id=key.key_id, actor_name="lead").exists()


def test_a_caseworker_cannot_grant_even_holding_the_key(personas, staff_login):
    alice = staff_login(Client(), personas["alice"])
    key = personas["intake"]
    assert alice.get(f"/admin/accounts/sharedkey/{key.pk}/change/").status_code in (403, 404)
    response = alice.post(
        f"/admin/accounts/sharedkey/{key.pk}/grant/", {"grantee": str(personas["bob"].pk), "password": PASSWORD}
    )
    assert response.status_code == 404
    assert not KeyGrant.objects.filter(holder=personas["bob"]).exists()


def test_coverage_is_validated(personas, staff_login):
    lead = staff_login(Client(), personas["lead"])
    response = lead.post(
        "/admin/accounts/coverage/add/",
        {
            "user": str(personas["alice"].pk),
            "governorates": ["IQ-XX"],
            "languages": ["ar"],
            "capacity": 5,
            "accepting": "on",
        },
    )
    assert response.status_code == 200
    response = lead.post(
        "/admin/accounts/coverage/add/",
        {
            "user": str(personas["alice"].pk),
            "governorates": ["IQ-BG", "TR"],
            "languages": ["ar"],
            "capacity": 5,
            "accepting": "on",
        },
    )
    assert response.status_code == 302


@pytest.mark.parametrize("who", ["lead", "alice", "sam", "audrey"])
def test_every_admin_page_takes_junk_without_500(personas, staff_login, who):
    from django.contrib import admin

    client = staff_login(Client(), personas[who])
    for model in admin.site._registry:
        base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        for suffix in (
            "",
            "?q=%00'\"<x>",
            "?o=99",
            "?assignee=%ff",
            "?governorate=%00",
            "?state__exact=a%00b",
            "?purpose__exact=%00",
            "?p=%00",
            "add/",
            "junk/change/",
            "junk/history/",
            "junk/delete/",
            "00000000-0000-0000-0000-000000000000/change/",
            "999999999/change/",
        ):
            response = client.get(base + suffix)
            assert response.status_code < 500, (who, base + suffix, response.status_code)


def test_list_pages_take_only_their_declared_filters(personas, staff_login):
    sam = staff_login(Client(), personas["sam"])
    assert sam.get("/admin/accounts/staffuser/", {"is_active__exact": "1"}).status_code == 200
    for query in (
        {"password__gte": "a"},
        {"password__startswith": "argon2"},
        {"key_grants__isnull": "False"},
        {"contact_sealed__isnull": "True"},
    ):
        assert sam.get("/admin/accounts/staffuser/", query).status_code == 400, query
    lead = staff_login(Client(), personas["lead"])
    for query in (
        {"links__isnull": "False"},
        {"links": "1"},
        {"ciphertext_sha256": "abc"},
        {"receipt_hash__isnull": "True"},
        {"severity_reasons_sealed__isnull": "True"},
    ):
        assert lead.get("/admin/reports/report/", query).status_code == 400, query
    assert lead.get("/admin/reports/report/", {"state__exact": "assigned"}).status_code == 200


def test_the_grant_form_says_when_a_colleague_was_reset(personas, staff_login):
    from accounts.services import role_proposal_approve, staff_change_password, staff_reset_password

    staff_reset_password(user=personas["bob"], new_password=NEW_PASSWORD, acting_user=personas["sam"])
    staff_change_password(user=personas["bob"], old_password=NEW_PASSWORD, new_password="bob chose this one himself 3")
    # The reset took his role away; lead approves it again (now that bob chose his own password).
    proposal = RoleProposal.objects.get(subject=personas["bob"], state=RoleProposal.State.PENDING)
    role_proposal_approve(proposal=proposal, approver=personas["lead"], approver_password=PASSWORD)
    page = staff_login(Client(), personas["lead"]).get(f"/admin/accounts/sharedkey/{personas['intake'].pk}/change/")
    assert "bob (password reset by sam on " in page.content.decode()
