"""Maintenance tasks. Messages carry no arguments but ids; these take none at all."""

import logging

from celery import shared_task

from backend.sealed_fields import reseal_all

logger = logging.getLogger(__name__)


@shared_task(name="backend.tasks.reseal_sealed_fields", acks_late=True)
def reseal_sealed_fields() -> None:
    """Move every sealed field to the first key of the ring (safe to run twice, or concurrently)."""
    for result in reseal_all():
        logger.info(
            "reseal %s.%s: %d of %d resealed", result.model_label, result.field, result.resealed, result.examined
        )
