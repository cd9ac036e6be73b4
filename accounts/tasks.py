"""Celery adapters for accounts: the beat task that lets unapproved role proposals lapse."""

from __future__ import annotations

import logging

from celery import shared_task

from accounts.services import role_proposals_expire

logger = logging.getLogger(__name__)


@shared_task(name="accounts.tasks.expire_role_proposals", acks_late=True)
def expire_role_proposals() -> int:
    """Mark role proposals past their time expired, each on the audit chain (safe to run twice at once)."""
    expired = role_proposals_expire()
    if expired:
        logger.info("accounts: %d role proposals expired unapproved", expired)
    return expired
