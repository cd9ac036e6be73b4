"""Reads of staff and key data that take more than one line of ORM."""

import logging

from django.conf import settings
from django.db.models import Count

from accounts.models import SharedKey
from accounts.roles import KeyPurpose
from accounts.services import shared_key_attested

logger = logging.getLogger(__name__)


def intake_keys_active() -> list[SharedKey]:
    """Intake keys to offer clients, newest first.

    Only keys with at least SANAD_INTAKE_MIN_HOLDERS holders (one forgotten
    password must not make reports unreadable) and whose sealed attestation
    checks (a row written without the sealing keys is never offered).
    """
    candidates = (
        SharedKey.objects.filter(purpose=KeyPurpose.INTAKE, active=True)
        .annotate(holders=Count("grants"))
        .filter(holders__gte=settings.SANAD_INTAKE_MIN_HOLDERS)
        .order_by("-created_at", "key_id")
    )
    offered = []
    for key in candidates:
        if shared_key_attested(key):
            offered.append(key)
        else:
            logger.error("intake key %s fails its attestation and is not offered", key.key_id)
    return offered
