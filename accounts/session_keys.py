"""The personal private key, held for one session only, split between server and browser.

At login the key is unwrapped with the password, then sealed (AES-256-GCM)
under a fresh random key. The ciphertext goes into the server-side session;
the random key goes only into an HttpOnly cookie. A copy of the session store
alone opens nothing, and neither does the cookie alone. Logout, timeout, or
ending the user's sessions deletes the ciphertext. The cookie carries no
expiry, so the browser drops it when it closes.
"""

from __future__ import annotations

import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.http import HttpRequest, HttpResponse

from backend.crypto import hpke
from backend.crypto.encoding import b64url_decode, b64url_encode
from backend.crypto.errors import CryptoError

SESSION_FIELD = "sanad_personal_key"
_AAD_PREFIX = b"sanad/session-personal-key/v1\x00"


def _aad(user_id: str, suite: str) -> bytes:
    return _AAD_PREFIX + user_id.encode() + b"\x00" + suite.encode()


def stash(request: HttpRequest, response: HttpResponse, user_id: str, private_key: hpke.PrivateKey) -> None:
    """Keep `private_key` for this session: ciphertext in the session, its key in a cookie."""
    cookie_key = AESGCM.generate_key(bit_length=256)
    nonce = secrets.token_bytes(12)
    suite = private_key.suite.value
    sealed = AESGCM(cookie_key).encrypt(nonce, private_key.raw, _aad(user_id, suite))
    request.session[SESSION_FIELD] = {"suite": suite, "user": user_id, "sealed": b64url_encode(nonce + sealed)}
    response.set_cookie(
        settings.SANAD_KEY_COOKIE_NAME,
        b64url_encode(cookie_key),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Strict",
        path="/",
    )


def unlock(request: HttpRequest) -> hpke.PrivateKey | None:
    """This session's personal private key, or None (no key stashed, cookie missing or wrong)."""
    stashed = request.session.get(SESSION_FIELD)
    user = getattr(request, "user", None)
    if not stashed or user is None or not user.is_authenticated or stashed.get("user") != str(user.pk):
        return None
    try:
        cookie_key = b64url_decode(request.COOKIES.get(settings.SANAD_KEY_COOKIE_NAME, ""))
        blob = b64url_decode(stashed["sealed"])
        if len(cookie_key) != 32 or len(blob) < 13:
            return None
        raw = AESGCM(cookie_key).decrypt(blob[:12], blob[12:], _aad(stashed["user"], stashed["suite"]))
        return hpke.load_private_key(hpke.Suite.parse(stashed["suite"]), raw)
    except (InvalidTag, CryptoError, KeyError, TypeError, ValueError):
        return None


def has_stash(request: HttpRequest) -> bool:
    return bool(request.session.get(SESSION_FIELD))


def forget(response: HttpResponse) -> None:
    response.delete_cookie(settings.SANAD_KEY_COOKIE_NAME, path="/", samesite="Strict")
