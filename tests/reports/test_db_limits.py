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
        ("import config.wsgi", ("10s", "1min")),  # gunicorn's entry point; idle in a transaction: a minute at least
        (
            "import django; django.setup(); from config.celery import worker_database_limits; worker_database_limits()",
            ("5min", "5min"),
        ),
        ("import django; django.setup()", ("1h", "1h")),  # manage.py and any other command
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
    assert done.stdout.split() == [*expected, "5"]


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_group_commit_behind_a_lock_fails_together_after_one_limit_not_one_per_report(
    web_role, personas, envelope, monkeypatch
):
    """The followers of a batch that hits the limit are answered when it does: the batch is not tried again
    report by report, each up to the limit again, while they wait."""
    import json

    from django.db import connections
    from django.test import Client

    from reports import intake_writes
    from tests.reports.conftest import fresh_proof

    first_started, release_first = threading.Event(), threading.Event()
    real_write = intake_writes.intake_writes._write
    writes = []

    def write(batch):
        writes.append(len(batch))
        if len(writes) == 1:  # hold the first write until the others wait behind it
            first_started.set()
            release_first.wait(10)
        return real_write(batch)

    monkeypatch.setattr(intake_writes.intake_writes, "_write", write)
    bodies = [envelope() for _ in range(5)]
    answers: dict[int, object] = {}

    def post(index):
        try:
            client = Client(raise_request_exception=False)
            payload = dict(bodies[index])
            proof = fresh_proof(client)
            if proof:
                payload["pow"] = proof
            answers[index] = client.post("/api/v1/reports/", data=json.dumps(payload), content_type="application/json")
        finally:
            connections.close_all()

    locked, release_lock = threading.Event(), threading.Event()

    def hold_the_table() -> None:
        with psycopg.connect(_test_database_url()) as holder:
            holder.execute("LOCK TABLE reports_report IN ACCESS EXCLUSIVE MODE")
            locked.set()
            release_lock.wait(timeout=12)

    holder = threading.Thread(target=hold_the_table)
    holder.start()
    threads = []
    try:
        assert locked.wait(timeout=10)
        threads.append(threading.Thread(target=post, args=(0,)))
        threads[0].start()
        assert first_started.wait(10)
        threads += [threading.Thread(target=post, args=(n,)) for n in range(1, 5)]
        for thread in threads[1:]:
            thread.start()
        deadline = time.monotonic() + 10
        while len(intake_writes.intake_writes._pending) < 4 and time.monotonic() < deadline:
            time.sleep(0.005)
        started = time.monotonic()
        release_first.set()
        for thread in threads:
            thread.join(timeout=30)
        waited = time.monotonic() - started
    finally:
        release_first.set()
        release_lock.set()
        holder.join()
    assert writes == [1, 4]  # the leader alone, then its four followers together
    assert sorted(answer.status_code for answer in answers.values()) == [500] * 5
    # Two limits of one second (the leader's write, then the followers'), not 1 + 4 (each follower alone again).
    assert waited < 3.5, f"the followers were answered after {waited:.1f} s"
    assert Report.objects.count() == 0
