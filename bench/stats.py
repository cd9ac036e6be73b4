"""Statistics for partners on PostgreSQL: building a release over 1,000,000 reports, and serving one.

    .venv/bin/python bench/stats.py [--reports 1000000] [--reload] [--threads 8] [--seconds 10]

1. Data. Database sanad_bench_stats (created if missing, kept between runs, migrated to today's code on
   every run). --reports reports are written by bulk INSERT (Report.objects.bulk_create, 10,000 a batch)
   over the 24 months before this one: categories and places weighted as bench/relocation.py weights
   them, 2% abroad, each to one intake key. Then the roll-up is computed for them by partners' backfill
   (migration 0002's own function: what a deployment with these reports runs once), timed.
2. Build. The release of the last month that closed a quarter (three tables: the month by category, the
   quarter by governorate, the quarter by destination region) is built by partners.stats.release_build
   (the budget row locked, OpenDP's search and noise, the ledger and the audit entry), timed; then
   rebuilt once to time the answer for a month already published. Target: under 10 s.
3. Serving. --threads threads fetch, through Django's test client (no network), the release with a
   partner's token, then GET /api/v1/intake-keys/, each for --seconds: requests a second and p50/p99.
   Target: the release served at least as fast as the intake keys.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))

from bench.queue import PG, BenchDatabase, django_start, environment, staff_with_role  # noqa: E402  (after the path is set)

DB = "sanad_bench_stats"
META = "bench_stats_meta"
REDIS_DB = 12
BATCH = 10_000
LOAD_VERSION = 1
CATEGORIES = [("phone_threat", 30), ("telegram_doxxing", 20), ("surveillance", 15), ("attempted_attack", 15)]
CATEGORIES += [("kidnapping_attempt", 10), ("other", 10)]
PLACES = [("IQ-BG", 25), ("IQ-BA", 10), ("IQ-NI", 10), ("IQ-DQ", 8), ("IQ-AR", 6), ("IQ-SU", 6), ("IQ-NA", 5)]
PLACES += [("IQ-KA", 4), ("IQ-DI", 4), ("IQ-KI", 4), ("IQ-AN", 4), ("IQ-SD", 3), ("IQ-BB", 3), ("IQ-WA", 2)]
PLACES += [("IQ-MA", 2), ("IQ-QA", 2), ("IQ-MU", 1), ("IQ-DA", 1), ("IQ-HA", 1), ("IQ-KR", 1), ("TR", 2)]
_database = BenchDatabase(DB, META)


def pick(rng: random.Random, weighted):
    return rng.choices([value for value, _w in weighted], [weight for _v, weight in weighted])[0]


def load(reports: int) -> None:
    from accounts.roles import KeyPurpose, Role
    from accounts.services import shared_key_create
    from reports.models import Report, ReportState

    lead = staff_with_role("lead1", Role.TRIAGE_LEAD, password="bench-password-1")  # the first holder
    key = shared_key_create(purpose=KeyPurpose.INTAKE, holder=lead, holder_password="bench-password-1")
    rng = random.Random(7)
    now = datetime.now().astimezone()
    started = time.monotonic()
    for offset in range(0, reports, BATCH):
        rows = []
        for index in range(offset, min(offset + BATCH, reports)):
            created = now - timedelta(days=rng.uniform(1, 730))
            rows.append(
                Report(
                    intake_key=key,
                    ciphertext=b"bench",
                    ciphertext_sha256=index.to_bytes(32, "big"),
                    category=pick(rng, CATEGORIES),
                    governorate=pick(rng, PLACES),
                    incident_month=created.date().replace(day=1),
                    triage_sealed=b"",
                    state=ReportState.CLOSED if rng.random() < 0.6 else ReportState.IN_PROGRESS,
                    created_at=created,
                )
            )
        Report.objects.bulk_create(rows)
        if (offset // BATCH) % 20 == 0:
            print(f"  {offset + len(rows):,} reports written ({time.monotonic() - started:.0f} s)", flush=True)
    print(f"{reports:,} reports written in {time.monotonic() - started:.1f} s")
    from importlib import import_module

    from django.apps import apps as django_apps

    backfill = import_module("partners.migrations.0002_backfill_rollup").backfill
    started = time.monotonic()
    backfill(django_apps, None)
    print(f"roll-up computed for them (partners' backfill) in {time.monotonic() - started:.1f} s")
    _database.meta_set("loaded", {"reports": reports, "version": LOAD_VERSION})


def last_quarter_month(today: date) -> date:
    first = today.replace(day=1)
    while True:
        first = (first - timedelta(days=1)).replace(day=1)
        if first.month % 3 == 0:
            return first


def timed_fetches(client_for, path: str, headers: dict, threads: int, seconds: float):
    times: list[float] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def worker():
        from django.db import connections

        client = client_for()
        mine = []
        while time.monotonic() < stop:
            started = time.perf_counter()
            response = client.get(path, secure=True, **headers)
            mine.append(time.perf_counter() - started)
            assert response.status_code == 200, response.status_code
        with lock:
            times.extend(mine)
        connections.close_all()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    times.sort()
    return len(times) / seconds, statistics.median(times) * 1000, times[int(len(times) * 0.99)] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--reload", action="store_true", help="drop the bench database and load it anew")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    secrets = _database.prepare(reload=args.reload)
    loaded = _database.meta_get("loaded")
    if not args.reload and loaded != {"reports": args.reports, "version": LOAD_VERSION}:
        secrets = _database.prepare(reload=True)
        loaded = None
    env = {**environment(secrets), "DATABASE_URL": f"{PG}/{DB}", "REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}"}
    django_start(env, 60.0)
    if loaded:
        print(f"data present ({args.reports:,} reports): not reloaded")
    else:
        load(args.reports)

    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from partners.models import Partner, StatsCount
    from partners.stats import release_build
    from partners.tokens import token_issue

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM reports_report")
        print(f"reports: {cursor.fetchone()[0]:,}; roll-up rows: {StatsCount.objects.count():,}")
    month = last_quarter_month(timezone.localdate())
    started = time.perf_counter()
    release, fresh = release_build(month)
    first = time.perf_counter() - started
    started = time.perf_counter()
    release_build(month)
    again = time.perf_counter() - started
    said = "built" if fresh else "already published in an earlier run (the build's time is the lookup's)"
    print(
        f"\nrelease {release}: {said}: {first * 1000:,.0f} ms (target < 10,000 ms); asked again: {again * 1000:,.1f} ms"
    )
    print(f"  its JSON {len(bytes(release.body_json)):,} bytes, CSV {len(bytes(release.body_csv)):,} bytes")

    partner, _created = Partner.objects.get_or_create(name="bench partner")
    _row, token = token_issue(partner=partner)
    auth = {"HTTP_AUTHORIZATION": f"Token {token}"}
    print(f"\nServing, {args.threads} threads, {args.seconds:g} s each (Django test client, no network):")
    rows = [
        ("release JSON", f"/api/v1/stats/releases/{release}/", auth),
        ("release CSV", f"/api/v1/stats/releases/{release}/?format=csv", auth),
        ("intake keys", "/api/v1/intake-keys/", {}),
    ]
    measured = {}
    for name, path, headers in rows:
        rate, p50, p99 = timed_fetches(Client, path, headers, args.threads, args.seconds)
        measured[name] = rate
        print(f"  {name:<13} {rate:8,.0f} requests/s   p50 {p50:6.1f} ms   p99 {p99:6.1f} ms")
    ratio = measured["release JSON"] / measured["intake keys"]
    print(f"  release / intake keys: {ratio:.2f} x (target >= 1.00)")


if __name__ == "__main__":
    main()
