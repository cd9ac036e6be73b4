"""Time limits on the database (backend.db_limits): a hung query cannot hold a web request for ever."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from backend import db_limits
from reports.models import Report

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def web_role(settings):
    """This test process acts as a web process with a one-second limit; afterwards, a command again."""
    settings.SANAD_DB_STATEMENT_TIMEOUT = {**settings.SANAD_DB_STATEMENT_TIMEOUT, "web": 1}
    db_limits.process_role("web")
    yield
    db_limits.process_role("command")


def _test_database_url() -> str:
    """The test run's own database (pytest-django's test_ copy of DATABASE_URL's)."""
    return os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/" + connection.settings_dict["NAME"]


def test_an_unknown_role_is_refused():
    with pytest.raises(ValueError):
        db_limits.process_role("webb")
    assert db_limits.current_role() == "command"


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_web_request_stuck_behind_a_lock_fails_within_the_limit_and_writes_nothing(
    web_role, personas, envelope, client, submit
):
    client.raise_request_exception = False
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "1s"
    body = envelope()
    locked, release = threading.Event(), threading.Event()

    def hold_the_table() -> None:  # another session holds the table, as a hung migration or query would
        with psycopg.connect(_test_database_url()) as holder:
            holder.execute("LOCK TABLE reports_report IN ACCESS EXCLUSIVE MODE")
            locked.set()
            release.wait(timeout=8)  # without a limit the request waits this long, then the test fails

    holder = threading.Thread(target=hold_the_table)
    holder.start()
    try:
        assert locked.wait(timeout=10)
        started = time.monotonic()
        stuck = submit(body)
        waited = time.monotonic() - started
    finally:
        release.set()
        holder.join()
    assert stuck.status_code == 500 and stuck.json()["error"] == "server_error"
    assert waited < 5, f"the request waited {waited:.1f} s behind the lock"
    assert Report.objects.count() == 0

    answered = submit(envelope())  # the lock gone, the same process serves again
    assert answered.status_code == 201, answered.content
    assert Report.objects.count() == 1


@pytest.mark.services
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("import config.wsgi", "10s"),  # gunicorn's entry point
        (
            "import django; django.setup(); from config.celery import worker_database_limits; worker_database_limits()",
            "5min",
        ),
        ("import django; django.setup()", "1h"),  # manage.py and any other command
    ],
    ids=["web", "worker", "command"],
)
def test_each_kind_of_process_gets_its_own_limit(entry, expected):
    env = {
        **os.environ,
        "SANAD_DEV": "1",
        "SANAD_VAR_DIR": str(ROOT / "var" / "test-db-limits"),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": _test_database_url(),
    }
    for name in ("SANAD_DB_STATEMENT_TIMEOUT_WEB", "SANAD_DB_STATEMENT_TIMEOUT_WORKER", "SANAD_TASK_TIME_LIMIT"):
        env.pop(name, None)
    code = (
        f"{entry}\n"
        "from django.db import connection\n"
        "with connection.cursor() as c:\n"
        "    c.execute('SHOW statement_timeout'); print(c.fetchone()[0])\n"
        "    c.execute('SHOW idle_in_transaction_session_timeout'); print(c.fetchone()[0])\n"
        "print(connection.settings_dict['OPTIONS']['connect_timeout'])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [expected, expected, "5"]
