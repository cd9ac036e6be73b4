"""Intake throughput and latency under gunicorn on PostgreSQL, against a trivial DRF endpoint.

    .venv/bin/python bench/intake.py [--seconds 10] [--clients 16]

Needs PostgreSQL (postgres://postgres@127.0.0.1:5432, a database sanad_bench
is created and dropped) and Redis (db 14, for the shared intake counters).
Proof of work is DISABLED for the measurement (SANAD_POW_BASE_BITS=0): it
costs the client, not the server. Envelopes are encrypted before the clock
starts. Load comes from separate processes on the same 2-core machine, so
both endpoints share the CPU with their load generator alike.

Both endpoints are first warmed up (each worker's first requests import
modules and open connections) and then measured in alternating rounds, so
that the machine's drift in speed, which can be large here, hits both alike.
The ratio is of the totals; each round's ratio is printed to show the noise.
Target: intake reaches at least half the trivial endpoint's throughput.

A third endpoint, measured in the same rounds for reference only, is intake
without its write (bench/urls.py): the same parsing, sealing and receipt, but
no INSERT, no COMMIT and no triage message. It splits the shortfall into the
work before the write and the durable write itself.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DB = "sanad_bench"
PG = "postgres://postgres@127.0.0.1:5432"


def env() -> dict:
    values = dict(os.environ)
    values.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "SANAD_BENCH": "1",
            "SANAD_DEV": "1",
            "SANAD_VAR_DIR": str(ROOT / "var" / "bench"),
            "DATABASE_URL": f"{PG}/{DB}",
            "REDIS_URL": "redis://127.0.0.1:6379/14",
            "SANAD_POW_BASE_BITS": "0",
            "SANAD_INTAKE_MAX_PER_MINUTE": "100000000",
            "SANAD_LOG_LEVEL": "WARNING",
        }
    )
    return values


def psql(sql: str) -> None:
    subprocess.run(["psql", f"{PG}/postgres", "-q", "-c", sql], check=True, capture_output=True)


def setup_database() -> None:
    psql(f"DROP DATABASE IF EXISTS {DB}")
    psql(f"CREATE DATABASE {DB}")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env(), check=True)
    script = (
        "from accounts.services import *; from accounts.roles import *; pw='bench passphrase 1234';"
        "from accounts.models import RoleProposal;"
        "lead=staff_create(username='lead', password=pw, roles=[Role.TRIAGE_LEAD], password_set_by_owner=True);"
        "role_bootstrap(proposal=RoleProposal.objects.get(subject=lead));"
        "cw=staff_create(username='cw', password=pw, roles=[Role.CASEWORKER], password_set_by_owner=True);"
        "k=shared_key_create(purpose=KeyPurpose.INTAKE, holder=lead, holder_password=pw);"
        "role_proposal_approve(proposal=RoleProposal.objects.get(subject=cw), approver=lead, approver_password=pw);"
        "key_grant_create(shared_key=k, grantor=lead, grantor_password=pw, grantee=cw)"
    )
    subprocess.run([sys.executable, "manage.py", "shell", "-c", script], cwd=ROOT, env=env(), check=True)


def envelopes(base_url: str, count: int) -> list[bytes]:
    from client import content, hpke
    from client.api import SanadClient, b64e

    key = SanadClient(base_url).choose_key()
    info = b"sanad/v1/report:" + key.key_id.encode()
    reply = b64e(os.urandom(32))  # any 32 bytes that are not a low-order point will do for the bench
    bodies = []
    for n in range(count):
        plaintext = content.report_content(narrative=f"bench report {n} " + "x" * 600)
        bodies.append(
            json.dumps(
                {
                    "version": 1,
                    "key_id": key.key_id,
                    "ciphertext": b64e(hpke.seal(key.kem, key.public_key, plaintext, info)),
                    "triage": {
                        "category": "phone_threat",
                        "governorate": "IQ-BG",
                        "incident_month": time.strftime("%Y-%m"),
                        "immediate_danger": False,
                        "needs_relocation": False,
                        "flags": ["death_threat"],
                        "language": "ar",
                        "indicators": [{"type": "phone", "value": f"0770{n % 10000000:07d}"}],
                    },
                    "reply_public_key": reply,
                }
            ).encode()
        )
    return bodies


def _worker(port, path, bodies, seconds, threads, queue):
    latencies, errors = [], 0
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    chunk = len(bodies) // threads

    def run(part):
        nonlocal errors
        for body in part:
            if time.monotonic() >= stop:
                return
            started = time.perf_counter()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
            status = conn.getresponse().status
            conn.close()
            with lock:
                if status == 201:
                    latencies.append(time.perf_counter() - started)
                else:
                    errors += 1

    pool = [threading.Thread(target=run, args=(bodies[i * chunk : (i + 1) * chunk],)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    queue.put((latencies, errors))


def measure(port: int, path: str, bodies: list[bytes], seconds: float, clients: int) -> dict:
    """One timed run: `clients` concurrent clients in 4 processes, each client posting its share of `bodies`."""
    processes, per = 4, max(1, clients // 4)
    queue = multiprocessing.Queue()
    share = len(bodies) // processes
    started = time.monotonic()
    procs = [
        multiprocessing.Process(
            target=_worker, args=(port, path, bodies[i * share : (i + 1) * share], seconds, per, queue)
        )
        for i in range(processes)
    ]
    for proc in procs:
        proc.start()
    results = [queue.get() for _ in procs]
    for proc in procs:
        proc.join()
    return {
        "elapsed": time.monotonic() - started,
        "latencies": [x for lat, _ in results for x in lat],
        "errors": sum(e for _, e in results),
    }


def summary(runs: list[dict]) -> dict:
    latencies = sorted(x for run in runs for x in run["latencies"])
    return {
        "rate": len(latencies) / sum(run["elapsed"] for run in runs),
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "ok": len(latencies),
        "errors": sum(run["errors"] for run in runs),
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn_start(environment: dict, workers: int, port: int, extra: list[str] = (), **popen) -> subprocess.Popen:
    """gunicorn as production runs it (config/gunicorn.conf.py), on 127.0.0.1:`port`, in its own session."""
    command = [str(Path(sys.executable).with_name("gunicorn")), "-c", "config/gunicorn.conf.py"]
    command += ["--workers", str(workers), "--bind", f"127.0.0.1:{port}", *extra, "config.wsgi:application"]
    return subprocess.Popen(command, cwd=ROOT, env=environment, start_new_session=True, **popen)


def gunicorn_ready(port: int, seconds: float = 20.0) -> None:
    """Wait until /healthz answers."""
    stop = time.monotonic() + seconds
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            conn.close()
            return
        except (OSError, http.client.HTTPException):
            if time.monotonic() > stop:
                raise
            time.sleep(0.2)


def gunicorn_stop(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10, help="measured seconds per endpoint, over all rounds")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--warmup", type=float, default=2, help="unmeasured seconds per endpoint first")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=3)
    args = parser.parse_args()

    setup_database()
    port = free_port()
    server = gunicorn_start(env(), args.workers, port, ["--access-logfile", "/dev/null"])
    try:
        gunicorn_ready(port)
        threads = os.environ.get("SANAD_WEB_THREADS", "8")
        each = args.seconds / args.rounds
        print(
            f"gunicorn (config/gunicorn.conf.py): {args.workers} workers x {threads} threads; PostgreSQL; Redis; {args.clients} concurrent clients; "
            f"{args.warmup:.0f} s warm-up, then {args.rounds} alternating rounds of {each:.1f} s per endpoint; proof of work DISABLED for the measurement"
        )
        prepared = envelopes(f"http://127.0.0.1:{port}", int(1500 * (args.seconds + args.warmup)))
        unused = iter(prepared)
        trivial_bodies = [b'{"x": 1}'] * int(5000 * max(each, args.warmup))

        def intake_bodies(seconds: float) -> list[bytes]:
            return [
                body for body, _ in zip(unused, range(int(1500 * seconds)), strict=False)
            ]  # each ciphertext is stored once

        endpoints = {  # name: (path, bodies for a run of so many seconds)
            "trivial DRF POST /bench/trivial/": ("/bench/trivial/", lambda seconds: trivial_bodies),
            "intake without its write (reference)": ("/bench/intake-unstored/", lambda seconds: prepared),
            "intake   POST /api/v1/reports/": ("/api/v1/reports/", intake_bodies),
        }
        runs: dict[str, list[dict]] = {name: [] for name in endpoints}
        for path, bodies in endpoints.values():
            measure(port, path, bodies(args.warmup), args.warmup, args.clients)
        for number in range(1, args.rounds + 1):
            for name, (path, bodies) in endpoints.items():
                runs[name].append(measure(port, path, bodies(each), each, args.clients))
            trivial, unstored, intake = (len(run[-1]["latencies"]) / run[-1]["elapsed"] for run in runs.values())
            print(
                f"  round {number}: trivial {trivial:7.1f} req/s, intake {intake:6.1f} req/s, ratio {intake / trivial:.2f} "
                f"(without its write: {unstored:6.1f} req/s, {unstored / trivial:.2f})"
            )
        results = {name: summary(run) for name, run in runs.items()}
        for name, result in results.items():
            print(
                f"{name}: {result['rate']:7.1f} req/s  p50 {result['p50']:6.1f} ms  p99 {result['p99']:6.1f} ms  "
                f"({result['ok']} ok, {result['errors']} errors)"
            )
        trivial, unstored, intake = (result["rate"] for result in results.values())
        print(
            f"intake without its write / trivial: {unstored / trivial:.2f}; intake / intake without its write: "
            f"{intake / unstored:.2f} (what the durable write and the triage message leave)"
        )
        ratio = intake / trivial
        print(
            f"ratio intake / trivial throughput: {ratio:.2f} (target >= 0.50: {'met' if ratio >= 0.5 else 'NOT met'})"
        )
    finally:
        gunicorn_stop(server)
        psql(f"DROP DATABASE IF EXISTS {DB}")


if __name__ == "__main__":
    main()
