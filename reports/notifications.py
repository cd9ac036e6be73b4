"""Sending staff notifications: severity and reference only, never content, category, place or assignee.

A notification row is created in the same transaction as the change it
announces (notify), and its sending is queued to run once that transaction
commits: no caller has to remember to send it. Sending is at least once: a
sender takes a short lease on the row, sends, and only then marks it sent; a
failed or crashed send leaves it for the sweeper. Two tasks for one row cannot both hold the lease, so a duplicate
needs a crash between sending and marking (a duplicate e-mail costs less than
a lost one).
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.language import chosen_language
from accounts.services import staff_contact
from reports.models import Notification, Report

logger = logging.getLogger(__name__)

# In the recipient's language (StaffUser.language, else settings.LANGUAGE_CODE).
SUBJECTS = {
    Notification.Kind.ASSIGNED: _("A report was assigned to you (severity: %(severity)s)"),
    Notification.Kind.NEEDS_ASSIGNMENT: _("A report needs a caseworker (severity: %(severity)s)"),
    Notification.Kind.SLA_BREACH: _("A report has not been acknowledged in time (severity: %(severity)s)"),
    Notification.Kind.PARKED: _("A report could not be triaged and waits for a triage lead"),
}


def notify(report: Report, kind: str, recipients) -> None:
    """Queue a notification to each recipient in the caller's transaction, sent after it commits.

    One statement for all recipients; one announced again (a report parked a
    second time) is sent again rather than refused by the uniqueness rule.
    """
    notes = Notification.objects.bulk_create(
        [
            Notification(report=report, kind=kind, recipient=recipient, created_at=timezone.now())
            for recipient in recipients
        ],
        update_conflicts=True,
        unique_fields=["report", "kind", "recipient"],
        update_fields=["sent_at", "sending_until", "attempts", "created_at"],
    )
    ids = [note.pk for note in notes]
    if ids:
        # robust: a broker that is down must not fail the committed change (the sweeper sends later).
        transaction.on_commit(lambda: _committed(ids), robust=True)


class Outbox:
    """Notifications committed while a batch task runs, sent in few messages rather than one each."""

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.last_sent = float("-inf")  # the first ones go at once

    def send(self) -> None:
        if self.ids:
            ids, self.ids = self.ids, []
            _publish(ids)
        self.last_sent = time.monotonic()

    def send_if_older_than(self, seconds: float) -> None:
        if self.ids and time.monotonic() - self.last_sent >= seconds:
            self.send()


_outbox: ContextVar[Outbox | None] = ContextVar("sanad_notification_outbox", default=None)


@contextmanager
def gathered() -> Iterator[Outbox]:
    """Within this block, committed notifications wait in the outbox for its owner to send; whatever is
    left goes when the block ends, also when it ends with an error (it was committed)."""
    outbox = Outbox()
    token = _outbox.set(outbox)
    try:
        yield outbox
    finally:
        _outbox.reset(token)
        outbox.send()


def _committed(ids: list[int]) -> None:
    outbox = _outbox.get()
    if outbox is not None:
        outbox.ids.extend(ids)
    else:
        _publish(ids)


def _publish(ids: list[int]) -> None:
    from reports.tasks import send_notifications  # the tasks module imports this one

    send_notifications(ids)


def notification_text(note: Notification) -> tuple[str, str]:
    """(subject, body) in the recipient's language: what may leave the server about a report. A
    translation that cannot be filled in costs the language, never the message: English instead."""
    language = chosen_language(note.recipient) or settings.LANGUAGE_CODE
    try:
        return _text(note, language)
    except (KeyError, ValueError, TypeError):
        logger.warning("notification %s: the %s text could not be filled in; sent in English", note.pk, language)
        return _text(note, "en")


def _text(note: Notification, language: str) -> tuple[str, str]:
    with translation.override(language):
        report = note.report
        severity = report.get_severity_display() if report.severity else gettext("not yet triaged")
        # One line: a line break in a subject is refused by the mail library (BadHeaderError).
        subject = " ".join((str(SUBJECTS[note.kind]) % {"severity": severity}).split())
        body = gettext(
            "%(subject)s: reference %(reference)s. Open Sanad to see it. (No details are sent by e-mail.)"
        ) % {"subject": subject, "reference": report.reference}
    return subject, body


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        raise urllib.error.HTTPError(req.full_url, code, "redirect refused", headers, fp)


_opener = urllib.request.build_opener(_NoRedirects)


def notification_send(*, notification_id: int) -> bool:
    """Send one notification; True if this call sent it. Raises if sending failed (it will be retried)."""
    now = timezone.now()
    claimed = (
        Notification.objects.filter(pk=notification_id, sent_at__isnull=True)
        .filter(Q(sending_until__isnull=True) | Q(sending_until__lt=now))
        .update(sending_until=now + timedelta(seconds=settings.SANAD_NOTIFY_LEASE_SECONDS), attempts=F("attempts") + 1)
    )
    if claimed != 1:
        return False
    note = Notification.objects.select_related("report", "recipient").get(pk=notification_id)
    subject, body = notification_text(note)
    address = staff_contact(user=note.recipient)
    if address:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address], fail_silently=False)
    if settings.SANAD_NOTIFY_WEBHOOK_URL:
        # No recipient: coverage maps caseworkers to places, so an assignee would tell where.
        payload = {"kind": note.kind, "severity": note.report.severity, "reference": note.report.reference}
        request = urllib.request.Request(
            settings.SANAD_NOTIFY_WEBHOOK_URL,
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with _opener.open(request, timeout=10):
            pass
    Notification.objects.filter(pk=notification_id).update(sent_at=timezone.now(), sending_until=None)
    return True


def notifications_unsent(*, older_than_seconds: int | None = None) -> list[int]:
    """Notifications never sent a while after creation, and not being sent now (lost task, failed send)."""
    if older_than_seconds is None:
        older_than_seconds = settings.SANAD_TRIAGE_SWEEP_AFTER_SECONDS
    now = timezone.now()
    return list(
        Notification.objects.filter(sent_at__isnull=True, created_at__lt=now - timedelta(seconds=older_than_seconds))
        .filter(Q(sending_until__isnull=True) | Q(sending_until__lt=now))
        .values_list("pk", flat=True)[:500]
    )
