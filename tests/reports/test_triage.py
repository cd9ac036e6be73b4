"""Triage as a service: scored, linked, assigned, clocked; idempotent; never dropped."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.db.models import F
from django.utils import timezone

from accounts.models import Coverage, StaffUser
from accounts.roles import Role
from audit.models import AuditEntry
from backend.places import IRAQ_SUBDIVISIONS
from reports import triage
from reports.access import severity_reasons
from reports.models import CandidateLink, Notification, Report, ReportState, ReportTransition
from reports.notifications import notification_send
from tests.conftest import PASSWORD, make_staff
from tests.reports.conftest import GOOD_TRIAGE

pytestmark = pytest.mark.django_db


@pytest.fixture
def covered(personas):
    """alice (holds the intake key) and bob (does not) both cover all of Iraq in Arabic and English."""
    for name in ("alice", "bob"):
        Coverage.objects.create(
            user=personas[name], governorates=sorted(IRAQ_SUBDIVISIONS), languages=["ar", "en"], capacity=5
        )
    return personas


@pytest.fixture
def queued(django_capture_on_commit_callbacks, monkeypatch):
    """Run a service; the ids of the notifications it queued to be sent once its transaction commits."""
    from reports import tasks

    def run(service, **kwargs) -> list[int]:
        sent: list[int] = []
        with monkeypatch.context() as patch:
            patch.setattr(
                tasks.send_notification_batch,
                "apply_async",
                lambda **message: sent.extend(message["kwargs"]["notification_ids"]),
            )
            with django_capture_on_commit_callbacks(execute=True):
                service(**kwargs)
        return sent

    return run


def this_month() -> str:
    """An attack this month is recent (critical); a fixed month stops being recent as the calendar moves on."""
    return timezone.now().strftime("%Y-%m")


@pytest.fixture
def file_report(envelope, submit):
    def make(**triage_changes) -> Report:
        body = envelope()
        body["triage"] = {**copy.deepcopy(GOOD_TRIAGE), **triage_changes}
        assert submit(body).status_code == 201, submit
        return Report.objects.order_by("-created_at").first()

    return make


def test_a_report_is_scored_linked_assigned_and_clocked(queued, covered, file_report, settings):
    report = file_report()
    note_ids = queued(triage.report_triage, report_id=report.pk)
    report.refresh_from_db()
    assert report.state == ReportState.ASSIGNED
    assert report.assigned_to == covered["alice"]  # bob covers the place but cannot read the report
    assert report.severity == "high" and severity_reasons(report) == ["flag_death_threat"]
    assert b"death_threat" not in bytes(report.severity_reasons_sealed)  # sealed, like the details it repeats
    assert report.ruleset_version == 1
    assert abs((report.sla_due_at - report.triaged_at) - timedelta(hours=24)) < timedelta(seconds=1)
    assert report.claimed_until is None and report.triage_attempts == 1
    steps = list(ReportTransition.objects.values_list("from_state", "to_state", "actor"))
    assert steps == [("pending", "triaged", None), ("triaged", "assigned", None)]
    notes = Notification.objects.filter(pk__in=note_ids)
    assert [(n.kind, n.recipient) for n in notes] == [("assigned", covered["alice"])]


def test_running_triage_twice_gives_one_result(queued, covered, file_report):
    report = file_report()
    first = queued(triage.report_triage, report_id=report.pk)
    assert queued(triage.report_triage, report_id=report.pk) == []
    assert ReportTransition.objects.count() == 2 and Notification.objects.count() == len(first) == 1


def test_a_claimed_report_is_left_to_its_claimant(queued, covered, file_report):
    report = file_report()
    Report.objects.filter(pk=report.pk).update(claimed_until=timezone.now() + timedelta(minutes=1))
    assert queued(triage.report_triage, report_id=report.pk) == []
    assert Report.objects.get(pk=report.pk).state == ReportState.PENDING


def test_reports_sharing_an_indicator_are_candidate_links_and_raise_severity_as_a_reason(covered, file_report):
    same_phone = [{"type": "phone", "value": "+964 780 000 1111"}]
    reports = []
    for _ in range(3):  # triaged as they arrive
        reports.append(file_report(indicators=same_phone, flags=[]))
        triage.report_triage(report_id=reports[-1].pk)
    last = Report.objects.get(pk=reports[2].pk)
    assert "indicator_shared_with_2_reports" in severity_reasons(last) and last.severity == "high"
    assert Report.objects.get(pk=reports[0].pk).severity == "low"  # it was alone when triaged
    assert CandidateLink.objects.filter(report=reports[2]).count() == 2
    assert CandidateLink.objects.filter(other=reports[2]).count() == 2  # both directions
    assert set(CandidateLink.objects.values_list("status", flat=True)) == {"candidate"}


def test_the_least_loaded_eligible_caseworker_gets_the_report(covered, file_report):
    carol = make_staff("carol", roles=[Role.CASEWORKER], approver=covered["lead"])
    from accounts.services import key_grant_create

    key_grant_create(shared_key=covered["intake"], grantor=covered["lead"], grantor_password=PASSWORD, grantee=carol)
    Coverage.objects.create(user=carol, governorates=["IQ-DQ"], languages=["ar"], capacity=5)
    assignees = []
    for _ in range(4):
        report = file_report()
        triage.report_triage(report_id=report.pk)
        assignees.append(Report.objects.get(pk=report.pk).assigned_to.username)
    assert sorted(assignees) == ["alice", "alice", "carol", "carol"]


@pytest.mark.parametrize(
    "coverage_change",
    [
        {"governorates": ["IQ-BG"]},
        {"languages": ["ckb"]},
        {"accepting": False},
        {"capacity": 0},
    ],
    ids=["other governorate", "other language", "not accepting", "no capacity"],
)
def test_without_an_eligible_caseworker_the_report_waits_for_the_leads_with_the_reason(
    queued, covered, file_report, coverage_change
):
    Coverage.objects.filter(user=covered["alice"]).update(**coverage_change)
    report = file_report()
    note_ids = queued(triage.report_triage, report_id=report.pk)
    report.refresh_from_db()
    assert report.state == ReportState.TRIAGED and report.assigned_to is None
    assert report.waiting_reason == "no_eligible_caseworker"
    assert {(n.kind, n.recipient.username) for n in Notification.objects.filter(pk__in=note_ids)} == {
        ("needs_assignment", "lead")
    }


def test_failures_are_counted_backed_off_then_parked_and_raised_never_dropped(
    queued, covered, file_report, monkeypatch, settings
):
    settings.SANAD_TRIAGE_MAX_ATTEMPTS = 3
    report = file_report()

    def broken(*args, **kwargs):
        raise RuntimeError("rule engine exploded")

    monkeypatch.setattr(triage, "assess", broken)
    for attempt in (1, 2):
        assert queued(triage.report_triage, report_id=report.pk) == []
        report.refresh_from_db()
        assert report.state == ReportState.PENDING and report.triage_attempts == attempt
        assert report.claimed_until > timezone.now()  # backing off
        Report.objects.filter(pk=report.pk).update(claimed_until=timezone.now() - timedelta(seconds=1))
    note_ids = queued(triage.report_triage, report_id=report.pk)
    report.refresh_from_db()
    assert report.state == ReportState.PARKED and report.waiting_reason == "triage_failed_repeatedly"
    assert {n.kind for n in Notification.objects.filter(pk__in=note_ids)} == {"parked"}


def test_the_sweeper_finds_left_behind_and_expired_lease_reports_only(covered, file_report, settings):
    settings.SANAD_TRIAGE_SWEEP_AFTER_SECONDS = 30
    old, leased, fresh, claimed = (file_report() for _ in range(4))
    long_ago = timezone.now() - timedelta(minutes=5)
    Report.objects.filter(pk__in=[old.pk, leased.pk, claimed.pk]).update(created_at=long_ago)
    Report.objects.filter(pk=leased.pk).update(claimed_until=timezone.now() - timedelta(seconds=1))
    Report.objects.filter(pk=claimed.pk).update(claimed_until=timezone.now() + timedelta(minutes=1))
    assert set(triage.reports_to_sweep()) == {old.pk, leased.pk}


def test_sla_breaches_are_escalated_once_to_the_leads(queued, covered, file_report):
    report = file_report()
    triage.report_triage(report_id=report.pk)
    Report.objects.filter(pk=report.pk).update(sla_due_at=timezone.now() - timedelta(minutes=1))
    ids = queued(triage.sla_breaches_escalate)
    assert [(n.kind, n.recipient.username) for n in Notification.objects.filter(pk__in=ids)] == [("sla_breach", "lead")]
    assert Report.objects.get(pk=report.pk).escalated_at is not None
    assert queued(triage.sla_breaches_escalate) == []
    Report.objects.filter(pk=report.pk).update(escalated_at=None, acknowledged_at=timezone.now())
    assert queued(triage.sla_breaches_escalate) == []  # acknowledged: the clock stopped


def test_notifications_are_sent_once_and_say_nothing_but_severity_and_reference(queued, covered, file_report, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    report = file_report(category="kidnapping_attempt", governorate="IQ-BA", incident_month=this_month())
    (note_id,) = queued(triage.report_triage, report_id=report.pk)
    assert notification_send(notification_id=note_id) is True
    assert notification_send(notification_id=note_id) is False
    (message,) = mail.outbox
    assert message.to == ["alice@example.org"]
    text = message.subject + message.body
    assert "(severity: Critical)" in text and Report.objects.get(pk=report.pk).reference in text
    for secret in ("kidnapping", "IQ-BA", "Basra", "death", "0770", "jokers"):
        assert secret not in text


def test_submission_queues_triage_after_commit_with_the_id_only(
    personas, envelope, submit, django_capture_on_commit_callbacks, monkeypatch
):
    from reports import tasks

    sent = []
    monkeypatch.setattr(tasks.triage_reports, "apply_async", lambda **kwargs: sent.append(kwargs))
    with django_capture_on_commit_callbacks(execute=True):
        assert submit(envelope()).status_code == 201
    assert sent == [{"kwargs": {"report_ids": [str(Report.objects.get().pk)]}, "retry": False}]


def test_a_broker_down_at_submission_still_gives_a_receipt(
    personas, envelope, submit, django_capture_on_commit_callbacks, monkeypatch
):
    from reports import tasks

    def down(**kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.triage_reports, "apply_async", down)
    with django_capture_on_commit_callbacks(execute=True):
        assert submit(envelope()).status_code == 201
    assert Report.objects.get().state == ReportState.PENDING  # the sweeper will find it


def test_a_report_whose_triage_kills_the_worker_is_parked_not_retried_forever(queued, covered, file_report, settings):
    """No exception to catch when the worker dies: the attempt count committed at claim time parks it."""
    settings.SANAD_TRIAGE_MAX_ATTEMPTS = 2
    report = file_report()
    for _ in range(2):  # two claims whose workers died (lease ran out, nothing recorded a failure)
        Report.objects.filter(pk=report.pk).update(
            triage_attempts=F("triage_attempts") + 1, claimed_until=timezone.now() - timedelta(seconds=1)
        )
    note_ids = queued(triage.report_triage, report_id=report.pk)
    report.refresh_from_db()
    assert report.state == ReportState.PARKED and report.triage_attempts == 3
    assert {n.kind for n in Notification.objects.filter(pk__in=note_ids)} == {"parked"}


def test_a_parked_report_still_reads_received_to_the_reporter(covered, file_report):
    from reports.intake import reporter_status

    report = file_report()
    Report.objects.filter(pk=report.pk).update(state=ReportState.PARKED)
    report.refresh_from_db()
    assert reporter_status(report) == "received"


def test_the_webhook_gets_severity_and_reference_only(queued, covered, file_report, settings, monkeypatch):
    import json as _json

    from reports import notifications

    settings.SANAD_NOTIFY_WEBHOOK_URL = "https://hooks.example.org/sanad"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    posted = []

    class Response:
        def __enter__(self):
            return self

        def __exit__(self, *args):
            return False

    monkeypatch.setattr(notifications._opener, "open", lambda request, timeout: posted.append(request) or Response())
    report = file_report(category="attempted_attack", governorate="IQ-NA", incident_month=this_month())
    (note_id,) = queued(triage.report_triage, report_id=report.pk)
    notification_send(notification_id=note_id)
    (request,) = posted
    assert request.full_url == "https://hooks.example.org/sanad"
    # No recipient: coverage maps caseworkers to places.
    assert _json.loads(request.data) == {
        "kind": "assigned",
        "severity": "critical",
        "reference": Report.objects.get(pk=report.pk).reference,
    }


def test_set_coverage_command(covered, capsys):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    call_command("set_coverage", "alice", governorates="IQ-BG,IQ-BA", languages="ar,ckb", capacity=3)
    coverage = Coverage.objects.get(user=covered["alice"])
    assert (coverage.governorates, coverage.languages, coverage.capacity, coverage.accepting) == (
        ["IQ-BA", "IQ-BG"],
        ["ar", "ckb"],
        3,
        True,
    )
    for bad in ({"governorates": "IQ-XX", "languages": "ar"}, {"governorates": "IQ-BG", "languages": "fr"}):
        with pytest.raises(CommandError):
            call_command("set_coverage", "alice", **bad)
    with pytest.raises(CommandError, match="not an active caseworker"):
        call_command("set_coverage", "lead", governorates="IQ-BG", languages="ar")
    # The command is on the audit chain like the admin (acting from a server shell: the system).
    entry = AuditEntry.objects.filter(action="coverage_changed").get()
    assert entry.object_id == str(covered["alice"].pk) and entry.actor_name == "system"
    assert entry.details["governorates"] == ["IQ-BA", "IQ-BG"] and entry.details["capacity"] == 3
    # A deactivated caseworker is not an acting one.
    StaffUser.objects.filter(pk=covered["bob"].pk).update(is_active=False)
    with pytest.raises(CommandError, match="not an active caseworker"):
        call_command("set_coverage", "bob", governorates="IQ-BG", languages="ar")
    assert Coverage.objects.get(user=covered["bob"]).governorates == sorted(IRAQ_SUBDIVISIONS)


def test_the_admin_and_the_command_check_coverage_alike(covered, staff_login):
    """One rule (accounts.services.coverage_clean) for both: the admin refuses what the command refuses."""
    from django.test import Client

    lead = staff_login(Client(), covered["lead"])
    coverage = Coverage.objects.get(user=covered["alice"])
    url = f"/admin/accounts/coverage/{coverage.pk}/change/"
    for bad in (
        {"governorates": ["IQ-XX"], "languages": ["ar"], "capacity": 3},
        {"governorates": ["IQ-BG"], "languages": [], "capacity": 3},
        {"governorates": ["IQ-BG"], "languages": ["ar"], "capacity": 0},
        {"governorates": ["IQ-BG"], "languages": ["ar"], "capacity": 1001},
    ):
        response = lead.post(url, {"user": str(covered["alice"].pk), "accepting": "on", **bad})
        assert response.status_code == 200, bad  # the form again, with its error
    assert Coverage.objects.get(pk=coverage.pk).governorates == sorted(IRAQ_SUBDIVISIONS)
    response = lead.post(
        url, {"user": str(covered["alice"].pk), "governorates": ["IQ-BG", "TR"], "languages": ["ar"], "capacity": 4}
    )
    assert response.status_code == 302
    coverage.refresh_from_db()
    assert (coverage.governorates, coverage.languages, coverage.capacity, coverage.accepting) == (
        ["IQ-BG", "TR"],
        ["ar"],
        4,
        False,
    )
    entry = AuditEntry.objects.filter(action="coverage_changed").get()
    assert entry.actor_name == "lead" and entry.details["governorates"] == ["IQ-BG", "TR"]


def test_a_flooded_indicator_keeps_triage_bounded(covered, file_report, settings, django_assert_max_num_queries):
    settings.SANAD_LINK_LIMIT = 5
    hot = [{"type": "phone", "value": "+964 780 000 2222"}]
    earlier = [file_report(indicators=hot, flags=[]) for _ in range(12)]
    Report.objects.filter(pk__in=[r.pk for r in earlier]).update(state=ReportState.TRIAGED)
    newest = file_report(indicators=hot, flags=[])
    with django_assert_max_num_queries(25):
        triage.report_triage(report_id=newest.pk)
    newest.refresh_from_db()
    assert CandidateLink.objects.filter(report=newest).count() == 5
    assert newest.severity == "high"
    settings.SANAD_LINK_LIMIT = 50


def test_the_same_indicator_twice_in_a_report_counts_once(covered, file_report):
    from reports.models import ReportIndicator

    report = file_report(
        indicators=[{"type": "phone", "value": "0770 123 4567"}, {"type": "phone", "value": "+9647701234567"}]
    )
    assert ReportIndicator.objects.filter(report=report).count() == 1


def test_a_failed_send_is_retried_not_lost(queued, covered, file_report, settings, monkeypatch):
    from reports import notifications

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    report = file_report()
    (note_id,) = queued(triage.report_triage, report_id=report.pk)

    def smtp_down(*args, **kwargs):
        raise ConnectionError("smtp unreachable")

    monkeypatch.setattr(notifications, "send_mail", smtp_down)
    with pytest.raises(ConnectionError):
        notification_send(notification_id=note_id)
    assert Notification.objects.get(pk=note_id).sent_at is None
    Notification.objects.filter(pk=note_id).update(
        sending_until=timezone.now() - timedelta(seconds=1), created_at=timezone.now() - timedelta(minutes=5)
    )
    assert notifications.notifications_unsent() == [note_id]
    monkeypatch.undo()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notification_send(notification_id=note_id) is True
    assert len(mail.outbox) == 1 and notifications.notifications_unsent() == []


def test_a_report_parked_twice_is_announced_twice(queued, covered, file_report, monkeypatch, settings):
    from reports.states import report_transition

    settings.SANAD_TRIAGE_MAX_ATTEMPTS = 1
    report = file_report()
    monkeypatch.setattr(triage, "assess", lambda facts: (_ for _ in ()).throw(RuntimeError("boom")))
    (first,) = queued(triage.report_triage, report_id=report.pk)
    Notification.objects.filter(pk=first).update(sent_at=timezone.now())
    report.refresh_from_db()
    report_transition(report=report, to_state=ReportState.PENDING, actor=covered["lead"], triage_attempts=0)
    (second,) = queued(triage.report_triage, report_id=report.pk)
    assert second == first and Notification.objects.get(pk=first).sent_at is None  # to be sent again
    assert Report.objects.get(pk=report.pk).state == ReportState.PARKED


def test_severity_and_the_clock_count_from_submission_not_from_a_backlog(covered, file_report):
    import time_machine

    report = file_report(category="kidnapping_attempt", incident_month="2026-10", flags=[])
    submitted = datetime(2026, 10, 30, 23, 0, tzinfo=UTC)
    Report.objects.filter(pk=report.pk).update(created_at=submitted)
    with time_machine.travel(datetime(2026, 12, 1, 9, 0, tzinfo=UTC)):
        triage.report_triage(report_id=report.pk)
    report.refresh_from_db()
    assert report.severity == "critical" and report.sla_due_at == submitted + timedelta(hours=1)


def test_the_sweeper_does_not_queue_a_backlog_again_every_sweep(covered, file_report, settings):
    settings.SANAD_TRIAGE_SWEEP_AFTER_SECONDS = 30
    report = file_report()
    Report.objects.filter(pk=report.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    assert triage.reports_to_sweep() == [report.pk]
    assert triage.reports_to_sweep() == []  # queued a moment ago


def test_withdrawal_wipes_what_triage_learned(covered, file_report, receipt_call, submit, envelope):
    from reports.models import ReportTransition

    shared = [{"type": "phone", "value": "+964 780 000 3333"}]
    other = file_report(indicators=shared)
    triage.report_triage(report_id=other.pk)
    body = envelope()
    body["triage"] = {**copy.deepcopy(GOOD_TRIAGE), "indicators": shared, "flags": ["family_targeted"]}
    receipt = submit(body).json()["receipt"]
    mine = Report.objects.order_by("-created_at").first()
    triage.report_triage(report_id=mine.pk)
    assert CandidateLink.objects.filter(report=mine).exists()
    assert receipt_call("delete", "/api/v1/reports/", receipt).status_code == 200
    mine.refresh_from_db()
    assert mine.severity_reasons_sealed is None and mine.triaged_at is None and mine.sla_due_at is None
    assert (
        not CandidateLink.objects.filter(report=mine).exists() and not CandidateLink.objects.filter(other=mine).exists()
    )
    assert not Notification.objects.filter(report=mine).exists()
    for moment in ReportTransition.objects.filter(report=mine).values_list("at", flat=True):
        assert (moment.hour, moment.minute, moment.second) == (0, 0, 0)


@pytest.mark.django_db(transaction=True)  # notifications are queued on real commits
def test_a_batch_message_triages_each_report_once_even_when_delivered_twice(covered, file_report, monkeypatch):
    from reports import tasks

    published = []
    monkeypatch.setattr(tasks.send_notification_batch, "apply_async", lambda **kwargs: published.append(kwargs))
    reports = [file_report(), file_report(), file_report()]
    ids = [str(report.pk) for report in reports]
    tasks.triage_reports(ids)
    tasks.triage_reports(ids)  # redelivered (acks_late): nothing more happens
    assert set(Report.objects.values_list("state", flat=True)) == {ReportState.ASSIGNED}
    assert ReportTransition.objects.count() == 6
    announced = [pk for message in published for pk in message["kwargs"]["notification_ids"]]
    # The first report's notification goes at once, the rest with the batch (within a second);
    # the repeat had nothing to announce; nothing is announced twice.
    assert len(published) == 2 and published[0]["kwargs"]["notification_ids"] == announced[:1]
    assert sorted(announced) == sorted(Notification.objects.values_list("pk", flat=True))
    assert Notification.objects.count() == 3


def test_one_failing_report_does_not_hold_up_the_rest_of_its_batch(covered, file_report, monkeypatch, settings):
    from reports import tasks

    monkeypatch.setattr(tasks.send_notification_batch, "apply_async", lambda **kwargs: None)
    bad, good = file_report(), file_report()
    real, calls = triage.assess, []

    def assess(facts):  # the batch's first report (bad) fails
        calls.append(facts)
        if len(calls) == 1:
            raise RuntimeError("boom")
        return real(facts)

    monkeypatch.setattr(triage, "assess", assess)
    tasks.triage_reports([str(bad.pk), str(good.pk)])
    assert Report.objects.get(pk=good.pk).state == ReportState.ASSIGNED
    bad.refresh_from_db()
    assert bad.state == ReportState.PENDING and bad.claimed_until > timezone.now()  # backed off, left for the sweeper


@pytest.mark.parametrize(
    "message",
    [
        lambda rid: rid,  # not a list
        lambda rid: [rid, 1],  # not all strings
        lambda rid: [rid, True],
        lambda rid: [rid, rid[:-1] + "z"],  # not all UUIDs
        lambda rid: [rid] * 51,  # too many
        lambda rid: {"report_ids": [rid]},
        lambda rid: None,
    ],
)
def test_a_malformed_batch_message_does_nothing(covered, file_report, message):
    from reports import tasks

    report = file_report()
    tasks.triage_reports(message(str(report.pk)))
    assert Report.objects.get(pk=report.pk).state == ReportState.PENDING
    tasks.triage_reports([str(report.pk)])  # the same id, well formed, is triaged
    assert Report.objects.get(pk=report.pk).state == ReportState.ASSIGNED


def test_the_sweeper_queues_a_backlog_in_messages_of_fifty(covered, file_report, monkeypatch, settings):
    from reports import tasks

    sent = []
    monkeypatch.setattr(
        tasks.triage_reports, "apply_async", lambda **kwargs: sent.append(kwargs["kwargs"]["report_ids"])
    )
    monkeypatch.setattr(tasks.send_notification_batch, "apply_async", lambda **kwargs: None)
    for _ in range(3):
        file_report()
    with monkeypatch.context() as patch:
        patch.setattr(tasks, "BATCH", 2)
        settings.SANAD_TRIAGE_SWEEP_AFTER_SECONDS = 1
        Report.objects.update(created_at=timezone.now() - timedelta(minutes=5))
        tasks.sweep()
    assert [len(ids) for ids in sent] == [2, 1]
    assert sorted(pk for ids in sent for pk in ids) == sorted(
        str(pk) for pk in Report.objects.values_list("pk", flat=True)
    )


def test_a_notification_batch_goes_on_past_a_failed_send(queued, covered, file_report, monkeypatch, settings):
    from reports import notifications, tasks

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    notes = queued(triage.report_triage, report_id=file_report().pk) + queued(
        triage.report_triage, report_id=file_report().pk
    )
    real = notifications.send_mail
    calls = []

    def first_fails(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("smtp hiccup")
        return real(*args, **kwargs)

    monkeypatch.setattr(notifications, "send_mail", first_fails)
    tasks.send_notification_batch(notes)
    assert len(mail.outbox) == 1
    assert Notification.objects.filter(sent_at__isnull=True).count() == 1  # left for the sweeper


def test_a_report_failing_outside_its_own_recovery_does_not_stop_the_batch(covered, file_report, monkeypatch):
    from reports import tasks

    monkeypatch.setattr(tasks.send_notification_batch, "apply_async", lambda **kwargs: None)
    first, second = file_report(), file_report()
    real_claim = triage._claim

    def claim(report_id):
        if str(report_id) == str(first.pk):
            raise ConnectionError("database blip while claiming")
        return real_claim(report_id)

    monkeypatch.setattr(triage, "_claim", claim)
    tasks.triage_reports([str(first.pk), str(second.pk)])
    assert Report.objects.get(pk=first.pk).state == ReportState.PENDING  # left for the sweeper
    assert Report.objects.get(pk=second.pk).state == ReportState.ASSIGNED


@pytest.mark.django_db(transaction=True)  # notifications are queued on real commits
def test_a_long_batch_hands_the_rest_on_inside_the_time_limit(queued, covered, file_report, monkeypatch):
    from reports import tasks

    published, sent = [], []
    monkeypatch.setattr(
        tasks.triage_reports, "apply_async", lambda **kwargs: published.append(kwargs["kwargs"]["report_ids"])
    )
    monkeypatch.setattr(
        tasks.send_notification_batch, "apply_async", lambda **kwargs: sent.append(kwargs["kwargs"]["notification_ids"])
    )
    monkeypatch.setattr(tasks, "BATCH_SECONDS", -1)  # every report is "past the budget"
    ids = [str(file_report().pk) for _ in range(3)]
    published.clear()  # intake queued each report on its commit; only the batch's own hand-on counts here
    tasks.triage_reports(ids)
    assert published == [ids[1:]]  # one report triaged (progress), the rest handed on
    assert Report.objects.filter(state=ReportState.ASSIGNED).count() == 1 and [len(batch) for batch in sent] == [1]
    notes = queued(triage.report_triage, report_id=ids[1]) + queued(triage.report_triage, report_id=ids[2])
    sent.clear()
    monkeypatch.setattr(tasks.notifications, "notification_send", lambda **kwargs: True)
    tasks.send_notification_batch(notes)
    assert sent == [notes[1:]]


def test_a_task_being_stopped_is_not_counted_against_the_report(covered, file_report, monkeypatch, settings):
    from celery.exceptions import SoftTimeLimitExceeded

    from reports import tasks

    monkeypatch.setattr(tasks.send_notification_batch, "apply_async", lambda **kwargs: None)
    settings.SANAD_TRIAGE_LEASE_SECONDS, settings.SANAD_TRIAGE_RETRY_SECONDS = 360, 30
    report = file_report()

    def stopped(report_id):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(triage, "_triage_claimed", stopped)
    with pytest.raises(SoftTimeLimitExceeded):
        tasks.triage_reports([str(report.pk)])
    report.refresh_from_db()
    # Still under its 360 s claim lease, not backed off 30 s as a failure; the sweeper takes it once the lease ends.
    assert report.state == ReportState.PENDING
    assert report.claimed_until > timezone.now() + timedelta(seconds=300)


@pytest.mark.django_db(transaction=True)  # notifications are queued on real commits
def test_sla_breaches_are_announced_in_one_message_not_one_per_report(covered, file_report, monkeypatch):
    from reports import tasks

    reports = [file_report() for _ in range(3)]
    monkeypatch.setattr(tasks.send_notification_batch, "apply_async", lambda **kwargs: None)
    for report in reports:
        triage.report_triage(report_id=report.pk)
    Report.objects.update(sla_due_at=timezone.now() - timedelta(minutes=1))
    messages = []
    monkeypatch.setattr(
        tasks.send_notification_batch, "apply_async", lambda **kwargs: messages.append(kwargs["kwargs"])
    )
    assert triage.sla_breaches_escalate() == 3
    assert len(messages) == 1 and len(messages[0]["notification_ids"]) == 3
    assert set(messages[0]["notification_ids"]) == set(
        Notification.objects.filter(kind="sla_breach").values_list("pk", flat=True)
    )
