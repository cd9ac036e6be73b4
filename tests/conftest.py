"""Shared fixtures: personas set up through the same services the app uses, and service policy."""

from __future__ import annotations

import os

import pytest

from accounts.roles import KeyPurpose, Role

PASSWORD = "correct horse battery staple 42"
CHROMIUM = "/usr/bin/chromium"
OTHER_PASSWORD = "a different long passphrase 7"


def pytest_collection_modifyitems(config, items):
    """`services` tests need DATABASE_URL and REDIS_URL; SANAD_REQUIRE_SERVICES=1 makes their absence a failure.

    Tests that start a production-mode process (the `prod_env` fixture) take a second or more each: they
    are `slow`, so `-m 'not slow'` gives a quick inner loop (make test still runs them all)."""
    for item in items:
        if "prod_env" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)
    if os.environ.get("SANAD_REQUIRE_SERVICES") == "1":
        return
    have_services = bool(os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL"))
    have_browser = os.path.exists(CHROMIUM)
    skip_services = pytest.mark.skip(reason="needs PostgreSQL and Redis (set DATABASE_URL and REDIS_URL)")
    skip_browser = pytest.mark.skip(reason=f"needs Debian's chromium at {CHROMIUM} (.ci/run installs it)")
    for item in items:
        if "services" in item.keywords and not have_services:
            item.add_marker(skip_services)
        if "browser" in item.keywords and not have_browser:
            item.add_marker(skip_browser)


@pytest.fixture(autouse=True)
def _cheap_hashing_for_tests_only(settings):
    """CHEAP HASHING, TESTS ONLY: production uses Argon2id at RFC 9106 cost (see config/settings.py)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.SANAD_KEYWRAP_ARGON2 = {"time_cost": 1, "memory_cost": 8 * 1024, "parallelism": 1}


@pytest.fixture(autouse=True)
def _cheap_proof_of_work_and_clean_cache(settings):
    """CHEAP PROOF OF WORK, TESTS ONLY (production: 18 bits). Counters and challenges start empty."""
    from django.core.cache import cache

    settings.SANAD_POW_BASE_BITS = 6
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a request through the test client leaves its language
    active in this thread (in a server, LocaleMiddleware sets it again for every request)."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_process_caches():
    """/readyz, the offered intake keys, the rate counters, partners' live tokens, their uses and the
    releases served are kept per process; each test starts without them."""
    from accounts.selectors import forget_offered_keys
    from backend import health
    from backend.budgets import forget_counts
    from partners.api import forget_releases
    from partners.tokens import forget_process_state

    def forget():
        health._ready_cache.clear()
        forget_offered_keys()
        forget_counts()
        forget_process_state()
        forget_releases()

    forget()
    yield
    forget()


def make_staff(username, *, roles, password=PASSWORD, approver=None, approver_password=PASSWORD, **extra):
    """A staff user made as the app makes one: staff_create gives the roles that never decrypt and
    proposes the decrypting ones; each proposal is then approved by `approver` (a key holder, with
    their password) or, with no approver, bootstrapped as on the server (only while no key of its
    purpose exists). extra goes to staff_create (contact, acting_user, password_set_by_owner)."""
    from accounts.models import RoleProposal
    from accounts.services import role_bootstrap, role_proposal_approve, staff_create

    extra.setdefault("password_set_by_owner", True)
    user = staff_create(username=username, password=password, roles=roles, **extra)
    for proposal in RoleProposal.objects.filter(subject=user, state=RoleProposal.State.PENDING).order_by("role"):
        if approver is None:
            role_bootstrap(proposal=proposal)
        else:
            role_proposal_approve(proposal=proposal, approver=approver, approver_password=approver_password)
    return user


@pytest.fixture
def personas(db):
    """lead holds the intake key; alice (caseworker) was granted it; bob (caseworker) was not;
    sam is a sysadmin and audrey an auditor (neither ever decrypts). lead, the first triage lead, was
    given the role on the server (no intake key existed to approve it); sam proposed alice and bob and
    lead approved them."""
    from accounts.services import key_grant_create, shared_key_create, staff_create

    sam = staff_create(username="sam", password=PASSWORD, roles=[Role.SYSADMIN], password_set_by_owner=True)
    audrey = staff_create(username="audrey", password=PASSWORD, roles=[Role.AUDITOR], password_set_by_owner=True)
    lead = make_staff("lead", roles=[Role.TRIAGE_LEAD])
    intake = shared_key_create(purpose=KeyPurpose.INTAKE, holder=lead, holder_password=PASSWORD)
    alice = make_staff("alice", roles=[Role.CASEWORKER], contact="alice@example.org", acting_user=sam, approver=lead)
    bob = make_staff("bob", roles=[Role.CASEWORKER], password=OTHER_PASSWORD, acting_user=sam, approver=lead)
    key_grant_create(shared_key=intake, grantor=lead, grantor_password=PASSWORD, grantee=alice)
    return {"lead": lead, "alice": alice, "bob": bob, "sam": sam, "audrey": audrey, "intake": intake}


def totp_code_for(device, *, offset_steps: int = 0) -> str:
    """A code the device will accept now: the first time step after the last one used."""
    import time

    from accounts.totp import current_code

    device.refresh_from_db()
    now_step = int(time.time()) // device.step
    step = max(now_step, device.last_t + 1) + offset_steps
    return current_code(device, at=step * device.step + 1)


def enrol(user):
    """Give `user` a confirmed TOTP device, as the enrolment page would."""
    from accounts.models import TOTPDevice
    from accounts.totp import device_new

    device = device_new(user)
    TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
    device.refresh_from_db()
    return device


@pytest.fixture
def staff_login():
    """Log a Django test client in through the real login page: password and TOTP code."""

    def login(client, user, password=PASSWORD):
        from accounts.models import TOTPDevice

        device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or enrol(user)
        response = client.post(
            "/admin/login/", {"username": user.username, "password": password, "otp_token": totp_code_for(device)}
        )
        assert response.status_code == 302, response.content[:500]
        return client

    return login
