"""Celery tasks of triage: thin adapters that take ids, never content, and call one service.

Delivery is at least once (acks_late, reject on worker loss); every service
here is idempotent, and the database, not the broker, remembers what is left
to do: the sweeper finds pending reports and unsent notifications again.

A message carries up to BATCH ids. Each report and each notification is still
claimed on its own (a lease in its row), so a batch delivered twice, or cut
short by a dying worker and delivered again, does each piece of work once;
batching only saves the per-message cost, which was most of a triage's CPU
when a backlog drained one message per report.
"""

from __future__ import annotations

import logging
import time
import uuid

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import close_old_connections, connection, transaction

from reports import notifications, triage

logger = logging.getLogger(__name__)
BATCH = 50
# A batch hands what is left to a new message after this long (at most 60 s, and a
# third of the soft time limit): a slow SMTP server (10 s a send) must not get 50
# sends killed mid-way.
BATCH_SECONDS = min(60, settings.CELERY_TASK_SOFT_TIME_LIMIT // 3)
# Notifications of a triage batch go out at least this often, not only at its end.
NOTIFY_EVERY_SECONDS = 1.0


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _ids(value, kind) -> list:
    """The ids a message names (a list of at most BATCH report UUIDs or notification ints); anything else names none."""
    valid = (
        isinstance(value, list)
        and len(value) <= BATCH
        and all(
            isinstance(item, kind) and not isinstance(item, bool) and (kind is not str or _is_uuid(item))
            for item in value
        )
    )
    if not valid:
        logger.error("ignored a malformed task message (the sweeper will find the work)")
        return []
    return value


def _publish(task, field: str, ids: list, what: str) -> bool:
    """Queue `task` for `ids`, BATCH a message; False if the broker is down (the sweeper will find the rest)."""
    for start in range(0, len(ids), BATCH):
        try:
            task.apply_async(kwargs={field: ids[start : start + BATCH]}, retry=False)
        except SoftTimeLimitExceeded:
            raise
        except Exception:
            logger.warning("broker unavailable; %d %s will be swept", len(ids) - start, what)
            return False
    return True


def triage_publish(report_ids) -> bool:
    """Queue triage for `report_ids`; False if the broker is down (the sweeper will find them)."""
    return _publish(triage_reports, "report_ids", [str(report_id) for report_id in report_ids], "report(s)")


def enqueue_triage(report_id) -> None:
    """Queue triage after commit; if the broker is down, the sweeper will find the report."""
    transaction.on_commit(lambda: triage_publish([report_id]))


def send_notifications(ids: list[int]) -> None:
    """Queue sending of these notifications now (services queue theirs on commit: reports.notifications.notify)."""
    _publish(send_notification_batch, "notification_ids", ids, "notification(s)")


@shared_task(name="reports.tasks.triage_reports", acks_late=True)
def triage_reports(report_ids: list[str]) -> None:
    """Triage each report in turn. A report that fails is recorded in its own row (and swept
    later) and does not stop the rest; notifications go out as the batch goes, not only at its end."""
    ids = _ids(report_ids, str)
    started = time.monotonic()
    with notifications.gathered() as outbox:
        for index, report_id in enumerate(ids):
            if index and time.monotonic() - started > BATCH_SECONDS:  # (always at least one: progress)
                triage_publish(ids[index:])  # hand the rest on rather than run into the time limit
                return
            try:
                triage.report_triage(report_id=report_id)
            except SoftTimeLimitExceeded:
                raise
            except Exception:
                logger.exception("triage of report %s failed outside its own recovery; it will be swept", report_id[:8])
                if not connection.in_atomic_block:
                    close_old_connections()  # a connection that died is dropped, so the next report reconnects
            outbox.send_if_older_than(NOTIFY_EVERY_SECONDS)


@shared_task(name="reports.tasks.triage_report", acks_late=True)
def triage_report(report_id: str) -> None:
    """One report (messages queued before batching existed)."""
    triage_reports([report_id])


@shared_task(name="reports.tasks.send_notification_batch", acks_late=True)
def send_notification_batch(notification_ids: list[int]) -> None:
    """Send each notification; a failed send is left for the sweeper and does not stop the others."""
    ids = _ids(notification_ids, int)
    started = time.monotonic()
    for index, notification_id in enumerate(ids):
        if index and time.monotonic() - started > BATCH_SECONDS:
            send_notifications(ids[index:])  # a slow mail server: hand the rest on, inside the time limit
            return
        try:
            notifications.notification_send(notification_id=notification_id)
        except SoftTimeLimitExceeded:
            raise
        except Exception:
            logger.warning("notification %s failed to send; the sweeper will retry it", notification_id)


@shared_task(name="reports.tasks.send_notification", acks_late=True)
def send_notification(notification_id: int) -> None:
    """One notification (messages queued before batching existed)."""
    notifications.notification_send(notification_id=notification_id)


@shared_task(name="reports.tasks.sweep")
def sweep() -> None:
    """Beat: re-queue pending reports left behind and notifications never sent."""
    if not triage_publish(triage.reports_to_sweep()):
        return
    send_notifications(notifications.notifications_unsent())
    # A triage running while a report was withdrawn can still link to it; drop such links.
    triage.links_to_withdrawn_purge()


@shared_task(name="reports.tasks.escalate_sla")
def escalate_sla() -> None:
    """Beat: escalate reports past their acknowledgement deadline to triage leads."""
    triage.sla_breaches_escalate()


@shared_task(name="reports.tasks.purge")
def purge() -> dict:
    """Daily: what retention allows goes (reports.retention)."""
    from reports.retention import reports_purge

    result = reports_purge()
    logger.info("retention: %s reports deleted, %s kept for relocation", result.deleted, result.kept_for_relocation)
    return {"deleted": result.deleted, "kept_for_relocation": result.kept_for_relocation}
