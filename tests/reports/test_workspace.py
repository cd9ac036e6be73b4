"""The caseworker workspace in the admin: scope (role x view x object), reading, actions, replies, audit."""

from __future__ import annotations

import hashlib
import json

import pytest
from cryptography.hazmat.primitives.asymmetric import x25519
from django.test import Client

from accounts.models import Coverage
from accounts.roles import Role
from accounts.services import key_grant_create
from audit.models import AuditEntry
from backend.sealed_fields import seal_value
from client import hpke as client_hpke
from client.api import b64d, b64e
from reports.models import CandidateLink, Reply, Report, ReportState
from reports.triage import report_triage
from tests.conftest import PASSWORD, make_staff
from tests.reports.conftest import CANARY, GOOD_TRIAGE, seal_content

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(personas, submit, envelope, receipt_call):
    """alice covers IQ-DQ and holds the key; carol covers IQ-NA and holds it; bob covers IQ-BA without a grant.

    r_alice (IQ-DQ) is assigned to alice, r_carol (IQ-NA) to carol, r_queue (IQ-BA) waits unassigned.
    """
    lead, alice, bob = personas["lead"], personas["alice"], personas["bob"]
    carol = make_staff("carol", roles=[Role.CASEWORKER], approver=lead)
    rita = make_staff("rita", roles=[Role.RELOCATION_COORDINATOR])  # the first coordinator: no relocation key yet
    key_grant_create(shared_key=personas["intake"], grantor=lead, grantor_password=PASSWORD, grantee=carol)
    Coverage.objects.create(user=alice, governorates=["IQ-DQ"], languages=["ar"])
    Coverage.objects.create(user=carol, governorates=["IQ-NA"], languages=["ar"])
    Coverage.objects.create(user=bob, governorates=["IQ-BA"], languages=["ar"])
    made = {}
    for name, place in (("r_alice", "IQ-DQ"), ("r_carol", "IQ-NA"), ("r_queue", "IQ-BA")):
        reply_private = x25519.X25519PrivateKey.generate()
        body = envelope(
            narrative=f"{CANARY} {name}",
            triage={**GOOD_TRIAGE, "governorate": place},
            reply_public_key=b64e(reply_private.public_key().public_bytes_raw()),
        )
        response = submit(body)
        assert response.status_code == 201, response.content
        report = Report.objects.get(ciphertext_sha256=hashlib.sha256(b64d(body["ciphertext"])).digest())
        report_triage(report_id=report.pk)
        report.refresh_from_db()
        made[name] = report
        made[name + "_receipt"] = response.json()["receipt"]
        made[name + "_reply_key"] = reply_private
    assert made["r_alice"].assigned_to == alice and made["r_carol"].assigned_to == carol
    assert made["r_queue"].assigned_to is None and made["r_queue"].state == ReportState.TRIAGED
    # Evidence on alice's report.
    evidence = b'{"filename": "threat.png", "media_type": "image/png", "sha256": "00"}\n' + b"\x89PNG fake bytes"
    assert (
        receipt_call(
            "post",
            "/api/v1/reports/evidence/",
            made["r_alice_receipt"],
            seal_content(personas["intake"], evidence, "evidence"),
        ).status_code
        == 201
    )
    return {**personas, "carol": carol, "rita": rita, **made}


def password_of(who: str) -> str:
    return "a different long passphrase 7" if who == "bob" else PASSWORD


def ref(report) -> str:
    return report.reference


def change_url(report) -> str:
    return f"/admin/reports/report/{report.pk}/change/"


# Who sees which report: True means 200 with content visible where a grant allows; False means 404.
VISIBLE = {
    "lead": {"r_alice": True, "r_carol": True, "r_queue": True},
    "alice": {"r_alice": True, "r_carol": False, "r_queue": False},
    "carol": {"r_alice": False, "r_carol": True, "r_queue": False},
    "bob": {"r_alice": False, "r_carol": False, "r_queue": True},
    "rita": {"r_alice": False, "r_carol": False, "r_queue": False},
    "sam": {"r_alice": False, "r_carol": False, "r_queue": False},
    "audrey": {"r_alice": False, "r_carol": False, "r_queue": False},
}
ROLES = list(VISIBLE)
REPORTS = ["r_alice", "r_carol", "r_queue"]


@pytest.mark.parametrize("who", ROLES)
def test_report_scope_matrix(world, staff_login, who):
    client = staff_login(Client(), world[who], password_of(who))
    listing = client.get("/admin/reports/report/")
    may_list = who in ("lead", "alice", "carol", "bob")
    assert listing.status_code == (200 if may_list else 403)
    for name in REPORTS:
        report = world[name]
        visible = VISIBLE[who][name]
        # The list and the search show exactly the reports in scope.
        if may_list:
            assert (change_url(report) in listing.content.decode()) == visible, (who, name)
            found = client.get("/admin/reports/report/", {"q": ref(report)})
            assert (change_url(report) in found.content.decode()) == visible, (who, name, "search")
        for url in (change_url(report), f"/admin/reports/report/{report.pk}/history/"):
            assert client.get(url).status_code == (200 if visible else 404), (who, name, url)
        # Actions on an object out of scope are 404 too, and change nothing.
        before = Report.objects.get(pk=report.pk)
        for action in ("claim", "acknowledge", "reply", "close"):
            response = client.post(
                f"/admin/reports/report/{report.pk}/act/{action}/", {"body": "x", "outcome": "duplicate"}
            )
            if not visible:
                assert response.status_code == 404, (who, name, action)
        if not visible:
            after = Report.objects.get(pk=report.pk)
            assert (after.state, after.assigned_to_id) == (before.state, before.assigned_to_id)
        for evidence in report.evidence.all():
            status = client.get(f"/admin/reports/report/{report.pk}/evidence/{evidence.pk}/").status_code
            assert status == (200 if visible and who in ("lead", "alice") else 404 if not visible else 302), (who, name)


@pytest.mark.parametrize("who", ROLES)
def test_other_admin_pages_by_role(world, staff_login, who):
    client = staff_login(Client(), world[who], password_of(who))
    expected = {
        "/admin/accounts/staffuser/": who == "sam",
        f"/admin/accounts/staffuser/{world['alice'].pk}/change/": who == "sam",
        "/admin/audit/auditentry/": who == "audrey",
        # Relocation coordinators grant relocation keys (none exist here), never intake keys.
        "/admin/accounts/sharedkey/": who in ("lead", "rita"),
        f"/admin/accounts/sharedkey/{world['intake'].pk}/change/": who == "lead",
        "/admin/accounts/coverage/": who == "lead",
    }
    for url, allowed in expected.items():
        status = client.get(url).status_code
        assert (status == 200) == allowed, (who, url, status)
        assert status in (200, 403, 404), (who, url, status)


def test_the_assigned_caseworker_reads_content_followups_and_evidence(world, staff_login):
    client = staff_login(Client(), world["alice"])
    page = client.get(change_url(world["r_alice"]))
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    assert CANARY in page.content.decode()
    assert "threat.png" in page.content.decode()
    entry = AuditEntry.objects.filter(action="report_decrypted", object_id=str(world["r_alice"].pk)).get()
    assert entry.actor_name == "alice" and CANARY not in json.dumps(entry.details)
    evidence = world["r_alice"].evidence.get()
    download = client.get(f"/admin/reports/report/{world['r_alice'].pk}/evidence/{evidence.pk}/")
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="threat.png"'
    assert "no-store" in download["Cache-Control"] and download["Content-Type"] == "application/octet-stream"
    assert download.content == b"\x89PNG fake bytes"
    assert AuditEntry.objects.filter(action="evidence_decrypted", object_id=str(evidence.pk)).exists()


def test_a_caseworker_without_a_grant_reads_nothing(world, staff_login):
    bob = world["bob"]
    client = staff_login(Client(), bob, "a different long passphrase 7")
    # Even given the report by a lead, bob cannot be: he holds no grant.
    lead_client = staff_login(Client(), world["lead"])
    lead_client.post(f"/admin/reports/report/{world['r_queue'].pk}/act/reassign/", {"assignee": str(bob.pk)})
    assert Report.objects.get(pk=world["r_queue"].pk).assigned_to is None
    page = client.get(change_url(world["r_queue"]))
    assert CANARY not in page.content.decode()


def test_queue_claim_then_read(world, staff_login):
    # bob covers IQ-BA but holds no grant: claiming is refused (he could not read it).
    bob_client = staff_login(Client(), world["bob"], "a different long passphrase 7")
    bob_client.post(f"/admin/reports/report/{world['r_queue'].pk}/act/claim/")
    assert Report.objects.get(pk=world["r_queue"].pk).assigned_to is None
    # With a grant, the claim works and the content opens.
    key_grant_create(shared_key=world["intake"], grantor=world["lead"], grantor_password=PASSWORD, grantee=world["bob"])
    bob_client = staff_login(Client(), world["bob"], "a different long passphrase 7")  # new login: key in session
    response = bob_client.post(f"/admin/reports/report/{world['r_queue'].pk}/act/claim/")
    assert response.status_code == 302
    report = Report.objects.get(pk=world["r_queue"].pk)
    assert report.assigned_to == world["bob"] and report.state == ReportState.ASSIGNED
    assert CANARY in bob_client.get(change_url(report)).content.decode()
    assert AuditEntry.objects.filter(action="report_claimed", object_id=str(report.pk), actor_name="bob").exists()


def test_sysadmin_and_auditor_never_decrypt_even_with_a_direct_url(world, staff_login):
    for who in ("sam", "audrey", "rita"):
        client = staff_login(Client(), world[who])
        for name in REPORTS:
            response = client.get(change_url(world[name]))
            assert response.status_code == 404 and CANARY not in response.content.decode()


def test_acknowledge_stops_the_sla_clock_then_close(world, staff_login):
    from reports.triage import sla_breaches_escalate

    client = staff_login(Client(), world["alice"])
    report = world["r_alice"]
    client.post(f"/admin/reports/report/{report.pk}/act/acknowledge/")
    report.refresh_from_db()
    assert report.state == ReportState.ACKNOWLEDGED and report.acknowledged_at is not None
    Report.objects.filter(pk=report.pk).update(sla_due_at=report.created_at)  # long past due
    sla_breaches_escalate()
    assert Report.objects.get(pk=report.pk).escalated_at is None
    client.post(f"/admin/reports/report/{report.pk}/act/close/", {"outcome": "not-an-outcome"})
    assert Report.objects.get(pk=report.pk).state == ReportState.ACKNOWLEDGED
    client.post(f"/admin/reports/report/{report.pk}/act/close/", {"outcome": "support_given"})
    report.refresh_from_db()
    assert (report.state, report.outcome) == (ReportState.CLOSED, "support_given")
    actions = list(AuditEntry.objects.filter(object_id=str(report.pk)).values_list("action", flat=True))
    assert "report_acknowledged" in actions and "report_closed" in actions


def test_only_a_lead_reassigns(world, staff_login):
    report = world["r_alice"]
    staff_login(Client(), world["alice"]).post(
        f"/admin/reports/report/{report.pk}/act/reassign/", {"assignee": str(world["carol"].pk)}
    )
    assert Report.objects.get(pk=report.pk).assigned_to == world["alice"]
    lead = staff_login(Client(), world["lead"])
    lead.post(f"/admin/reports/report/{report.pk}/act/reassign/", {"assignee": "not-a-uuid"})
    lead.post(f"/admin/reports/report/{report.pk}/act/reassign/", {"assignee": str(world["carol"].pk)})
    assert Report.objects.get(pk=report.pk).assigned_to == world["carol"]
    # Alice no longer sees it; carol reads it.
    assert staff_login(Client(), world["alice"]).get(change_url(report)).status_code == 404
    assert CANARY in staff_login(Client(), world["carol"]).get(change_url(report)).content.decode()
    assert AuditEntry.objects.filter(action="report_reassigned", object_id=str(report.pk)).exists()


def test_reply_reaches_the_reporter_encrypted(world, staff_login, receipt_call):
    client = staff_login(Client(), world["alice"])
    report = world["r_alice"]
    body = "We have your report. Stay with family tonight; we call at 9. — فريق سند"
    client.post(f"/admin/reports/report/{report.pk}/act/reply/", {"body": body})
    reply = Reply.objects.get(report=report)
    assert body.encode() not in bytes(reply.ciphertext) and reply.author == world["alice"]
    status = receipt_call("get", "/api/v1/reports/status/", world["r_alice_receipt"]).json()
    opened = json.loads(client_hpke.open_reply(world["r_alice_reply_key"], b64d(status["replies"][0])))
    assert opened["body"] == body and opened["sent_at"].endswith(":00+00:00")
    entry = AuditEntry.objects.get(action="reply_sent")
    assert body not in json.dumps(entry.details)


def test_no_reply_key_is_said_plainly(world, staff_login, submit, envelope):
    body = envelope()
    del body["reply_public_key"]
    response = submit(body)
    assert response.status_code == 201
    report = Report.objects.filter(reply_public_key__isnull=True).get()
    report_triage(report_id=report.pk)
    client = staff_login(Client(), world["alice"])
    page = client.get(change_url(report)).content.decode()
    assert "gave no reply key" in page
    client.post(f"/admin/reports/report/{report.pk}/act/reply/", {"body": "hello"})
    assert not Reply.objects.filter(report=report).exists()


def test_candidate_links_are_shown_and_marked(world, staff_login):
    # All three reports share the indicator phone number: links exist between them.
    report = world["r_alice"]
    lead = staff_login(Client(), world["lead"])
    page = lead.get(change_url(report)).content.decode()
    assert ref(world["r_carol"]) in page
    link = CandidateLink.objects.filter(report=report, other=world["r_carol"]).first()
    assert link is not None
    lead.post(f"/admin/reports/report/{report.pk}/act/confirm_link/", {"link": str(link.pk)})
    assert set(
        CandidateLink.objects.filter(
            kind=link.kind, report__in=[report, world["r_carol"]], other__in=[report, world["r_carol"]]
        ).values_list("status", flat=True)
    ) == {"confirmed"}
    # alice sees no link to a report outside her scope.
    alice_page = staff_login(Client(), world["alice"]).get(change_url(report)).content.decode()
    assert ref(world["r_carol"]) not in alice_page
    # A link id of another report is a 404 on this report's action URL.
    other_link = CandidateLink.objects.filter(report=world["r_carol"]).first()
    response = lead.post(f"/admin/reports/report/{report.pk}/act/reject_link/", {"link": str(other_link.pk)})
    assert response.status_code == 404


def test_changelist_is_sorted_by_severity_then_deadline(world, staff_login):
    Report.objects.filter(pk=world["r_carol"].pk).update(severity="critical")
    Report.objects.filter(pk=world["r_queue"].pk).update(severity="low")
    lead = staff_login(Client(), world["lead"])
    page = lead.get("/admin/reports/report/").content.decode()
    assert page.index(ref(world["r_carol"])) < page.index(ref(world["r_alice"])) < page.index(ref(world["r_queue"]))
    for query, shown in (
        ({"state__exact": "assigned"}, {"r_alice", "r_carol"}),
        ({"severity__exact": "low"}, {"r_queue"}),
        ({"governorate": "IQ-DQ"}, {"r_alice"}),
        ({"category__exact": "phone_threat"}, set(REPORTS)),
        ({"assignee": "none"}, {"r_queue"}),
        ({"assignee": str(world["carol"].pk)}, {"r_carol"}),
        ({"assignee": "junk"}, set()),
    ):
        page = lead.get("/admin/reports/report/", query)
        assert page.status_code == 200
        assert {name for name in REPORTS if change_url(world[name]) in page.content.decode()} == shown, query


def test_unpark_resets_attempts(world, staff_login):
    from reports.states import report_transition

    report = Report.objects.get(pk=world["r_queue"].pk)
    Report.objects.filter(pk=report.pk).update(state=ReportState.PENDING, triage_attempts=5)
    report.refresh_from_db()
    report_transition(report=report, to_state=ReportState.PARKED)
    staff_login(Client(), world["lead"]).post(f"/admin/reports/report/{report.pk}/act/unpark/")
    report.refresh_from_db()
    assert report.triage_attempts == 0 and report.state in (ReportState.PENDING, ReportState.TRIAGED)


def test_model_strings_show_no_content(world):
    from reports.models import Evidence, FollowUp

    for obj in [
        world["r_alice"],
        *Evidence.objects.all(),
        *FollowUp.objects.all(),
        *Reply.objects.all(),
        *CandidateLink.objects.all(),
        *AuditEntry.objects.all(),
    ]:
        assert CANARY not in str(obj) and "IQ-" not in str(obj)


def test_links_to_reports_out_of_scope_are_neither_counted_nor_changeable(world, staff_login):
    link = CandidateLink.objects.get(report=world["r_alice"], other=world["r_carol"])
    alice = staff_login(Client(), world["alice"])
    response = alice.post(f"/admin/reports/report/{world['r_alice'].pk}/act/reject_link/", {"link": str(link.pk)})
    assert response.status_code == 404
    assert set(CandidateLink.objects.values_list("status", flat=True)) == {"candidate"}
    listing = alice.get("/admin/reports/report/")
    assert listing.context["cl"].result_list[0].candidate_links == 0


def test_content_that_is_not_json_or_too_deep_shows_as_unreadable(world, staff_login, receipt_call):
    deep = b'{"narrative": ' + b"[" * 20_000 + b"]" * 20_000 + b"}"
    assert (
        receipt_call(
            "post",
            "/api/v1/reports/followups/",
            world["r_alice_receipt"],
            seal_content(world["intake"], deep, "followup"),
        ).status_code
        == 201
    )
    page = staff_login(Client(), world["alice"]).get(change_url(world["r_alice"]))
    assert page.status_code == 200 and CANARY in page.content.decode()


def test_coverage_changes_are_audited(world, staff_login):
    lead = staff_login(Client(), world["lead"])
    coverage = Coverage.objects.get(user=world["bob"])
    response = lead.post(
        f"/admin/accounts/coverage/{coverage.pk}/change/",
        {
            "user": str(world["bob"].pk),
            "governorates": ["IQ-BA", "IQ-DQ"],
            "languages": ["ar"],
            "capacity": 3,
            "accepting": "on",
        },
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="coverage_changed")
    assert entry.object_id == str(world["bob"].pk) and entry.details["governorates"] == ["IQ-BA", "IQ-DQ"]


def test_history_pages_tell_nothing_outside_scope(world, staff_login):
    alice = staff_login(Client(), world["alice"])
    first = AuditEntry.objects.order_by("seq").first()
    for url in (
        f"/admin/audit/auditentry/{first.pk}/history/",
        "/admin/audit/auditentry/999999/history/",
        f"/admin/accounts/staffuser/{world['bob'].pk}/history/",
        "/admin/accounts/coverage/1/history/",
        f"/admin/accounts/coverage/{Coverage.objects.first().pk}/delete/",
    ):
        assert alice.get(url).status_code == 404, url


def test_a_withdrawn_report_says_so_and_leaves_the_working_queue(world, staff_login, receipt_call):
    report = world["r_alice"]
    Report.objects.filter(pk=world["r_carol"].pk).update(severity="low")
    Report.objects.filter(pk=report.pk).update(severity="critical")
    assert receipt_call("delete", "/api/v1/reports/", world["r_alice_receipt"]).status_code == 200
    alice = staff_login(Client(), world["alice"])
    page = alice.get(change_url(report)).content.decode()
    assert "The reporter withdrew this report" in page
    # Not the misleading lines of a report whose reporter never gave a key or contact.
    assert "gave no reply key" not in page and "Use the contact" not in page
    assert 'name="body"' not in page and "/act/" not in page  # no reply box, no action
    # Critical before, it now sorts after every open report, below a low one.
    lead = staff_login(Client(), world["lead"])
    listing = lead.get("/admin/reports/report/").content.decode()
    assert listing.index(ref(world["r_queue"])) < listing.index(ref(report))
    assert listing.index(ref(world["r_carol"])) < listing.index(ref(report))


def test_search_by_reference_finds_by_the_start_of_the_id_only(world, staff_login):
    lead = staff_login(Client(), world["lead"])
    report = world["r_carol"]
    for term in (ref(report), ref(report)[:3], str(report.pk), str(report.pk).upper()):
        page = lead.get("/admin/reports/report/", {"q": term}).content.decode()
        assert change_url(report) in page, term
    for term in (str(report.pk)[2:10], "zz", "' or 1=1 --", "%", "0" * 40):
        page = lead.get("/admin/reports/report/", {"q": term})
        assert page.status_code == 200 and change_url(report) not in page.content.decode(), term


def test_the_queue_counts_links_only_to_reports_in_scope_and_never_counts_past_its_bound(world, staff_login):
    from reports.admin import BoundedPaginator

    lead = staff_login(Client(), world["lead"])
    page = lead.get("/admin/reports/report/")
    changelist = page.context["cl"]
    assert changelist.result_count == 3
    counts = {row.pk: row.candidate_links for row in changelist.result_list}
    assert counts[world["r_alice"].pk] == 2  # links to both other reports
    alice = staff_login(Client(), world["alice"])
    assert {row.candidate_links for row in alice.get("/admin/reports/report/").context["cl"].result_list} == {0}
    paginator = BoundedPaginator(Report.objects.order_by("pk"), 1)
    paginator.LIMIT = 1
    assert paginator.count == 2  # three reports, but at most LIMIT + 1 rows are counted


def test_only_a_lead_reads_how_many_reports_share_an_indicator(world, staff_login):
    """The count takes in reports outside a caseworker's scope (carol's, the queue's)."""
    report = world["r_alice"]
    reasons = json.dumps(["flag_death_threat", "indicator_shared_with_2_reports"]).encode()
    Report.objects.filter(pk=report.pk).update(
        severity_reasons_sealed=seal_value(report, "severity_reasons_sealed", reasons)
    )
    # Read as sentences (reports.vocabulary.reason_sentence), not as codes.
    alice_page = staff_login(Client(), world["alice"]).get(change_url(report)).content.decode()
    shared = "A phone number or Telegram account in this report is in"
    assert "2 other reports" not in alice_page and "indicator_shared" not in alice_page
    assert f"{shared} other reports." in alice_page and "They were threatened with death." in alice_page
    lead_page = staff_login(Client(), world["lead"]).get(change_url(report)).content.decode()
    assert f"{shared} 2 other reports." in lead_page


def test_coverage_cannot_be_moved_to_another_caseworker(world, staff_login):
    """Handing places over must not leave the old caseworker covering them."""
    lead = staff_login(Client(), world["lead"])
    coverage = Coverage.objects.get(user=world["alice"])
    lead.post(
        f"/admin/accounts/coverage/{coverage.pk}/change/",
        {"user": str(world["carol"].pk), "governorates": ["IQ-BA"], "languages": ["ar"], "capacity": 3},
    )
    assert Coverage.objects.get(pk=coverage.pk).user == world["alice"]
    assert Coverage.objects.get(user=world["alice"]).governorates == ["IQ-BA"]
    assert Coverage.objects.get(user=world["carol"]).governorates == ["IQ-NA"]


def test_a_caseworkers_queue_pages_follow_the_queue_order_across_both_parts_of_their_scope(
    world, staff_login, monkeypatch
):
    """Their own reports and the unassigned queue are read part by part and merged (reports.admin.MergedQueue):
    every page holds exactly what one ordered query over the whole scope would give."""
    from datetime import timedelta

    from django.utils import timezone

    from reports.admin import ReportAdmin

    alice = world["alice"]
    Coverage.objects.filter(user=alice).update(governorates=["IQ-DQ", "IQ-BA"])
    now, template = timezone.now(), world["r_alice"]
    # Many ties across the two parts (rank, deadline), broken by time, then id: a merge that
    # compared anything else, or in another order, would interleave them differently.
    states = [("assigned", alice), ("triaged", None), ("closed", alice), ("triaged", None), ("in_progress", alice)]
    for n in range(30):
        state, assignee = states[n % len(states)]
        Report.objects.create(
            intake_key=template.intake_key,
            ciphertext=b"c",
            ciphertext_sha256=hashlib.sha256(f"merge-{n}".encode()).digest(),
            category="phone_threat",
            governorate="IQ-BA" if assignee is None else "IQ-DQ",
            incident_month=template.incident_month,
            triage_sealed=b"",
            state=state,
            assigned_to=assignee,
            severity=["high", "low"][n % 2] if n % 7 else "",
            sla_due_at=None if n % 3 == 0 else now + timedelta(hours=n % 2),
            created_at=now - timedelta(minutes=n % 3),
        )
    expected = [str(pk) for pk in access_ids(alice)]
    assert len(expected) == 32  # 19 of her own, and 13 in her queue (r_queue and the twelve triaged above)
    monkeypatch.setattr(ReportAdmin, "list_per_page", 4)
    client = staff_login(Client(), alice)
    seen = []
    for page in range(1, 9):
        listing = client.get("/admin/reports/report/", {"p": page})
        assert listing.status_code == 200
        seen += [str(row.pk) for row in listing.context["cl"].result_list]
    assert seen == expected
    # A chosen order, and a filter, still answer what the database would.
    by_place = client.get("/admin/reports/report/", {"governorate": "IQ-BA"}).context["cl"]
    assert {row.governorate for row in by_place.result_list} == {"IQ-BA"} and by_place.result_count == 13
    ordered = client.get("/admin/reports/report/", {"o": "6"})  # by governorate, as the column header sorts
    assert ordered.status_code == 200


def access_ids(user):
    from reports import access
    from reports.models import QUEUE_ORDER

    return access.reports_visible_to(user).order_by(*QUEUE_ORDER).values_list("pk", flat=True)


@pytest.mark.parametrize("indicators", [b"5", b"true", b'"0770 123 4567"', b'{"type": "phone"}'])
def test_indicators_that_are_not_a_list_show_as_a_problem_not_a_crash(
    personas, envelope, submit, staff_login, indicators
):
    """The page lists the content's "indicators"; a client other than Sanad's may send a number there, which
    the page's loop cannot go through (a 500, and the report unreadable). fuzz/targets/content.py renders the page."""
    from tests.reports.conftest import seal_report

    Coverage.objects.create(user=personas["alice"], governorates=["IQ-DQ"], languages=["ar"])
    plaintext = b'{"narrative": "the rest is shown", "indicators": ' + indicators + b"}"
    body = envelope(ciphertext=seal_report(personas["intake"], plaintext))
    assert submit(body).status_code == 201
    report = Report.objects.get()
    report_triage(report_id=report.pk)
    page = staff_login(Client(), personas["alice"]).get(change_url(report))
    assert page.status_code == 200
    text = page.content.decode()
    assert "the rest is shown" in text and "The content is not the JSON the wire format asks for." in text


def test_half_an_emoji_in_the_content_shows_as_a_replacement_character_not_a_crash(
    personas, envelope, submit, staff_login
):
    """JSON may escape a lone surrogate ("\\ud83d": an emoji cut in half by an edit); the page cannot print
    one, so the caseworker's page would be a 500 and the report unreadable. It is shown as U+FFFD."""
    from tests.reports.conftest import seal_report

    Coverage.objects.create(user=personas["alice"], governorates=["IQ-DQ"], languages=["ar"])
    plaintext = b'{"narrative": "cut emoji \\ud83d here", "indicators": [{"type": "phone", "value": "\\udc00"}]}'
    body = envelope(ciphertext=seal_report(personas["intake"], plaintext))
    assert submit(body).status_code == 201
    report = Report.objects.get()
    report_triage(report_id=report.pk)
    page = staff_login(Client(), personas["alice"]).get(change_url(report))
    assert page.status_code == 200
    assert "cut emoji \ufffd here" in page.content.decode()
