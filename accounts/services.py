"""Writes for staff accounts and keys: the only code that creates, wraps, grants or revokes keys.

Every function runs in one transaction, so a failure (wrong password, a
grantee without a key) leaves nothing half-written. Two rules hold throughout:
a grant is never removed if it is the last copy of a shared private key
(unless the caller forces it, which retires the key), and nobody whose roles
include one that never decrypts (sysadmin, auditor) holds a key.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets
import threading
import zlib
from contextlib import contextmanager

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, models, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.models import Coverage, KeyGrant, PersonalKey, RoleProposal, SharedKey, StaffUser, TOTPDevice
from accounts.roles import (
    DECRYPTING_ROLES,
    MAY_GRANT,
    MAY_HOLD,
    PURPOSE_WORDS,
    READS_ADDRESSES,
    READS_REPORTS,
    ROLE_PURPOSE,
    KeyPurpose,
    Role,
    active_roles,
    has_role,
    role_label,
    roles_conflict,
)
from accounts.session_store import sessions_end
from audit.actions import Action
from audit.models import AuditEntry
from audit.services import audit_record
from backend.crypto import hpke, keywrap
from backend.crypto.errors import CryptoError, WrongPassword
from backend.places import LANGUAGES, PLACES
from backend.sealed_fields import open_value, seal_value


class AccountError(Exception):
    """A request about accounts or keys that cannot be carried out; the message is safe to show."""


class NoPersonalKey(AccountError):
    pass


class NotAKeyHolder(AccountError):
    pass


class RoleNotAllowed(AccountError):
    pass


class WouldOrphanKey(AccountError):
    """The change would remove the last grant of a shared key, making its content unreadable."""

    def __init__(self, key_ids: list[str]) -> None:
        self.key_ids = key_ids
        super().__init__(
            ngettext(
                "This would remove the last holder of key %(key_ids)s: everything encrypted to it would become "
                "unreadable. Grant it to another holder first, or force it (the key is retired).",
                "This would remove the last holder of keys %(key_ids)s: everything encrypted to them would become "
                "unreadable. Grant them to another holder first, or force it (the keys are retired).",
                len(key_ids),
            )
            % {"key_ids": ", ".join(key_ids)}
        )


def _purpose_word(purpose: str) -> str:
    """The kind of key (intake, relocation) as a word for a sentence, in the active language."""
    return str(PURPOSE_WORDS.get(purpose, purpose))


# --- Personal keys ----------------------------------------------------------------


def _personal_context(user: StaffUser, suite: str, public_key: bytes) -> bytes:
    return (
        b"sanad/personal-key\x00"
        + str(user.pk).encode()
        + b"\x00"
        + suite.encode()
        + hashlib.sha256(public_key).digest()
    )


def _wrap_personal(user: StaffUser, private_key: hpke.PrivateKey, password: str) -> bytes:
    public_raw = private_key.public_key().raw
    return keywrap.wrap(
        private_key.raw,
        password,
        context=_personal_context(user, private_key.suite.value, public_raw),
        **settings.SANAD_KEYWRAP_ARGON2,
    )


def _personal_key_new(user: StaffUser, password: str, suite: hpke.Suite = hpke.DEFAULT_SUITE) -> PersonalKey:
    private_key = hpke.generate_private_key(suite)
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
        raise NoPersonalKey(_("%(username)s has no personal key.") % {"username": user.username}) from None
    public_raw = bytes(record.public_key)
    raw = keywrap.unwrap(
        bytes(record.wrapped_private_key), password, context=_personal_context(user, record.suite, public_raw)
    )
    private_key = hpke.load_private_key(hpke.Suite.parse(record.suite), raw)
    if private_key.public_key().raw != public_raw:
        raise WrongPassword("Personal key does not match its public key.")
    return private_key


# --- Grants: wrapping, opening, revoking ---------------------------------------------


def _wrap_grant(shared: SharedKey, holder_key: PersonalKey, private_key: hpke.PrivateKey) -> bytes:
    public = hpke.load_public_key(hpke.Suite.parse(holder_key.suite), bytes(holder_key.public_key))
    return hpke.encrypt(public, private_key.raw, info=hpke.grant_info(shared.key_id, str(holder_key.user_id)))


def _grant_create(shared: SharedKey, holder_key: PersonalKey, private_key: hpke.PrivateKey, granted_by_id) -> KeyGrant:
    """Store `private_key` (the shared key's) wrapped to `holder_key`; the caller holds the transaction."""
    return KeyGrant.objects.create(
        shared_key=shared,
        holder_id=holder_key.user_id,
        holder_key=holder_key,
        wrapped_private_key=_wrap_grant(shared, holder_key, private_key),
        granted_by_id=granted_by_id,
    )


def _open_grant(grant: KeyGrant, personal_key: hpke.PrivateKey) -> hpke.PrivateKey:
    shared = grant.shared_key
    raw = hpke.decrypt(
        personal_key, bytes(grant.wrapped_private_key), info=hpke.grant_info(shared.key_id, str(grant.holder_id))
    )
    private_key = hpke.load_private_key(hpke.Suite.parse(shared.suite), raw)
    if private_key.public_key().raw != bytes(shared.public_key):
        raise NotAKeyHolder(_("The grant does not open to this key."))
    return private_key


def _may_hold(user: StaffUser, purpose: str) -> bool:
    """Active, not a superuser, no role that never decrypts, and a role that may hold this purpose."""
    roles = active_roles(user)
    return not roles_conflict(roles) and bool(MAY_HOLD[KeyPurpose(purpose)] & roles)


def usable_holders(shared_key: SharedKey, *, excluding: StaffUser | None = None) -> int:
    """Holders of `shared_key` who may still use their grant (deactivated or demoted ones do not count)."""
    grants = KeyGrant.objects.filter(shared_key=shared_key).select_related("holder").prefetch_related("holder__groups")
    return sum(
        1
        for grant in grants
        if (excluding is None or grant.holder_id != excluding.pk) and _may_hold(grant.holder, shared_key.purpose)
    )


def _revoke_grants(user: StaffUser, grants, *, force: bool) -> int:
    """Delete these grants of `user`; refuse (or with force, retire the keys) if one leaves a key
    without another usable holder."""
    grants = list(grants.select_related("shared_key"))
    key_ids = [grant.shared_key_id for grant in grants]
    # Lock the keys first: two holders revoked at once must not each count the
    # other and leave the key with none.
    locked = {key.pk: key for key in SharedKey.objects.select_for_update().filter(pk__in=key_ids).order_by("pk")}
    orphaned = [
        locked[grant.shared_key_id]
        for grant in grants
        if usable_holders(locked[grant.shared_key_id], excluding=user) == 0
    ]
    if orphaned and not force:
        raise WouldOrphanKey(sorted(key.key_id for key in orphaned))
    for key in orphaned:
        _retire(key)
        audit_record(
            Action.KEY_RETIRED,
            actor=None,
            obj_type="shared_key",
            obj_id=key.key_id,
            details={"reason": "last_holder_removed"},
        )
    KeyGrant.objects.filter(pk__in=[grant.pk for grant in grants]).delete()
    return len(grants)


def _lock_user(user: StaffUser) -> StaffUser:
    """Lock the user's row: grants to them and changes of their roles or status take turns."""
    return StaffUser.objects.select_for_update().get(pk=user.pk)


# --- Staff accounts ------------------------------------------------------------------


def _groups(roles: set[str]) -> list[Group]:
    return [Group.objects.get_or_create(name=role)[0] for role in sorted(roles)]


def _check_roles(roles: list[str]) -> set[str]:
    values = {Role(role).value for role in roles}
    if not values:
        raise AccountError(_("A staff user needs at least one role."))
    if roles_conflict(values):
        if READS_ADDRESSES & values and READS_REPORTS & values:
            raise RoleNotAllowed(
                _(
                    "A relocation coordinator cannot also be a caseworker or a triage lead: one person would "
                    "know both who reported and where they sleep."
                )
            )
        raise RoleNotAllowed(_("Sysadmins and auditors never decrypt, so they cannot also hold a decrypting role."))
    return values


def _check_username(username: str) -> None:
    if not isinstance(username, str) or not username.strip() or len(username) > 150:
        raise AccountError(_("A username is 1 to 150 characters."))
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError:
        raise AccountError(_("A username holds only letters, digits and @ . + - _.")) from None


def staff_create(
    *,
    username: str,
    password: str,
    roles: list[str],
    contact: str | None = None,
    acting_user: StaffUser | None = None,
    password_set_by_owner: bool = False,
    via: str | None = None,
) -> StaffUser:
    """Create a staff user with roles.

    Roles that never decrypt (sysadmin, auditor) are given at once. A decrypting role
    (caseworker, triage lead, relocation coordinator) is only proposed: it takes effect
    when a key holder approves it (role_proposal_approve), or for the first holder of a
    purpose by role_bootstrap on the server. `acting_user` None is the server's command line.

    Unless the password was typed by its owner (`password_set_by_owner`), the
    user must choose their own at first login, and only then gets a personal
    key pair (if a role may decrypt): a key wrapped under a password that an
    account manager chose would open for that account manager. `via` ("admin",
    "command_line") is recorded with `password_set_by_owner` in the audit entry.
    """
    _check_username(username)
    role_values = _check_roles(roles)
    if StaffUser.objects.filter(username=username).exists():
        raise AccountError(_("A staff user named '%(username)s' exists already.") % {"username": username})
    validate_password(password, user=StaffUser(username=username))
    given, proposed = role_values - DECRYPTING_ROLES, role_values & DECRYPTING_ROLES
    try:
        with transaction.atomic():
            user = StaffUser.objects.create_user(
                username=username, password=password, must_change_password=not password_set_by_owner
            )
            user.groups.set(_groups(given))
            if contact:
                user.contact_sealed = seal_value(user, "contact_sealed", contact.encode("utf-8"))
                user.save(update_fields=["contact_sealed"])
            # Made now even for a role still pending: the key opens nothing by itself (no grant is made
            # to a user without an approved role), and this is the only moment the password is at hand.
            if proposed and password_set_by_owner:
                _personal_key_new(user, password)
            audit_record(
                Action.STAFF_CREATED,
                actor=acting_user,
                obj_type="staff",
                obj_id=str(user.pk),
                details={
                    "roles": ",".join(sorted(given)),
                    "proposed": sorted(proposed),
                    # Whether the password was typed as the person's own (create_staff --own-password), and
                    # where: the approve page says so rather than that they chose it themselves.
                    "own_password": password_set_by_owner,
                    "via": via,
                },
            )
            for role in sorted(proposed):
                _propose(user, role, acting_user)
    except DatabaseError:
        raise AccountError(_("A staff user named '%(username)s' exists already.") % {"username": username}) from None
    return user


def staff_contact(*, user: StaffUser) -> str | None:
    value = open_value(user, "contact_sealed")
    return None if value is None else value.decode("utf-8")


def staff_set_roles(
    *, user: StaffUser, roles: list[str], acting_user: StaffUser | None = None, force: bool = False
) -> list[RoleProposal]:
    """Make `roles` the user's roles, given or proposed; returns the proposals it made.

    Roles not in `roles` are removed at once (a pending proposal of one is cancelled), and the
    grants the remaining roles may not hold are revoked (never a key's last unless forced).
    A role that never decrypts is given at once. A decrypting role the user does not hold yet is
    only proposed: it takes effect when a key holder approves it (role_proposal_approve).
    So promoting a caseworker to triage lead without losing their grants is: propose triage lead
    keeping caseworker, and remove caseworker once approved.

    Nobody changes their own roles: an account manager must not be able to make
    themselves a triage lead (who sees every report's metadata).
    """
    if acting_user is not None and acting_user.pk == user.pk:
        raise RoleNotAllowed(_("Nobody may change their own roles; ask another account manager."))
    role_values = _check_roles(roles)
    role_proposals_expire(subject=user)
    with transaction.atomic():
        locked = _lock_user(user)
        list(PersonalKey.objects.select_for_update().filter(user=user))
        current = _group_names(user)
        pending = {p.role: p for p in RoleProposal.objects.select_for_update().filter(subject=user, state=_PENDING)}
        effective = (current & role_values) | (role_values - DECRYPTING_ROLES)
        to_propose = (role_values & DECRYPTING_ROLES) - current - set(pending)
        if to_propose and not locked.is_active:
            raise AccountError(_("%(username)s is deactivated.") % {"username": user.username})
        user.groups.set(_groups(effective))
        # Keys first, then the audit chain (each _close below writes an entry), as everywhere else:
        # the other order could deadlock with a grant or a deactivation.
        for purpose in KeyPurpose:
            if not MAY_HOLD[purpose] & effective:
                _revoke_grants(user, KeyGrant.objects.filter(holder=user, shared_key__purpose=purpose), force=force)
        for role, proposal in sorted(pending.items()):
            if role not in role_values:
                _lapse(proposal, acting_user, reason="roles_changed")
        if Role.SYSADMIN in current and Role.SYSADMIN not in role_values:
            # Their proposals lapse, as on deactivation: a key holder would be approving on the word
            # of someone no longer trusted to manage accounts.
            made_by = RoleProposal.objects.select_for_update().filter(proposed_by=user, state=_PENDING)
            for proposal in made_by.order_by("pk"):
                _lapse(proposal, acting_user, reason="proposer_not_sysadmin")
        if not DECRYPTING_ROLES & role_values:
            PersonalKey.objects.filter(user=user).delete()
        audit_record(
            Action.STAFF_ROLES_CHANGED,
            actor=acting_user,
            obj_type="staff",
            obj_id=str(user.pk),
            details={
                "roles": ",".join(sorted(effective)),
                "proposed": sorted((set(pending) & role_values) | to_propose),
                "forced": force,
            },
        )
        made = [_propose(user, role, acting_user) for role in sorted(to_propose)]
        # What a session may do follows from the roles: start again from a fresh login.
        sessions_end(user)
    return made


# --- Decrypting roles: proposed by one person, approved by a key holder ---------------------

_PENDING = RoleProposal.State.PENDING


def _pending_roles(user: StaffUser) -> set[str]:
    return set(RoleProposal.objects.filter(subject=user, state=_PENDING).values_list("role", flat=True))


def _group_names(user: StaffUser) -> set[str]:
    """The user's roles as stored now (not a prefetched or cached set)."""
    return set(user.groups.model.objects.filter(user=user).values_list("name", flat=True))


def _propose(user: StaffUser, role: str, acting_user: StaffUser | None, *, reason: str = "") -> RoleProposal:
    """Record a pending proposal (the caller holds the transaction and has checked the role set);
    `reason` goes into the audit entry when the proposal is not a plain request (e.g. password_reset)."""
    now = timezone.now()
    proposal = RoleProposal.objects.create(
        subject=user,
        role=role,
        proposed_by=acting_user,
        proposed_at=now,
        expires_at=now + datetime.timedelta(days=settings.SANAD_ROLE_PROPOSAL_DAYS),
    )
    audit_record(
        Action.ROLE_PROPOSED,
        actor=acting_user,
        obj_type="staff",
        obj_id=str(user.pk),
        details={
            "proposal": str(proposal.pk),
            "role": role,
            "expires": f"{proposal.expires_at:%Y-%m-%dT%H:%M}Z",
            **({"reason": reason} if reason else {}),
        },
    )
    return proposal


_CLOSED_ACTION = {
    RoleProposal.State.CANCELLED: Action.ROLE_PROPOSAL_CANCELLED,
    RoleProposal.State.REJECTED: Action.ROLE_PROPOSAL_REJECTED,
    RoleProposal.State.EXPIRED: Action.ROLE_PROPOSAL_EXPIRED,
}


def _close(proposal: RoleProposal, state: str, acting_user: StaffUser | None, *, reason: str) -> None:
    """End a pending proposal without giving the role (the caller holds its row locked)."""
    proposal.state = state
    proposal.decided_by = acting_user
    proposal.decided_at = timezone.now()
    proposal.save(update_fields=["state", "decided_by", "decided_at"])
    audit_record(
        _CLOSED_ACTION[state],
        actor=acting_user,
        obj_type="staff",
        obj_id=str(proposal.subject_id),
        details={"proposal": str(proposal.pk), "role": proposal.role, "reason": reason},
    )


def _lapse(proposal: RoleProposal, acting_user: StaffUser | None, *, reason: str) -> None:
    """End a pending proposal that no longer stands: cancelled, or expired if past its time already
    (never recorded as cancelled after it had lapsed by itself). The caller holds its row locked."""
    if proposal.is_open:
        _close(proposal, RoleProposal.State.CANCELLED, acting_user, reason=reason)
    else:
        _close(proposal, RoleProposal.State.EXPIRED, None, reason="expired")


def role_proposals_expire(*, subject: StaffUser | None = None, now=None) -> int:
    """Mark pending proposals past their time expired (audited), each in its own transaction; the number."""
    now = now or timezone.now()
    due = RoleProposal.objects.filter(state=_PENDING, expires_at__lte=now)
    if subject is not None:
        due = due.filter(subject=subject)
    expired = 0
    for pk in due.values_list("pk", flat=True)[:500]:
        with transaction.atomic():
            locked = RoleProposal.objects.select_for_update().get(pk=pk)
            if locked.state == _PENDING and locked.expires_at <= now:
                _close(locked, RoleProposal.State.EXPIRED, None, reason="expired")
                expired += 1
    return expired


def _may_approve(user: StaffUser, role: str) -> bool:
    """Whether `user` may approve `role` for someone: they may hold and grant keys of its purpose, and
    hold a grant of one (checked without the password; approving also opens the grant)."""
    purpose = ROLE_PURPOSE[role]
    return (
        _may_hold(user, purpose)
        and bool(MAY_GRANT[purpose] & active_roles(user))
        and KeyGrant.objects.filter(holder=user, shared_key__purpose=purpose).exists()
    )


def role_proposals_approvable(user: StaffUser):
    """Open proposals `user` could approve: of roles whose keys they hold and grant, of someone else,
    proposed by someone else."""
    roles = [role for role in DECRYPTING_ROLES if _may_approve(user, role)]
    return (
        RoleProposal.objects.filter(state=_PENDING, expires_at__gt=timezone.now(), role__in=roles)
        .exclude(subject=user)
        .exclude(proposed_by=user)
    )


def _lock_users(*users: StaffUser) -> dict:
    """Lock these users' rows in one order (their ids), so two approvals never wait on each other."""
    return {u.pk: u for u in StaffUser.objects.select_for_update().filter(pk__in=[u.pk for u in users]).order_by("pk")}


# What a wrong password at approval, key grant or password change is recorded as, and what a right one is:
# the count of wrong ones starts again after the person's last right one.
_PASSWORD_FAILURES = (Action.ROLE_APPROVAL_FAILED, Action.KEY_GRANT_FAILED, Action.PASSWORD_CHANGE_FAILED)
_PASSWORD_SUCCESSES = (Action.ROLE_APPROVED, Action.KEY_GRANTED, Action.STAFF_PASSWORD_CHANGED)


def _password_failures(user: StaffUser) -> int:
    """Wrong passwords `user` typed to approve a role, grant a key or change their password within the
    login cool-off time and after their last right one there, counted on the audit chain (so across
    processes, and without the cache)."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    mine = AuditEntry.objects.filter(actor_id=str(user.pk), at__gte=since)
    last_success = mine.filter(action__in=_PASSWORD_SUCCESSES).order_by("-seq").values_list("seq", flat=True).first()
    failures = mine.filter(action__in=_PASSWORD_FAILURES)
    if last_success is not None:
        failures = failures.filter(seq__gt=last_success)
    return failures.count()


def _too_many_minutes() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return ngettext(
        "Too many wrong passwords: try again in %(minutes)d minute.",
        "Too many wrong passwords: try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


def _check_password_budget(user: StaffUser) -> None:
    """Refuse before any password is tried once `user` has typed a wrong one as often as a login allows
    (AXES_FAILURE_LIMIT) within the cool-off time: a stolen session must not become a password oracle."""
    if _password_failures(user) >= settings.AXES_FAILURE_LIMIT:
        raise AccountError(_too_many_minutes())


def _password_failed(action: Action, user: StaffUser, *, obj_type: str, obj_id: str, details: dict) -> None:
    """Record a wrong password on the audit chain (ids only, never what was typed), in its own transaction."""
    with transaction.atomic():
        audit_record(action, actor=user, obj_type=obj_type, obj_id=obj_id, details=details)


# The first key of PostgreSQL's two-key advisory locks that stand for "a password attempt of this person".
_ATTEMPT_LOCK_CLASS = 0x53414E44 & 0x7FFFFFFF  # "SAND"
_local_attempts: set[str] = set()
_local_attempts_guard = threading.Lock()


class PasswordAttemptBusy(AccountError):
    """Another password attempt of the same person is being checked right now."""


def _attempt_busy() -> PasswordAttemptBusy:
    return PasswordAttemptBusy(
        # Translators: someone typed their password twice at once (e.g. two tabs); one is checked at a time.
        _("Another attempt with your password is being checked at this moment: wait, then try again.")
    )


@contextmanager
def _one_password_attempt(user: StaffUser):
    """Hold, for the whole check, the only password attempt of `user` (across processes on PostgreSQL by
    a session-level advisory lock; within this process elsewhere, enough for development): otherwise
    parallel requests all pass the budget before any failure is written, and each gets a guess.
    A second attempt meanwhile is refused at once (PasswordAttemptBusy), not queued."""
    key = str(user.pk)
    if connection.vendor == "postgresql":
        second = zlib.crc32(key.encode()) - 2**31  # a signed int4
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_ATTEMPT_LOCK_CLASS, second])
            if not cursor.fetchone()[0]:
                raise _attempt_busy()
        try:
            yield
        finally:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_ATTEMPT_LOCK_CLASS, second])
            except DatabaseError:
                # E.g. the caller's transaction was aborted meanwhile: a session-level lock would outlive it
                # on a kept connection and refuse this person's every attempt; closing the connection ends it.
                connection.close()
        return
    with _local_attempts_guard:
        if key in _local_attempts:
            raise _attempt_busy()
        _local_attempts.add(key)
    try:
        yield
    finally:
        with _local_attempts_guard:
            _local_attempts.discard(key)


def _password_attempt(user: StaffUser, check, *, action: Action, obj_type: str, obj_id: str, details: dict):
    """`check()` (which raises WrongPassword for a wrong password), with `user`'s budget of wrong passwords
    checked first and a wrong one recorded, one attempt of theirs at a time."""
    with _one_password_attempt(user):
        _check_password_budget(user)
        try:
            return check()
        except WrongPassword:
            _password_failed(action, user, obj_type=obj_type, obj_id=obj_id, details=details)
            raise


def _subject_chose_password(subject: StaffUser) -> None:
    if subject.must_change_password:
        raise AccountError(
            _(
                "%(username)s has not yet chosen their own password: whoever set the current one could log in "
                "as them. They must first log in and choose their own password; approve after that."
            )
            % {"username": subject.username}
        )


def _proposer_still_sysadmin(proposal: RoleProposal) -> None:
    """A proposal made by a person counts only while that person is an active sysadmin (the server's
    command line, proposed_by None, always counts)."""
    if proposal.proposed_by_id is None:
        return
    if not StaffUser.objects.with_role(Role.SYSADMIN).filter(pk=proposal.proposed_by_id).exists():
        raise RoleNotAllowed(_("Whoever proposed this role is not a system administrator now: it cannot be approved."))


def role_proposal_approve(
    *, proposal: RoleProposal, approver: StaffUser, approver_password: str, via: str | None = None
) -> RoleProposal:
    """Give a proposed decrypting role: the second person of the two.

    The approver must hold a key of the role's purpose and be one who may grant it (a triage lead
    holding an intake key for a caseworker or triage lead; a relocation coordinator holding a
    relocation key for a coordinator), proved by opening their grant with their password. Never the
    proposer, never the subject. The proposal must still be open, its proposer (if a person) still an
    active sysadmin, the subject active and holding a password of their own choosing, and the role
    must not conflict with the roles they hold now. WrongPassword (a CryptoError) for a wrong password:
    audited, and after AXES_FAILURE_LIMIT of them within AXES_COOLOFF_TIME every attempt is refused
    for a while. `via` ("admin", "command_line") is recorded in the audit entry.
    """
    purpose = ROLE_PURPOSE[proposal.role]
    if approver.pk in (proposal.subject_id, proposal.proposed_by_id):
        raise RoleNotAllowed(_("A role is approved by a second person: neither who proposed it nor who receives it."))
    _subject_chose_password(StaffUser.objects.get(pk=proposal.subject_id))
    # The slow part (Argon2id), outside any row lock.
    _password_attempt(
        approver,
        lambda: _prove_holder(approver, approver_password, purpose),
        action=Action.ROLE_APPROVAL_FAILED,
        obj_type="staff",
        obj_id=str(proposal.subject_id),
        details={"proposal": str(proposal.pk), "approver": str(approver.pk), "role": proposal.role, "via": via},
    )
    role_proposals_expire(subject=proposal.subject)
    with transaction.atomic():
        proposer = [proposal.proposed_by] if proposal.proposed_by_id else []
        users = _lock_users(approver, proposal.subject, *proposer)
        locked = RoleProposal.objects.select_for_update().select_related("subject").get(pk=proposal.pk)
        # Checked again under the locks: a deactivation or role change meanwhile waited, or came first.
        if not _may_approve(users[approver.pk], locked.role):
            raise RoleNotAllowed(
                # Translators: %(purpose)s is a kind of key: intake or relocation.
                _("Only a holder of a %(purpose)s key who may grant it can approve this role.")
                % {"purpose": _purpose_word(purpose)}
            )
        if not locked.is_open:
            raise AccountError(_("This proposal is no longer open (approved, cancelled, rejected or expired)."))
        _proposer_still_sysadmin(locked)
        subject = users[locked.subject_id]
        _subject_chose_password(subject)
        _give_role(subject, locked)
        locked.state = RoleProposal.State.APPROVED
        locked.decided_by = approver
        locked.decided_at = timezone.now()
        locked.save(update_fields=["state", "decided_by", "decided_at"])
        audit_record(
            Action.ROLE_APPROVED,
            actor=approver,
            obj_type="staff",
            obj_id=str(subject.pk),
            details={
                "proposal": str(locked.pk),
                "role": locked.role,
                "proposed_by": str(locked.proposed_by_id) if locked.proposed_by_id else None,
                "via": via,
            },
        )
        sessions_end(subject)
    return locked


def _give_role(subject: StaffUser, proposal: RoleProposal) -> None:
    """Join the role's group after checking the subject may still have it (caller holds the locks)."""
    if not subject.is_active:
        raise AccountError(_("%(username)s is deactivated.") % {"username": subject.username})
    held = _group_names(subject)
    if roles_conflict(held | {proposal.role}):
        raise RoleNotAllowed(
            # Translators: %(role)s is a role's name, %(roles)s the roles the member of staff holds now.
            _("%(role)s does not go with the roles %(username)s holds now (%(roles)s).")
            % {
                "role": role_label(proposal.role),
                "username": subject.username,
                "roles": ", ".join(role_label(name) for name in sorted(held)),
            }
        )
    subject.groups.add(*_groups({proposal.role}))


def role_proposal_cancel(*, proposal: RoleProposal, acting_user: StaffUser | None) -> RoleProposal:
    """Withdraw a pending proposal: a sysadmin (or the server's command line, acting_user None)."""
    if acting_user is not None and not has_role(acting_user, Role.SYSADMIN):
        raise RoleNotAllowed(_("Only a system administrator may cancel a role proposal."))
    return _decide_against(proposal, RoleProposal.State.CANCELLED, acting_user, reason="cancelled")


def role_proposal_reject(*, proposal: RoleProposal, acting_user: StaffUser) -> RoleProposal:
    """Refuse a pending proposal: someone who could have approved it (no password: refusing opens nothing)."""
    if acting_user.pk == proposal.subject_id or not _may_approve(acting_user, proposal.role):
        raise RoleNotAllowed(
            # Translators: %(purpose)s is a kind of key: intake or relocation.
            _("Only a holder of a %(purpose)s key who may grant it can reject this role.")
            % {"purpose": _purpose_word(ROLE_PURPOSE[proposal.role])}
        )
    return _decide_against(proposal, RoleProposal.State.REJECTED, acting_user, reason="rejected")


def _decide_against(proposal: RoleProposal, state: str, acting_user: StaffUser | None, *, reason: str):
    # As approval does: one past its time is first recorded as expired, never as cancelled or rejected.
    role_proposals_expire(subject=proposal.subject)
    with transaction.atomic():
        _lock_user(proposal.subject)
        locked = RoleProposal.objects.select_for_update().get(pk=proposal.pk)
        if not locked.is_open:
            raise AccountError(_("This proposal is no longer open (approved, cancelled, rejected or expired)."))
        _close(locked, state, acting_user, reason=reason)
    return locked


def role_bootstrap(*, proposal: RoleProposal) -> RoleProposal:
    """Give the first holder of a purpose their role without approval: the server's command line only.

    Nobody can approve a role of a purpose while no key of it exists: there is no holder. So, and only
    then, a role that may create the first key (triage lead for intake, relocation coordinator for
    relocation) is given from the server, which has full control anyway; audited as bootstrapped.
    Once any key of the purpose exists (active or retired), every such role needs a holder's approval.
    Never called by the admin.
    """
    purpose = ROLE_PURPOSE[proposal.role]
    if proposal.role not in MAY_GRANT[purpose]:
        raise RoleNotAllowed(
            # Translators: %(role)s is a role's name, %(purpose)s a kind of key (intake or relocation).
            _(
                "Only a role that creates %(purpose)s keys can be given without approval; %(role)s needs a key holder's approval."
            )
            % {"purpose": _purpose_word(purpose), "role": role_label(proposal.role)}
        )
    with transaction.atomic():
        subject = _lock_user(proposal.subject)
        locked = RoleProposal.objects.select_for_update().get(pk=proposal.pk)
        if SharedKey.objects.filter(purpose=purpose).exists():
            raise RoleNotAllowed(
                # Translators: %(purpose)s is a kind of key: intake or relocation.
                _("A %(purpose)s key exists: a holder of it must approve this role (in the admin, Role proposals).")
                % {"purpose": _purpose_word(purpose)}
            )
        if not locked.is_open:
            raise AccountError(_("This proposal is no longer open (approved, cancelled, rejected or expired)."))
        _give_role(subject, locked)
        locked.state = RoleProposal.State.BOOTSTRAPPED
        locked.decided_at = timezone.now()
        locked.save(update_fields=["state", "decided_at"])
        audit_record(
            Action.ROLE_BOOTSTRAPPED,
            actor=None,
            obj_type="staff",
            obj_id=str(subject.pk),
            details={"proposal": str(locked.pk), "role": locked.role, "purpose": purpose, "no_key_holder": True},
        )
        sessions_end(subject)
    return locked


def staff_deactivate(*, user: StaffUser, acting_user: StaffUser | None = None, force: bool = False) -> int:
    """Deactivate a user and revoke every grant they hold (never a key's last unless forced)."""
    with transaction.atomic():
        _lock_user(user)
        revoked = _revoke_grants(user, KeyGrant.objects.filter(holder=user), force=force)
        StaffUser.objects.filter(pk=user.pk).update(is_active=False)
        # Roles proposed for them, or by them, lapse: a proposer who had to go is not to be trusted on
        # whom to give keys to, and a second person would be approving on their word.
        proposals = RoleProposal.objects.select_for_update().filter(
            models.Q(subject=user) | models.Q(proposed_by=user), state=_PENDING
        )
        for proposal in proposals.order_by("pk"):
            _lapse(proposal, acting_user, reason="deactivated")
        audit_record(
            Action.STAFF_DEACTIVATED,
            actor=acting_user,
            obj_type="staff",
            obj_id=str(user.pk),
            details={"grants_revoked": revoked, "forced": force},
        )
        sessions_end(user)
    user.is_active = False
    return revoked


def staff_change_password(*, user: StaffUser, old_password: str, new_password: str) -> None:
    """Change a password the user knows. A fresh personal key pair replaces the old one and
    every grant is re-wrapped to it, so an old backup plus the old password opens nothing new.

    The old password (also the personal key's) is tried within the same budget of wrong passwords as
    approval and key grant, one attempt at a time, and a wrong one is audited: a stolen session must not
    become a way to guess it."""

    def check() -> None:
        if not user.check_password(old_password):
            raise WrongPassword("Wrong password.")

    _password_attempt(
        user,
        check,
        action=Action.PASSWORD_CHANGE_FAILED,
        obj_type="staff",
        obj_id=str(user.pk),
        details={"user": str(user.pk)},
    )
    if new_password == old_password:
        # Above all when someone else chose the old one: it must not become the key's password.
        raise AccountError(_("Choose a new password, not the current one."))
    validate_password(new_password, user=user)
    with transaction.atomic():
        _lock_user(user)
        record = PersonalKey.objects.select_for_update().filter(user=user).first()
        if record is not None:
            old_private = personal_key_unlock(user=user, password=old_password)
            grants = list(KeyGrant.objects.filter(holder=user).select_related("shared_key"))
            opened = [(grant.shared_key, _open_grant(grant, old_private)) for grant in grants]
            granted_by = {grant.shared_key_id: grant.granted_by_id for grant in grants}
            KeyGrant.objects.filter(pk__in=[grant.pk for grant in grants]).delete()
            record.delete()
            new_record = _personal_key_new(user, new_password, hpke.Suite.parse(record.suite))
            for shared, private_key in opened:
                _grant_create(shared, new_record, private_key, granted_by[shared.pk])
        elif DECRYPTING_ROLES & (user.role_names | _pending_roles(user)):
            # Given (or proposed) a decrypting role after creation: the password is at hand now.
            _personal_key_new(user, new_password)
        user.set_password(new_password)
        user.must_change_password = False
        user.save(update_fields=["password", "must_change_password"])
        audit_record(Action.STAFF_PASSWORD_CHANGED, actor=user, obj_type="staff", obj_id=str(user.pk))
        # Sessions hold the old personal key: end them all; the user logs in again.
        sessions_end(user)


def staff_reset_password(
    *, user: StaffUser, new_password: str, acting_user: StaffUser | None = None, force: bool = False
) -> int:
    """Set a password without the old one. The personal key and every grant are lost.

    Refused if the user holds the last grant of a key, unless forced (the key is
    retired). The user must choose their own password at their next login and
    gets a fresh personal key only then, with no grants: access returns only
    when a key holder grants again. The TOTP device goes
    too (a reset usually means a lost phone, and whoever asked for the reset
    must not inherit a working second factor); the user enrols again at their
    next login. The user leaves every decrypting role, and each is proposed again
    (by `acting_user`; None is the server's command line): whoever typed the new
    password could otherwise log in and act in the role, so a key holder must
    approve it again, which they can only once the user has chosen their own
    password. Every session ends. Returns the grants lost.
    """
    if acting_user is not None and acting_user.pk == user.pk:
        raise AccountError(
            # Translators: "Change password" is the link at the top of every admin page; use its translation.
            _("Change your own password with your current one (Change password), not by a reset.")
        )
    validate_password(new_password, user=user)
    role_proposals_expire(subject=user)
    with transaction.atomic():
        locked = _lock_user(user)
        list(PersonalKey.objects.select_for_update().filter(user=user))
        # Only a proposal still open stands for its role: one that lapsed since role_proposals_expire above is
        # recorded as expired now, and its role is proposed again like the others.
        pending = set()
        for proposal in RoleProposal.objects.select_for_update().filter(subject=user, state=_PENDING).order_by("pk"):
            if proposal.is_open:
                pending.add(proposal.role)
            else:
                _lapse(proposal, acting_user, reason="expired")
        lost = _revoke_grants(user, KeyGrant.objects.filter(holder=user), force=force)
        PersonalKey.objects.filter(user=user).delete()
        user.set_password(new_password)
        user.must_change_password = True
        user.save(update_fields=["password", "must_change_password"])
        TOTPDevice.objects.filter(user=user).delete()
        # Whoever typed the new password could log in as the user: a decrypting role (which reads places,
        # categories and assignees even without a grant) must not come with it. The user leaves it, and it is
        # proposed again, for a key holder to approve once the user has chosen their own password.
        current = _group_names(user)
        removed = current & DECRYPTING_ROLES
        if removed:
            user.groups.set(_groups(current - removed))
        audit_record(
            Action.STAFF_PASSWORD_RESET,
            actor=acting_user,
            obj_type="staff",
            obj_id=str(user.pk),
            details={"grants_lost": lost, "forced": force, "roles_removed": sorted(removed)},
        )
        if locked.is_active:  # a deactivated user's proposal could never be approved
            for role in sorted(removed - pending):
                _propose(user, role, acting_user, reason="password_reset")
        sessions_end(user)
    return lost


# --- Shared keys -------------------------------------------------------------------------


def _attestation(shared: SharedKey) -> bytes:
    state = b"active" if shared.active else b"retired"
    return b"\x00".join(
        [
            b"sanad/shared-key/v2",
            shared.key_id.encode(),
            shared.purpose.encode(),
            shared.suite.encode(),
            hashlib.sha256(bytes(shared.public_key)).digest(),
            state,
        ]
    )


def shared_key_attested(shared: SharedKey) -> bool:
    """True if the row's sealed attestation matches its key id, purpose, suite, public key and state
    (a retired key flipped back to active by a database write does not pass)."""
    try:
        sealed = open_value(shared, "attestation_sealed")
    except CryptoError:
        return False
    return sealed is not None and hmac.compare_digest(sealed, _attestation(shared))


def _new_key_id(purpose: str) -> str:
    prefix = "ik" if purpose == KeyPurpose.INTAKE else "rk"
    return f"{prefix}-{secrets.token_hex(6)}"


def _require_granter(user: StaffUser, purpose: str) -> None:
    """Refuse a user who may not both hold and pass on keys of `purpose`."""
    if not (_may_hold(user, purpose) and MAY_GRANT[KeyPurpose(purpose)] & user.role_names):
        raise RoleNotAllowed(
            # Translators: %(purpose)s is a kind of key: intake or relocation.
            _("%(username)s has no role that may hold and grant %(purpose)s keys.")
            % {"username": user.username, "purpose": _purpose_word(purpose)}
        )


def _prove_holder(holder: StaffUser, password: str, purpose: str) -> hpke.PrivateKey:
    """Check `holder` may grant keys of `purpose` and holds one (any, active or retired), by opening it."""
    _require_granter(holder, purpose)
    personal = personal_key_unlock(user=holder, password=password)
    grant = KeyGrant.objects.filter(holder=holder, shared_key__purpose=purpose).select_related("shared_key").first()
    if grant is None:
        # Translators: %(purpose)s is a kind of key: intake or relocation.
        raise NotAKeyHolder(_("Only a holder of a %(purpose)s key may do this.") % {"purpose": _purpose_word(purpose)})
    _open_grant(grant, personal)
    return personal


def shared_key_create(
    *, purpose: str, holder: StaffUser, holder_password: str, suite: hpke.Suite = hpke.DEFAULT_SUITE
) -> SharedKey:
    """Create an intake or relocation key pair, held at first only by `holder`.

    Only the very first key of a purpose may be created by any triage lead;
    after that only someone holding a key of that purpose (active or retired)
    may, proving it by opening their grant. So an account manager who retires
    keys and invents new leads still cannot mint a key clients would use. If
    every holder is ever lost, restore holders from a backup (they know their
    old passwords); there is deliberately no in-app way around it.
    """
    purpose = KeyPurpose(purpose)
    if SharedKey.objects.filter(purpose=purpose).exists():
        _prove_holder(holder, holder_password, purpose)
    else:
        _require_granter(holder, purpose)
        personal_key_unlock(user=holder, password=holder_password)
    holder_key = PersonalKey.objects.get(user=holder)
    private_key = hpke.generate_private_key(suite)
    with transaction.atomic():
        shared = SharedKey(
            key_id=_new_key_id(purpose),
            purpose=purpose,
            suite=suite.value,
            public_key=private_key.public_key().raw,
            created_by=holder,
        )
        shared.attestation_sealed = seal_value(shared, "attestation_sealed", _attestation(shared))
        shared.save()
        _grant_create(shared, holder_key, private_key, holder.pk)
        audit_record(
            Action.KEY_CREATED,
            actor=holder,
            obj_type="shared_key",
            obj_id=shared.key_id,
            details={"purpose": shared.purpose, "suite": shared.suite},
        )
    return shared


def shared_key_unlock(*, shared_key: SharedKey, user: StaffUser, personal_key: hpke.PrivateKey) -> hpke.PrivateKey:
    """The shared private key, opened from the user's grant with their unlocked personal key.

    Refused to a deactivated user or one whose roles no longer allow holding it,
    even if a grant row survived.
    """
    if not _may_hold(user, shared_key.purpose):
        raise NotAKeyHolder(
            # Translators: %(purpose)s is a kind of key: intake or relocation.
            _("%(username)s may not hold %(purpose)s keys.")
            % {"username": user.username, "purpose": _purpose_word(shared_key.purpose)}
        )
    grant = (
        KeyGrant.objects.filter(shared_key=shared_key, holder=user, holder_key__user=user)
        .select_related("shared_key")
        .first()
    )
    if grant is None:
        raise NotAKeyHolder(
            _("%(username)s holds no grant of key %(key_id)s.")
            % {"username": user.username, "key_id": shared_key.key_id}
        )
    return _open_grant(grant, personal_key)


# What someone without a usable grant of a key is told: who can grant them one.
# Keep in step with MAY_GRANT (a whole sentence per purpose, so that it translates).
_ASK_FOR_A_GRANT = {
    KeyPurpose.INTAKE: gettext_lazy(
        "You hold no usable grant of key %(key_id)s. A triage lead who holds it can grant it to you."
    ),
    KeyPurpose.RELOCATION: gettext_lazy(
        "You hold no usable grant of key %(key_id)s. A relocation coordinator who holds it can grant it to you."
    ),
}


class SharedKeyOpener:
    """Shared private keys (intake, relocation) opened with one session's personal key, each at most once.

    Made for one request: the opened keys live only as long as this object.
    Errors are AccountErrors whose message tells the member of staff what to do.
    """

    def __init__(self, *, user: StaffUser, personal_key: hpke.PrivateKey | None) -> None:
        self.user, self.personal_key = user, personal_key
        self._opened: dict = {}

    def open(self, shared_key: SharedKey) -> hpke.PrivateKey:
        if self.personal_key is None:
            raise NoPersonalKey(_("Your personal key is not unlocked in this session. Log out and in again."))
        if shared_key.pk not in self._opened:
            try:
                self._opened[shared_key.pk] = shared_key_unlock(
                    shared_key=shared_key, user=self.user, personal_key=self.personal_key
                )
            except (AccountError, CryptoError):
                raise NotAKeyHolder(
                    _ASK_FOR_A_GRANT[KeyPurpose(shared_key.purpose)] % {"key_id": shared_key.key_id}
                ) from None
        return self._opened[shared_key.pk]


def key_grant_password_check(*, shared_key: SharedKey, grantor: StaffUser, grantor_password: str, grantee: StaffUser):
    """Try the grantor's password as key_grant_create does (budget, one attempt at a time, a wrong one
    audited), and nothing else: for a caller that then grants in a transaction of its own, where a
    wrong password's audit entry would be rolled back with the rest."""
    _password_attempt(
        grantor,
        lambda: personal_key_unlock(user=grantor, password=grantor_password),
        action=Action.KEY_GRANT_FAILED,
        obj_type="shared_key",
        obj_id=shared_key.key_id,
        details={"grantee": str(grantee.pk), "grantor": str(grantor.pk)},
    )


def key_grant_create(
    *, shared_key: SharedKey, grantor: StaffUser, grantor_password: str, grantee: StaffUser
) -> KeyGrant:
    """Wrap a shared key the grantor holds to the grantee's personal key (replacing an old grant)."""
    purpose = KeyPurpose(shared_key.purpose)
    _require_granter(grantor, purpose)
    if not grantee.is_active:
        raise AccountError(_("%(username)s is deactivated.") % {"username": grantee.username})
    if grantee.must_change_password:
        raise AccountError(
            _("%(username)s has not yet chosen their own password; grant after their first login.")
            % {"username": grantee.username}
        )
    if not _may_hold(grantee, purpose):
        raise RoleNotAllowed(
            # Translators: %(purpose)s is a kind of key: intake or relocation.
            _("%(username)s has no role that may hold %(purpose)s keys.")
            % {"username": grantee.username, "purpose": _purpose_word(purpose)}
        )
    personal = _password_attempt(
        grantor,
        lambda: personal_key_unlock(user=grantor, password=grantor_password),
        action=Action.KEY_GRANT_FAILED,
        obj_type="shared_key",
        obj_id=shared_key.key_id,
        details={"grantee": str(grantee.pk), "grantor": str(grantor.pk)},
    )
    private_key = shared_key_unlock(shared_key=shared_key, user=grantor, personal_key=personal)
    try:
        with transaction.atomic():
            # Locked and checked again: a deactivation, role change or password
            # change of the grantee during the unlock above waits, or ran first.
            if not _may_hold(_lock_user(grantee), purpose):
                raise RoleNotAllowed(
                    # Translators: %(purpose)s is a kind of key: intake or relocation.
                    _("%(username)s may no longer hold %(purpose)s keys.")
                    % {"username": grantee.username, "purpose": _purpose_word(purpose)}
                )
            grantee_key = PersonalKey.objects.select_for_update().filter(user=grantee).first()
            if grantee_key is None:
                raise NoPersonalKey(_("%(username)s has no personal key.") % {"username": grantee.username})
            KeyGrant.objects.filter(shared_key=shared_key, holder=grantee).delete()
            grant = _grant_create(shared_key, grantee_key, private_key, grantor.pk)
            audit_record(
                Action.KEY_GRANTED,
                actor=grantor,
                obj_type="shared_key",
                obj_id=shared_key.key_id,
                details={"grantee": str(grantee.pk)},
            )
            return grant
    except (DatabaseError, ProtectedError):
        raise AccountError(_("Another change to this user was made at the same moment; try again.")) from None


def _retire(shared_key: SharedKey) -> None:
    """Mark retired and re-seal the attestation to say so (caller holds the transaction)."""
    shared_key.active = False
    shared_key.retired_at = shared_key.retired_at or timezone.now()
    shared_key.attestation_sealed = seal_value(shared_key, "attestation_sealed", _attestation(shared_key))
    shared_key.save(update_fields=["active", "retired_at", "attestation_sealed"])


def shared_key_retire(*, shared_key: SharedKey, holder: StaffUser, holder_password: str) -> SharedKey:
    """Stop offering a key to clients; what was encrypted to it stays readable by its holders.

    Only a holder of a key of the same purpose may retire one: retiring every
    key must not open the way to minting a new first key.
    """
    _prove_holder(holder, holder_password, shared_key.purpose)
    with transaction.atomic():
        locked = SharedKey.objects.select_for_update().get(pk=shared_key.pk)
        if locked.active:
            _retire(locked)
            audit_record(Action.KEY_RETIRED, actor=holder, obj_type="shared_key", obj_id=locked.key_id)
    shared_key.refresh_from_db()
    return shared_key


# --- Coverage: what each caseworker takes in triage ------------------------------------

MAX_CAPACITY = 1000


def coverage_clean(*, governorates, languages, capacity) -> tuple[list[str], list[str], int]:
    """(places, languages, capacity) checked and sorted; AccountError naming what is wrong."""
    places = sorted({str(code).strip() for code in governorates or [] if str(code).strip()})
    langs = sorted({str(code).strip() for code in languages or [] if str(code).strip()})
    unknown = [code for code in places if code not in PLACES] + [code for code in langs if code not in LANGUAGES]
    if unknown:
        raise AccountError(
            ngettext(
                "Unknown place or language code: %(codes)s.",
                "Unknown place or language codes: %(codes)s.",
                len(unknown),
            )
            % {"codes": ", ".join(unknown)}
        )
    if not places:
        raise AccountError(_("Choose at least one place (a governorate, or a country for reporters abroad)."))
    if not langs:
        # Translators: %(codes)s lists the language codes that may be chosen, e.g. "ar, ckb, en".
        raise AccountError(_("Choose at least one language (%(codes)s).") % {"codes": ", ".join(sorted(LANGUAGES))})
    if isinstance(capacity, bool) or not isinstance(capacity, int) or not 1 <= capacity <= MAX_CAPACITY:
        raise AccountError(_("Capacity is 1 to %(max)d open cases.") % {"max": MAX_CAPACITY})
    return places, langs, capacity


def coverage_set(
    *,
    user: StaffUser,
    governorates,
    languages,
    capacity: int,
    accepting: bool = True,
    acting_user: StaffUser | None = None,
) -> Coverage:
    """Set what `user` (an active caseworker) takes in triage; on the audit chain (acting_user None: a server shell).

    Coverage decides whose queue a report lands in, and so who may claim and read it.
    """
    places, langs, capacity = coverage_clean(governorates=governorates, languages=languages, capacity=capacity)
    with transaction.atomic():
        _lock_user(user)  # a role change waits for this one, and this one sees it if it came first
        if not StaffUser.objects.caseworkers().filter(pk=user.pk).exists():
            raise RoleNotAllowed(_("%(username)s is not an active caseworker.") % {"username": user.username})
        coverage, _created = Coverage.objects.update_or_create(
            user=user,
            defaults={"governorates": places, "languages": langs, "capacity": capacity, "accepting": bool(accepting)},
        )
        audit_record(
            Action.COVERAGE_CHANGED,
            actor=acting_user,
            obj_type="staff",
            obj_id=str(user.pk),
            details={
                "governorates": places if len(places) <= 32 else f"{len(places)} codes",
                "languages": langs,
                "capacity": capacity,
                "accepting": bool(accepting),
            },
        )
    return coverage
