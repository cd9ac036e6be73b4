"""No report is ever lost: real PostgreSQL, Redis, Celery worker and beat, under failure.

Every report that got a 201 ends triaged exactly once, with one assignment and
one e-mail, while (a) the worker's pool child is killed mid-task, (b) the main
worker process is killed and restarted, (c) Redis is stopped during
submissions and started again, (d) the broker is unreachable at submission.
A test profile shortens leases, sweeps and the visibility timeout.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from accounts.models import Coverage
from backend.places import IRAQ_SUBDIVISIONS
from reports.models import Notification, Report, ReportState, ReportTransition

ROOT = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).with_name("celery"))
REDIS_START = [
    "redis-server",
    "--daemonize",
    "yes",
    "--bind",
    "127.0.0.1",
    "-::1",
    "--port",
    "6379",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    "/var/lib/redis",
    "--logfile",
    "/var/log/redis/ci.log",
]
pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def profile(personas, tmp_path):
    """Environment for worker and beat: this test's database, short timeouts, mail to files."""
    db = settings.DATABASES["default"]
    assert db["ENGINE"].endswith("postgresql"), "reliability tests need PostgreSQL (DATABASE_URL)"
    # alice holds the intake key and has a contact address (personas), so she gets the e-mails.
    Coverage.objects.create(
        user=personas["alice"], governorates=sorted(IRAQ_SUBDIVISIONS), languages=["ar"], capacity=1000
    )

    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "SANAD_TRIAGE_LEASE_SECONDS": "6",
            "SANAD_NOTIFY_LEASE_SECONDS": "4",
            "SANAD_TRIAGE_SWEEP_AFTER_SECONDS": "2",
            "SANAD_SWEEP_EVERY_SECONDS": "1",
            "SANAD_BROKER_VISIBILITY_TIMEOUT": "8",
            "SANAD_TRIAGE_RETRY_SECONDS": "1",
            "SANAD_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "SANAD_EMAIL_FILE_PATH": str(tmp_path / "mail"),
            "SANAD_POW_BASE_BITS": "6",
        }
    )
    return env


class Processes:
    def __init__(self, env: dict, log_dir: Path) -> None:
        self.env, self.log_dir, self.running = env, log_dir, {}

    def start(self, name: str, *args: str) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "a")
        process = subprocess.Popen(
            [CELERY, "-A", "config", *args],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.running[name] = process
        return process

    def worker(self, **extra_env) -> subprocess.Popen:
        self.env.update(extra_env)
        return self.start(
            "worker",
            "worker",
            "--concurrency=1",
            "-Q",
            "triage,notifications,maintenance",
            "--without-mingle",
            "--without-gossip",
            "--loglevel=INFO",
        )

    def beat(self) -> subprocess.Popen:
        return self.start("beat", "beat", "--schedule", str(self.log_dir / "beat-schedule"), "--loglevel=INFO")

    def kill(self, name: str, sig=signal.SIGKILL) -> None:
        process = self.running.pop(name)
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass
        process.wait(timeout=30)

    def stop_all(self) -> None:
        for name in list(self.running):
            self.kill(name, signal.SIGTERM)

    def log(self, name: str) -> str:
        return (self.log_dir / f"{name}.log").read_text()


@pytest.fixture
def processes(profile, tmp_path):
    procs = Processes(profile, tmp_path)
    yield procs
    procs.stop_all()
    ensure_redis()


def ensure_redis() -> None:
    if subprocess.run(["redis-cli", "ping"], capture_output=True).returncode != 0:
        subprocess.run(REDIS_START, check=True)
    for _ in range(50):
        if subprocess.run(["redis-cli", "ping"], capture_output=True).stdout.strip() == b"PONG":
            return
        time.sleep(0.1)
    raise RuntimeError("Redis did not come back")


def pool_children(worker: subprocess.Popen) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(worker.pid)], capture_output=True, text=True).stdout
    return [int(pid) for pid in out.split()]


def wait_until_all_triaged(receipted: int, processes: Processes, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if (
            Report.objects.filter(state=ReportState.ASSIGNED).count() == receipted
            and Notification.objects.filter(sent_at__isnull=False).count() == receipted
        ):
            return
        time.sleep(0.5)
    states = list(Report.objects.values_list("state", "triage_attempts", "claimed_until"))
    pytest.fail(
        f"not all triaged: {states}\nworker:\n{processes.log('worker')[-3000:]}\nbeat:\n{processes.log('beat')[-1500:]}"
    )


def assert_exactly_once(receipted: int, mail_dir: Path) -> None:
    assert Report.objects.count() == receipted
    for report in Report.objects.all():
        steps = list(ReportTransition.objects.filter(report=report).values_list("from_state", "to_state"))
        assert steps == [("pending", "triaged"), ("triaged", "assigned")], steps
        assert report.assigned_to.username == "alice"
    assert Notification.objects.filter(kind="assigned").count() == receipted
    # The file backend appends every message of a connection to one file; count the messages.
    sent = sum(path.read_bytes().count(b"\nSubject: ") for path in mail_dir.glob("*.log")) if mail_dir.exists() else 0
    assert sent == receipted, sent
    for reference in Report.objects.values_list("id", flat=True):
        hits = sum(path.read_text().count(str(reference)[:8]) for path in mail_dir.glob("*.log"))
        assert hits >= 1


def submit_many(submit, envelope, count: int) -> int:
    receipted = 0
    for _ in range(count):
        if submit(envelope()).status_code == 201:
            receipted += 1
    return receipted


def test_a_pool_child_killed_mid_task(processes, submit, envelope, profile):
    worker = processes.worker(SANAD_FAULT_TRIAGE_DELAY_MS="1500")
    processes.beat()
    receipted = submit_many(submit, envelope, 6)
    assert receipted == 6
    killed = 0
    deadline = time.monotonic() + 30
    while killed < 2 and time.monotonic() < deadline:
        if Report.objects.filter(state=ReportState.PENDING, claimed_until__isnull=False).exists():
            time.sleep(0.4)  # inside the 1.5 s of triage work
            for pid in pool_children(worker):
                os.kill(pid, signal.SIGKILL)
            killed += 1
            time.sleep(1.6)
        time.sleep(0.05)
    assert killed == 2
    wait_until_all_triaged(receipted, processes)
    assert "WorkerLostError" in processes.log("worker") or "signal 9" in processes.log("worker")
    assert_exactly_once(receipted, Path(profile["SANAD_EMAIL_FILE_PATH"]))


def test_the_main_worker_killed_and_restarted(processes, submit, envelope, profile):
    processes.worker(SANAD_FAULT_TRIAGE_DELAY_MS="800")
    processes.beat()
    receipted = submit_many(submit, envelope, 6)
    time.sleep(1.5)
    processes.kill("worker")  # SIGKILL to the whole worker: main process and pool
    receipted += submit_many(submit, envelope, 3)
    processes.worker(SANAD_FAULT_TRIAGE_DELAY_MS="0")
    wait_until_all_triaged(receipted, processes)
    assert_exactly_once(receipted, Path(profile["SANAD_EMAIL_FILE_PATH"]))


def test_redis_stopped_during_submissions_and_started_again(processes, submit, envelope, profile):
    processes.worker()
    processes.beat()
    receipted = submit_many(submit, envelope, 3)
    subprocess.run(["redis-cli", "shutdown", "nosave"], capture_output=True)
    try:
        down = submit_many(submit, envelope, 4)  # the broker and the counters are gone
        assert down == 4, "a reporter must get a receipt while Redis is down"
        receipted += down
        time.sleep(2)
    finally:
        ensure_redis()
    receipted += submit_many(submit, envelope, 2)
    wait_until_all_triaged(receipted, processes)
    assert_exactly_once(receipted, Path(profile["SANAD_EMAIL_FILE_PATH"]))


def _reconnect(app) -> None:
    """Drop every broker connection and producer pool so the next publish connects to broker_url anew.
    (Closing app.pool alone left closed pools cached: every later publish in this process
    failed, which passed this test for the wrong reason and broke later tests.)"""
    import kombu.pools

    kombu.pools.reset()
    app._after_fork()  # what Celery itself runs to drop its pools in a forked child


def test_broker_unreachable_at_submission(processes, submit, envelope, profile):
    from config.celery import app

    processes.worker()
    processes.beat()
    original = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # only the submitting side cannot reach it
    _reconnect(app)
    try:
        receipted = submit_many(submit, envelope, 5)
    finally:
        app.conf.broker_url = original
        _reconnect(app)
    assert receipted == 5
    wait_until_all_triaged(receipted, processes)
    assert_exactly_once(receipted, Path(profile["SANAD_EMAIL_FILE_PATH"]))
