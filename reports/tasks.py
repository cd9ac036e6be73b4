"""Celery tasks of triage: thin adapters that take ids, never content, and call one service.

Delivery is at least once (acks_late, reject on worker loss); every service
here is idempotent, and the database, not the broker, remembers what is left
to do: the sweeper finds pending reports and unsent notifications again.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import transaction

from reports import notifications, triage

logger = logging.getLogger(__name__)


def enqueue_triage(report_id) -> None:
    """Queue triage after commit; if the broker is down, the sweeper will find the report."""

    def send() -> None:
        try:
            triage_report.apply_async(kwargs={"report_id": str(report_id)}, retry=False)
        except Exception:
            logger.warning("broker unavailable; report %s will be swept", str(report_id)[:8])

    transaction.on_commit(send)


def send_notifications(ids: list[int]) -> None:
    for notification_id in ids:
        try:
            send_notification.apply_async(kwargs={"notification_id": notification_id}, retry=False)
        except Exception:
            logger.warning("broker unavailable; notification %s will be swept", notification_id)


@shared_task(name="reports.tasks.triage_report", acks_late=True)
def triage_report(report_id: str) -> None:
    send_notifications(triage.report_triage(report_id=report_id))


@shared_task(name="reports.tasks.send_notification", acks_late=True)
def send_notification(notification_id: int) -> None:
    notifications.notification_send(notification_id=notification_id)


@shared_task(name="reports.tasks.sweep")
def sweep() -> None:
    """Beat: re-queue pending reports left behind and notifications never sent."""
    for report_id in triage.reports_to_sweep():
        try:
            triage_report.apply_async(kwargs={"report_id": str(report_id)}, retry=False)
        except Exception:
            logger.warning("broker unavailable during sweep")
            return
    send_notifications(notifications.notifications_unsent())
    # A triage running while a report was withdrawn can still link to it; drop such links.
    triage.links_to_withdrawn_purge()


@shared_task(name="reports.tasks.escalate_sla")
def escalate_sla() -> None:
    """Beat: escalate reports past their acknowledgement deadline to triage leads."""
    send_notifications(triage.sla_breaches_escalate())
