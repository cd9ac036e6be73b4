"""Embedded dev mode only: demo staff, an intake key, and where to log in. Safe to run again."""

import json
import os
import secrets
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts import totp
from accounts.models import Coverage, RoleProposal, SharedKey, StaffUser, TOTPDevice
from accounts.roles import KeyPurpose, Role
from accounts.services import (
    coverage_set,
    key_grant_create,
    role_bootstrap,
    role_proposal_approve,
    shared_key_create,
    staff_create,
)
from backend.crypto import hpke
from backend.places import LANGUAGES, PLACES

# In this order: demo-admin proposes the decrypting roles; demo-lead and demo-relocation are the first
# holders of their purposes (given on the server, as `create_staff --bootstrap` would); demo-lead approves
# demo-caseworker once the intake key exists; demo-relocation approves demo-relocation-2 once the
# relocation key exists (dev_relocation).
DEMO_USERS = [
    ("demo-admin", Role.SYSADMIN),
    ("demo-lead", Role.TRIAGE_LEAD),
    ("demo-caseworker", Role.CASEWORKER),
    ("demo-relocation", Role.RELOCATION_COORDINATOR),
    # A relocation key is used only once two coordinators hold it.
    ("demo-relocation-2", Role.RELOCATION_COORDINATOR),
    ("demo-auditor", Role.AUDITOR),
]
FIRST_HOLDERS = {"demo-lead", "demo-relocation"}


def _demo_passwords(path: Path) -> dict[str, str]:
    """The demo users' passwords, made on the first run; a demo user added since gets one too."""
    passwords = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    missing = [username for username, _ in DEMO_USERS if username not in passwords]
    if not missing:
        return passwords
    for username in missing:
        passwords[username] = "-".join(secrets.token_hex(3) for _ in range(4))
    new = path.with_suffix(".new")
    new.unlink(missing_ok=True)
    fd = os.open(new, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(passwords, handle, indent=2)
    new.replace(path)
    return passwords


def _pending(user) -> list[RoleProposal]:
    return list(RoleProposal.objects.filter(subject=user, state=RoleProposal.State.PENDING))


class Command(BaseCommand):
    help = "Create demo staff and an intake key for the embedded dev mode (refuses to run in production)."

    def add_arguments(self, parser):
        parser.add_argument("--port", default="8000")

    def handle(self, *args, port, **options):
        if not settings.SANAD_DEV:
            raise CommandError("dev_setup runs only with SANAD_DEV=1.")
        passwords = _demo_passwords(settings.VAR_DIR / "dev-demo-passwords.json")
        users = {}
        for username, role in DEMO_USERS:
            user = StaffUser.objects.filter(username=username).first()
            if user is None:
                user = staff_create(
                    username=username,
                    password=passwords[username],
                    roles=[role],
                    password_set_by_owner=True,
                    acting_user=users.get("demo-admin"),
                )
                self.stdout.write(f"Created demo user {username} ({role.label}).")
            users[username] = user
            if username in FIRST_HOLDERS:
                for proposal in _pending(user):
                    role_bootstrap(proposal=proposal)
                    self.stdout.write(f"Gave {username} the role {role.label} as first holder (on the server).")
        # Demo passwords are the demo users' own (dev mode only): a var/ made before
        # must_change_password existed has them flagged by migration 0005.
        StaffUser.objects.filter(pk__in=[u.pk for u in users.values()]).update(must_change_password=False)
        for user in users.values():
            # Demo accounts come with an authenticator already set up, so that
            # `manage.py dev_totp` can give codes; real accounts enrol with a QR code.
            if totp.confirmed_device(user) is None:
                device = totp.device_new(user)
                TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
        # Both suites, as operators are told to offer them: the post-quantum hybrid for clients that
        # speak it, and X25519, the one every client must speak.
        keys = [self._intake_key(suite, users, passwords) for suite in (hpke.Suite.MLKEM768_X25519, hpke.Suite.X25519)]
        # The second person: demo-lead, who holds the intake key, approves the caseworker demo-admin proposed.
        for proposal in _pending(users["demo-caseworker"]):
            role_proposal_approve(
                proposal=proposal, approver=users["demo-lead"], approver_password=passwords["demo-lead"]
            )
            self.stdout.write("demo-lead approved demo-caseworker's role.")
        for key in keys:
            self._grant(key, users, passwords)
        if not Coverage.objects.filter(user=users["demo-caseworker"]).exists():
            coverage_set(
                user=users["demo-caseworker"], governorates=sorted(PLACES), languages=sorted(LANGUAGES), capacity=50
            )
        phrase = settings.VAR_DIR / "dev-sample-passphrase"
        if not phrase.exists():
            fd = os.open(phrase, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(secrets.token_urlsafe(18))
        base = f"http://127.0.0.1:{port}"
        self.stdout.write("")
        self.stdout.write(f"Sanad (dev mode) is starting at {base}/")
        self.stdout.write(f"  Report as a reporter would, from a phone browser: {base}/  (add ?lang=ckb or ?lang=en)")
        self.stdout.write(f"  Log in at {base}/admin/ as demo-caseworker, password {passwords['demo-caseworker']}")
        self.stdout.write("  Two-factor code (dev mode only; real staff use an authenticator app):")
        self.stdout.write("    .venv/bin/python manage.py dev_totp demo-caseworker")
        self.stdout.write(f"  Other demo staff and passwords: {settings.VAR_DIR / 'dev-demo-passwords.json'}")
        self.stdout.write(f"  Intake keys: {base}/api/v1/intake-keys/   Health: {base}/healthz  {base}/readyz")
        self.stdout.write("")

    def _intake_key(self, suite, users, passwords) -> SharedKey:
        lead = users["demo-lead"]
        key = SharedKey.objects.filter(
            purpose=KeyPurpose.INTAKE, suite=suite.value, active=True, grants__holder=lead
        ).first()
        if key is None:
            key = shared_key_create(
                purpose=KeyPurpose.INTAKE, holder=lead, holder_password=passwords["demo-lead"], suite=suite
            )
            self.stdout.write(f"Created intake key {key.key_id} ({key.suite}), held by demo-lead.")
        return key

    def _grant(self, key, users, passwords) -> None:
        lead, caseworker = users["demo-lead"], users["demo-caseworker"]
        if not key.grants.filter(holder=caseworker).exists():
            key_grant_create(shared_key=key, grantor=lead, grantor_password=passwords["demo-lead"], grantee=caseworker)
            self.stdout.write(f"Granted {key.key_id} to demo-caseworker.")
