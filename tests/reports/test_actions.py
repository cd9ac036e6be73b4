"""One registry of what may be done to a report: for every role and every state, the page offers exactly
the actions the services accept (reports.access.CASE_ACTIONS drives both)."""

from __future__ import annotations

import hashlib
import re

import pytest
from cryptography.hazmat.primitives.asymmetric import x25519
from django.db import transaction
from django.test import Client

from accounts.models import Coverage
from accounts.roles import KeyPurpose, Role
from accounts.services import key_grant_create, personal_key_unlock, shared_key_create
from client.api import b64d, b64e
from relocation.access import RelocationError
from relocation.services import house_create, referral_create
from reports import access, casework
from reports.access import CaseAction, CaseworkError
from reports.intake import report_withdraw
from reports.models import CandidateLink, Report, ReportState
from reports.triage import report_triage
from tests.conftest import OTHER_PASSWORD, PASSWORD, make_staff
from tests.reports.conftest import GOOD_TRIAGE

pytestmark = pytest.mark.django_db

S = ReportState
# Every state, and whom the report is with in it (as triage and casework leave it).
STATES = {
    S.PENDING: None,
    S.PARKED: None,
    S.TRIAGED: None,
    S.ASSIGNED: "alice",
    S.ACKNOWLEDGED: "alice",
    S.IN_PROGRESS: "alice",
    S.CLOSED: "alice",
    S.WITHDRAWN: "alice",
}
PERSONAS = ["lead", "alice", "carol", "bob", "rita", "sam", "audrey"]
# The admin's action URLs, as registry actions.
URL_ACTION = {
    "claim": CaseAction.CLAIM,
    "acknowledge": CaseAction.ACKNOWLEDGE,
    "start": CaseAction.START,
    "close": CaseAction.CLOSE,
    "reassign": CaseAction.REASSIGN,
    "unpark": CaseAction.UNPARK,
    "reply": CaseAction.REPLY,
    "confirm_link": CaseAction.MARK_LINK,
    "reject_link": CaseAction.MARK_LINK,
    "refer": CaseAction.REFER,
}


@pytest.fixture
def cast(personas, envelope, submit):
    """lead; alice, the assignee; carol, a caseworker covering the place with a grant; bob, covering it
    without one; rita (relocation), sam (sysadmin), audrey (auditor). Two reports share an indicator,
    both with alice, so each has a candidate link the assignee may see."""
    lead, alice, bob = personas["lead"], personas["alice"], personas["bob"]
    carol = make_staff("carol", roles=[Role.CASEWORKER], acting_user=personas["sam"], approver=lead)
    rita = make_staff("rita", roles=[Role.RELOCATION_COORDINATOR])  # the first coordinator: no relocation key yet
    key_grant_create(shared_key=personas["intake"], grantor=lead, grantor_password=PASSWORD, grantee=carol)
    # A relocation key held by two coordinators, and a house: referring is possible.
    relocation_key = shared_key_create(purpose=KeyPurpose.RELOCATION, holder=rita, holder_password=PASSWORD)
    rhea = make_staff("rhea", roles=[Role.RELOCATION_COORDINATOR], acting_user=personas["sam"], approver=rita)
    key_grant_create(shared_key=relocation_key, grantor=rita, grantor_password=PASSWORD, grantee=rhea)
    house_create(
        user=rita,
        code_name="olive",
        region="tr",
        household_types=["single_adult"],
        beds_funded=2,
        beds_in_service=2,
        address="1 Example Street",
    )
    for user in (alice, carol, bob):
        Coverage.objects.create(user=user, governorates=["IQ-DQ"], languages=["ar"])
    made = []
    for _ in range(2):
        body = envelope(
            triage={**GOOD_TRIAGE, "governorate": "IQ-DQ"},
            reply_public_key=b64e(x25519.X25519PrivateKey.generate().public_key().public_bytes_raw()),
        )
        assert submit(body).status_code == 201
        made.append(Report.objects.get(ciphertext_sha256=hashlib.sha256(b64d(body["ciphertext"])).digest()))
    for report in made:
        report_triage(report_id=report.pk)
    Report.objects.filter(pk__in=[r.pk for r in made]).update(state=S.ASSIGNED, assigned_to=alice)
    report, other = (Report.objects.get(pk=r.pk) for r in made)
    assert CandidateLink.objects.filter(report=report, other=other).exists()
    return {**personas, "carol": carol, "rita": rita, "report": report, "other": other}


def put_in(report: Report, state: str, assignee) -> Report:
    """The report as it would be in `state`, with `assignee`."""
    if state == S.WITHDRAWN:
        report_withdraw(report=report)
    else:
        Report.objects.filter(pk=report.pk).update(state=state, assigned_to=assignee)
    return Report.objects.select_related("intake_key").get(pk=report.pk)


def password_of(who: str) -> str:
    return OTHER_PASSWORD if who == "bob" else PASSWORD


def accepted(world, who: str, report: Report) -> set[str]:
    """The actions whose service does what was asked, each tried on its own and rolled back."""
    user = world[who]
    link = CandidateLink.objects.filter(report=report).first()
    personal_key = personal_key_unlock(user=user, password=password_of(who)) if hasattr(user, "personal_key") else None
    assignee = world["carol"] if report.assigned_to_id != world["carol"].pk else world["alice"]
    services = {
        CaseAction.READ: lambda r: access.report_open(user=user, report=r, personal_key=personal_key),
        CaseAction.CLAIM: lambda r: casework.report_claim(user=user, report=r),
        CaseAction.ACKNOWLEDGE: lambda r: casework.report_acknowledge(user=user, report=r),
        CaseAction.START: lambda r: casework.report_start(user=user, report=r),
        CaseAction.CLOSE: lambda r: casework.report_close(user=user, report=r, outcome="support_given"),
        CaseAction.REASSIGN: lambda r: casework.report_reassign(user=user, report=r, assignee=assignee),
        CaseAction.UNPARK: lambda r: casework.report_unpark(user=user, report=r),
        CaseAction.REPLY: lambda r: casework.reply_send(user=user, report=r, body="We read you."),
        CaseAction.MARK_LINK: lambda r: casework.link_mark(
            user=user, report=r, link_id=link.pk if link else -1, confirmed=True
        ),
        CaseAction.REFER: lambda r: referral_create(user=user, report=r, adults=1, household_type="single_adult"),
    }
    done = set()
    for action, service in services.items():
        savepoint = transaction.savepoint()
        try:
            result = service(Report.objects.select_related("intake_key").get(pk=report.pk))
            if result is not None:  # link_mark answers None for a link out of scope
                done.add(str(action))
        except (CaseworkError, RelocationError):
            pass
        finally:
            transaction.savepoint_rollback(savepoint)
    return done


def shown(client: Client, report: Report) -> set[str] | None:
    """The actions the report's page offers (None: the page is a 404)."""
    response = client.get(f"/admin/reports/report/{report.pk}/change/")
    if response.status_code == 404:
        return None
    assert response.status_code == 200
    page = response.content.decode()
    offered = {str(URL_ACTION[name]) for name in re.findall(r"/act/(\w+)/", page)}
    if 'id="report-narrative"' in page:
        offered.add(str(CaseAction.READ))
    return offered


@pytest.mark.parametrize("state", list(STATES))
def test_the_page_offers_exactly_what_the_services_accept(cast, staff_login, state):
    report = put_in(cast["report"], state, cast[STATES[state]] if STATES[state] else None)
    seen_any = set()
    for who in PERSONAS:
        client = staff_login(Client(), cast[who], password_of(who))
        offered = shown(client, report)
        done = accepted(cast, who, report)
        registry = {str(action) for action in access.actions_for(cast[who], report)}
        if offered is None:  # not in scope: nothing offered, nothing accepted
            assert done == set() and registry == set(), (who, state, done)
        else:
            assert offered == done == registry, (who, state, offered, done)
        seen_any |= done
    expected_somewhere = {
        S.PENDING: {"read", "mark_link"},
        S.PARKED: {"read", "unpark", "mark_link"},
        S.TRIAGED: {"read", "claim", "reassign", "mark_link"},
        S.ASSIGNED: {"read", "acknowledge", "reassign", "reply", "mark_link", "refer"},
        S.ACKNOWLEDGED: {"read", "start", "close", "reassign", "reply", "mark_link", "refer"},
        S.IN_PROGRESS: {"read", "close", "reassign", "reply", "mark_link", "refer"},
        S.CLOSED: {"read", "mark_link"},
        S.WITHDRAWN: set(),
    }
    assert seen_any == expected_somewhere[state]  # the test exercises each action somewhere, and no more


def test_each_role_gets_what_the_roles_table_says(cast):
    report = put_in(cast["report"], S.ASSIGNED, cast["alice"])
    actions = {who: {str(a) for a in access.actions_for(cast[who], report)} for who in PERSONAS}
    assert actions["lead"] == {"read", "acknowledge", "reassign", "reply", "mark_link", "refer"}
    assert actions["alice"] == {"read", "acknowledge", "reply", "mark_link", "refer"}  # the assignee: no reassigning
    assert actions["carol"] == actions["bob"] == set()  # another caseworker's case
    assert actions["rita"] == actions["sam"] == actions["audrey"] == set()
    queued = put_in(cast["report"], S.TRIAGED, None)
    assert access.actions_for(cast["carol"], queued) >= {CaseAction.CLAIM}
    assert CaseAction.CLAIM not in access.actions_for(cast["bob"], queued)  # covers it, but could not read it
    # A report with someone is claimed by nobody, a lead included.
    taken = put_in(cast["report"], S.TRIAGED, cast["alice"])
    assert not any(CaseAction.CLAIM in access.actions_for(cast[who], taken) for who in PERSONAS)
    # Referring needs a relocation key held by enough coordinators, and no open referral.
    assigned = put_in(cast["report"], S.ASSIGNED, cast["alice"])
    referral_create(user=cast["alice"], report=assigned, adults=1, household_type="single_adult")
    assert access.refusal(cast["alice"], assigned, CaseAction.REFER) == "This report has an open referral already."
    queued = put_in(cast["report"], S.TRIAGED, None)
    assert access.refusal(cast["bob"], queued, CaseAction.CLAIM) == (
        "You hold no grant of this report's intake key, so you cannot read it."
    )
