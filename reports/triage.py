"""Triage: turn a pending report into a scored, linked, assigned case with an SLA clock.

PostgreSQL is the source of truth and the report row is its own outbox: a
task claims the row with a conditional update (a lease), so running triage
twice, or on two workers at once, gives one result. Failures are counted in
the row; a report failing SANAD_TRIAGE_MAX_ATTEMPTS times is parked and raised
to triage leads, never dropped. Everything read here is server-readable
(coarse columns, sealed triage details, blind indexes); no content.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Coverage, StaffUser
from backend.sealed_fields import open_value, seal_value
from reports import notifications
from reports.access import eligible_assignees
from reports.models import CandidateLink, Notification, Report, ReportIndicator, ReportState
from reports.severity import RULESET_VERSION, Facts, assess, sla_hours
from reports.signals import report_triaged
from reports.states import report_transition

logger = logging.getLogger(__name__)
OPEN_STATES = (ReportState.ASSIGNED, ReportState.ACKNOWLEDGED, ReportState.IN_PROGRESS)


def _claim(report_id) -> bool:
    """Take the triage lease on a pending report; False if another worker holds it or it is done."""
    now = timezone.now()
    return (
        Report.objects.filter(pk=report_id, state=ReportState.PENDING)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(
            claimed_until=now + timedelta(seconds=settings.SANAD_TRIAGE_LEASE_SECONDS),
            triage_attempts=F("triage_attempts") + 1,
        )
        == 1
    )


def _link(report: Report) -> int:
    """Link to (at most LINK_LIMIT of the newest) reports sharing an indicator; how many share one, capped at LINK_LIMIT + 1.

    Bounded on purpose: one flooded "hot" indicator (the threatener's number,
    repeated in hundreds of junk reports) must cost every later triage a
    couple of queries, not one per earlier report.
    """
    limit = settings.SANAD_LINK_LIMIT
    pairs = list(report.indicators.values_list("kind", "bits", "value"))
    if not pairs:
        return 0
    shared = Q()
    for kind, bits, value in pairs:
        shared |= Q(kind=kind, bits=bits, value=value)
    matches = list(
        ReportIndicator.objects.filter(shared)
        .exclude(report=report)
        .exclude(report__state=ReportState.WITHDRAWN)
        .order_by("-report__created_at")
        .values_list("report_id", "kind")[: limit * len(pairs) + 1]
    )
    others: dict = {}
    for other, kind in matches:
        others.setdefault(other, kind)
    linked = list(others.items())[:limit]
    CandidateLink.objects.bulk_create(
        [
            CandidateLink(report_id=a, other_id=b, kind=kind)
            for other, kind in linked
            for a, b in ((report.pk, other), (other, report.pk))
        ],
        ignore_conflicts=True,
    )
    return min(len(others), limit + 1)


def _triage_leads() -> list[StaffUser]:
    leads = list(StaffUser.objects.triage_leads())
    if not leads:
        logger.error("there is no active triage lead to tell: reports needing a lead go unseen")
    return leads


def _loads(user_ids) -> dict:
    return dict(
        Report.objects.filter(assigned_to__in=user_ids, state__in=OPEN_STATES)
        .values_list("assigned_to")
        .annotate(n=Count("pk"))
    )


def pick_caseworker(report: Report, language: str) -> StaffUser | None:
    """The least-loaded caseworker covering the place and language, under capacity, who can read the report.

    Chosen without locks (coverage and loads in one query), then only the
    chosen caseworker's coverage row is locked and their load counted again:
    two triages at once cannot both take a last place, and triages choosing
    different caseworkers do not wait for each other.
    """
    open_load = (
        Report.objects.filter(assigned_to=OuterRef("user_id"), state__in=OPEN_STATES)
        .values("assigned_to")
        .annotate(n=Count("pk"))
        .values("n")
    )
    eligible = [
        c
        for c in Coverage.objects.filter(accepting=True, user__in=eligible_assignees(report).values("pk"))
        .select_related("user")
        .annotate(load=Coalesce(Subquery(open_load), 0))
        if report.governorate in c.governorates and language in c.languages
    ]
    loads = {c.user_id: c.load for c in eligible}
    while eligible:
        open_places = [c for c in eligible if loads[c.user_id] < c.capacity]
        if not open_places:
            return None
        choice = min(open_places, key=lambda c: (loads[c.user_id], c.user.username))
        locked = Coverage.objects.select_for_update().filter(pk=choice.pk, accepting=True).first()
        if locked is not None and _loads([choice.user_id]).get(choice.user_id, 0) < locked.capacity:
            return choice.user
        eligible.remove(choice)  # filled or paused meanwhile: choose again among the others
        loads = _loads([c.user_id for c in eligible])
        loads = {c.user_id: loads.get(c.user_id, 0) for c in eligible}
    return None


def report_triage(*, report_id) -> None:
    """Triage one report if it is pending and unclaimed; whoever must hear of it is told after commit."""
    if not _claim(report_id):
        return
    try:
        _triage_claimed(report_id)
    except SoftTimeLimitExceeded:
        raise  # the task is being stopped: not this report's failure, and not an attempt to count against it
    except Exception:
        logger.exception("triage of report %s failed", str(report_id)[:8])
        _after_failure(report_id)


def _triage_claimed(report_id) -> None:
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report_id)
        if report.state != ReportState.PENDING:
            return
        if report.triage_attempts > settings.SANAD_TRIAGE_MAX_ATTEMPTS:
            # Earlier attempts died with their worker (no exception to catch): the
            # count committed at each claim is what stops a poison report looping.
            _park_locked(report)
            return
        if settings.SANAD_FAULT_TRIAGE_DELAY_MS:  # dev-mode fault injection (reliability tests)
            time.sleep(settings.SANAD_FAULT_TRIAGE_DELAY_MS / 1000)
        details = json.loads(open_value(report, "triage_sealed"))
        now = timezone.now()
        linked = _link(report)
        # Scored and clocked from submission, not from whenever a backlog let triage run:
        # a queue must never downgrade an attack or eat into its hour.
        severity, reasons = assess(
            Facts(
                category=report.category,
                incident_month=report.incident_month,
                immediate_danger=details["immediate_danger"],
                needs_relocation=details["needs_relocation"],
                flags=frozenset(details["flags"]),
                linked_reports=linked,
                today=report.created_at.date(),
            )
        )
        hours = sla_hours(severity)
        report_transition(
            report=report,
            to_state=ReportState.TRIAGED,
            severity=severity,
            severity_reasons_sealed=seal_value(report, "severity_reasons_sealed", json.dumps(reasons).encode()),
            ruleset_version=RULESET_VERSION,
            triaged_at=now,
            claimed_until=None,
            sla_due_at=report.created_at + timedelta(hours=hours) if hours else None,
        )
        caseworker = pick_caseworker(report, details["language"])
        if caseworker is None:
            Report.objects.filter(pk=report.pk).update(waiting_reason="no_eligible_caseworker")
            logger.info(
                "report %s triaged: %s; waiting for a triage lead (no eligible caseworker)", report.reference, severity
            )
            notifications.notify(report, Notification.Kind.NEEDS_ASSIGNMENT, _triage_leads())
        else:
            report_transition(report=report, to_state=ReportState.ASSIGNED, assigned_to=caseworker)
            logger.info("report %s triaged: %s; assigned to %s", report.reference, severity, caseworker.username)
            notifications.notify(report, Notification.Kind.ASSIGNED, [caseworker])
        # Last, so that the statistics' shared cells are locked for as short a time as the commit.
        report_triaged.send(sender=Report, report=report)


def _park(report_id) -> None:
    """Park a report triage keeps failing on, and raise it to the triage leads."""
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report_id)
        if report.state == ReportState.PENDING:
            _park_locked(report)


def _park_locked(report: Report) -> None:
    """Park a pending report the caller holds locked, and tell the leads after commit."""
    report_transition(
        report=report, to_state=ReportState.PARKED, claimed_until=None, waiting_reason="triage_failed_repeatedly"
    )
    logger.warning("report %s parked after %d triage attempts", report.reference, report.triage_attempts)
    notifications.notify(report, Notification.Kind.PARKED, _triage_leads())


def _after_failure(report_id) -> None:
    """Park after too many attempts (and tell the leads); otherwise back off and let the sweeper retry."""
    report = Report.objects.filter(pk=report_id, state=ReportState.PENDING).first()
    if report is None:
        return
    if report.triage_attempts >= settings.SANAD_TRIAGE_MAX_ATTEMPTS:
        _park(report_id)
        return
    backoff = settings.SANAD_TRIAGE_RETRY_SECONDS * 2 ** (report.triage_attempts - 1)
    Report.objects.filter(pk=report.pk, state=ReportState.PENDING).update(
        claimed_until=timezone.now() + timedelta(seconds=backoff)
    )


def reports_to_sweep(*, limit: int = 500) -> list:
    """Pending reports left unclaimed longer than the sweep threshold, or whose lease ran out.

    Rows are read with SELECT ... FOR UPDATE SKIP LOCKED (on PostgreSQL), so
    two sweepers never hand out the same rows at the same moment.
    """
    now = timezone.now()
    settle = now - timedelta(seconds=settings.SANAD_TRIAGE_SWEEP_AFTER_SECONDS)
    with transaction.atomic():
        ids = list(
            Report.objects.select_for_update(skip_locked=True)
            .filter(state=ReportState.PENDING, created_at__lt=settle)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
            .filter(Q(swept_at__isnull=True) | Q(swept_at__lt=settle))  # not queued again every sweep
            .order_by("created_at")
            .values_list("pk", flat=True)[:limit]
        )
        Report.objects.filter(pk__in=ids).update(swept_at=now)
        return ids


def sla_breaches_escalate() -> int:
    """Mark every report past its acknowledgement deadline as escalated (once) and tell the leads; how many."""
    now = timezone.now()
    leads = _triage_leads()
    # One message for every 50 notifications, not one per report: a backlog of breaches after an
    # outage must not cost a broker round trip (or, with the broker down, a timeout) per report.
    with notifications.gathered(), transaction.atomic():
        due = list(
            Report.objects.select_for_update(skip_locked=True).filter(
                state__in=(ReportState.TRIAGED, ReportState.ASSIGNED),
                sla_due_at__lt=now,
                acknowledged_at__isnull=True,
                escalated_at__isnull=True,
            )
        )
        for report in due:
            Report.objects.filter(pk=report.pk, escalated_at__isnull=True).update(escalated_at=now)
            notifications.notify(report, Notification.Kind.SLA_BREACH, leads)
    return len(due)


def links_to_withdrawn_purge() -> int:
    """Delete candidate links touching withdrawn reports (a triage can race a withdrawal)."""
    withdrawn = Q(report__state=ReportState.WITHDRAWN) | Q(other__state=ReportState.WITHDRAWN)
    return CandidateLink.objects.filter(withdrawn).delete()[0]
