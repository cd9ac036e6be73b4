"""Staff roles (Django groups) and which keys each may hold or grant."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Role(models.TextChoices):
    CASEWORKER = "caseworker", _("Caseworker")
    TRIAGE_LEAD = "triage_lead", _("Triage lead")
    RELOCATION_COORDINATOR = "relocation_coordinator", _("Relocation coordinator")
    AUDITOR = "auditor", _("Auditor")
    SYSADMIN = "sysadmin", _("System administrator")


class KeyPurpose(models.TextChoices):
    INTAKE = "intake", _("Intake (report content)")
    RELOCATION = "relocation", _("Relocation (safe-house addresses)")


# The purpose as one word inside a sentence ("intake keys", "relocation key ik-..."),
# where the label above would not fit.
PURPOSE_WORDS = {
    # Translators: a kind of key, as in "intake keys": the keys reports are encrypted to.
    KeyPurpose.INTAKE: pgettext_lazy("kind of key", "intake"),
    # Translators: a kind of key, as in "relocation keys": the keys safe-house addresses are encrypted to.
    KeyPurpose.RELOCATION: pgettext_lazy("kind of key", "relocation"),
}


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
# The purpose of the keys a decrypting role reads. Such a role is given only when a holder of a key of this
# purpose who may grant it approves (accounts.services.role_proposal_approve): two people, not one.
ROLE_PURPOSE = {role: purpose for purpose, roles in MAY_HOLD.items() for role in roles}
# Roles that oversee others and must never also read: a sysadmin who could make
# themselves a triage lead could mint an intake key of their own.
NEVER_DECRYPT = {Role.SYSADMIN, Role.AUDITOR}


def active_roles(user) -> set[str]:
    """The roles a user may act in now: none for a deactivated or anonymous user or a superuser."""
    if not user.is_authenticated or not user.is_active or user.is_superuser:
        return set()
    return user.role_names


def role_label(name: str) -> str:
    """A role's label for people (the group name is a code); an unknown group name as it is."""
    try:
        return str(Role(name).label)
    except ValueError:
        return name


def role_labels(names) -> list[str]:
    """The labels of these roles (group names), in the order of their codes."""
    return [role_label(name) for name in sorted(names)]


def has_role(user, *roles: str) -> bool:
    """Whether the user may act now in at least one of `roles`."""
    return bool(set(roles) & active_roles(user))


# Who reads safe-house addresses never also reads who reported: one person holding both could tell
# where a named person sleeps. A coordinator sees a referred report's coarse facts only.
READS_ADDRESSES = {Role.RELOCATION_COORDINATOR}
READS_REPORTS = {Role.CASEWORKER, Role.TRIAGE_LEAD}


def roles_conflict(roles: set[str]) -> bool:
    """True if a set of roles mixes one that never decrypts with one that may, or one that reads
    safe-house addresses with one that reads reports."""
    return (bool(NEVER_DECRYPT & roles) and bool(DECRYPTING_ROLES & roles)) or (
        bool(READS_ADDRESSES & roles) and bool(READS_REPORTS & roles)
    )


# Model permissions each role's group carries (the admin asks for them). They
# are the first gate only: every admin view and service also scopes objects
# (reports.access.reports_visible_to) and checks the role itself.
ROLE_PERMISSIONS: dict[str, set[str]] = {
    Role.CASEWORKER: {"reports.view_report"},
    Role.TRIAGE_LEAD: {
        "reports.view_report",
        "accounts.view_sharedkey",
        "accounts.view_roleproposal",
        "accounts.view_coverage",
        "accounts.change_coverage",
        "accounts.add_coverage",
    },
    Role.RELOCATION_COORDINATOR: {
        "accounts.view_sharedkey",
        "accounts.view_roleproposal",
        "relocation.view_safehouse",
        "relocation.add_safehouse",
        "relocation.view_referral",
        "relocation.view_placement",
    },
    Role.AUDITOR: {"audit.view_auditentry", "partners.view_release", "partners.view_ledgerentry"},
    Role.SYSADMIN: {
        "accounts.view_staffuser",
        "accounts.view_roleproposal",
        "accounts.add_staffuser",
        "partners.view_partner",
        "partners.add_partner",
        "partners.view_release",
        "partners.view_ledgerentry",
    },
}


def role_permissions_sync(**_kwargs) -> None:
    """post_migrate: make each role's group hold exactly ROLE_PERMISSIONS (code is the source of truth)."""
    from django.contrib.auth.models import Group, Permission

    for role, names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = []
        for name in names:
            app_label, codename = name.split(".")
            permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if permission is not None:  # created by this same post_migrate, possibly later
                wanted.append(permission)
        group.permissions.set(wanted)
