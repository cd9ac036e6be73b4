"""The fuzzing process's Django: dev mode, a var/ of its own, and fixed fuzz-only secrets.

Nothing here imports the project: `fuzz.__main__` imports it (django.setup() and
the target) inside atheris.instrument_imports(), and modules imported before
that would not be instrumented.

The secrets are fixed so that the committed seeds (a proof of work's MAC, a
sealed field) verify on every machine. They are derived from public strings,
so they protect nothing, and only processes started through this module use
them: fuzzers and python -m fuzz.make_corpus, in dev mode (SANAD_DEV=1) with
their own SQLite database under var/.
"""

from __future__ import annotations

import base64
import contextlib
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"
VAR = ROOT / "var" / "fuzz"

# 2026-12-06T20:00:00Z: the clock of backend.pow while fuzzing, so that committed proofs stay unexpired.
CLOCK = 1796587200.0
# Seeds name intake keys by suite; the fuzzer's database has keys of its own (fuzz.harness.live_key_id).
KEY_PLACEHOLDER = "@intake:"


def _fixed_key(name: str) -> str:
    """A key derived from a public string (backend.checks.published_key): production refuses it (sanad.E013)."""
    from backend.checks import PUBLISHED_KEY_NAMES, published_key

    assert name in PUBLISHED_KEY_NAMES, name  # noqa: S101  (a new fuzzing key must be refused in production too)
    return base64.urlsafe_b64encode(published_key(name)).rstrip(b"=").decode("ascii")


# Environment of a fuzzing process (and of python -m fuzz.make_corpus): see the module's docstring.
ENVIRONMENT = {
    "SANAD_DEV": "1",
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "SANAD_SECRET_KEY": _fixed_key("SANAD_SECRET_KEY") * 2,
    # Two keys: the first seals, both open (what a ring looks like during a rotation).
    "SANAD_SEALING_KEYS": f"fuzz1:{_fixed_key('fuzz1')},fuzz0:{_fixed_key('fuzz0')}",
    "SANAD_BLIND_INDEX_KEY": _fixed_key("SANAD_BLIND_INDEX_KEY"),
    "SANAD_RECEIPT_KEY": _fixed_key("SANAD_RECEIPT_KEY"),
    "SANAD_AUDIT_KEY": _fixed_key("SANAD_AUDIT_KEY"),
    # Seeds carry 8-bit proofs (production asks 18 bits: the same code, a cheaper search).
    "SANAD_POW_BASE_BITS": "8",
    # The demo staff's personal keys are wrapped at Argon2's smallest allowed cost (dev_setup runs faster).
    "SANAD_KEYWRAP_ARGON2_TIME_COST": "1",
    "SANAD_KEYWRAP_ARGON2_MEMORY_KIB": str(8 * 1024),
    "SANAD_KEYWRAP_ARGON2_PARALLELISM": "1",
}


def configure_environment(var_dir: Path | None = None) -> Path:
    """Set the fuzzing environment before Django starts; returns its var/ directory.

    DATABASE_URL and REDIS_URL are removed: a fuzzer writes only to its own SQLite file.
    """
    var_dir = Path(var_dir or VAR)
    var_dir.mkdir(parents=True, exist_ok=True)
    for name in ("DATABASE_URL", "DATABASE_URL_FILE", "REDIS_URL", "REDIS_URL_FILE"):
        os.environ.pop(name, None)
    os.environ.update(ENVIRONMENT)
    os.environ["SANAD_VAR_DIR"] = str(var_dir)
    return var_dir


def settings_overrides() -> dict:
    """The same secrets as Django settings values, for tests (pytest's `settings` fixture) that run the seeds."""
    from config.env import decode_key, parse_key_ring

    return {
        "SECRET_KEY": ENVIRONMENT["SANAD_SECRET_KEY"],
        "SANAD_SEALING_KEYS": parse_key_ring("SANAD_SEALING_KEYS", ENVIRONMENT["SANAD_SEALING_KEYS"]),
        "SANAD_BLIND_INDEX_KEY": decode_key("SANAD_BLIND_INDEX_KEY", ENVIRONMENT["SANAD_BLIND_INDEX_KEY"]),
        "SANAD_RECEIPT_KEY": decode_key("SANAD_RECEIPT_KEY", ENVIRONMENT["SANAD_RECEIPT_KEY"]),
        "SANAD_POW_BASE_BITS": int(ENVIRONMENT["SANAD_POW_BASE_BITS"]),
    }


def database_with_intake_keys() -> None:
    """Migrate the fuzzer's SQLite database and give it dev_setup's staff and intake keys (both suites).

    Both commands are idempotent: after the first run of any target this takes a few queries.
    """
    from django.core.management import call_command

    from accounts.selectors import intake_keys_offered

    call_command("migrate", verbosity=0, interactive=False, skip_checks=True)
    if {key.suite for key in intake_keys_offered()} != {"X25519", "MLKEM768-X25519"}:
        with open(os.devnull, "w") as quiet:
            call_command("dev_setup", stdout=quiet, skip_checks=True)
        from accounts.selectors import forget_offered_keys

        forget_offered_keys()


def live_key_id(value: object) -> object:
    """A seed's "@intake:<suite>" as the id of this database's intake key of that suite; anything else as it is."""
    if not isinstance(value, str) or not value.startswith(KEY_PLACEHOLDER):
        return value
    from accounts.selectors import intake_keys_offered

    suite = value[len(KEY_PLACEHOLDER) :]
    return next((key.key_id for key in intake_keys_offered() if key.suite == suite), value)


@contextlib.contextmanager
def pow_clock():
    """backend.pow reads the time through its _now(); while fuzzing it reads CLOCK."""
    from backend import pow as pow_module

    saved = pow_module._now
    pow_module._now = lambda: CLOCK
    try:
        yield
    finally:
        pow_module._now = saved
