"""Writes for staff accounts and keys: the only code that creates, wraps or grants keys.

Every function runs in one transaction, so a failure (wrong password, a
grantee without a key) leaves nothing half-written.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils import timezone

from accounts.models import KeyGrant, PersonalKey, SharedKey, StaffUser
from accounts.roles import DECRYPTING_ROLES, MAY_GRANT, MAY_HOLD, KeyPurpose, Role
from backend.crypto import hpke, keywrap
from backend.crypto.errors import WrongPassword
from backend.sealed_fields import open_value, seal_value


class AccountError(Exception):
    """A request about accounts or keys that cannot be carried out; the message is safe to show."""


class NoPersonalKey(AccountError):
    pass


class NotAKeyHolder(AccountError):
    pass


class RoleNotAllowed(AccountError):
    pass


# --- Personal keys ----------------------------------------------------------------


def _personal_context(user: StaffUser, suite: str, public_key: bytes) -> bytes:
    return b"sanad/personal-key\x00" + str(user.pk).encode() + b"\x00" + suite.encode() + hashlib.sha256(public_key).digest()


def _wrap_personal(user: StaffUser, private_key: hpke.PrivateKey, password: str) -> bytes:
    public_raw = private_key.public_key().raw
    return keywrap.wrap(
        private_key.raw,
        password,
        context=_personal_context(user, private_key.suite.value, public_raw),
        **settings.SANAD_KEYWRAP_ARGON2,
    )


def personal_key_create(*, user: StaffUser, password: str, suite: hpke.Suite = hpke.DEFAULT_SUITE) -> PersonalKey:
    """Give `user` a new personal key pair wrapped under `password` (replacing any old one and its grants)."""
    private_key = hpke.generate_private_key(suite)
    with transaction.atomic():
        PersonalKey.objects.filter(user=user).delete()
        return PersonalKey.objects.create(
            user=user,
            suite=suite.value,
            public_key=private_key.public_key().raw,
            wrapped_private_key=_wrap_personal(user, private_key, password),
        )


def personal_key_unlock(*, user: StaffUser, password: str) -> hpke.PrivateKey:
    """The user's personal private key; WrongPassword or NoPersonalKey otherwise."""
    try:
        record = PersonalKey.objects.get(user=user)
    except PersonalKey.DoesNotExist:
        raise NoPersonalKey(f"{user.username} has no personal key.") from None
    public_raw = bytes(record.public_key)
    raw = keywrap.unwrap(
        bytes(record.wrapped_private_key), password, context=_personal_context(user, record.suite, public_raw)
    )
    private_key = hpke.load_private_key(hpke.Suite.parse(record.suite), raw)
    if private_key.public_key().raw != public_raw:
        raise WrongPassword("Personal key does not match its public key.")
    return private_key


# --- Staff accounts ------------------------------------------------------------------


def staff_create(
    *,
    username: str,
    password: str,
    roles: list[str],
    contact: str | None = None,
    acting_user: StaffUser | None = None,
) -> StaffUser:
    """Create a staff user with roles; users who may decrypt get a personal key pair."""
    role_values = [Role(role) for role in roles]
    if StaffUser.objects.filter(username=username).exists():
        raise AccountError(f"A staff user named {username!r} exists already.")
    candidate = StaffUser(username=username)
    validate_password(password, user=candidate)
    with transaction.atomic():
        user = StaffUser.objects.create_user(username=username, password=password)
        user.groups.set([Group.objects.get_or_create(name=role.value)[0] for role in role_values])
        if contact:
            user.contact_sealed = seal_value(user, "contact_sealed", contact.encode("utf-8"))
            user.save(update_fields=["contact_sealed"])
        if DECRYPTING_ROLES.intersection(role_values):
            personal_key_create(user=user, password=password)
    return user


def staff_contact(*, user: StaffUser) -> str | None:
    value = open_value(user, "contact_sealed")
    return None if value is None else value.decode("utf-8")


def staff_change_password(*, user: StaffUser, old_password: str, new_password: str) -> None:
    """Change a password the user knows, re-wrapping their personal key under the new one."""
    if not user.check_password(old_password):
        raise WrongPassword("Wrong password.")
    validate_password(new_password, user=user)
    with transaction.atomic():
        record = PersonalKey.objects.select_for_update().filter(user=user).first()
        if record is not None:
            private_key = personal_key_unlock(user=user, password=old_password)
            record.wrapped_private_key = _wrap_personal(user, private_key, new_password)
            record.save(update_fields=["wrapped_private_key"])
        user.set_password(new_password)
        user.save(update_fields=["password"])


def staff_reset_password(*, user: StaffUser, new_password: str, acting_user: StaffUser | None = None) -> int:
    """Set a password without the old one. The personal key and every grant are lost.

    A user who may decrypt gets a fresh personal key with no grants: access
    returns only when a key holder grants again. Returns the grants lost.
    """
    validate_password(new_password, user=user)
    with transaction.atomic():
        lost = KeyGrant.objects.filter(holder=user).count()
        PersonalKey.objects.filter(user=user).delete()
        user.set_password(new_password)
        user.save(update_fields=["password"])
        if DECRYPTING_ROLES.intersection(user.role_names):
            personal_key_create(user=user, password=new_password)
    return lost


# --- Shared keys and grants ----------------------------------------------------------


def _require_role(user: StaffUser, allowed: set[str], what: str) -> None:
    if not allowed.intersection(user.role_names):
        raise RoleNotAllowed(f"{user.username} has no role that may {what}.")


def _new_key_id(purpose: str) -> str:
    prefix = "ik" if purpose == KeyPurpose.INTAKE else "rk"
    return f"{prefix}-{secrets.token_hex(6)}"


def _wrap_grant(shared: SharedKey, holder_key: PersonalKey, private_key: hpke.PrivateKey) -> bytes:
    public = hpke.load_public_key(hpke.Suite.parse(holder_key.suite), bytes(holder_key.public_key))
    return hpke.encrypt(public, private_key.raw, info=hpke.grant_info(shared.key_id, str(holder_key.user_id)))


def shared_key_create(
    *, purpose: str, holder: StaffUser, suite: hpke.Suite = hpke.DEFAULT_SUITE, acting_user: StaffUser | None = None
) -> SharedKey:
    """Create an intake or relocation key pair, held at first only by `holder`."""
    purpose = KeyPurpose(purpose)
    _require_role(holder, MAY_GRANT[purpose], f"hold and grant {purpose} keys")
    try:
        holder_key = PersonalKey.objects.get(user=holder)
    except PersonalKey.DoesNotExist:
        raise NoPersonalKey(f"{holder.username} has no personal key.") from None
    private_key = hpke.generate_private_key(suite)
    with transaction.atomic():
        shared = SharedKey.objects.create(
            key_id=_new_key_id(purpose),
            purpose=purpose,
            suite=suite.value,
            public_key=private_key.public_key().raw,
            created_by=acting_user or holder,
        )
        KeyGrant.objects.create(
            shared_key=shared,
            holder=holder,
            holder_key=holder_key,
            wrapped_private_key=_wrap_grant(shared, holder_key, private_key),
            granted_by=acting_user or holder,
        )
    return shared


def shared_key_unlock(*, shared_key: SharedKey, user: StaffUser, personal_key: hpke.PrivateKey) -> hpke.PrivateKey:
    """The shared private key, opened from the user's grant with their unlocked personal key."""
    grant = (
        KeyGrant.objects.filter(shared_key=shared_key, holder=user, holder_key__user=user)
        .select_related("holder_key")
        .first()
    )
    if grant is None:
        raise NotAKeyHolder(f"{user.username} holds no grant of key {shared_key.key_id}.")
    raw = hpke.decrypt(
        personal_key, bytes(grant.wrapped_private_key), info=hpke.grant_info(shared_key.key_id, str(user.pk))
    )
    private_key = hpke.load_private_key(hpke.Suite.parse(shared_key.suite), raw)
    if private_key.public_key().raw != bytes(shared_key.public_key):
        raise NotAKeyHolder("The grant does not open to this key.")
    return private_key


def key_grant_create(
    *, shared_key: SharedKey, grantor: StaffUser, grantor_password: str, grantee: StaffUser
) -> KeyGrant:
    """Wrap a shared key the grantor holds to the grantee's personal key (replacing an old grant)."""
    purpose = KeyPurpose(shared_key.purpose)
    _require_role(grantor, MAY_GRANT[purpose], f"grant {purpose} keys")
    _require_role(grantee, MAY_HOLD[purpose], f"hold {purpose} keys")
    if not grantee.is_active:
        raise AccountError(f"{grantee.username} is deactivated.")
    try:
        grantee_key = PersonalKey.objects.get(user=grantee)
    except PersonalKey.DoesNotExist:
        raise NoPersonalKey(f"{grantee.username} has no personal key.") from None
    personal = personal_key_unlock(user=grantor, password=grantor_password)
    private_key = shared_key_unlock(shared_key=shared_key, user=grantor, personal_key=personal)
    with transaction.atomic():
        KeyGrant.objects.filter(shared_key=shared_key, holder=grantee).delete()
        return KeyGrant.objects.create(
            shared_key=shared_key,
            holder=grantee,
            holder_key=grantee_key,
            wrapped_private_key=_wrap_grant(shared_key, grantee_key, private_key),
            granted_by=grantor,
        )


def shared_key_retire(*, shared_key: SharedKey, acting_user: StaffUser | None = None) -> SharedKey:
    """Stop offering a key to clients; what was encrypted to it stays readable by its holders."""
    SharedKey.objects.filter(pk=shared_key.pk, active=True).update(active=False, retired_at=timezone.now())
    shared_key.refresh_from_db()
    return shared_key
