"""TOTP devices: enrolment, the otpauth:// URI and its QR code, verification without replay.

The secret is sealed at rest (backend.sealed_fields) and appears in clear only
on the enrolment page, which is served `no-store`.
"""

from __future__ import annotations

import io
import secrets
import time
from base64 import b32encode
from urllib.parse import quote, urlencode

import qrcode
import qrcode.image.svg
from django.db import transaction
from django_otp.oath import TOTP

from accounts.models import StaffUser, TOTPDevice
from backend.sealed_fields import seal_value

ISSUER = "Sanad"
SECRET_BYTES = 20  # RFC 4226's recommended 160 bits


def device_new(user: StaffUser) -> TOTPDevice:
    """A fresh, unconfirmed device for `user`; older unconfirmed ones are dropped."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False, key_sealed=b"")
        device.key_sealed = seal_value(device, "key_sealed", secrets.token_bytes(SECRET_BYTES))
        device.save(update_fields=["key_sealed"])
    return device


def confirmed_device(user: StaffUser) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-id").first()


def provisioning_uri(device: TOTPDevice) -> str:
    """The Key URI Format authenticator apps read (SHA1, 6 digits, 30 s: what every app supports)."""
    label = quote(f"{ISSUER}:{device.user.get_username()}")
    params = urlencode(
        {
            "secret": b32encode(device.bin_key).decode().rstrip("="),
            "algorithm": "SHA1",
            "digits": device.digits,
            "period": device.step,
        }
    )
    return f"otpauth://totp/{label}?{params}&issuer={quote(ISSUER)}"


def qr_svg(data: str) -> str:
    """An inline SVG QR code of `data`."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode("utf-8")


def secret_for_typing(device: TOTPDevice) -> str:
    """The base32 secret in groups of four, for typing into an app by hand."""
    text = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def current_code(device: TOTPDevice, *, at: float | None = None) -> str:
    """The code an authenticator shows now (dev command and tests only)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() if at is None else at
    return f"{totp.token():0{device.digits}d}"


def verify_device_token(device: TOTPDevice, token, *, throttle: bool) -> bool:
    """Check a code; each time step is accepted at most once, also under concurrent requests.

    The device row is locked for the check, so two requests racing with one
    code see each other's `last_t`. With `throttle` (a browser that never
    logged in as this user), wrong codes back off per device (django-otp's
    ThrottlingMixin, capped in TOTPDevice); the user's own browsers are never
    held up by them.
    """
    token = str(token or "").strip().replace(" ", "")
    if not (token.isascii() and token.isdigit()) or len(token) != device.digits:
        return False  # no guess was made (the login lockout still counts the attempt)
    with transaction.atomic():
        locked = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        allowed, _ = locked.verify_is_allowed()
        if throttle and not allowed:
            return False
        totp = TOTP(locked.bin_key, locked.step, locked.t0, locked.digits, locked.drift)
        totp.time = time.time()
        verified = totp.verify(int(token), locked.tolerance, locked.last_t + 1)
        if verified:
            locked.last_t = totp.t()
            locked.drift = totp.drift
            locked.throttle_reset(commit=False)
            locked.set_last_used_timestamp(commit=False)
            locked.save()
        elif throttle:
            locked.throttle_increment(commit=True)
    device.refresh_from_db()
    return verified
