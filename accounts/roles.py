"""Staff roles (Django groups) and which keys each may hold or grant."""

from django.db import models


class Role(models.TextChoices):
    CASEWORKER = "caseworker", "Caseworker"
    TRIAGE_LEAD = "triage_lead", "Triage lead"
    RELOCATION_COORDINATOR = "relocation_coordinator", "Relocation coordinator"
    AUDITOR = "auditor", "Auditor"
    SYSADMIN = "sysadmin", "System administrator"


class KeyPurpose(models.TextChoices):
    INTAKE = "intake", "Intake (report content)"
    RELOCATION = "relocation", "Relocation (safe-house addresses)"


# Who may hold a grant of a shared key of each purpose, and who may pass one on.
# Auditors and sysadmins never decrypt, so they never get a personal key.
MAY_HOLD = {
    KeyPurpose.INTAKE: {Role.CASEWORKER, Role.TRIAGE_LEAD},
    KeyPurpose.RELOCATION: {Role.RELOCATION_COORDINATOR},
}
MAY_GRANT = {
    KeyPurpose.INTAKE: {Role.TRIAGE_LEAD},
    KeyPurpose.RELOCATION: {Role.RELOCATION_COORDINATOR},
}
DECRYPTING_ROLES = set().union(*MAY_HOLD.values())
# Roles that oversee others and must never also read: a sysadmin who could make
# themselves a triage lead could mint an intake key of their own.
NEVER_DECRYPT = {Role.SYSADMIN, Role.AUDITOR}


def roles_conflict(roles: set[str]) -> bool:
    """True if a set of roles mixes one that never decrypts with one that may."""
    return bool(NEVER_DECRYPT & roles) and bool(DECRYPTING_ROLES & roles)
