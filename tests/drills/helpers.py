"""The drills' tools: production-mode processes with explicit secrets against throwaway drill_* databases."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import secrets
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[2]
ACTOR = Path(__file__).with_name("actor.py")
SECRET_NAMES = (
    "SANAD_SECRET_KEY",
    "SANAD_SEALING_KEYS",
    "SANAD_BLIND_INDEX_KEY",
    "SANAD_RECEIPT_KEY",
    "SANAD_AUDIT_KEY",
)
ANCHOR = re.compile(r"head seq (\d+) hash ([0-9a-f]+)")


def new_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()


def new_secrets() -> dict[str, str]:
    """A deployment's secrets, as its secret store would hold them."""
    return {
        "SANAD_SECRET_KEY": secrets.token_urlsafe(50),
        "SANAD_SEALING_KEYS": f"k2026:{new_key()}",
        "SANAD_BLIND_INDEX_KEY": new_key(),
        "SANAD_RECEIPT_KEY": new_key(),
        "SANAD_AUDIT_KEY": new_key(),
    }


def server_url() -> str:
    """The PostgreSQL server of the services leg (DATABASE_URL), without its database name."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        pytest.fail("the drills need DATABASE_URL pointing at PostgreSQL (the services leg of CI sets it)")
    return urlunsplit(urlsplit(url)._replace(path="/"))


def database_url(name: str) -> str:
    return urlunsplit(urlsplit(server_url())._replace(path=f"/{name}"))


def admin_connection() -> psycopg.Connection:
    return psycopg.connect(database_url("postgres"), autocommit=True)


class Databases:
    """drill_* databases made for one test and dropped after it."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def create(self, label: str) -> str:
        name = f"drill_{label}_{uuid.uuid4().hex[:8]}"
        with admin_connection() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.names.append(name)
        return name

    def drop_all(self) -> None:
        with admin_connection() as conn:
            for name in self.names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def production_env(tmp_path: Path, secrets_: dict[str, str], database: str) -> dict[str, str]:
    """A production-mode process's environment: no SANAD_DEV, every secret given explicitly.

    Cheap Argon2 for the key wrapping and no proof of work, for the drill's speed only: both are
    read when a key is wrapped or a report submitted, and neither changes what is stored or how it opens.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANAD_") and k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(secrets_)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PYTHONDONTWRITEBYTECODE": "1",
            "SANAD_VAR_DIR": str(tmp_path / "var"),
            "SANAD_ALLOWED_HOSTS": "testserver",
            "DATABASE_URL": database_url(database),
            "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/12"),
            "SANAD_KEYWRAP_ARGON2_TIME_COST": "1",
            "SANAD_KEYWRAP_ARGON2_MEMORY_KIB": "8192",
            "SANAD_KEYWRAP_ARGON2_PARALLELISM": "1",
            "SANAD_POW_BASE_BITS": "0",
            "SANAD_LOG_LEVEL": "WARNING",
        }
    )
    return env


def run(env: dict, *args: str, cwd: Path = ROOT, stdin: str | None = None, timeout: int = 120):
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, input=stdin, capture_output=True, text=True, timeout=timeout
    )


@contextlib.contextmanager
def started(env: dict, *args: str, cwd: Path = ROOT):
    """A process running beside the test's own steps; killed if still running when the block ends."""
    process = subprocess.Popen(
        [sys.executable, *args], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def manage(env: dict, *args: str, cwd: Path = ROOT, timeout: int = 120):
    return run(env, "manage.py", *args, cwd=cwd, timeout=timeout)


def ok(result, what: str) -> str:
    """The process's stdout, or a failure showing its stderr (never its stdout, which may hold the drill's receipts)."""
    assert result.returncode == 0, f"{what} exited {result.returncode}:\n{result.stderr[-4000:]}"
    return result.stdout


def actor(env: dict, command: str, *, cwd: Path = ROOT, payload: dict | None = None) -> dict:
    """Run tests/drills/actor.py in `cwd`'s code tree; its last line is the result."""
    script = ACTOR
    if cwd != ROOT:  # an old release: the same script, run from inside that tree
        script = cwd / "drill_actor.py"
        script.write_text(ACTOR.read_text())
    result = run(env, str(script), command, cwd=cwd, stdin=json.dumps(payload) if payload is not None else None)
    out = ok(result, f"actor {command}")
    lines = [line for line in out.splitlines() if line.startswith("DRILL-RESULT ")]
    assert lines, f"actor {command} printed no result:\n{result.stderr[-2000:]}"
    return json.loads(lines[-1].removeprefix("DRILL-RESULT "))


def anchor(env: dict, cwd: Path = ROOT) -> str:
    """Record the head as the README tells an operator to: verify_audit's output, kept as SEQ:HASH."""
    out = ok(manage(env, "verify_audit", cwd=cwd), "verify_audit")
    found = ANCHOR.search(out)
    assert found, out
    return f"{found.group(1)}:{found.group(2)}"


def tables(database: str) -> list[str]:
    with psycopg.connect(database_url(database)) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename").fetchall()
    return [row[0] for row in rows]


def row_counts(database: str) -> dict[str, int]:
    with psycopg.connect(database_url(database)) as conn:
        return {table: conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] for table in tables(database)}


def fingerprint(database: str) -> dict[str, str]:
    """Per table: its row count and an md5 over every row's text, in a fixed order."""
    with psycopg.connect(database_url(database)) as conn:
        return {
            table: conn.execute(
                f"SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '-') "
                f'FROM "{table}" t'
            ).fetchone()[0]
            for table in tables(database)
        }


def assert_no_secret_in(text: str, secrets_: dict[str, str]) -> None:
    for name in SECRET_NAMES:
        for part in secrets_[name].split(","):
            if part.split(":")[-1] in text:
                # pytest.fail, not assert: a failed assert would print the secret it guards into CI's log.
                pytest.fail(f"{name} appears in the output", pytrace=False)
