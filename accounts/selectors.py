"""Reads of staff and key data that take more than one line of ORM."""

from django.db.models import QuerySet

from accounts.models import SharedKey
from accounts.roles import KeyPurpose


def intake_keys_active() -> QuerySet[SharedKey]:
    """Intake keys offered to clients, newest first."""
    return SharedKey.objects.filter(purpose=KeyPurpose.INTAKE, active=True).order_by("-created_at", "key_id")
