"""Staff login (password, then TOTP; enrolment at first login), logout and password change.

Every way a login can fail shows the same message. The personal private key
is unwrapped here, once, with the password the user just typed, and kept for
the session only (accounts.session_keys).
"""

from __future__ import annotations

import logging
import time

from django import forms
from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login

from accounts import session_keys, totp
from accounts.login_client import device_id, remember_device
from accounts.models import StaffUser, TOTPDevice
from accounts.services import AccountError, NoPersonalKey, personal_key_unlock, staff_change_password
from audit.actions import Action
from audit.models import AuditEntry
from audit.services import audit_record
from backend.crypto.errors import CryptoError

logger = logging.getLogger(__name__)

LOGIN_FAILED = gettext_lazy(
    "That did not work: check your username, password and the code from your authenticator app."
)
ENROL_SECONDS = 10 * 60
AUTH_AT = "sanad_auth_at"
SEEN_AT = "sanad_seen_at"
ENROL = "sanad_enrol"


class LoginForm(forms.Form):
    username = forms.CharField(
        label=gettext_lazy("Username"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=gettext_lazy("Password"),
        max_length=1024,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    otp_token = forms.CharField(
        label=gettext_lazy("Code from your authenticator app"),
        required=False,
        max_length=16,
        help_text=gettext_lazy("Leave empty only at your very first login, when you will be shown how to set one up."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class CodeForm(forms.Form):
    otp_token = forms.CharField(
        label=gettext_lazy("Code shown by the app"),
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(
        label=gettext_lazy("Old password"),
        strip=False,
        max_length=1024,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password1 = forms.CharField(
        label=gettext_lazy("New password"),
        strip=False,
        max_length=1024,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label=gettext_lazy("New password again"),
        strip=False,
        max_length=1024,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("new_password1") != data.get("new_password2"):
            raise forms.ValidationError(_("The two new passwords differ."))
        return data


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("admin:index")


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


def _record_failure(username: str, reason: str) -> None:
    """Put a failed login on the audit chain, if the username names an account.

    Attempts at names that are no account are not recorded: a mistyped
    username may be someone's password, and anonymous guessing must not be
    able to flood the chain. Per account, the lockout bounds how many land.
    """
    known = StaffUser.objects.filter(username=username).first()
    if known is not None:
        audit_record(
            Action.LOGIN_FAILED, actor=known, obj_type="staff", obj_id=str(known.pk), details={"reason": reason}
        )


def _unwrap_personal_key(user: StaffUser, password: str):
    try:
        return personal_key_unlock(user=user, password=password)
    except NoPersonalKey:
        return None
    except CryptoError:
        # The password was right but the key does not open: the account works,
        # decryption will not. Shown in the admin as "no key in this session".
        logger.warning("Personal key of a staff user did not open at login.")
        return None


def _finish_login(request: HttpRequest, user: StaffUser, device: TOTPDevice, personal_key=None) -> HttpResponse:
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    otp_login(request, device)
    now = time.time()
    request.session[AUTH_AT] = now
    request.session[SEEN_AT] = now
    request.session.pop(ENROL, None)
    # Someone else chose this password: the user picks their own before anything else.
    response = redirect("admin:password_change") if user.must_change_password else redirect(_next_url(request))
    if personal_key is not None:
        session_keys.stash(request, response, str(user.pk), personal_key)
    remember_device(request, response, user.username)
    audit_record(Action.LOGIN_SUCCEEDED, actor=user, obj_type="staff", obj_id=str(user.pk))
    return response


@sensitive_post_parameters("password", "otp_token")
@csrf_protect
@never_cache
def staff_login(request: HttpRequest) -> HttpResponse:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_verified():
        return redirect("admin:password_change") if user.must_change_password else redirect(_next_url(request))
    form = LoginForm(request.POST or None)
    error = None
    if request.method == "POST":
        if not form.is_valid():
            error = LOGIN_FAILED
        else:
            username = form.cleaned_data["username"]
            password = form.cleaned_data["password"]
            token = form.cleaned_data["otp_token"]
            # django-axes counts this failure itself if the password is wrong,
            # and refuses a locked-out (username, device) pair before checking.
            user = authenticate(request, username=username, password=password)
            if getattr(request, "axes_locked_out", False):
                return HttpResponse(status=429)  # AxesMiddleware answers with locked_out() below
            if user is None or not user.is_staff or not user.is_active:
                _record_failure(username, "password")
                error = LOGIN_FAILED
            else:
                device = totp.confirmed_device(user)
                if device is None:
                    return _start_enrolment(request, user, password)
                trusted = device_id(request, username) is not None
                if not totp.verify_device_token(device, token, throttle=not trusted):
                    # Counted by django-axes like a wrong password (the same lockout).
                    user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)
                    _record_failure(username, "totp")
                    if getattr(request, "axes_locked_out", False):
                        return HttpResponse(status=429)
                    error = LOGIN_FAILED
                else:
                    return _finish_login(request, user, device, _unwrap_personal_key(user, password))
    context = {
        "form": form,
        "error": error,
        "next": _next_url(request),
        "title": _("Log in"),
        "site_header": "Sanad",
    }
    return _no_store(render(request, "accounts/login.html", context, status=400 if error else 200))


def _start_enrolment(request: HttpRequest, user: StaffUser, password: str) -> HttpResponse:
    """Password right, no authenticator yet: show a new secret as a QR code, confirm it with a code."""
    request.session.cycle_key()
    device = totp.device_new(user)
    personal_key = _unwrap_personal_key(user, password)
    request.session[ENROL] = {"user": str(user.pk), "device": device.pk, "started": time.time()}
    response = redirect(reverse("admin:staff-enrol") + "?" + urlencode({"next": _next_url(request)}))
    if personal_key is not None:
        session_keys.stash(request, response, str(user.pk), personal_key)
    return response


def _pending_enrolment(request: HttpRequest) -> tuple[StaffUser, TOTPDevice] | None:
    pending = request.session.get(ENROL)
    if not pending or time.time() - pending.get("started", 0) > ENROL_SECONDS:
        return None
    device = (
        TOTPDevice.objects.filter(pk=pending.get("device"), user_id=pending.get("user"), confirmed=False)
        .select_related("user")
        .first()
    )
    if device is None or not device.user.is_active:
        return None
    return device.user, device


@sensitive_post_parameters("otp_token")
@csrf_protect
@never_cache
def staff_enrol(request: HttpRequest) -> HttpResponse:
    pending = _pending_enrolment(request)
    if pending is None:
        request.session.pop(ENROL, None)
        return redirect("admin:login")
    user, device = pending
    form = CodeForm(request.POST or None)
    error = None
    if request.method == "POST":
        if form.is_valid() and device.verify_token(form.cleaned_data["otp_token"]):
            TOTPDevice.objects.filter(user=user, confirmed=True).delete()
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            audit_record(Action.TOTP_ENROLLED, actor=user, obj_type="staff", obj_id=str(user.pk))
            # The key stashed at the password step is still in this session.
            response = _finish_login(request, user, device)
            return response
        error = _("That code did not match. Check the time on your phone and type the code the app shows now.")
    uri = totp.provisioning_uri(device)
    context = {
        "form": form,
        "error": error,
        # An SVG of QR modules (paths only) drawn by qrcode from our own data, not user input.
        "qr_svg": mark_safe(totp.qr_svg(uri)),  # nosec B308, B703
        "secret": totp.secret_for_typing(device),
        "username": user.username,
        "next": _next_url(request),
        "title": _("Set up your authenticator"),
        "site_header": "Sanad",
    }
    return _no_store(render(request, "accounts/enrol.html", context, status=400 if error else 200))


def staff_logout(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return HttpResponse(_("Log out with the button."), status=405, content_type="text/plain; charset=utf-8")
    user = request.user
    if user.is_authenticated:
        audit_record(Action.LOGOUT, actor=user, obj_type="staff", obj_id=str(user.pk))
    logout(request)  # flushes the session: the stashed key goes with it
    response = redirect("admin:login")
    session_keys.forget(response)
    return response


def locked_out(request: HttpRequest, original_response=None, credentials: dict | None = None) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the same page for every locked-out pair, known username or not.

    The lockout of an account goes on the audit chain once per cool-off, not once
    per refused attempt, so that hammering a locked account cannot flood the chain.
    """
    username = (credentials or {}).get("username") if isinstance(credentials, dict) else None
    username = username or request.POST.get("username", "")
    known = StaffUser.objects.filter(username=username).first() if username else None
    if known is not None:
        since = timezone.now() - settings.AXES_COOLOFF_TIME
        if not AuditEntry.objects.filter(
            action=Action.LOGIN_LOCKED_OUT, object_id=str(known.pk), at__gte=since
        ).exists():
            audit_record(Action.LOGIN_LOCKED_OUT, actor=known, obj_type="staff", obj_id=str(known.pk))
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    context = {"minutes": minutes, "title": _("Too many attempts"), "site_header": "Sanad"}
    return _no_store(render(request, "accounts/locked_out.html", context, status=429))


@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@csrf_protect
@never_cache
def staff_password_change(request: HttpRequest) -> HttpResponse:
    """Change one's own password: a new personal key pair, every grant re-wrapped, every session ended.

    Also the first page of a user whose password someone else chose: logged in
    with password and TOTP, they can reach nothing else until they change it.
    """
    user = request.user
    if not (user.is_authenticated and user.is_active and user.is_verified()):
        return redirect(reverse("admin:login") + "?" + urlencode({"next": reverse("admin:password_change")}))
    form = PasswordChangeForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        user = request.user
        try:
            staff_change_password(
                user=user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password1"],
            )
        except CryptoError:
            error = _("Your current password is not right.")
        except AccountError as exc:
            error = str(exc)
        except forms.ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            logout(request)
            response = redirect(reverse("admin:login") + "?changed=1")
            session_keys.forget(response)
            return response
    elif request.method == "POST":
        error = " ".join(m for errors in form.errors.values() for m in errors)
    context = {
        "form": form,
        "error": error,
        "title": _("Choose your own password") if user.must_change_password else _("Change your password"),
        "site_header": "Sanad",
        "must_change": user.must_change_password,
        "has_permission": not user.must_change_password,
    }
    return _no_store(render(request, "accounts/password_change.html", context, status=400 if error else 200))
