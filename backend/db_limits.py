"""Time limits on every PostgreSQL session, by the kind of process that opens it.

A hung query (a lock never released, a plan gone wrong) must not hold a web
thread for ever, nor the group-commit followers waiting on it
(backend.group_commit): web requests get a short `statement_timeout`, Celery
workers a longer one (their tasks' own hard limit), management commands the
longest (a backfill or a purge may legitimately run for minutes). The same
value, but at least a minute, bounds `idle_in_transaction_session_timeout`, so
a process that stalls inside a transaction does not keep its locks either. Connection attempts are
bounded separately (`connect_timeout`, in config/settings.py).

Entry points say what they are: config/wsgi.py calls `process_role("web")`,
config/celery.py `process_role("worker")`; anything else (manage.py, tests)
is a command.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connections
from django.db.backends.signals import connection_created

ROLES = ("web", "worker", "command")
IDLE_IN_TRANSACTION_MIN_SECONDS = 60
_role = "command"


def process_role(role: str) -> None:
    """Declare what this process is. Connections already open were limited for another role: close them."""
    global _role
    if role not in ROLES:
        raise ValueError(f"unknown process role {role!r}")
    if role != _role:
        _role = role
        connections.close_all()


def current_role() -> str:
    return _role


def statement_timeout_seconds() -> int:
    """This process's limit on one statement, in seconds (0: none)."""
    return settings.SANAD_DB_STATEMENT_TIMEOUT[_role]


def _limit_session(sender, connection, **kwargs) -> None:
    if connection.vendor != "postgresql":
        return
    seconds = statement_timeout_seconds()
    # Idle inside a transaction for at least a minute: a password change derives keys (Argon2id, 64 MiB)
    # between its statements, which a busy host may stretch past the web's statement limit.
    idle = 0 if seconds == 0 else max(seconds, IDLE_IN_TRANSACTION_MIN_SECONDS)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('statement_timeout', %s, false), "
            "set_config('idle_in_transaction_session_timeout', %s, false)",
            [f"{seconds}s", f"{idle}s"],
        )


connection_created.connect(_limit_session, dispatch_uid="sanad-db-limits")
