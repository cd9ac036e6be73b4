"""Typed readers for settings from the environment.

Each reader fails loudly (ImproperlyConfigured naming the variable, never its
value) on a value it cannot parse. Secrets can also come from a file named by
`NAME_FILE`, which is how Docker and Kubernetes secrets are mounted.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
import tempfile
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0/true/false/yes/no/on/off.")


def env_int(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}.")
    if maximum is not None and value > maximum:
        raise ImproperlyConfigured(f"{name} must be at most {maximum}.")
    return value


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_secret(name: str) -> str | None:
    """Return the secret from NAME, or from the file named by NAME_FILE; None if neither is set."""
    direct = os.environ.get(name)
    file_name = os.environ.get(f"{name}_FILE")
    if direct and file_name:
        raise ImproperlyConfigured(f"Set {name} or {name}_FILE, not both.")
    if file_name:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except OSError:
            raise ImproperlyConfigured(f"{name}_FILE names a file that cannot be read.") from None
    if direct is not None and direct.strip() == "":
        return None
    return direct.strip() if direct else None


def decode_key(name: str, value: str) -> bytes:
    """Decode a base64url (padding optional) secret key, refusing anything else."""
    text = value.strip()
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise ImproperlyConfigured(f"{name} is not valid base64url.") from None
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode() != text.rstrip("="):
        raise ImproperlyConfigured(f"{name} is not valid base64url.")
    return raw


def parse_key_ring(name: str, value: str) -> list[tuple[str, bytes]]:
    """Parse `id:base64url,id:base64url`; the first entry seals, all entries open."""
    ring: list[tuple[str, bytes]] = []
    for entry in value.split(","):
        entry = entry.strip()
        if not entry:
            continue
        key_id, sep, encoded = entry.partition(":")
        if not sep or not key_id:
            raise ImproperlyConfigured(f"{name} entries must look like 'keyid:base64url-key'.")
        ring.append((key_id, decode_key(f"{name} ({key_id})", encoded)))
    if not ring:
        raise ImproperlyConfigured(f"{name} holds no key.")
    ids = [key_id for key_id, _ in ring]
    if len(set(ids)) != len(ids):
        raise ImproperlyConfigured(f"{name} names the same key id twice.")
    return ring


def new_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()


# The secrets of the embedded dev mode and how to make each one.
DEV_SECRET_MAKERS = {
    "SANAD_SECRET_KEY": lambda: secrets.token_urlsafe(50),
    "SANAD_SEALING_KEYS": lambda: f"dev1:{new_key()}",
    "SANAD_BLIND_INDEX_KEY": new_key,
    "SANAD_RECEIPT_KEY": new_key,
    "SANAD_AUDIT_KEY": new_key,
}


def dev_secrets(path: Path) -> dict[str, str]:
    """Read the random secrets of the embedded dev mode, creating the file or any missing name on first use.

    A file written before a secret was introduced gets only the new names
    added; the others are kept, since data on this machine is sealed or hashed
    under them.
    """
    values = _read_secrets(path)
    if values is not None and DEV_SECRET_MAKERS.keys() <= values.keys():
        return values
    import fcntl  # POSIX; only the dev mode (Linux, macOS) gets here

    path.parent.mkdir(parents=True, exist_ok=True)
    # Several processes start at once (server, worker, tests): an exclusive
    # lock makes exactly one of them add the missing names, and the others
    # then read its choice instead of writing their own.
    with open(path.with_name(f".{path.name}.lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        values = _read_secrets(path) or {}
        missing = [name for name in DEV_SECRET_MAKERS if name not in values]
        if missing:
            values.update({name: DEV_SECRET_MAKERS[name]() for name in missing})
            _write_atomically(path, values)
    return values


def _read_secrets(path: Path) -> dict[str, str] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


def _write_atomically(path: Path, values: dict[str, str]) -> None:
    """Write a private (0600) temp file, then rename it over the old one: nobody ever reads half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".secrets-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(values, handle, indent=2)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
