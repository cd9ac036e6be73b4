"""Reads of staff and key data that take more than one line of ORM."""

import logging
import threading
import time

from django.conf import settings

from accounts.models import SharedKey
from accounts.roles import KeyPurpose
from accounts.services import shared_key_attested, usable_holders

logger = logging.getLogger(__name__)

# The offered set changes only when keys or grants do; computing it costs a few
# queries and an attestation check per key, so each process keeps it briefly.
# A key retired meanwhile is offered for at most this long, which is harmless:
# its holders still read whatever is encrypted to it.
OFFERED_KEYS_SECONDS = 10.0
_offered: dict[str, tuple[float, list[SharedKey]]] = {}
_offered_lock = threading.Lock()


def intake_keys_offered() -> list[SharedKey]:
    """intake_keys_active(), remembered for OFFERED_KEYS_SECONDS in this process."""
    cached = _offered.get("keys")
    if cached and time.monotonic() - cached[0] < OFFERED_KEYS_SECONDS:
        return cached[1]
    with _offered_lock:
        keys = intake_keys_active()
        _offered["keys"] = (time.monotonic(), keys)
        return keys


def forget_offered_keys() -> None:
    _offered.clear()


def intake_keys_active() -> list[SharedKey]:
    """Intake keys to offer clients, newest first (shared_keys_usable)."""
    return shared_keys_usable(KeyPurpose.INTAKE)


def shared_keys_usable(purpose: str) -> list[SharedKey]:
    """Active shared keys of `purpose` that may be encrypted to, newest first.

    Only keys whose sealed attestation checks and says active (a row written
    or flipped without the sealing keys is never used), held by at least
    SANAD_INTAKE_MIN_HOLDERS staff who may still use their grant (one
    forgotten password must not make what is encrypted to it unreadable).
    """
    usable = []
    for key in SharedKey.objects.filter(purpose=purpose, active=True).order_by("-created_at", "key_id"):
        if not shared_key_attested(key):
            logger.error("%s key %s fails its attestation and is not used", purpose, key.key_id)
        elif usable_holders(key) >= settings.SANAD_INTAKE_MIN_HOLDERS:
            usable.append(key)
    return usable
