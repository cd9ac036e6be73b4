"""Celery adapters for relocation: the beat task that frees expired holds."""

from __future__ import annotations

import logging

from celery import shared_task

from relocation.services import holds_expire

logger = logging.getLogger(__name__)


@shared_task(name="relocation.tasks.expire_holds", acks_late=True)
def expire_holds() -> int:
    """Free the beds of holds past their time (each in its own transaction; safe to run twice at once)."""
    expired = holds_expire()
    if expired:
        logger.info("relocation: %d expired holds freed their beds", expired)
    return expired
