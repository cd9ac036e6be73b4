"""Sending staff notifications: severity and reference only, never content or category.

A notification row is created in the same transaction as the change it
announces; sending marks it sent first (a conditional update), so a task run
twice sends once. A crash between marking and sending loses that message
(at most once); SLA escalation still catches a report nobody acknowledged.
"""

from __future__ import annotations

import json
import logging
import urllib.request

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from accounts.services import staff_contact
from reports.models import Notification

logger = logging.getLogger(__name__)

SUBJECTS = {
    Notification.Kind.ASSIGNED: "A {severity} report was assigned to you",
    Notification.Kind.NEEDS_ASSIGNMENT: "A {severity} report needs a caseworker",
    Notification.Kind.SLA_BREACH: "A {severity} report has not been acknowledged in time",
    Notification.Kind.PARKED: "A report could not be triaged and waits for a triage lead",
}


def notification_text(note: Notification) -> tuple[str, str]:
    """(subject, body): what may leave the server about a report."""
    subject = SUBJECTS[note.kind].format(severity=note.report.severity or "new")
    body = f"{subject}: reference {note.report.reference}. Open Sanad to see it. (No details are sent by e-mail.)"
    return subject, body


def notification_send(*, notification_id: int) -> bool:
    """Send one notification once; True if this call sent it."""
    if Notification.objects.filter(pk=notification_id, sent_at__isnull=True).update(sent_at=timezone.now()) != 1:
        return False
    note = Notification.objects.select_related("report", "recipient").get(pk=notification_id)
    subject, body = notification_text(note)
    address = staff_contact(user=note.recipient)
    if address:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address], fail_silently=False)
    if settings.SANAD_NOTIFY_WEBHOOK_URL:
        payload = {"kind": note.kind, "severity": note.report.severity, "reference": note.report.reference,
                   "recipient": note.recipient.username}
        request = urllib.request.Request(settings.SANAD_NOTIFY_WEBHOOK_URL, data=json.dumps(payload).encode(),
                                         headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass
    return True


def notifications_unsent(*, older_than_seconds: int = 60) -> list[int]:
    """Notifications created a while ago and never sent (their task was lost with the broker)."""
    cutoff = timezone.now() - timezone.timedelta(seconds=older_than_seconds)
    return list(Notification.objects.filter(sent_at__isnull=True, created_at__lt=cutoff).values_list("pk", flat=True)[:500])
