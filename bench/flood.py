"""Honest reporters under a junk flood: do their reports get through, how fast, and what does junk cost the server?

    .venv/bin/python bench/flood.py [--baseline 35] [--flood 75] [--junk-each 4] [--cost 16] [--rounds 2] [--honest-rate 0.5]
                                    [--workers 3] [--flood-procs 2] [--flood-connections 64] [--flood-cpus LAST]
                                    [--seconds N (all phases scaled to about N s, for short trial runs)]

About 4 minutes with the defaults, setup included (the run time is printed at the end). Needs PostgreSQL (postgres://postgres@127.0.0.1:5432)
and Redis (db 13). The full output is the result: configuration, each phase's figures, PASS/FAIL per target.

The server runs as production runs it (Dockerfile, docker-compose.yml): gunicorn with config/gunicorn.conf.py
(--workers, SANAD_WEB_THREADS threads each, access log on), production settings (no SANAD_DEV: DEBUG off)
with throwaway secrets, PostgreSQL (database bench_flood, created and dropped) and Redis db 13 (cache,
counters and broker; flushed). Two differences, both printed: TLS is taken as terminated by the proxy in front
(SANAD_SSL_REDIRECT=0, plain HTTP on loopback), and no Celery worker runs (triage messages wait in Redis).

Honest reporters are --honest-procs processes running the reference client (client/api.py SanadClient.submit:
GET /api/v1/intake-keys/, GET /api/v1/pow/, solving at whatever difficulty the server asks, which starts at
SANAD_POW_BASE_BITS' production default and rises with the intake rate, then POST /api/v1/reports/), arriving
at random (Poisson) at --honest-rate reports a second in all. Each submission's latency is that of its POST;
the proof-of-work solve is timed apart (wall and CPU seconds).

The flood is --flood-procs processes (asyncio, keep-alive connections, requests built beforehand), each
connection sending one kind of junk as fast as the server answers:
  bad_proof         a report with a genuine challenge (GET /api/v1/pow/) and an unsolved nonce
  spent_proof       a new report paying with the proof of a report already accepted
  replay            an accepted report's request, byte for byte
  bad_json          a report-sized body cut short (not JSON)
  oversized         a report POST of --oversized-kib KiB (over the endpoint's cap), body sent whole
  receipt_status    GET /api/v1/reports/status/ with a random receipt
  receipt_followup  POST /api/v1/reports/followups/ (a follow-up-sized body) with a random receipt
  receipt_evidence  POST /api/v1/reports/evidence/ (a 64 KiB body) with a random receipt
  held_evidence     (only with --held N: N more connections in phase 2) receipt_evidence, then the
                    connection held open, silent, for 3 s (a peer that never closes)
Accepted reports to replay come from the warm-up. The flood processes are pinned to --flood-cpus
(default: the last core), so they take at most that share of this machine from the server.

Phases, in order: warm-up (honest reports, whose requests the junk then replays, and 3 s of every kind of
junk: each worker thread opens its connections); idle (the server's own CPU at rest, subtracted from every
phase's); 1. honest only (--baseline s at --honest-rate: latency without the flood); 2. honest reporters
under the full flood (--flood s: latency, success, what each kind of junk got); 3. --rounds alternating
rounds (as bench/intake.py alternates, so that the machine's drift hits both alike) of each kind of junk
alone (--junk-each s per kind in all: the server's CPU per refusal of that kind; the reference client's
GET /api/v1/pow/ and GET /api/v1/intake-keys/ are measured alike, for reference) and of honest reporters
alone, back to back (--cost s in all: the server's CPU per accepted report, its GET intake-keys and GET pow
included; at --honest-rate the server idles too much to measure it). Phase 3 comes after the flood so that
its burst of reports does not raise the difficulty the honest reporters meet under the flood.
Server CPU is utime+stime from /proc of the gunicorn master and workers and of
the PostgreSQL backends connected to bench_flood (not PostgreSQL's shared background processes, such as the
WAL writer), and Redis' own (INFO cpu; Redis may serve others too, so that part is an upper bound). The
whole machine's busy time is printed beside it, and what the honest clients and the flood used.
Then every receipt the honest reporters were given is checked: looked up in the database (which must hold
those reports and nothing else) and resolved through GET /api/v1/reports/status/.

Targets: 0 honest reports lost; honest POST p99 under 2 s during the flood; each kind of junk (and the
mix) refused at under a fifth of the server CPU of an accepted report.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Run as a script, this file's folder comes first on sys.path, where bench/queue.py would shadow the standard
# library's `queue` (which multiprocessing imports).
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))

from bench.intake import free_port, gunicorn_ready, gunicorn_start, gunicorn_stop  # noqa: E402
from bench.queue import PG, BenchDatabase, django_start, environment  # noqa: E402

DB = "bench_flood"
REDIS_DB = 13
PASSWORD = "bench passphrase 1234"
KINDS = [
    "bad_proof",
    "spent_proof",
    "replay",
    "bad_json",
    "oversized",
    "receipt_status",
    "receipt_followup",
    "receipt_evidence",
]
HELD = "held_evidence"  # opt-in (--held): receipt_evidence, then the connection held open, silent
REFERENCE = ["get_pow", "get_keys"]  # valid requests, measured beside the junk for reference
HOLD_SECONDS = 3.0
P99_TARGET_S = 2.0
COST_TARGET = 0.2  # junk refused at under this fraction of an accepted report's server CPU
TICK = os.sysconf("SC_CLK_TCK")
_database = BenchDatabase(DB, "bench_flood_meta")


# --- CPU accounting ---------------------------------------------------------------------------------


def proc_cpu(pid: int) -> float | None:
    """utime + stime of a process (all its threads), in seconds; None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICK


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def process_tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        todo += children(current)
    return pids


def machine_busy() -> float:
    """Seconds of CPU (all cores, all processes) spent busy since boot."""
    with open("/proc/stat") as stat:
        values = [int(value) for value in stat.readline().split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values[:8]) - idle) / TICK


class Meter:
    """CPU seconds of each party over a phase: the server (gunicorn, PostgreSQL backends of the bench
    database, Redis) and the load (honest clients, flood), and the whole machine."""

    def __init__(self, server_pid: int, honest_pids: list[int], flood_pids: list[int]) -> None:
        import redis

        self.server_pid, self.honest_pids, self.flood_pids = server_pid, honest_pids, flood_pids
        self.redis = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB)
        self.pg = _database.connect()
        self.own_backend = self.pg.execute("SELECT pg_backend_pid()").fetchone()[0]

    def backends(self) -> list[int]:
        rows = self.pg.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> %s", [DB, self.own_backend]
        )
        return [pid for (pid,) in rows]

    def snapshot(self) -> dict:
        info = self.redis.info("cpu")
        return {
            "at": time.monotonic(),
            "gunicorn": {pid: proc_cpu(pid) for pid in process_tree(self.server_pid)},
            "postgres": {pid: proc_cpu(pid) for pid in self.backends()},
            "redis": info["used_cpu_user"] + info["used_cpu_sys"],
            "honest": {pid: proc_cpu(pid) for pid in self.honest_pids},
            "flood": {pid: proc_cpu(pid) for pid in self.flood_pids},
            "machine": machine_busy(),
        }

    @staticmethod
    def delta(start: dict, end: dict) -> dict:
        def tree(name: str) -> float:
            return sum(cpu - (start[name].get(pid) or 0.0) for pid, cpu in end[name].items() if cpu is not None)

        used = {name: tree(name) for name in ("gunicorn", "postgres", "honest", "flood")}
        used["redis"] = end["redis"] - start["redis"]
        used["machine"] = end["machine"] - start["machine"]
        used["seconds"] = end["at"] - start["at"]
        used["server"] = used["gunicorn"] + used["postgres"] + used["redis"]
        return used


# --- Honest reporters (the reference client) ----------------------------------------------------------


def honest_main(conn, base_url: str, seed: int) -> None:
    """A process of honest reporters: on ("run", rate, start, end), submits reports through the reference
    client at Poisson arrivals of `rate` a second between the monotonic times start and end; sends back one
    record per submission."""
    from client.api import ClientError, SanadClient, Triage

    class TimedClient(SanadClient):
        """The reference client, unchanged, with its calls timed."""

        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.times: dict[str, tuple[float, float]] = {}
            self.sent: dict | None = None
            self.difficulty: int | None = None

        def _call(self, method, path, body=None, receipt=None):
            wall, cpu = time.perf_counter(), time.process_time()
            try:
                answer = super()._call(method, path, body, receipt)
            finally:
                self.times[f"{method} {path}"] = (time.perf_counter() - wall, time.process_time() - cpu)
            if path == "/api/v1/pow/":
                self.difficulty = answer.get("difficulty") if isinstance(answer, dict) else None
            if method == "POST":
                self.sent = body
            return answer

        def _pow(self):
            wall, cpu = time.perf_counter(), time.process_time()
            proof = super()._pow()
            fetch_wall, fetch_cpu = self.times.get("GET /api/v1/pow/", (0.0, 0.0))
            self.times["solve"] = (time.perf_counter() - wall - fetch_wall, time.process_time() - cpu - fetch_cpu)
            return proof

    rng = random.Random(seed)
    words = "تهديد رسالة هاتف مجهول سيارة منزل عمل صحفي ناشط تصوير ملاحقة بغداد البصرة".split()
    places = ["IQ-BG", "IQ-BA", "IQ-NI", "IQ-DQ", "IQ-AR", "IQ-SU", "IQ-NA", "IQ-KA"]
    while True:
        command = conn.recv()
        if command is None:
            return
        _, rate, start, end = command
        records = []
        arrival = start + rng.expovariate(rate)
        while arrival < end:
            time.sleep(max(0.0, arrival - time.monotonic()))
            client = TimedClient(base_url)
            month = time.strftime("%Y-%m")
            triage = Triage(
                category=rng.choice(["phone_threat", "telegram_doxxing", "surveillance", "attempted_attack"]),
                governorate=rng.choice(places),
                incident_month=month,
                language="ar",
                flags=["death_threat"] if rng.random() < 0.3 else [],
                indicators=[{"type": "phone", "value": f"0770 {rng.randrange(10**7):07d}"}],
            )
            record = {"late": max(0.0, time.monotonic() - arrival)}
            try:
                narrative = " ".join(rng.choice(words) for _ in range(rng.randint(40, 400)))
                submission = client.submit(narrative=narrative, triage=triage)
                record.update(ok=True, receipt=submission.receipt, status=201, body=client.sent)
            except ClientError as exc:
                record.update(ok=False, status=exc.status, error=str(exc)[:200])
            except Exception as exc:  # noqa: BLE001 - any failure of an honest submission is a result to report
                record.update(ok=False, status=None, error=f"{type(exc).__name__}: {exc}"[:200])
            post = client.times.get("POST /api/v1/reports/")
            record["post_s"] = post[0] if post else None
            record["solve_s"], record["solve_cpu_s"] = client.times.get("solve", (None, None))
            record["bits"] = client.difficulty
            record["done"] = time.monotonic()
            records.append(record)
            arrival = time.monotonic() if rate == float("inf") else arrival + rng.expovariate(rate)  # inf: back to back
        conn.send(records)


# --- Flood -----------------------------------------------------------------------------------------


def _request(method: str, path: str, port: int, body: bytes = b"", headers: dict | None = None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Accept: application/json", "User-Agent: junk"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if method != "GET":
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def _flood_connection(
    port: int, requests: list[bytes], tally: collections.Counter, deadline: float, hold: bool = False
) -> None:
    """Send `requests` in turn on one keep-alive connection until `deadline`, counting the status codes. The
    server closes a connection whose request body it did not read (gunicorn): that shows as a failure of the
    next request on it, which is then sent again at once on a new connection; only a failure on a new
    connection counts (as conn-error). With `hold`, each answer is followed by HOLD_SECONDS of silence: the
    connection is held open, nothing sent, nothing read, not closed, whatever the server does meanwhile."""
    reader = writer = None
    index = random.randrange(len(requests))
    while time.monotonic() < deadline:
        fresh = writer is None
        try:
            if fresh:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(requests[index % len(requests)])
            head = await reader.readuntil(b"\r\n\r\n")
            status, length, close = int(head[9:12]), 0, False
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"connection" and value.strip().lower() == b"close":
                    close = True
            await reader.readexactly(length)
            index += 1
            if time.monotonic() <= deadline:
                tally[status] += 1
            if hold:  # neither read nor close, even once the server has said it is done (a silent peer)
                await asyncio.sleep(max(0.0, min(HOLD_SECONDS, deadline - time.monotonic())))
                close = True
            if close:
                writer.close()
                writer = None
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, TimeoutError):
            if writer is not None:
                writer.close()
            writer = None
            if fresh:
                if time.monotonic() <= deadline:
                    tally["conn-error"] += 1
                await asyncio.sleep(0.01)
    if writer is not None:
        writer.close()


async def _flood(port: int, plan: list[tuple[str, list[bytes]]], deadline: float) -> dict[str, collections.Counter]:
    tallies = {kind: collections.Counter() for kind, _ in plan}
    tasks = [
        asyncio.create_task(_flood_connection(port, requests, tallies[kind], deadline, hold=kind == HELD))
        for kind, requests in plan
    ]
    await asyncio.wait(tasks, timeout=max(0.0, deadline - time.monotonic()) + 1.0)
    for task in tasks:
        task.cancel()
    return tallies


def flood_main(conn, port: int, cpus: list[int], material: dict[str, list[bytes]], oversized_kib: int) -> None:
    """A flood process: on ("run", kinds, connections, held, start, end), keeps `connections` keep-alive
    connections busy between the monotonic times start and end, connection i sending kinds[i % len(kinds)],
    and `held` more of the held kind; sends back the status codes counted per kind."""
    if cpus:
        os.sched_setaffinity(0, cpus)
    body = b'{"version": 1, "ciphertext": "' + b"A" * (oversized_kib * 1024) + b'"}'
    material = {**material, "oversized": [_request("POST", "/api/v1/reports/", port, body)]}
    while True:
        command = conn.recv()
        if command is None:
            return
        _, kinds, connections, held, start, end = command
        time.sleep(max(0.0, start - time.monotonic()))
        plan = [(kinds[i % len(kinds)], material[kinds[i % len(kinds)]]) for i in range(connections)]
        plan += [(HELD, material["receipt_evidence"])] * held
        tallies = asyncio.run(_flood(port, plan, end))
        conn.send({kind: dict(tally) for kind, tally in tallies.items()})


def junk_material(base_url: str, port: int, accepted: list[dict], count: int = 200) -> dict[str, list[bytes]]:
    """Each kind's requests (but the oversized one, made in the flood process), `count` of each where they vary."""
    from client import content, hpke
    from client.api import SanadClient, b64e

    client = SanadClient(base_url)
    key = client.choose_key()
    rng = random.Random(1)

    def ciphertext(plaintext: bytes, what: str) -> str:
        return b64e(hpke.seal(key.kem, key.public_key, plaintext, f"sanad/v1/{what}:{key.key_id}".encode()))

    def receipt() -> str:
        digits = f"{rng.randrange(10**20):020d}"
        return "-".join(digits[i : i + 4] for i in range(0, 20, 4))

    template = accepted[0]
    reports = [ciphertext(content.report_content(narrative="x" * rng.randint(200, 900)), "report") for _ in range(20)]
    challenges = [client._call("GET", "/api/v1/pow/")["challenge"] for _ in range(20)]

    def report(**changes) -> bytes:
        return json.dumps({**template, **changes}).encode()

    post = "/api/v1/reports/"
    followup = json.dumps(
        {"key_id": key.key_id, "ciphertext": ciphertext(content.followup_content("x" * 300), "followup")}
    ).encode()
    evidence = json.dumps(
        {"key_id": key.key_id, "ciphertext": b64e(os.urandom(48 * 1024)), "pow": template["pow"]}
    ).encode()
    material = {
        "bad_proof": [
            _request(
                "POST",
                post,
                port,
                report(
                    ciphertext=reports[i % 20],
                    pow={"challenge": challenges[i % 20], "nonce": str(rng.randrange(10**9))},
                ),
            )
            for i in range(count)
        ],
        "spent_proof": [
            _request("POST", post, port, report(ciphertext=reports[i % 20], pow=accepted[i % len(accepted)]["pow"]))
            for i in range(count)
        ],
        "replay": [_request("POST", post, port, json.dumps(body).encode()) for body in accepted],
        "bad_json": [
            _request("POST", post, port, report(ciphertext=reports[i % 20])[: -rng.randint(2, 200)])
            for i in range(count)
        ],
        "receipt_status": [
            _request("GET", "/api/v1/reports/status/", port, headers={"Authorization": f"Receipt {receipt()}"})
            for _ in range(count)
        ],
        "receipt_followup": [
            _request("POST", "/api/v1/reports/followups/", port, followup, {"Authorization": f"Receipt {receipt()}"})
            for _ in range(count)
        ],
        "receipt_evidence": [
            _request("POST", "/api/v1/reports/evidence/", port, evidence, {"Authorization": f"Receipt {receipt()}"})
            for _ in range(count)
        ],
        # Not junk: the two requests the reference client makes before its POST, measured for reference.
        "get_pow": [_request("GET", "/api/v1/pow/", port)],
        "get_keys": [_request("GET", "/api/v1/intake-keys/", port)],
    }
    return material


def probe(port: int, material: dict[str, list[bytes]], oversized_kib: int) -> None:
    """One request of each kind, its answer printed: each is refused for the reason it was made for."""
    import socket

    print("One of each kind of junk, and the server's answer:")
    body = b'{"version": 1, "ciphertext": "' + b"A" * (oversized_kib * 1024) + b'"}'
    for kind in KINDS:
        request = material[kind][0] if kind != "oversized" else _request("POST", "/api/v1/reports/", port, body)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(request)
            sock.shutdown(socket.SHUT_WR)
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        head, _, rest = answer.partition(b"\r\n\r\n")
        print(f"  {kind:<17} {head[9:12].decode()} {rest[:150].decode('utf-8', 'replace')}")


# --- Setup ------------------------------------------------------------------------------------------


def staff_and_key() -> None:
    """A triage lead holding an intake key, granted to a caseworker (two holders, so the key is offered)."""
    from accounts.roles import KeyPurpose, Role
    from accounts.services import key_grant_create, shared_key_create
    from bench.queue import staff_with_role

    lead = staff_with_role("lead", Role.TRIAGE_LEAD, password=PASSWORD)  # the first holder: bootstrapped
    key = shared_key_create(purpose=KeyPurpose.INTAKE, holder=lead, holder_password=PASSWORD)
    caseworker = staff_with_role("cw", Role.CASEWORKER, password=PASSWORD, approver=lead)
    key_grant_create(shared_key=key, grantor=lead, grantor_password=PASSWORD, grantee=caseworker)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(share * len(ordered))) - 1))]


# --- Phases -----------------------------------------------------------------------------------------


class Bench:
    def __init__(self, args, port: int, server, honest, flood) -> None:
        self.args, self.port, self.server = args, port, server
        self.honest, self.flood = honest, flood  # lists of (process, pipe)
        self.meter = Meter(server.pid, [p.pid for p, _ in honest], [p.pid for p, _ in flood])
        self.idle_per_s = {"gunicorn": 0.0, "postgres": 0.0, "redis": 0.0}

    def phase(self, seconds: float, *, honest_rate: float = 0.0, kinds: list[str] | None = None, held: int = 0) -> dict:
        start = time.monotonic() + 0.5
        end = start + seconds
        if honest_rate:
            for _, pipe in self.honest:
                pipe.send(("run", honest_rate / len(self.honest), start, end))
        if kinds:
            per = max(len(kinds), self.args.flood_connections // len(self.flood))
            for _, pipe in self.flood:
                pipe.send(("run", kinds, per, held // len(self.flood), start, end))
        time.sleep(max(0.0, start - time.monotonic()))
        before = self.meter.snapshot()
        time.sleep(max(0.0, end - time.monotonic()))
        after = self.meter.snapshot()
        cpu = Meter.delta(before, after)
        for name, rate in self.idle_per_s.items():
            cpu[f"{name}_idle"] = rate * cpu["seconds"]
        cpu["server_net"] = max(0.0, cpu["server"] - sum(rate * cpu["seconds"] for rate in self.idle_per_s.values()))
        records = [record for _, pipe in self.honest for record in pipe.recv()] if honest_rate else []
        junk: dict[str, collections.Counter] = {}
        if kinds:
            for _, pipe in self.flood:
                for kind, tally in pipe.recv().items():
                    junk.setdefault(kind, collections.Counter()).update(tally)
        # Reports acknowledged within the measured window: a submission that was still solving or posting at its
        # end is answered after it, and its POST's CPU was not measured.
        within = sum(1 for record in records if record["ok"] and start <= record["done"] <= end)
        return {"cpu": cpu, "honest": records, "junk": junk, "within": within}

    def idle(self, seconds: float) -> None:
        cpu = self.phase(seconds)["cpu"]
        self.idle_per_s = {name: cpu[name] / cpu["seconds"] for name in self.idle_per_s}


def cpu_line(cpu: dict) -> str:
    per = cpu["seconds"]
    return (
        f"cores busy over {per:.0f} s: server {cpu['server'] / per:.2f} (gunicorn {cpu['gunicorn'] / per:.2f}, "
        f"PostgreSQL {cpu['postgres'] / per:.2f}, Redis {cpu['redis'] / per:.2f}); honest clients "
        f"{cpu['honest'] / per:.2f}; flood {cpu['flood'] / per:.2f}; whole machine {cpu['machine'] / per:.2f} "
        f"of {os.cpu_count()} (other processes {max(0.0, cpu['machine'] - cpu['server'] - cpu['honest'] - cpu['flood']) / per:.2f})"
    )


def honest_summary(name: str, records: list[dict]) -> dict:
    ok = [record for record in records if record["ok"]]
    posts = [record["post_s"] for record in records if record["post_s"] is not None]
    solves = [record["solve_s"] for record in records if record["solve_s"] is not None]
    solve_cpu = [record["solve_cpu_s"] for record in records if record["solve_cpu_s"] is not None]
    bits = sorted(record["bits"] for record in records if record["bits"] is not None)
    result = {"attempted": len(records), "ok": len(ok), "p50": None, "p99": None}
    rate = len(ok) / len(records) if records else 0.0
    print(f"  honest, {name}: {len(ok)}/{len(records)} acknowledged with a receipt ({rate:.1%})")
    if posts:
        result["p50"], result["p99"] = statistics.median(posts), percentile(posts, 0.99)
        print(
            f"    POST /api/v1/reports/ latency: p50 {result['p50'] * 1000:.0f} ms, p99 {result['p99'] * 1000:.0f} ms, "
            f"max {max(posts) * 1000:.0f} ms ({len(posts)} requests; the p99 of n is the "
            f"{len(posts) - max(0, int(round(0.99 * len(posts))) - 1)}th slowest)"
        )
    if solves:
        print(
            f"    proof of work (client side, apart): difficulty {bits[0]}-{bits[-1]} bits (median {statistics.median(bits):g}); "
            f"solve p50 {statistics.median(solves):.2f} s, p99 {percentile(solves, 0.99):.2f} s wall, "
            f"mean {statistics.mean(solve_cpu):.2f} s CPU"
        )
    late = [record["late"] for record in records]
    if late and max(late) > 0.5:
        print(
            f"    (a reporter started up to {max(late):.1f} s after its arrival time: the client processes were busy)"
        )
    failures = collections.Counter(
        (record["status"], record.get("error", "")[:120]) for record in records if not record["ok"]
    )
    for (status, error), count in failures.most_common(5):
        print(f"    refused x{count}: {status} {error}")
    return result


def verify(base_url: str, records: list[dict]) -> tuple[int, int, int]:
    """(receipts given, found in the database and resolving through the API, reports in the database)."""
    from client.api import ClientError, SanadClient
    from reports.intake import report_for_receipt
    from reports.models import Report

    receipts = [record["receipt"] for record in records if record["ok"]]
    client = SanadClient(base_url)
    good = 0
    for receipt in receipts:
        try:
            stored = report_for_receipt(receipt) is not None
            answered = client.status(receipt).status == "received"
        except ClientError:
            answered = False
        good += stored and answered
    return len(receipts), good, Report.objects.count()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", type=float, default=35.0, help="seconds of honest reporters alone")
    parser.add_argument("--junk-each", type=float, default=4.0, help="seconds of each kind of junk alone, in all")
    parser.add_argument("--flood", type=float, default=75.0, help="seconds of honest reporters under the flood")
    parser.add_argument("--idle", type=float, default=5.0, help="seconds of the server at rest")
    parser.add_argument("--warmup", type=float, default=8.0, help="seconds of honest reporters, unmeasured, first")
    parser.add_argument("--cost", type=float, default=16.0, help="seconds of honest reporters back to back, in all")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds of junk alone and honest alone")
    parser.add_argument("--honest-rate", type=float, default=0.5, help="honest reports a second, in all")
    parser.add_argument("--honest-procs", type=int, default=4)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (production's default: 3)")
    parser.add_argument("--flood-procs", type=int, default=2)
    parser.add_argument("--flood-connections", type=int, default=64, help="in all")
    parser.add_argument(
        "--flood-cpus", default=str((os.cpu_count() or 1) - 1), help="cores to pin the flood to ('' : none)"
    )
    parser.add_argument("--oversized-kib", type=int, default=1024)
    parser.add_argument(
        "--held", type=int, default=0, help="more flood connections in phase 2, of the held kind (none by default)"
    )
    parser.add_argument("--seconds", type=float, help="scale every phase to a total of about this (short runs)")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    began = time.monotonic()
    if args.seconds:
        total = args.baseline + args.junk_each * len(KINDS) + args.flood + args.cost
        for name in ("baseline", "junk_each", "flood", "cost"):
            setattr(args, name, getattr(args, name) * args.seconds / total)
    flood_cpus = [int(cpu) for cpu in args.flood_cpus.split(",") if cpu.strip()]

    secrets = _database.prepare(reload=True)
    env = {
        **environment(secrets),
        "DATABASE_URL": f"{PG}/{DB}",
        "REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
        "SANAD_ALLOWED_HOSTS": "127.0.0.1,testserver",
        "SANAD_SSL_REDIRECT": "0",
        "SANAD_LOG_LEVEL": "INFO",  # production's default: each refusal is logged, as it would be there
    }
    for name in [name for name in os.environ if name.startswith("SANAD_POW") or name == "SANAD_INTAKE_MAX_PER_MINUTE"]:
        del os.environ[name]  # production's defaults
    django_start(env, 60.0)
    from django.conf import settings

    staff_and_key()
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    (ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
    log = open(ROOT / "var" / "bench" / "flood-gunicorn.log", "wb")  # noqa: SIM115 - open for the server's life
    server = gunicorn_start(dict(os.environ), args.workers, port, stdout=subprocess.DEVNULL, stderr=log)
    spawn = multiprocessing.get_context("spawn")
    honest, flood = [], []
    try:
        gunicorn_ready(port)
        threads = os.environ.get("SANAD_WEB_THREADS", "8")
        print(
            f"{os.cpu_count()} cores. Server: gunicorn (config/gunicorn.conf.py) {args.workers} workers x {threads} "
            f"threads, production settings (DEBUG {settings.DEBUG}), PostgreSQL, Redis; TLS taken as terminated in "
            f"front (SANAD_SSL_REDIRECT=0); no Celery worker.\nProof of work: base {settings.SANAD_POW_BASE_BITS} bits, "
            f"+1 per doubling over {settings.SANAD_POW_RATE_THRESHOLD} reports in two minutes, at most "
            f"{settings.SANAD_POW_MAX_BITS}; intake backstop {settings.SANAD_INTAKE_MAX_PER_MINUTE}/min; wrong receipts "
            f"answered 429 past {settings.SANAD_RECEIPT_FAILURES_PER_MINUTE}/min.\nHonest: {args.honest_procs} processes of "
            f"the reference client, {args.honest_rate:g} reports/s in all (Poisson), not pinned. Flood: {args.flood_procs} "
            f"processes, {args.flood_connections} connections in all"
            f"{f' (and {args.held} held ones in phase 2)' if args.held else ''}, pinned to core(s) {flood_cpus or 'none'}."
        )
        print(
            f"Phases: warm-up {args.warmup:g} s + 3 s, idle {args.idle:g} s; 1. honest only {args.baseline:g} s; 2. honest "
            f"under the full flood {args.flood:g} s; 3. {args.rounds} rounds of junk only ({args.junk_each / args.rounds:g} s "
            f"per kind x {len(KINDS)}) then honest back to back ({args.cost / args.rounds:g} s)."
        )
        for number in range(args.honest_procs):
            mine, theirs = spawn.Pipe()
            process = spawn.Process(target=honest_main, args=(theirs, base_url, number), daemon=True)
            process.start()
            honest.append((process, mine))
        bench = Bench(args, port, server, honest, [])
        started = time.monotonic()
        warm = bench.phase(args.warmup, honest_rate=max(1.0, args.honest_rate))
        accepted = [record["body"] for record in warm["honest"] if record["ok"]]
        if not accepted:
            failures = collections.Counter(record.get("error") for record in warm["honest"])
            sys.exit(f"No honest report was accepted in the warm-up: {failures} (see var/bench/flood-gunicorn.log)")
        material = junk_material(base_url, port, accepted)
        for _ in range(args.flood_procs):
            mine, theirs = spawn.Pipe()
            process = spawn.Process(
                target=flood_main, args=(theirs, port, flood_cpus, material, args.oversized_kib), daemon=True
            )
            process.start()
            flood.append((process, mine))
        bench.flood = flood
        bench.meter.flood_pids = [process.pid for process, _ in flood]
        print()
        probe(port, material, args.oversized_kib)
        bench.phase(3.0, kinds=KINDS)  # every worker thread opens its connections, every path runs once
        print(
            f"Warm-up: {len(accepted)} honest reports accepted ({len(warm['honest'])} sent), then 3 s of every kind of junk"
        )
        bench.idle(args.idle)
        print(f"Idle server: {sum(bench.idle_per_s.values()):.3f} cores (subtracted from each phase's server CPU)")

        print(f"\n1. Honest reporters alone, {args.baseline:g} s")
        baseline = bench.phase(args.baseline, honest_rate=args.honest_rate)
        calm = honest_summary("without the flood", baseline["honest"])
        print(f"  {cpu_line(baseline['cpu'])}")
        calm_ok = max(1, baseline["within"])
        print(
            f"  server CPU per accepted report at this rate: {baseline['cpu']['server_net'] / calm_ok * 1000:.1f} ms "
            f"(imprecise: the server idles most of the time; see 3.)"
        )

        print(f"\n2. Honest reporters under the full flood, {args.flood:g} s")
        flooded = bench.phase(args.flood, honest_rate=args.honest_rate, kinds=KINDS, held=args.held)
        storm = honest_summary("under the flood", flooded["honest"])
        sent = sum(sum(tally.values()) for tally in flooded["junk"].values())
        print(f"  junk: {sent} requests answered ({sent / flooded['cpu']['seconds']:.0f}/s)")
        print(f"  {'kind':<17} {'sent':>8} {'refused':>8}  status codes")
        for kind in KINDS + ([HELD] if args.held else []):
            tally = flooded["junk"].get(kind, {})
            refused = sum(count for status, count in tally.items() if isinstance(status, int) and 400 <= status < 500)
            codes = ", ".join(f"{status}: {count}" for status, count in sorted(tally.items(), key=str))
            print(f"  {kind:<17} {sum(tally.values()):8d} {refused:8d}  {codes}")
        print(f"  {cpu_line(flooded['cpu'])}")

        each, fast_each = args.junk_each / args.rounds, args.cost / args.rounds
        print(
            f"\n3. Server CPU per request: {args.rounds} rounds, each of every kind of junk alone ({each:g} s each, "
            f"{args.flood_connections} connections), then honest reporters alone back to back, as fast as "
            f"{args.honest_procs} reference clients go ({fast_each:g} s): rounds alternate so that the machine's "
            "drift in speed hits both alike"
        )
        junk_cpu, junk_answered = collections.Counter(), collections.Counter()
        junk_tally = {kind: collections.Counter() for kind in KINDS + REFERENCE}
        fast_records, fast_cpu, fast_within = [], collections.Counter(), 0
        for number in range(1, args.rounds + 1):
            for kind in KINDS + REFERENCE:
                result = bench.phase(each, kinds=[kind])
                tally = result["junk"][kind]
                junk_tally[kind].update(tally)
                junk_answered[kind] += sum(count for status, count in tally.items() if isinstance(status, int))
                junk_cpu[kind] += result["cpu"]["server_net"]
                print(f"    {kind:<17} {cpu_line(result['cpu'])}")
            fast = bench.phase(fast_each, honest_rate=float("inf"))
            fast_records += fast["honest"]
            fast_cpu.update({name: value for name, value in fast["cpu"].items() if isinstance(value, float)})
            fast_within += fast["within"]
            accepted_now = max(1, fast["within"])
            round_report = fast["cpu"]["server_net"] / accepted_now
            round_junk = sum(junk_cpu[kind] for kind in KINDS) / max(1, sum(junk_answered[kind] for kind in KINDS))
            print(f"    honest back to back {cpu_line(fast['cpu'])}")
            print(
                f"  round {number}: {accepted_now} reports acknowledged within the window, {round_report * 1000:.2f} ms "
                "each; junk so far "
                f"{round_junk * 1000:.3f} ms a request"
            )
        honest_summary("back to back", fast_records)
        ok = max(1, fast_within)
        report_cost = fast_cpu["server_net"] / ok
        print(
            f"  server CPU per accepted report (its GET intake-keys and GET pow included; {ok} acknowledged within "
            f"the measured windows): {report_cost * 1000:.2f} ms "
            f"(gunicorn {(fast_cpu['gunicorn'] - fast_cpu['gunicorn_idle']) / ok * 1000:.2f}, "
            f"PostgreSQL {(fast_cpu['postgres'] - fast_cpu['postgres_idle']) / ok * 1000:.2f}, "
            f"Redis {(fast_cpu['redis'] - fast_cpu['redis_idle']) / ok * 1000:.2f}); honest clients "
            f"{fast_cpu['honest'] / fast_cpu['seconds']:.2f} cores"
        )
        costs = {
            kind: junk_cpu[kind] / junk_answered[kind] if junk_answered[kind] else float("inf")
            for kind in KINDS + REFERENCE
        }
        print(f"  {'kind':<17} {'sent/s':>8} {'refused':>8} {'server CPU/request':>19}  status codes")
        for kind in KINDS + REFERENCE:
            tally = junk_tally[kind]
            refused = sum(count for status, count in tally.items() if isinstance(status, int) and 400 <= status < 500)
            codes = ", ".join(f"{status}: {count}" for status, count in sorted(tally.items(), key=str))
            rate = junk_answered[kind] / (each * args.rounds)
            print(f"  {kind:<17} {rate:8.0f} {refused:8d} {costs[kind] * 1000:16.3f} ms  {codes}")
        references = {kind: costs.pop(kind) for kind in REFERENCE}
        costs["all kinds"] = sum(junk_cpu[kind] for kind in KINDS) / max(1, sum(junk_answered[kind] for kind in KINDS))
        print(f"  all kinds of junk (each alone for as long): {costs['all kinds'] * 1000:.3f} ms a request")
        post_cost = report_cost - sum(references.values())
        print(
            f"  (get_pow and get_keys are not junk but the reference client's two GETs before its POST: an accepted "
            f"report's {report_cost * 1000:.2f} ms leave about {post_cost * 1000:.2f} ms for its POST alone; an "
            "estimate: here the GETs ride kept-alive connections, the reference client opens one per request)"
        )
        if time.monotonic() - started > settings.SANAD_POW_TTL_SECONDS:
            print("  NOTE: the replayed proofs had expired before the junk phases ended (shorten the phases)")

        print("\n4. Every receipt given to an honest reporter")
        records = warm["honest"] + baseline["honest"] + flooded["honest"] + fast_records
        given, good, stored = verify(base_url, records)
        print(
            f"  {given} receipts given; {good} found in the database and resolving through GET /api/v1/reports/status/; "
            f"{stored} reports in the database (junk must have stored none)"
        )

        print(f"\nServer CPU to refuse one junk request against accepting one report ({report_cost * 1000:.2f} ms, 3.)")
        for kind, cost in costs.items():
            verdict = "PASS" if cost < COST_TARGET * report_cost else "FAIL"
            print(
                f"  {verdict}  {kind:<17} {cost * 1000:8.3f} ms  {cost / report_cost:7.1%}  (target < {COST_TARGET:.0%})"
            )
        if post_cost > 0:
            worst_post = max(cost for kind, cost in costs.items() if kind != "all kinds") / post_cost
            print(
                f"  (no target) against the POST alone ({post_cost * 1000:.2f} ms): worst kind {worst_post:.1%}, "
                f"all kinds {costs['all kinds'] / post_cost:.1%}"
            )
        print("Targets")
        lost = given - good
        print(
            f"  {'PASS' if lost == 0 and stored == given else 'FAIL'}  honest reports lost: {lost} of {given} "
            f"(target 0); reports stored without a receipt given: {stored - given} (must be 0: junk stores nothing, and "
            "an honest POST is answered)"
        )
        p99 = storm["p99"]
        print(
            f"  {'PASS' if p99 is not None and p99 < P99_TARGET_S else 'FAIL'}  honest POST p99 under the flood: "
            f"{p99 * 1000 if p99 is not None else float('nan'):.0f} ms (target < {P99_TARGET_S * 1000:.0f} ms; "
            f"without the flood {calm['p99'] * 1000 if calm['p99'] is not None else float('nan'):.0f} ms)"
        )
        worst = max((kind for kind in costs if kind != "all kinds"), key=costs.get)
        print(
            f"  {'PASS' if max(costs.values()) < COST_TARGET * report_cost else 'FAIL'}  junk refused at under "
            f"{COST_TARGET:.0%} of an accepted report's server CPU: worst {worst} {costs[worst] / report_cost:.1%}, "
            f"all kinds {costs['all kinds'] / report_cost:.1%}"
        )
        print(
            f"  (no target) honest success rate: {calm['ok']}/{calm['attempted']} without the flood, "
            f"{storm['ok']}/{storm['attempted']} under it"
        )
        print(f"Run time: {time.monotonic() - began:.0f} s, setup included")
    finally:
        for process, pipe in honest + flood:
            try:
                pipe.send(None)
            except OSError:
                pass
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
        gunicorn_stop(server)
        log.close()
        from django.core.cache import cache
        from django.db import connections

        cache.clear()
        connections.close_all()
        with _database.connect("postgres") as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")


if __name__ == "__main__":
    main()
