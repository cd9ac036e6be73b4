"""Reads of staff and key data that take more than one line of ORM."""

import logging

from django.conf import settings

from accounts.models import SharedKey
from accounts.roles import KeyPurpose
from accounts.services import shared_key_attested, usable_holders

logger = logging.getLogger(__name__)


def intake_keys_active() -> list[SharedKey]:
    """Intake keys to offer clients, newest first.

    Only keys whose sealed attestation checks and says active (a row written
    or flipped without the sealing keys is never offered), held by at least
    SANAD_INTAKE_MIN_HOLDERS staff who may still use their grant (one
    forgotten password must not make reports unreadable).
    """
    offered = []
    for key in SharedKey.objects.filter(purpose=KeyPurpose.INTAKE, active=True).order_by("-created_at", "key_id"):
        if not shared_key_attested(key):
            logger.error("intake key %s fails its attestation and is not offered", key.key_id)
        elif usable_holders(key) >= settings.SANAD_INTAKE_MIN_HOLDERS:
            offered.append(key)
    return offered
