"""Who is "the client" for login lockout, when Sanad never looks at an IP address.

django-axes locks out a (username, client) pair. Sanad strips client
addresses before Django sees a request, so the client is a *device cookie*
(OWASP's "device cookies" defence against online guessing): after a full
login (password and TOTP) the browser gets a signed cookie naming that user
and a random device id. On later attempts for that username:

- a browser with that user's valid device cookie is its own client, so
  failures elsewhere never lock it out;
- every other browser shares one "untrusted" client per username, so an
  attacker who discards cookies still runs into the lockout.

Somebody guessing at a colleague's account therefore locks out only untrusted
browsers for that username, never the colleague's own. axes stores the client
in an IP address column, so the client id is mapped to a keyed, meaningless
address in the unique-local range fd00::/8; it is not and never was an address.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse

DEVICE_COOKIE_SALT = "sanad.login-device"
DEVICE_COOKIE_MAX_AGE = 90 * 24 * 3600


def _username_tag(username: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), b"device-user\x00" + username.encode(), hashlib.sha256).hexdigest()[
        :32
    ]


def device_id(request: HttpRequest, username: str) -> str | None:
    """The trusted device id this browser holds for `username`, if any."""
    value = request.COOKIES.get(settings.SANAD_DEVICE_COOKIE_NAME)
    if not value or not username:
        return None
    try:
        data = signing.loads(value, salt=DEVICE_COOKIE_SALT, max_age=DEVICE_COOKIE_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not hmac.compare_digest(str(data.get("u", "")), _username_tag(username)):
        return None
    device = data.get("d")
    return device if isinstance(device, str) and len(device) == 32 else None


def client_address(request: HttpRequest) -> str:
    """AXES_CLIENT_IP_CALLABLE: a pseudo-address for this username's trusted device, or for 'untrusted'."""
    username = request.POST.get("username", "") if request.method == "POST" else ""
    device = device_id(request, username)
    client = f"device:{device}" if device else "untrusted"
    digest = hmac.new(settings.SECRET_KEY.encode(), b"axes-client\x00" + client.encode(), hashlib.sha256).digest()
    return str(ipaddress.IPv6Address(b"\xfd" + digest[:15]))


def remember_device(request: HttpRequest, response: HttpResponse, username: str) -> None:
    """After a full login: give this browser (or keep) a device cookie for `username`."""
    device = device_id(request, username) or secrets.token_hex(16)
    value = signing.dumps({"u": _username_tag(username), "d": device}, salt=DEVICE_COOKIE_SALT)
    response.set_cookie(
        settings.SANAD_DEVICE_COOKIE_NAME,
        value,
        max_age=DEVICE_COOKIE_MAX_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Strict",
        path="/",
    )


def username_tag(request: HttpRequest, credentials: dict | None) -> str | None:
    """AXES_USERNAME_CALLABLE: what axes stores and logs instead of the typed username.

    A keyed hash: the lockout still counts per username, but a password typed
    into the username field never reaches axes' table or log lines.
    """
    if credentials:
        username = credentials.get("username")
    else:
        username = request.POST.get("username") if request.method == "POST" else None
    if not username:
        return None
    return "u-" + _username_tag(str(username))
