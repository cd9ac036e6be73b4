"""Triage latency and backlog drain with real Celery workers on PostgreSQL and Redis.

    .venv/bin/python bench/triage.py [--rate 20] [--seconds 15] [--backlog 10000]

1. Steady rate: reports are submitted through report_submit (as the API does,
   enqueue on commit) at --rate per second for --seconds; prints p50/p95 of
   (triaged_at - created_at), i.e. from 201 to triaged, once with a single
   worker process of concurrency 1 and once with docker-compose.yml's worker
   layout. Target: p95 under one second at 20 reports/s.
2. Backlog: --backlog pending reports are written, queued as the sweeper
   queues a backlog (tasks.BATCH ids a message), then drained by one worker
   process, then (a fresh backlog, tables truncated) by two; prints the time
   and rate of each and their ratio. Target: draining scales with workers.
Uses database sanad_bench_triage (created and dropped) and Redis db 13.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DB = "sanad_bench_triage"
PG = "postgres://postgres@127.0.0.1:5432"
ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "SANAD_DEV": "1",
    "SANAD_VAR_DIR": str(ROOT / "var" / "bench"),
    "DATABASE_URL": f"{PG}/{DB}",
    "REDIS_URL": "redis://127.0.0.1:6379/13",
    "SANAD_POW_BASE_BITS": "0",
    "SANAD_EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
    "SANAD_LOG_LEVEL": "WARNING",
    "SANAD_SWEEP_EVERY_SECONDS": "3600",
}


def truncate_reports(*, vacuum: bool = False) -> None:
    """Start a run from empty report tables. TRUNCATE leaves no dead rows behind for the next
    run's index scans to step over (a DELETE did, which made the second drain start from
    a different state than the first)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE reports_report CASCADE")
        if vacuum:
            cursor.execute("VACUUM ANALYZE")


def psql(sql: str) -> None:
    subprocess.run(["psql", f"{PG}/postgres", "-q", "-c", sql], check=True, capture_output=True)


def start_worker(index: int, concurrency: int = 1, queues: str = "triage,notifications") -> subprocess.Popen:
    return subprocess.Popen(
        [
            str(Path(sys.executable).with_name("celery")),
            "-A",
            "config",
            "worker",
            f"--concurrency={concurrency}",
            "-n",
            f"bench{index}@%h",
            "-Q",
            queues,
            "--without-mingle",
            "--without-gossip",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env={**os.environ, **ENV},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        worker.terminate()
    for worker in workers:
        worker.wait(timeout=60)


def setup() -> None:
    psql(f"DROP DATABASE IF EXISTS {DB}")
    psql(f"CREATE DATABASE {DB}")
    subprocess.run(["redis-cli", "-n", "13", "flushdb"], check=True, capture_output=True)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env={**os.environ, **ENV}, check=True)
    os.environ.update(ENV)
    import django

    django.setup()
    from accounts.models import Coverage, RoleProposal
    from accounts.roles import KeyPurpose, Role
    from accounts.services import (
        key_grant_create,
        role_bootstrap,
        role_proposal_approve,
        shared_key_create,
        staff_create,
    )
    from backend.places import IRAQ_SUBDIVISIONS

    pw = "bench passphrase 1234"
    lead = staff_create(username="lead", password=pw, roles=[Role.TRIAGE_LEAD], password_set_by_owner=True)
    role_bootstrap(proposal=RoleProposal.objects.get(subject=lead))  # the first holder: nobody to approve
    key = shared_key_create(purpose=KeyPurpose.INTAKE, holder=lead, holder_password=pw)
    for n in range(8):
        cw = staff_create(username=f"cw{n}", password=pw, roles=[Role.CASEWORKER], password_set_by_owner=True)
        role_proposal_approve(proposal=RoleProposal.objects.get(subject=cw), approver=lead, approver_password=pw)
        key_grant_create(shared_key=key, grantor=lead, grantor_password=pw, grantee=cw)
        Coverage.objects.create(
            user=cw, governorates=sorted(IRAQ_SUBDIVISIONS) + ["JO", "TR"], languages=["ar"], capacity=30_000
        )


def envelope(n: int):
    from datetime import date

    from accounts.selectors import intake_keys_active
    from reports.envelope import Envelope, Triage

    key = intake_keys_active()[0]
    triage = Triage(
        category="phone_threat",
        governorate="IQ-BG",
        incident_month=date.today().replace(day=1),
        immediate_danger=False,
        needs_relocation=False,
        language="ar",
        flags=["death_threat"],
        indicators=[("phone", n % 30000)],
        indicator_bits=15,
    )
    return Envelope(
        key=key, ciphertext=os.urandom(1200) + n.to_bytes(8, "big"), triage=triage, reply_public_key=None, pow=None
    )


# (name, [(concurrency, queues), ...]): one pool process for everything, and docker-compose.yml's layout.
LAYOUTS = [
    ("1 worker process, concurrency 1, both queues", [(1, "triage,notifications")]),
    (
        "docker-compose layout: worker-triage --concurrency=2 -Q triage, worker -Q notifications",
        [(2, "triage"), (2, "notifications,maintenance")],
    ),
]


def steady(rate: float, seconds: float, layout: str, specs: list) -> None:
    from reports.intake import report_submit
    from reports.models import Report, ReportState

    truncate_reports()
    workers = [start_worker(index, concurrency, queues) for index, (concurrency, queues) in enumerate(specs)]
    time.sleep(4)
    count = int(rate * seconds)
    started = time.monotonic()
    for n in range(count):
        report_submit(envelope=envelope(n))
        time.sleep(max(0.0, started + (n + 1) / rate - time.monotonic()))
    deadline = time.monotonic() + 60
    while Report.objects.filter(state=ReportState.PENDING).exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    stop(workers)
    delays = sorted((t - c).total_seconds() for c, t in Report.objects.values_list("created_at", "triaged_at") if t)
    p95 = delays[int(len(delays) * 0.95) - 1]
    print(
        f"steady {rate:.0f} reports/s for {seconds:.0f} s, {layout}: {len(delays)}/{count} triaged; "
        f"201 -> triaged p50 {statistics.median(delays) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms "
        f"(target p95 < 1000 ms: {'met' if p95 < 1 else 'NOT met'})"
    )


def backlog(size: int, workers_count: int) -> float:
    from django.db import transaction

    from reports import tasks
    from reports.models import Report, ReportState

    truncate_reports(vacuum=True)
    on_commit = transaction.on_commit
    transaction.on_commit = lambda fn, *a, **k: None  # write the backlog without queueing it yet
    try:
        from reports.intake import report_submit

        ids = [report_submit(envelope=envelope(1_000_000 + n))[0].pk for n in range(size)]
    finally:
        transaction.on_commit = on_commit
    tasks.triage_publish(ids)  # as the sweeper queues a backlog: tasks.BATCH ids a message
    workers = [start_worker(index) for index in range(workers_count)]
    started = time.monotonic()
    while Report.objects.filter(state=ReportState.PENDING).exists():
        time.sleep(0.5)
    elapsed = time.monotonic() - started
    stop(workers)
    print(f"backlog {size} with {workers_count} worker(s): drained in {elapsed:.1f} s ({size / elapsed:.0f} reports/s)")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=20)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--backlog", type=int, default=10_000)
    args = parser.parse_args()
    setup()
    try:
        for layout, specs in LAYOUTS:
            steady(args.rate, args.seconds, layout, specs)
        one = backlog(args.backlog, 1)
        two = backlog(args.backlog, 2)
        print(f"drain speed-up with 2 workers: {one / two:.2f}x (2 cores, shared with PostgreSQL)")
    finally:
        from django.db import connections

        connections.close_all()
        psql(f"DROP DATABASE IF EXISTS {DB}")


if __name__ == "__main__":
    main()
