"""The two-person rule in the admin: a sysadmin proposes, a key holder approves with their password."""

from __future__ import annotations

import logging
from html.parser import HTMLParser

import pytest
from django.test import Client

from accounts.models import RoleProposal, StaffUser
from accounts.roles import KeyPurpose, Role
from accounts.services import shared_key_create, staff_change_password
from audit.models import AuditEntry
from tests.conftest import OTHER_PASSWORD, PASSWORD, make_staff

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a brand new long passphrase 9"
OWN_PASSWORD = "nadia chose this passphrase 3"
LIST = "/admin/accounts/roleproposal/"


class FormDepth(HTMLParser):
    """The deepest nesting of <form> elements on a page (a browser drops a form nested in another)."""

    def __init__(self):
        super().__init__()
        self.depth = self.deepest = 0

    def handle_starttag(self, tag, attrs):
        if tag == "form":
            self.depth += 1
            self.deepest = max(self.deepest, self.depth)

    def handle_endtag(self, tag):
        if tag == "form":
            self.depth -= 1


def forms_nest(html: str) -> bool:
    parser = FormDepth()
    parser.feed(html)
    return parser.deepest > 1


def page(proposal) -> str:
    return f"{LIST}{proposal.pk}/change/"


def decide(proposal, decision) -> str:
    return f"{LIST}{proposal.pk}/decide/{decision}/"


@pytest.fixture
def proposed(personas, staff_login):
    """sam, logged in, has added nadia as a caseworker through the admin: only proposed."""
    sam = staff_login(Client(), personas["sam"])
    response = sam.post(
        "/admin/accounts/staffuser/add/",
        {"username": "nadia", "password": NEW_PASSWORD, "roles": ["caseworker"], "contact": ""},
        follow=True,
    )
    assert "is only proposed" in response.content.decode()
    nadia = StaffUser.objects.get(username="nadia")
    # As at her first login: she chooses her own password (a role is never approved before that).
    staff_change_password(user=nadia, old_password=NEW_PASSWORD, new_password=OWN_PASSWORD)
    nadia.refresh_from_db()
    return {**personas, "sam_client": sam, "nadia": nadia, "proposal": RoleProposal.objects.get(subject=nadia)}


def test_the_sysadmin_sees_the_pending_role_and_cannot_approve_it(proposed):
    sam, nadia, proposal = proposed["sam_client"], proposed["nadia"], proposed["proposal"]
    assert nadia.role_names == set()
    listing = sam.get("/admin/accounts/staffuser/").content.decode()
    assert "Caseworker (pending approval)" in listing
    staff_page = sam.get(f"/admin/accounts/staffuser/{nadia.pk}/change/").content.decode()
    assert 'id="pending-roles"' in staff_page and "proposed by sam" in staff_page
    assert "waiting for a key holder" in staff_page  # key access
    detail = sam.get(page(proposal)).content.decode()
    assert 'id="approve-role"' not in detail and 'id="cancel-role"' in detail
    response = sam.post(decide(proposal, "approve"), {"password": PASSWORD}, follow=True)
    assert "second person" in response.content.decode()
    assert RoleProposal.objects.get(pk=proposal.pk).state == RoleProposal.State.PENDING
    assert StaffUser.objects.get(pk=nadia.pk).role_names == set()


def test_a_key_holder_approves_with_their_password(proposed, staff_login, caplog):
    proposal, nadia = proposed["proposal"], proposed["nadia"]
    lead = staff_login(Client(), proposed["lead"])
    assert "nadia" in lead.get(LIST).content.decode()
    assert 'id="approve-role"' in lead.get(page(proposal)).content.decode()
    caplog.set_level(logging.DEBUG)
    wrong = lead.post(decide(proposal, "approve"), {"password": OTHER_PASSWORD}, follow=True)
    assert "That is not your password." in wrong.content.decode()
    assert RoleProposal.objects.get(pk=proposal.pk).state == RoleProposal.State.PENDING
    assert lead.post(decide(proposal, "approve"), {"password": ""}, follow=True).status_code == 200
    assert RoleProposal.objects.get(pk=proposal.pk).state == RoleProposal.State.PENDING
    done = lead.post(decide(proposal, "approve"), {"password": PASSWORD}, follow=True)
    assert "Role approved: nadia is now Caseworker" in done.content.decode()
    assert StaffUser.objects.get(pk=nadia.pk).role_names == {Role.CASEWORKER}
    assert AuditEntry.objects.filter(action="role_approved", actor_name="lead", object_id=str(nadia.pk)).exists()
    # The password is in no page, log line or stored message.
    for text in (wrong.content.decode(), done.content.decode(), caplog.text):
        assert PASSWORD not in text and OTHER_PASSWORD not in text
    # GET does nothing.
    assert lead.get(decide(proposal, "approve")).status_code == 404


def test_others_see_no_proposal_they_may_not_decide(proposed, staff_login):
    proposal = proposed["proposal"]
    alice = staff_login(Client(), proposed["alice"])  # a caseworker: may hold, not grant
    assert alice.get(LIST).status_code == 403
    assert alice.post(decide(proposal, "approve"), {"password": PASSWORD}).status_code == 404
    audrey = staff_login(Client(), proposed["audrey"])
    assert audrey.get(page(proposal)).status_code in (403, 404)
    # A coordinator holding the relocation key sees relocation proposals only.
    carla = make_staff("carla", roles=[Role.RELOCATION_COORDINATOR])
    shared_key_create(purpose=KeyPurpose.RELOCATION, holder=carla, holder_password=PASSWORD)
    carla_client = staff_login(Client(), carla)
    assert carla_client.get(page(proposal)).status_code == 404
    assert carla_client.post(decide(proposal, "approve"), {"password": PASSWORD}).status_code == 404
    assert "nadia" not in carla_client.get(LIST).content.decode()
    assert RoleProposal.objects.get(pk=proposal.pk).state == RoleProposal.State.PENDING


def test_approving_needs_the_csrf_token(proposed, staff_login):
    proposal = proposed["proposal"]
    lead = staff_login(Client(), proposed["lead"])
    lead.handler.enforce_csrf_checks = True  # as a browser's request from another site would be
    assert lead.post(decide(proposal, "approve"), {"password": PASSWORD}).status_code == 403
    assert RoleProposal.objects.get(pk=proposal.pk).state == RoleProposal.State.PENDING


def test_reject_and_cancel_from_the_admin(proposed, staff_login):
    proposal, sam = proposed["proposal"], proposed["sam_client"]
    lead = staff_login(Client(), proposed["lead"])
    assert "is rejected" in lead.post(decide(proposal, "reject"), follow=True).content.decode()
    assert RoleProposal.objects.get(pk=proposal.pk).state == RoleProposal.State.REJECTED
    # sam proposes again from the staff page (the roles form), then cancels it there.
    nadia = proposed["nadia"]
    response = sam.post(f"/admin/accounts/staffuser/{nadia.pk}/do/roles/", {"roles": ["caseworker"]}, follow=True)
    assert "is only proposed" in response.content.decode()
    again = RoleProposal.objects.get(subject=nadia, state=RoleProposal.State.PENDING)
    # The lead cannot cancel (only a sysadmin), and the staff page is not theirs.
    assert lead.post(decide(again, "cancel"), follow=True).status_code == 200
    assert RoleProposal.objects.get(pk=again.pk).state == RoleProposal.State.PENDING
    sam.post(f"/admin/accounts/staffuser/{nadia.pk}/do/cancel_proposal/", {"proposal": str(again.pk)})
    assert RoleProposal.objects.get(pk=again.pk).state == RoleProposal.State.CANCELLED
    assert StaffUser.objects.get(pk=nadia.pk).role_names == set()


def test_each_form_on_the_pages_stands_alone(proposed, staff_login):
    """The approve, reject, cancel, roles and grant forms follow the admin's own change form: nested in it,
    a browser would drop them and their buttons would submit the outer form."""
    proposal, sam, nadia = proposed["proposal"], proposed["sam_client"], proposed["nadia"]
    lead = staff_login(Client(), proposed["lead"])
    pages = {
        (sam, f"/admin/accounts/staffuser/{nadia.pk}/change/"): "cancel_proposal",
        (sam, page(proposal)): "/decide/cancel/",
        (lead, page(proposal)): "/decide/approve/",
        (lead, f"/admin/accounts/sharedkey/{proposed['intake'].pk}/change/"): "/grant/",
    }
    for (client, url), action in pages.items():
        html = client.get(url).content.decode()
        assert action in html, url
        assert not forms_nest(html), url
