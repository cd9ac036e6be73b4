"""What the reporter keeps (receipt, reply key) written to disk only on request,
and then only encrypted under a passphrase (scrypt + AES-256-GCM)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from client.i18n import _

MAGIC = b"sanad-vault-1\n"
# scrypt with 64 MiB of memory: costly to guess offline on a seized phone or laptop.
_N, _R, _P = 2**16, 8, 1


class VaultError(Exception):
    pass


def _key(passphrase: str, salt: bytes) -> bytes:
    return Scrypt(salt=salt, length=32, n=_N, r=_R, p=_P).derive(passphrase.encode("utf-8"))


def check_passphrase(passphrase: str) -> None:
    if len(passphrase) < 8:
        raise VaultError(_("Use a passphrase of at least 8 characters."))


def save(path: Path, secrets: dict, passphrase: str) -> None:
    check_passphrase(passphrase)
    salt, nonce = os.urandom(16), os.urandom(12)
    body = AESGCM(_key(passphrase, salt)).encrypt(nonce, json.dumps(secrets).encode(), MAGIC)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(MAGIC + salt + nonce + body)


def load(path: Path, passphrase: str) -> dict:
    data = Path(path).read_bytes()
    if not data.startswith(MAGIC) or len(data) < len(MAGIC) + 28 + 16:
        raise VaultError(_("Not a Sanad vault file."))
    salt, nonce, body = (
        data[len(MAGIC) : len(MAGIC) + 16],
        data[len(MAGIC) + 16 : len(MAGIC) + 28],
        data[len(MAGIC) + 28 :],
    )
    try:
        return json.loads(AESGCM(_key(passphrase, salt)).decrypt(nonce, body, MAGIC))
    except InvalidTag:
        raise VaultError(_("Wrong passphrase, or the file was changed.")) from None
