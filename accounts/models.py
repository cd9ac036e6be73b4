"""Staff users, their personal key pairs, shared key pairs and grants of those.

Nothing here holds a private key in clear: personal private keys are wrapped
under the user's password (Argon2id), and shared (intake/relocation) private
keys exist only as grants, HPKE-wrapped to a holder's personal public key.
"""

from __future__ import annotations

import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin, TimestampMixin

from accounts.roles import PURPOSE_WORDS, KeyPurpose, Role
from backend.crypto.hpke import Suite

SUITE_CHOICES = [(suite.value, suite.value) for suite in Suite]


class StaffUserQuerySet(models.QuerySet):
    """The role questions, asked once here: who may act in a role now."""

    def acting(self) -> StaffUserQuerySet:
        """Users who may act in their roles now: active, and not superusers (who hold no role)."""
        return self.filter(is_active=True, is_superuser=False)

    def with_role(self, role: str) -> StaffUserQuerySet:
        """Acting users who hold `role` (one group each, so no row repeats)."""
        return self.acting().filter(groups__name=role)

    def caseworkers(self) -> StaffUserQuerySet:
        return self.with_role(Role.CASEWORKER)

    def triage_leads(self) -> StaffUserQuerySet:
        return self.with_role(Role.TRIAGE_LEAD)

    def holding(self, shared_key_id) -> StaffUserQuerySet:
        """Users with a grant of this shared key (one grant per key and holder, so no row repeats)."""
        return self.filter(key_grants__shared_key_id=shared_key_id)


class StaffUserManager(BaseUserManager.from_queryset(StaffUserQuerySet)):
    use_in_migrations = True

    def create_user(self, username: str, password: str | None = None, **extra):
        user = self.model(username=username, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, username: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(username, password, **extra)


class StaffUser(AbstractBaseUser, PermissionsMixin):
    """A member of staff. Reporters have no account."""

    id = models.UUIDField(_("id"), primary_key=True, default=uuid.uuid4, editable=False)
    username = models.CharField(_("username"), max_length=150, unique=True, validators=[UnicodeUsernameValidator()])
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff status"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    # Contact address for notifications, sealed: a staff list with addresses
    # is a target list. Opened only through accounts.services.
    contact_sealed = models.BinaryField(_("contact (sealed)"), null=True, blank=True, editable=False)
    # Set when someone else chose the password (account creation, a reset). Such a
    # user gets no personal key and no admin access until they choose their own:
    # a key wrapped under a password the sysadmin knows would be the sysadmin's key.
    must_change_password = models.BooleanField(_("must change password"), default=False)
    # The language of the staff screens and of the notifications sent to this user
    # (one of settings.LANGUAGES); blank follows the browser.
    language = models.CharField(_("language"), max_length=8, blank=True, default="")

    objects = StaffUserManager()

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("staff user")
        verbose_name_plural = _("staff users")

    def __str__(self) -> str:
        return self.username

    @property
    def role_names(self) -> set[str]:
        # .all() (not values_list) so a prefetch_related("groups") is used.
        return {group.name for group in self.groups.all()}


class PersonalKey(models.Model):
    """A staff member's HPKE key pair; the private half wrapped under their password."""

    id = models.UUIDField(_("id"), primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField(
        StaffUser, on_delete=models.CASCADE, related_name="personal_key", verbose_name=_("user")
    )
    # Translators: the set of cryptographic algorithms a key is for (an HPKE cipher suite).
    suite = models.CharField(_("suite"), max_length=32, choices=SUITE_CHOICES)
    public_key = models.BinaryField(_("public key"))
    wrapped_private_key = models.BinaryField(_("wrapped private key"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("personal key")
        verbose_name_plural = _("personal keys")

    def __str__(self) -> str:
        return _("personal key %(id)s") % {"id": self.pk}


class SharedKey(models.Model):
    """An intake or relocation key pair. The private half exists only in KeyGrants."""

    id = models.UUIDField(_("id"), primary_key=True, default=uuid.uuid4, editable=False)
    key_id = models.CharField(_("key id"), max_length=32, unique=True)
    purpose = models.CharField(_("purpose"), max_length=16, choices=KeyPurpose.choices)
    # Translators: the set of cryptographic algorithms a key is for (an HPKE cipher suite).
    suite = models.CharField(_("suite"), max_length=32, choices=SUITE_CHOICES)
    public_key = models.BinaryField(_("public key"))
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        StaffUser, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("created by")
    )
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)
    # Sealed attestation of (key_id, purpose, suite, public key): someone who can
    # write this table but lacks the sealing keys cannot slip in a key of their
    # own for clients to encrypt to. Checked before a key is ever served.
    attestation_sealed = models.BinaryField(_("attestation (sealed)"), editable=False)

    class Meta:
        verbose_name = _("shared key")
        verbose_name_plural = _("shared keys")
        indexes = [models.Index(fields=["purpose", "active"])]

    def __str__(self) -> str:
        # Translators: a shared key, e.g. "intake key ik-0123456789ab"; %(purpose)s is the kind of key.
        return _("%(purpose)s key %(key_id)s") % {
            "purpose": PURPOSE_WORDS.get(self.purpose, self.purpose),
            "key_id": self.key_id,
        }


class KeyGrant(models.Model):
    """A shared private key, HPKE-wrapped to one holder's personal public key."""

    id = models.UUIDField(_("id"), primary_key=True, default=uuid.uuid4, editable=False)
    # PROTECT throughout: a grant may be the last copy of a private key, so it
    # is only ever removed by accounts.services, which refuses to orphan a key.
    shared_key = models.ForeignKey(
        SharedKey, on_delete=models.PROTECT, related_name="grants", verbose_name=_("shared key")
    )
    holder = models.ForeignKey(StaffUser, on_delete=models.PROTECT, related_name="key_grants", verbose_name=_("holder"))
    # The personal key this grant is wrapped to.
    holder_key = models.ForeignKey(
        PersonalKey, on_delete=models.PROTECT, related_name="grants", verbose_name=_("holder key")
    )
    wrapped_private_key = models.BinaryField(_("wrapped private key"))
    granted_by = models.ForeignKey(
        StaffUser, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("granted by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("key grant")
        verbose_name_plural = _("key grants")
        constraints = [models.UniqueConstraint(fields=["shared_key", "holder"], name="one_grant_per_key_and_holder")]

    def __str__(self) -> str:
        return _("grant %(id)s") % {"id": self.pk}


class Coverage(models.Model):
    """What a caseworker takes: governorates (ISO 3166-2 or country codes), languages, how many open cases."""

    user = models.OneToOneField(StaffUser, on_delete=models.CASCADE, related_name="coverage", verbose_name=_("user"))
    governorates = models.JSONField(_("governorates"), default=list)
    languages = models.JSONField(_("languages"), default=list)
    capacity = models.PositiveSmallIntegerField(_("capacity"), default=10)
    # Translators: whether the caseworker takes new reports now.
    accepting = models.BooleanField(_("accepting"), default=True)

    class Meta:
        verbose_name = _("coverage")
        verbose_name_plural = _("coverages")

    def __str__(self) -> str:
        # Translators: %(user)s is a caseworker's username.
        return _("coverage of %(user)s") % {"user": self.user}


class RoleProposal(models.Model):
    """A decrypting role proposed for a member of staff, given only once a second person approves it.

    Until then the role does nothing: the user does not join the role's group, which is what every
    permission (Django's, accounts.roles.active_roles, StaffUser.objects.with_role) reads. Who may
    approve, and the bootstrap of the first holder of a purpose, are in accounts.services.
    """

    class State(models.TextChoices):
        # Translators: the state of a proposed role: waiting for a key holder's approval.
        PENDING = "pending", _("pending approval")
        # Translators: the state of a proposed role: a key holder approved it, so it is in effect.
        APPROVED = "approved", _("approved")
        # Translators: the state of a proposed role: given on the server's command line, when nobody
        # held a key of its kind yet and so nobody could approve it.
        BOOTSTRAPPED = "bootstrapped", _("given on the server (first holder)")
        # Translators: the state of a proposed role: a system administrator withdrew the proposal.
        CANCELLED = "cancelled", _("cancelled")
        # Translators: the state of a proposed role: a key holder refused it.
        REJECTED = "rejected", _("rejected")
        # Translators: the state of a proposed role: nobody approved it in time.
        EXPIRED = "expired", _("expired")

    id = models.UUIDField(_("id"), primary_key=True, default=uuid.uuid4, editable=False)
    subject = models.ForeignKey(
        StaffUser, on_delete=models.PROTECT, related_name="role_proposals", verbose_name=_("staff user")
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.PENDING)
    # None: proposed on the server's command line (create_staff).
    proposed_by = models.ForeignKey(
        StaffUser, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("proposed by")
    )
    proposed_at = models.DateTimeField(_("proposed at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    # Who approved, rejected or cancelled it; None for the system (expiry, the server's command line).
    decided_by = models.ForeignKey(
        StaffUser, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("decided by")
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("role proposal")
        verbose_name_plural = _("role proposals")
        constraints = [
            models.UniqueConstraint(
                fields=["subject", "role"], condition=models.Q(state="pending"), name="one_pending_proposal_per_role"
            )
        ]
        indexes = [models.Index(fields=["state", "expires_at"], name="roleproposal_state_idx")]

    def __str__(self) -> str:
        # Translators: e.g. "Caseworker for nadia": a role proposed for a member of staff.
        return _("%(role)s for %(user)s") % {"role": self.get_role_display(), "user": self.subject}

    @property
    def is_open(self) -> bool:
        """Pending and not yet past its time: the only proposals that may still be approved."""
        return self.state == self.State.PENDING and self.expires_at > timezone.now()


class StaffSession(AbstractBaseSession):
    """Django's database session, with the user it belongs to, so that logout elsewhere,
    deactivation, a password change or a role change can end every session of a user at once."""

    user = models.ForeignKey(
        StaffUser, null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )

    @classmethod
    def get_session_store_class(cls):
        from accounts.session_store import SessionStore

        return SessionStore

    class Meta:
        verbose_name = _("staff session")
        verbose_name_plural = _("staff sessions")


class TOTPDevice(TimestampMixin, ThrottlingMixin, Device):
    """A TOTP authenticator whose secret is sealed at rest (django-otp's own stores it in hex).

    The arithmetic is django_otp.oath.TOTP's; what differs from django-otp's
    TOTPDevice is the sealed secret and that verification locks the row, so the
    same code raced through two requests is accepted once (replay refused).
    """

    key_sealed = models.BinaryField(_("secret (sealed)"), editable=False)
    step = models.PositiveSmallIntegerField(_("time step"), default=30)
    t0 = models.BigIntegerField(_("start time"), default=0)
    digits = models.PositiveSmallIntegerField(_("digits"), default=6)
    tolerance = models.PositiveSmallIntegerField(_("tolerance"), default=1)
    drift = models.SmallIntegerField(_("drift"), default=0)
    # The time step of the last accepted code; only later steps are accepted.
    last_t = models.BigIntegerField(_("last accepted time step"), default=-1)

    class Meta(Device.Meta):
        verbose_name = _("TOTP device")
        verbose_name_plural = _("TOTP devices")

    def __str__(self) -> str:
        # Translators: %(id)s is the device's number, %(user)s the id of the staff user it belongs to.
        return _("TOTP device %(id)s of %(user)s") % {"id": self.pk, "user": self.user_id}

    @property
    def bin_key(self) -> bytes:
        from backend.sealed_fields import open_value

        return open_value(self, "key_sealed")

    # django-otp doubles the wait after each wrong code without limit. Capped, so
    # someone who knows a password cannot keep its owner out for hours; and only
    # codes from browsers the user never logged in from are throttled at all
    # (accounts.totp.verify_device_token), as django-axes already bounds those.
    MAX_THROTTLE_SECONDS = 300

    def get_throttle_factor(self) -> int:
        return 1

    def verify_is_allowed(self):
        allowed, data = super().verify_is_allowed()
        if not allowed and self.throttling_failure_timestamp is not None:
            waited = (timezone.now() - self.throttling_failure_timestamp).total_seconds()
            if waited >= self.MAX_THROTTLE_SECONDS:
                return True, None
        return allowed, data

    def verify_token(self, token) -> bool:
        from accounts.totp import verify_device_token

        return verify_device_token(self, token, throttle=True)
