"""Staff login: password and TOTP, enrolment, replay, lockout, timeouts, logout, and the session key."""

from __future__ import annotations

import re
import time
from base64 import b32encode

import pytest
import time_machine
from django.conf import settings
from django.test import Client

from accounts import session_keys
from accounts.models import StaffSession, TOTPDevice
from accounts.services import staff_change_password, staff_deactivate, staff_reset_password, staff_set_roles
from accounts.totp import current_code
from audit.models import AuditEntry
from backend.crypto.errors import CryptoError
from tests.config.test_settings import prod_env  # noqa: F401  (fixture)
from tests.conftest import OTHER_PASSWORD, PASSWORD, enrol, totp_code_for

pytestmark = pytest.mark.django_db


def _post_login(client, username, password, code=""):
    return client.post("/admin/login/", {"username": username, "password": password, "otp_token": code})


def _in(client) -> bool:
    return client.get("/admin/").status_code == 200


def test_password_alone_is_not_enough(personas):
    device = enrol(personas["alice"])
    client = Client()
    response = _post_login(client, "alice", PASSWORD, "")
    assert response.status_code == 400
    assert not _in(client)
    response = _post_login(client, "alice", PASSWORD, totp_code_for(device))
    assert response.status_code == 302
    assert _in(client)


def test_every_failure_looks_the_same(personas):
    device = enrol(personas["alice"])
    wrong_password = _post_login(Client(), "alice", "not the password at all", totp_code_for(device)).content
    wrong_code = _post_login(Client(), "alice", PASSWORD, "000000").content
    no_user = _post_login(Client(), "nobody-here", PASSWORD, "123456").content
    message = b"check your username, password and the code"
    assert message in wrong_password and message in wrong_code and message in no_user


def test_a_code_is_accepted_once(personas, staff_login):
    device = enrol(personas["alice"])
    code = totp_code_for(device)
    assert _post_login(Client(), "alice", PASSWORD, code).status_code == 302
    replay = Client()
    assert _post_login(replay, "alice", PASSWORD, code).status_code == 400
    assert not _in(replay)


def test_totp_secret_is_sealed_at_rest(personas):
    device = enrol(personas["alice"])
    secret = device.bin_key
    raw = bytes(TOTPDevice.objects.values_list("key_sealed", flat=True).get(pk=device.pk))
    assert secret not in raw
    assert secret.hex().encode() not in raw and b32encode(secret) not in raw
    # Bound to its row: copied onto another user's device it does not open.
    other = enrol(personas["bob"])
    TOTPDevice.objects.filter(pk=other.pk).update(key_sealed=raw)
    other.refresh_from_db()
    with pytest.raises(CryptoError):
        _ = other.bin_key


def test_first_login_enrols_with_a_qr_code(personas):
    client = Client()
    response = _post_login(client, "alice", PASSWORD)
    assert response.status_code == 302 and "/admin/enrol/" in response["Location"]
    assert not _in(client)  # a password alone never opens the admin
    page = client.get("/admin/enrol/")
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    assert b"<svg" in page.content
    secret = re.search(rb'id="totp-secret">([A-Z2-7 ]+)<', page.content).group(1).replace(b" ", b"").decode()
    device = TOTPDevice.objects.get(user=personas["alice"])
    assert not device.confirmed
    assert b32encode(device.bin_key).decode().rstrip("=") == secret
    assert client.post("/admin/enrol/", {"otp_token": "000000"}).status_code == 400
    # A wrong code throttles the device for a moment (django-otp's back-off).
    with time_machine.travel(time.time() + 2, tick=False):
        response = client.post("/admin/enrol/", {"otp_token": current_code(device)})
    assert response.status_code == 302
    assert _in(client)
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEntry.objects.filter(action="totp_enrolled", object_id=str(personas["alice"].pk)).exists()
    # The personal key unwrapped at the password step came through enrolment.
    assert session_keys.has_stash(_request_for(client))


def test_enrolment_page_needs_the_password_step(personas):
    assert Client().get("/admin/enrol/").status_code == 302


def _request_for(client):
    from django.contrib.sessions.backends.base import SessionBase  # noqa: F401
    from django.test import RequestFactory

    from accounts.session_store import SessionStore

    request = RequestFactory().get("/")
    request.session = SessionStore(client.cookies[settings.SESSION_COOKIE_NAME].value)
    return request


# --- Lockout ---------------------------------------------------------------------------


def test_repeated_failures_lock_out_untrusted_browsers(personas, settings):
    settings.AXES_FAILURE_LIMIT = 3
    device = enrol(personas["alice"])
    attacker = Client()
    for _ in range(3):
        _post_login(attacker, "alice", "wrong password guess")
    # Now even the right password and code are refused from an untrusted browser.
    response = _post_login(Client(), "alice", PASSWORD, totp_code_for(device))
    assert response.status_code == 429
    assert AuditEntry.objects.filter(action="login_locked_out").exists()


def test_wrong_codes_count_towards_the_lockout(personas, settings):
    settings.AXES_FAILURE_LIMIT = 3
    device = enrol(personas["alice"])
    client = Client()
    statuses = [_post_login(client, "alice", PASSWORD, "000000").status_code for _ in range(3)]
    assert statuses[-1] == 429 or _post_login(client, "alice", PASSWORD, totp_code_for(device)).status_code == 429


def test_nobody_locks_a_colleague_out_of_their_own_browser(personas, settings, staff_login):
    settings.AXES_FAILURE_LIMIT = 3
    enrol(personas["alice"])
    own_browser = Client()
    staff_login(own_browser, personas["alice"])  # a full login earns the device cookie
    assert settings.SANAD_DEVICE_COOKIE_NAME in own_browser.cookies
    own_browser.post("/admin/logout/")
    for _ in range(5):
        _post_login(Client(), "alice", "an attacker guessing")
    assert _post_login(Client(), "alice", PASSWORD, "000000").status_code == 429
    # Alice's own browser still gets in.
    staff_login(own_browser, personas["alice"])
    assert _in(own_browser)


def test_a_device_cookie_for_one_user_does_not_help_another(personas, settings, staff_login):
    settings.AXES_FAILURE_LIMIT = 3
    enrol(personas["lead"])
    browser = Client()
    staff_login(browser, personas["alice"])
    browser.post("/admin/logout/")
    for _ in range(3):
        _post_login(Client(), "lead", "guess")
    assert _post_login(browser, "lead", PASSWORD, "000000").status_code == 429


def test_lockout_of_an_unknown_username_looks_like_any_other(personas, settings):
    settings.AXES_FAILURE_LIMIT = 2
    for username in ("alice", "no-such-user"):
        for _ in range(2):
            _post_login(Client(), username, "guess")
    known = _post_login(Client(), "alice", "guess")
    unknown = _post_login(Client(), "no-such-user", "guess")
    assert known.status_code == unknown.status_code == 429
    # Each page carries its own CSRF token (the language switcher's form): masked afresh every time.
    assert _without_csrf_tokens(known.content) == _without_csrf_tokens(unknown.content)


def _without_csrf_tokens(page: bytes) -> bytes:
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", page)


def test_lockout_rows_hold_no_address(personas, settings):
    from axes.models import AccessAttempt

    settings.AXES_FAILURE_LIMIT = 10
    # (Dev mode serves loopback only, so the canary address is a loopback one.)
    _post_login(Client(REMOTE_ADDR="127.3.2.1", HTTP_USER_AGENT="CanaryAgent/1.0"), "alice", "guess")
    attempt = AccessAttempt.objects.get()
    assert attempt.ip_address.startswith("fd") and attempt.username.startswith("u-") and "alice" not in attempt.username
    assert "127.3.2.1" not in str(attempt.__dict__) and "CanaryAgent" not in str(attempt.__dict__)
    assert "guess" not in str(attempt.__dict__)


# --- Timeouts and ending sessions ------------------------------------------------------


def test_idle_timeout(personas, staff_login):
    client = staff_login(Client(), personas["alice"])
    with time_machine.travel(time.time() + settings.SANAD_SESSION_IDLE_SECONDS - 60, tick=False):
        assert _in(client)
    with time_machine.travel(time.time() + 2 * settings.SANAD_SESSION_IDLE_SECONDS, tick=False):
        assert not _in(client)
    assert not StaffSession.objects.filter(user=personas["alice"]).exists()


def test_absolute_timeout_even_when_active(personas, staff_login):
    client = staff_login(Client(), personas["alice"])
    start = time.time()
    step = settings.SANAD_SESSION_IDLE_SECONDS - 60
    at = start
    while at - start < settings.SANAD_SESSION_ABSOLUTE_SECONDS - step:
        at += step
        with time_machine.travel(at, tick=False):
            assert _in(client)
    with time_machine.travel(start + settings.SANAD_SESSION_ABSOLUTE_SECONDS + 1, tick=False):
        assert not _in(client)


def test_logout_deletes_the_session_and_its_key(personas, staff_login):
    client = staff_login(Client(), personas["alice"])
    assert StaffSession.objects.filter(user=personas["alice"]).count() == 1
    response = client.post("/admin/logout/")
    assert response.status_code == 302
    assert StaffSession.objects.filter(user=personas["alice"]).count() == 0
    assert client.cookies[settings.SANAD_KEY_COOKIE_NAME].value == ""
    assert not _in(client)


@pytest.mark.parametrize("change", ["deactivate", "reset", "roles", "password"])
def test_account_changes_end_every_session_at_once(personas, staff_login, change):
    alice = personas["alice"]
    first, second = staff_login(Client(), alice), Client()
    staff_login(second, alice)
    assert StaffSession.objects.filter(user=alice).count() == 2
    if change == "deactivate":
        staff_deactivate(user=alice, acting_user=personas["sam"])
    elif change == "reset":
        staff_reset_password(user=alice, new_password=OTHER_PASSWORD, acting_user=personas["sam"])
    elif change == "roles":
        staff_set_roles(user=alice, roles=["caseworker", "triage_lead"], acting_user=personas["sam"])
    else:
        staff_change_password(user=alice, old_password=PASSWORD, new_password=OTHER_PASSWORD)
    assert StaffSession.objects.filter(user=alice).count() == 0
    assert not _in(first) and not _in(second)


def test_sysadmin_reset_also_removes_the_second_factor(personas):
    enrol(personas["alice"])
    staff_reset_password(user=personas["alice"], new_password=OTHER_PASSWORD, acting_user=personas["sam"])
    assert not TOTPDevice.objects.filter(user=personas["alice"]).exists()
    response = _post_login(Client(), "alice", OTHER_PASSWORD)
    assert "/admin/enrol/" in response["Location"]


# --- The personal key in the session ----------------------------------------------------


def test_session_store_alone_opens_nothing(personas, staff_login):
    client = staff_login(Client(), personas["alice"])
    request = _request_for(client)
    request.user = personas["alice"]
    request.COOKIES = {settings.SANAD_KEY_COOKIE_NAME: client.cookies[settings.SANAD_KEY_COOKIE_NAME].value}
    assert session_keys.unlock(request) is not None  # with the cookie: the key opens
    # An attacker with a copy of the session table has the stash but not the cookie.
    request.COOKIES = {}
    assert session_keys.unlock(request) is None
    row = StaffSession.objects.get(user=personas["alice"])
    from accounts.services import personal_key_unlock

    private_raw = personal_key_unlock(user=personas["alice"], password=PASSWORD).raw
    assert private_raw not in row.session_data.encode()
    assert private_raw.hex() not in row.session_data
    # Another session's cookie does not open this stash either.
    other = staff_login(Client(), personas["lead"])
    request.COOKIES = {settings.SANAD_KEY_COOKIE_NAME: other.cookies[settings.SANAD_KEY_COOKIE_NAME].value}
    assert session_keys.unlock(request) is None


def test_key_cookie_is_httponly_strict_and_session_only(personas, staff_login):
    client = staff_login(Client(), personas["alice"])
    cookie = client.cookies[settings.SANAD_KEY_COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and not cookie["max-age"] and not cookie["expires"]


def test_production_cookies_are_host_prefixed(prod_env):  # noqa: F811  (the fixture, imported above)
    import sys

    from tests.config.test_settings import ROOT, run

    code = (
        "import django; django.setup(); from django.conf import settings as s; print(s.SESSION_COOKIE_NAME, "
        "s.CSRF_COOKIE_NAME, s.SANAD_KEY_COOKIE_NAME, s.SANAD_DEVICE_COOKIE_NAME, s.SESSION_COOKIE_SAMESITE, "
        "s.SESSION_COOKIE_SECURE)"
    )
    result = run(prod_env, sys.executable, "-c", code)
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout.split()
    assert ROOT
    assert out[:4] == ["__Host-sanad_session", "__Host-sanad_csrf", "__Host-sanad_key", "__Host-sanad_device"]
    assert out[4:] == ["Strict", "True"]


def test_password_change_in_the_admin_rewraps_and_ends_sessions(personas, staff_login):
    client = staff_login(Client(), personas["alice"])
    response = client.post(
        "/admin/password_change/",
        {"old_password": PASSWORD, "new_password1": OTHER_PASSWORD, "new_password2": OTHER_PASSWORD},
    )
    assert response.status_code == 302
    assert not _in(client)
    fresh = staff_login(Client(), personas["alice"], OTHER_PASSWORD)
    request = _request_for(fresh)
    request.user = personas["alice"]
    request.COOKIES = {settings.SANAD_KEY_COOKIE_NAME: fresh.cookies[settings.SANAD_KEY_COOKIE_NAME].value}
    from accounts.services import shared_key_unlock

    assert shared_key_unlock(
        shared_key=personas["intake"], user=personas["alice"], personal_key=session_keys.unlock(request)
    )


def test_login_failures_are_on_the_audit_chain_without_the_attempted_text(personas):
    _post_login(Client(), "alice", "hunter2-typed-wrong")
    _post_login(Client(), "my-password-typed-as-username", "x")
    # Only the attempt at a real account is recorded: anonymous guessing cannot flood the chain.
    entries = list(AuditEntry.objects.filter(action="login_failed"))
    assert len(entries) == 1
    assert entries[0].object_id == str(personas["alice"].pk)
    text = str([e.__dict__ for e in entries])
    assert "hunter2" not in text and "my-password-typed" not in text


# --- Review fixes: passwords chosen by others, lockout bounds, junk codes ------------------


def test_a_password_set_by_someone_else_must_be_replaced_before_anything(personas, staff_login):
    from accounts.models import PersonalKey, StaffUser
    from accounts.services import staff_create

    staff_create(username="nadia", password=OTHER_PASSWORD, roles=["caseworker"], acting_user=personas["sam"])
    nadia = StaffUser.objects.get(username="nadia")
    client = Client()
    response = _post_login(client, "nadia", OTHER_PASSWORD)
    assert "/admin/enrol/" in response["Location"]
    device = TOTPDevice.objects.get(user=nadia)
    response = client.post("/admin/enrol/", {"otp_token": current_code(device)})
    assert response["Location"] == "/admin/password_change/"
    # Logged in with password and code, yet nothing but the password page opens.
    assert client.get("/admin/").status_code == 302
    assert client.get("/admin/reports/report/").status_code == 302
    assert client.get("/admin/password_change/").status_code == 200
    response = client.post(
        "/admin/password_change/",
        {"old_password": OTHER_PASSWORD, "new_password1": PASSWORD, "new_password2": PASSWORD},
    )
    assert response.status_code == 302
    nadia.refresh_from_db()
    assert not nadia.must_change_password and PersonalKey.objects.filter(user=nadia).exists()
    staff_login(client, nadia, PASSWORD)
    assert _in(client)


def test_refused_attempts_do_not_extend_a_lockout(personas, settings, staff_login):
    settings.AXES_FAILURE_LIMIT = 2
    device = enrol(personas["alice"])
    start = time.time()
    with time_machine.travel(start, tick=False):
        for _ in range(2):
            _post_login(Client(), "alice", "guess")
    cooloff = settings.AXES_COOLOFF_TIME.total_seconds()
    with time_machine.travel(start + cooloff - 60, tick=False):
        assert _post_login(Client(), "alice", "guess").status_code == 429  # still locked, and refused
    with time_machine.travel(start + cooloff + 30, tick=False):
        response = _post_login(Client(), "alice", PASSWORD, current_code(device))
        assert response.status_code == 302  # the lockout ended on time


def test_a_lockout_is_recorded_once_not_per_refused_attempt(personas, settings):
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(10):
        _post_login(Client(), "alice", "guess")
    assert AuditEntry.objects.filter(action="login_locked_out").count() == 1
    assert AuditEntry.objects.filter(action="login_failed").count() == 1  # the second failure is the lockout


@pytest.mark.parametrize("code", ["12345²", "١٢٣٤٥٦", "   ", "9" * 16, "-12345"])
def test_junk_codes_are_refused_without_error(personas, code):
    enrol(personas["alice"])
    assert _post_login(Client(), "alice", PASSWORD, code).status_code == 400
    client = Client()
    _post_login(client, "bob", OTHER_PASSWORD)  # bob enrols
    assert client.post("/admin/enrol/", {"otp_token": code}).status_code == 400


def test_nobody_changes_their_own_roles(personas, staff_login):
    from accounts.services import RoleNotAllowed

    with pytest.raises(RoleNotAllowed):
        staff_set_roles(user=personas["sam"], roles=["triage_lead"], acting_user=personas["sam"])
    sam = staff_login(Client(), personas["sam"])
    sam.post(f"/admin/accounts/staffuser/{personas['sam'].pk}/do/roles/", {"roles": ["caseworker"]})
    personas["sam"].refresh_from_db()
    assert personas["sam"].role_names == {"sysadmin"}


def test_the_admin_offers_no_way_to_orphan_a_key(personas, staff_login):
    from accounts.models import KeyGrant, StaffUser

    sam = staff_login(Client(), personas["sam"])
    KeyGrant.objects.filter(holder=personas["alice"]).delete()  # lead is now the only holder
    for action, data in (
        ("deactivate", {"force": "on"}),
        ("roles", {"roles": ["caseworker"], "force": "on"}),
        ("reset_password", {"new_password": OTHER_PASSWORD, "force": "on"}),
    ):
        sam.post(f"/admin/accounts/staffuser/{personas['lead'].pk}/do/{action}/", data)
        assert KeyGrant.objects.filter(holder=personas["lead"]).exists(), action
    assert StaffUser.objects.get(pk=personas["lead"].pk).is_active


def test_the_temporary_password_cannot_become_the_own_one(personas):
    from accounts.services import AccountError, staff_change_password, staff_create

    nadia = staff_create(username="nadia", password=OTHER_PASSWORD, roles=["caseworker"], acting_user=personas["sam"])
    with pytest.raises(AccountError):
        staff_change_password(user=nadia, old_password=OTHER_PASSWORD, new_password=OTHER_PASSWORD)
    nadia.refresh_from_db()
    assert nadia.must_change_password


def test_wrong_codes_from_elsewhere_do_not_hold_up_the_owners_browser(personas, settings, staff_login):
    settings.AXES_FAILURE_LIMIT = 100
    device = enrol(personas["alice"])
    own = staff_login(Client(), personas["alice"])  # earns the device cookie
    own.post("/admin/logout/")
    # Someone with the password guesses codes from another browser; django-otp's back-off
    # would double with each one. Make it a long one outright: 2^29 seconds.
    _post_login(Client(), "alice", PASSWORD, "000000")
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=30)
    # A stranger's browser now waits, even with the right code; alice's own does not.
    assert _post_login(Client(), "alice", PASSWORD, totp_code_for(device)).status_code == 400
    assert _post_login(own, "alice", PASSWORD, totp_code_for(device)).status_code == 302
    # And the back-off is capped at five minutes for everyone.
    from django.utils import timezone

    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_count=30, throttling_failure_timestamp=timezone.now()
    )
    assert _post_login(Client(), "alice", PASSWORD, totp_code_for(device)).status_code == 400
    with time_machine.travel(time.time() + TOTPDevice.MAX_THROTTLE_SECONDS + 5, tick=False):
        assert _post_login(Client(), "alice", PASSWORD, totp_code_for(device)).status_code == 302
