"""The reference client's vault file (client.vault.load): what a seized or swapped file could hold.

An input is the file's bytes, read under PASSPHRASE. Only VaultError may
escape, and what load returns is a dict (the client reads its receipt from it).

scrypt at the vault's cost takes about half a second, so while fuzzing the key
derivation is memoised (functools.lru_cache over the same client.vault._key, a
pure function of passphrase and salt): a mutation that keeps the salt costs
only AES-GCM, one that changes it still pays for real scrypt.
"""

from __future__ import annotations

import contextlib
import functools
import os
from pathlib import Path

from client import vault

DECLARED = (vault.VaultError,)
MAX_LEN = 1024
PASSPHRASE = "fuzzing only: vault passphrase"
_file: Path | None = None


@contextlib.contextmanager
def prepared():
    global _file
    saved = vault._key
    vault._key = functools.lru_cache(maxsize=256)(saved)
    # libFuzzer ends the process without unwinding this, so the file has a fixed name under var/.
    _file = Path(os.environ["SANAD_VAR_DIR"]) / "fuzz-vault-input"
    try:
        yield
    finally:
        vault._key = saved
        _file.unlink(missing_ok=True)
        _file = None


def test_one_input(data: bytes) -> None:
    assert _file is not None, "run inside prepared()"
    _file.write_bytes(data)
    try:
        secrets = vault.load(_file, PASSPHRASE)
    except DECLARED:
        return
    assert isinstance(secrets, dict), type(secrets)
