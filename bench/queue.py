"""How long the caseworkers' queue pages take in the admin, over a PostgreSQL table of a service years old.

    .venv/bin/python bench/queue.py [--reports 1000000] [--reload] [--runs 5] [--timeout 60] [--explain]

1. Data. Database sanad_bench_queue (created if missing, kept between runs,
   migrated to today's code on every run). Staff go through the app's own
   services: 3 triage leads and 40 caseworkers (accounts.services.staff_create,
   Coverage of a few governorates each, languages ["ar"]) and one intake key
   (accounts.services.shared_key_create, held by the leads). Reports and
   candidate links are written by SQL (INSERT ... SELECT over generate_series),
   not through intake: --reports rows over five years of growing use, about
   97.5% closed, 2% withdrawn (content, receipt and reply key gone, as
   report_withdraw leaves them) and a few thousand open (triaged waiting for
   a lead, assigned, acknowledged, in progress; a few pending and parked).
   Each live row carries a ~1.5 KB random ciphertext, as real rows do, and
   the list must not pay for it. About a fifth as many candidate links as
   reports (both directions of each pair, between reports close in time). The
   tables are then VACUUM ANALYZEd, as a table this old would be. If the
   database already holds --reports reports (bench_queue_meta records each
   load), loading is skipped; --reload drops the database and loads anew.
2. Measure. A triage lead and the caseworker with the most assigned reports
   log in through the real login page (password, then a TOTP code from a
   device enrolled as tests/conftest.py enrols one), then GET the report
   changelist: the first page (it also computes every filter's choices), each
   list filter with a realistic value, a search by reference and page 100.
   Each page is warmed up once, then timed --runs times; printed are the
   median and max wall time of the request as Django's test client serves it
   in process (database on this machine), the status, the SQL statements the
   request ran (default connection, connection.execute_wrapper) and the
   slowest of them. Target: every page under 300 ms.
   A page is stopped after --timeout seconds (its current statement is
   cancelled; statement_timeout on the bench connection is the backstop) and
   reported as TIMEOUT. --explain prints EXPLAIN (ANALYZE, BUFFERS) of the
   slowest statement of every page over the target.

Settings are production's (SANAD_DEV unset: DEBUG off, Argon2 at full cost,
manifest static files, HTTPS-only cookies; requests are made as HTTPS) with
throwaway secrets made once per database by config.env's own makers and kept
in it (bench_queue_meta), so sealed columns stay readable across runs.
Redis db 12 is the cache. PostgreSQL runs with whatever settings it has;
they are printed. Timings are with the tables in the OS page cache (the
warm-up run reads them); a cold first request after a restart is slower.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs

ROOT = Path(__file__).resolve().parents[1]
# Run as a script, this file's folder comes first on sys.path, where this file would shadow the standard
# library's `queue` (which amqp, Celery's transport, imports). None of the imports above needs it.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))
DB = "sanad_bench_queue"
PG = "postgres://postgres@127.0.0.1:5432"
REDIS_DB = 12
PASSWORD = "bench passphrase 1234"
TARGET_MS = 300.0
LEADS = ["lead1", "lead2", "lead3"]

# Governorates (ISO 3166-2:IQ) and reporters abroad, by share of reports (percent).
GOVERNORATES = [
    ("IQ-BG", 30.0),
    ("IQ-BA", 11.0),
    ("IQ-DQ", 8.0),
    ("IQ-KA", 6.0),
    ("IQ-MA", 5.0),
    ("IQ-WA", 5.0),
    ("IQ-NI", 4.0),
    ("IQ-NA", 3.5),
    ("IQ-BB", 3.5),
    ("IQ-DI", 3.0),
    ("IQ-AN", 2.5),
    ("IQ-SD", 2.5),
    ("IQ-KI", 2.5),
    ("IQ-QA", 2.0),
    ("IQ-MU", 2.0),
    ("IQ-AR", 2.0),
    ("IQ-SU", 1.5),
    ("IQ-DA", 1.0),
    ("IQ-HA", 0.5),
    ("IQ-KR", 0.5),
    ("TR", 1.8),
    ("JO", 1.5),
    ("DE", 0.7),
]
CATEGORIES = [
    ("phone_threat", 34),
    ("telegram_doxxing", 24),
    ("surveillance", 14),
    ("attempted_attack", 8),
    ("kidnapping_attempt", 4),
    ("other", 16),
]
SEVERITIES = [("critical", 5), ("high", 25), ("medium", 40), ("low", 30)]
OUTCOMES = [
    ("support_given", 44),
    ("referred_partner", 18),
    ("no_contact", 16),
    ("not_actionable", 12),
    ("duplicate", 8),
    ("referred_relocation", 2),
]
# What each of the 40 caseworkers covers: teams by region, Baghdad's the largest.
COVERAGE = [
    *[["IQ-BG", *extra] for extra in (["IQ-DI"], ["IQ-AN"], ["IQ-SD"], ["IQ-BB"], ["IQ-WA"], [], ["IQ-KA"])],
    *[["IQ-BG", *extra] for extra in (["IQ-NA"], ["IQ-QA"], ["IQ-DI", "IQ-SD"])],
    ["IQ-BA", "IQ-MU"],
    ["IQ-BA"],
    ["IQ-BA", "IQ-MA"],
    ["IQ-BA", "IQ-DQ"],
    ["IQ-BA", "IQ-MU", "IQ-QA"],
    ["IQ-DQ", "IQ-MU"],
    ["IQ-DQ", "IQ-MA"],
    ["IQ-DQ"],
    ["IQ-DQ", "IQ-QA"],
    ["IQ-KA", "IQ-NA"],
    ["IQ-KA", "IQ-BB"],
    ["IQ-KA"],
    ["IQ-NA", "IQ-BB", "IQ-QA"],
    ["IQ-MA", "IQ-WA"],
    ["IQ-MA"],
    ["IQ-WA", "IQ-DI"],
    ["IQ-WA", "IQ-MA"],
    ["IQ-NI", "IQ-KI"],
    ["IQ-NI", "IQ-SD"],
    ["IQ-AN", "IQ-KI"],
    ["IQ-KI", "IQ-SD", "IQ-DI"],
    ["IQ-AN", "IQ-NI"],
    ["IQ-AR", "IQ-DA", "IQ-KR"],
    ["IQ-SU", "IQ-HA", "IQ-KR"],
    ["IQ-AR", "IQ-SU"],
    ["IQ-DA", "IQ-HA", "IQ-KR"],
    ["TR", "IQ-AR"],
    ["JO", "IQ-AN"],
    ["DE", "TR", "JO"],
    ["TR", "JO", "IQ-BG"],
]
LINKS_PER_REPORT = 0.2  # candidate link rows per report (each pair is two rows)


# --- Database, secrets, settings -----------------------------------------------------------


class BenchDatabase:
    """A bench's own PostgreSQL database, with a meta table keeping its throwaway secrets (made once by
    config.env's own makers, so sealed columns stay readable across runs) and what it has loaded."""

    def __init__(self, name: str, meta_table: str) -> None:
        self.name, self.meta = name, meta_table

    def connect(self, dbname: str | None = None):
        """A connection of the bench's own, outside Django. Client-side binding: CREATE TABLE AS takes no
        parameters."""
        import psycopg

        return psycopg.connect(f"{PG}/{dbname or self.name}", autocommit=True, cursor_factory=psycopg.ClientCursor)

    def prepare(self, *, reload: bool) -> dict:
        """Create the database if missing (dropped first with --reload); return its secrets."""
        from psycopg import sql

        from config.env import DEV_SECRET_MAKERS

        meta = sql.Identifier(self.meta)

        with self.connect("postgres") as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [self.name]).fetchone()
            if exists and reload:
                print(f"--reload: dropping database {self.name}")
                conn.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(self.name)))
                exists = None
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name)))
        with self.connect() as conn:
            conn.execute(
                sql.SQL("CREATE TABLE IF NOT EXISTS {} (key text PRIMARY KEY, value jsonb NOT NULL)").format(meta)
            )
            row = conn.execute(sql.SQL("SELECT value FROM {} WHERE key = 'secrets'").format(meta)).fetchone()
            if row:
                return row[0]
            made = {name: make() for name, make in DEV_SECRET_MAKERS.items()}
            conn.execute(sql.SQL("INSERT INTO {} VALUES ('secrets', %s)").format(meta), [json.dumps(made)])
            return made

    def meta_get(self, key: str):
        from psycopg import sql

        with self.connect() as conn:
            row = conn.execute(
                sql.SQL("SELECT value FROM {} WHERE key = %s").format(sql.Identifier(self.meta)), [key]
            ).fetchone()
        return row[0] if row else None

    def meta_set(self, key: str, value) -> None:
        from psycopg import sql

        with self.connect() as conn:
            conn.execute(
                sql.SQL("INSERT INTO {} VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value").format(
                    sql.Identifier(self.meta)
                ),
                [key, json.dumps(value)],
            )


_database = BenchDatabase(DB, "bench_queue_meta")
pg, database_prepare, meta_get, meta_set = (
    _database.connect,
    _database.prepare,
    _database.meta_get,
    _database.meta_set,
)


def environment(secrets: dict) -> dict:
    """Production settings (no SANAD_DEV), with this database's own throwaway secrets."""
    return {
        **secrets,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SANAD_VAR_DIR": str(ROOT / "var" / "bench"),
        "DATABASE_URL": f"{PG}/{DB}",
        "REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
        "SANAD_ALLOWED_HOSTS": "testserver",
        "SANAD_EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "SANAD_LOG_LEVEL": "WARNING",
    }


def django_start(env: dict, timeout_s: float) -> None:
    for name in ("SANAD_DEV", "SANAD_DEBUG"):
        os.environ.pop(name, None)
    os.environ.update(env)
    # As the image is built (Dockerfile): production serves static files from WhiteNoise's manifest.
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=dict(os.environ), check=True
    )
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input"], cwd=ROOT, env=dict(os.environ), capture_output=True
    )
    if done.returncode:
        sys.exit(
            f"manage.py migrate failed:\n{done.stdout.decode()}\n{done.stderr.decode()}\n"
            f"If a migration the bench database already has was since edited or renamed, run with --reload."
        )
    applied = [line.strip() for line in done.stdout.decode().splitlines() if line.strip().startswith("Applying")]
    print(f"migrate: {len(applied)} migration(s) applied in {time.monotonic() - started:.1f} s")
    for line in applied:
        print(f"  {line}")
    import django

    django.setup()
    from django.db import connection

    # Every statement of the bench's own (Django) connection stops after the timeout.
    options = connection.settings_dict.setdefault("OPTIONS", {})
    options["options"] = f"{options.get('options', '')} -c statement_timeout={int(timeout_s * 1000)}".strip()
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        print(f"statement_timeout on the bench connection: {cursor.fetchone()[0]}")
    from django.core.cache import cache

    cache.clear()  # Redis db 12: nothing cached from an earlier database


# --- Loading -------------------------------------------------------------------------------


def weighted_case(variable: str, choices: list[tuple[str, float]]) -> str:
    """A CASE picking a value by the uniform random `variable` with the given weights."""
    total = sum(weight for _, weight in choices)
    parts, edge = [], 0.0
    for value, weight in choices[:-1]:
        edge += weight / total
        parts.append(f"WHEN {variable} < {edge:.6f} THEN '{value}'")
    return f"(CASE {' '.join(parts)} ELSE '{choices[-1][0]}' END)"


def staff_with_role(username: str, role: str, *, password: str = PASSWORD, approver=None):
    """A member of staff with one role, as the app gives it: a role that never decrypts at once; a
    decrypting one proposed, then approved by `approver` (a key holder, same password) or, with none,
    given as to the first holder of its purpose (only while no key of it exists)."""
    from accounts.models import RoleProposal
    from accounts.services import role_bootstrap, role_proposal_approve, staff_create

    user = staff_create(username=username, password=password, roles=[role], password_set_by_owner=True)
    for proposal in RoleProposal.objects.filter(subject=user, state=RoleProposal.State.PENDING):
        if approver is None:
            role_bootstrap(proposal=proposal)
        else:
            role_proposal_approve(proposal=proposal, approver=approver, approver_password=password)
    return user


def staff_create_all() -> tuple[list, list, object]:
    """Leads, caseworkers with coverage, and one intake key, through the app's services."""
    from accounts import services
    from accounts.roles import KeyPurpose, Role
    from accounts.services import key_grant_create, shared_key_create

    leads = [staff_with_role(LEADS[0], Role.TRIAGE_LEAD)]  # the first: no intake key to approve it yet
    key = shared_key_create(purpose=KeyPurpose.INTAKE, holder=leads[0], holder_password=PASSWORD)
    for name in LEADS[1:]:
        leads.append(staff_with_role(name, Role.TRIAGE_LEAD, approver=leads[0]))
        key_grant_create(shared_key=key, grantor=leads[0], grantor_password=PASSWORD, grantee=leads[-1])
    caseworkers = []
    for n, places in enumerate(COVERAGE, start=1):
        user = staff_with_role(f"cw{n:02d}", Role.CASEWORKER, approver=leads[0])
        services.coverage_set(user=user, governorates=places, languages=["ar"], capacity=30)
        caseworkers.append(user)
    return leads, caseworkers, key


REPORT_COLUMNS = [
    "id",
    "intake_key_id",
    "ciphertext",
    "ciphertext_sha256",
    "receipt_hash",
    "reply_public_key",
    "state",
    "category",
    "governorate",
    "incident_month",
    "triage_sealed",
    "created_at",
    "updated_at",
    "severity",
    "severity_reasons_sealed",
    "ruleset_version",
    "assigned_to_id",
    "waiting_reason",
    "triage_attempts",
    "claimed_until",
    "swept_at",
    "triaged_at",
    "sla_due_at",
    "acknowledged_at",
    "escalated_at",
    "outcome",
]

# One row per report, without its bytes, in created_at order. Ages are in days.
# State by age: pending only in the last two hours, open cases mostly of the
# last three weeks (some running for months), everything else closed; 2% withdrawn.
PLAN_SQL = """
CREATE UNLOGGED TABLE bench_queue_plan AS
WITH base AS (
    SELECT now_ts - span * (1 - sqrt(random())) AS created_at,  -- denser towards now: a growing service
           random() AS r_state, random() AS r_sub, random() AS r_sev, random() AS r_gov, random() AS r_cat,
           random() AS r_cw, random() AS r_time, random() AS r_out, random() AS r_assigned
    FROM generate_series(1, %(n)s), (SELECT %(now)s::timestamptz AS now_ts, interval '1826 days' AS span) c
), aged AS MATERIALIZED (  -- materialized: each CASE below is worked out once a row, not at every use
    SELECT *, extract(epoch FROM %(now)s::timestamptz - created_at)::float8 / 86400 AS age FROM base
), stated AS MATERIALIZED (
    SELECT *,
        CASE
            WHEN age < 2.0 / 24 AND r_state < 0.3 THEN 'pending'
            WHEN age < 180 AND r_state < 0.0001 THEN 'parked'
            WHEN r_state < 0.0201 THEN 'withdrawn'
            WHEN age < 21 AND r_state < 0.1801 THEN
                CASE WHEN r_sub < 0.15 THEN 'triaged' WHEN r_sub < 0.30 THEN 'assigned'
                     WHEN r_sub < 0.50 THEN 'acknowledged' ELSE 'in_progress' END
            WHEN age < 180 AND r_state < 0.0261 THEN
                CASE WHEN r_sub < 0.2 THEN 'acknowledged' ELSE 'in_progress' END
            ELSE 'closed'
        END AS state,
        {severity} AS sev,
        {governorate} AS governorate,
        {category} AS category,
        {outcome} AS out
    FROM aged
), timed AS MATERIALIZED (
    SELECT s.*,
        s.state NOT IN ('pending', 'parked', 'withdrawn') AS was_triaged,
        CASE s.sev WHEN 'critical' THEN interval '1 hour' WHEN 'high' THEN interval '24 hours'
                   WHEN 'medium' THEN interval '72 hours' END AS sla,
        CASE WHEN s.state IN ('acknowledged', 'in_progress', 'closed') THEN
            s.created_at + CASE s.sev WHEN 'critical' THEN interval '75 minutes' WHEN 'high' THEN interval '30 hours'
                                      WHEN 'medium' THEN interval '90 hours' ELSE interval '120 hours' END * s.r_time
        END AS ack,
        c.ids AS covering
    FROM stated s LEFT JOIN bench_queue_cover c ON c.gov = s.governorate
)
SELECT
    row_number() OVER (ORDER BY created_at) AS s,
    gen_random_uuid() AS id,
    state,
    category,
    governorate,
    date_trunc('month', created_at - interval '1 day' * floor(r_time * 75))::date AS incident_month,
    CASE WHEN state = 'withdrawn' THEN date_trunc('day', created_at) ELSE created_at END AS created_at,
    CASE
        WHEN state = 'closed' THEN least(%(now)s::timestamptz, created_at + interval '1 day' * (1 + 59 * r_out))
        WHEN state = 'withdrawn' THEN date_trunc('day', least(%(now)s::timestamptz,
                                                              created_at + interval '1 day' * 30 * r_out))
        ELSE coalesce(ack, created_at + interval '20 seconds')
    END AS updated_at,
    CASE WHEN state IN ('pending', 'parked') THEN '' ELSE sev END AS severity,
    CASE WHEN state IN ('pending', 'parked') THEN NULL ELSE 1 END AS ruleset_version,
    CASE
        WHEN state IN ('assigned', 'acknowledged', 'in_progress', 'closed')
             OR (state = 'withdrawn' AND r_assigned < 0.7)
        THEN covering[1 + floor(r_cw * cardinality(covering))::int]
    END AS assigned_to_id,
    CASE state WHEN 'triaged' THEN 'no_eligible_caseworker' WHEN 'parked' THEN 'triage_failed_repeatedly'
               ELSE '' END AS waiting_reason,
    CASE state WHEN 'pending' THEN 0 WHEN 'parked' THEN 6 ELSE 1 END AS triage_attempts,
    CASE WHEN was_triaged THEN created_at + interval '1 second' * (2 + 28 * r_time) END AS triaged_at,
    CASE WHEN was_triaged THEN created_at + sla END AS sla_due_at,
    ack AS acknowledged_at,
    CASE WHEN was_triaged AND sla IS NOT NULL
              AND coalesce(ack, %(now)s::timestamptz) > created_at + sla
         THEN created_at + sla + interval '1 minute' END AS escalated_at,
    CASE WHEN state = 'closed' THEN out ELSE '' END AS outcome
FROM timed
ORDER BY created_at
"""

# Bytes are made here, row by row in created_at order (the table's physical order, as years of inserts leave it).
# Two connections write the odd and the even rows side by side: both cores, and the order still follows time.
# Only the model's own column names are formatted into this SQL (marked for bandit at its end).
INSERT_SQL = """
INSERT INTO reports_report ({columns})
SELECT
    id,
    %(key)s::uuid,
    CASE WHEN state <> 'withdrawn' THEN gen_random_bytes(1024) || gen_random_bytes(360 + floor(random() * 300)::int) END,
    sha256(convert_to('ciphertext:' || id, 'UTF8')),
    CASE WHEN state <> 'withdrawn' THEN sha256(convert_to('receipt:' || id, 'UTF8')) END,
    CASE WHEN state <> 'withdrawn' AND random() < 0.9 THEN gen_random_bytes(32) END,
    state, category, governorate, incident_month,
    CASE WHEN state <> 'withdrawn' THEN gen_random_bytes(150 + floor(random() * 80)::int) ELSE '\\x'::bytea END,
    created_at, updated_at, severity,
    -- Sealed reasons: random bytes of a sealed value's size stand in (the list never opens them).
    CASE WHEN ruleset_version IS NOT NULL THEN gen_random_bytes(70) END,
    ruleset_version, assigned_to_id, waiting_reason,
    triage_attempts, NULL, NULL, triaged_at, sla_due_at, acknowledged_at, escalated_at, outcome
FROM bench_queue_plan
WHERE mod(s, 2) = %(part)s
ORDER BY s
""".format(columns=", ".join(REPORT_COLUMNS))  # nosec B608

# Pairs of live reports close in time (sharing a phone number or channel), both directions.
LINKS_SQL = """
CREATE TEMP TABLE live AS SELECT row_number() OVER (ORDER BY s) AS k, id, state, created_at
    FROM bench_queue_plan WHERE state <> 'withdrawn';
CREATE UNIQUE INDEX ON live (k);
ANALYZE live;
CREATE TEMP TABLE pairs AS
SELECT DISTINCT ON (a.id, b.id) a.id AS a, b.id AS b,
    CASE WHEN r.r_kind < 0.7 THEN 'phone' ELSE 'telegram' END AS kind,
    CASE
        WHEN a.state = 'closed' AND b.state = 'closed' THEN
            CASE WHEN r.r_status < 0.10 THEN 'candidate' WHEN r.r_status < 0.45 THEN 'confirmed' ELSE 'rejected' END
        ELSE CASE WHEN r.r_status < 0.85 THEN 'candidate' WHEN r.r_status < 0.95 THEN 'confirmed' ELSE 'rejected' END
    END AS status,
    greatest(a.created_at, b.created_at) + interval '15 seconds' AS created_at
FROM (
    SELECT ka, least(m, ka + 1 + floor(random() * 300)::bigint) AS kb, random() AS r_kind, random() AS r_status
    FROM (SELECT 1 + floor(random() * (m - 1))::bigint AS ka, m
          FROM generate_series(1, %(pairs)s), (SELECT count(*) AS m FROM live) c) x
) r
JOIN live a ON a.k = r.ka
JOIN live b ON b.k = r.kb
ORDER BY a.id, b.id
LIMIT %(pairs)s;
INSERT INTO reports_candidatelink (report_id, other_id, kind, status, created_at)
SELECT a, b, kind, status, created_at FROM pairs
UNION ALL
SELECT b, a, kind, status, created_at FROM pairs;
"""


# The bulk inserts run without the deferred foreign-key triggers (session_replication_role = replica),
# which would check each row one by one at commit; the keys are checked here instead, all at once.
FOREIGN_KEYS_SQL = """
SELECT
    (SELECT count(*) FROM reports_report r
     WHERE (r.assigned_to_id IS NOT NULL AND NOT EXISTS (SELECT FROM accounts_staffuser u WHERE u.id = r.assigned_to_id))
        OR NOT EXISTS (SELECT FROM accounts_sharedkey k WHERE k.id = r.intake_key_id)),
    (SELECT count(*) FROM reports_candidatelink l
     WHERE NOT EXISTS (SELECT FROM reports_report r WHERE r.id = l.report_id)
        OR NOT EXISTS (SELECT FROM reports_report r WHERE r.id = l.other_id))
"""


def loader():
    """A connection for loading: no statement timeout, no JIT, room to sort, no per-row foreign-key triggers."""
    conn = pg()
    for setting in (
        "statement_timeout = 0",
        "jit = off",
        "work_mem = '256MB'",
        "maintenance_work_mem = '512MB'",
        "synchronous_commit = off",
        "session_replication_role = replica",
    ):
        conn.execute(f"SET {setting}")
    return conn


def parallel(statements: list[tuple[str, dict | None]]) -> None:
    """Run statements at once, each on a loader connection of its own (psycopg lets go of the GIL meanwhile)."""
    errors: list[BaseException] = []

    def run(sql, params):
        try:
            with loader() as conn:
                conn.execute(sql, params)
        except BaseException as exc:  # re-raised below, in the caller's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=statement) for statement in statements]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def load(n: int) -> dict:
    """Write the staff (services) and n reports with their links (SQL). Returns the load's record."""
    from django.db import connection

    try:
        from backend.places import IRAQ_SUBDIVISIONS, PLACES
    except ImportError:  # before places moved out of the reports' vocabulary
        from reports.vocabulary import IRAQ_SUBDIVISIONS, PLACES

    codes = {code for code, _ in GOVERNORATES}
    assert IRAQ_SUBDIVISIONS <= codes <= PLACES, "every IQ code, and only known places"
    assert codes == {place for places in COVERAGE for place in places}, "every place is covered by someone"
    assert len(COVERAGE) == 40

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_name = 'reports_report' AND is_generated = 'NEVER'"  # generated ones the database fills
        )
        unknown = {row[0] for row in cursor.fetchall()} - set(REPORT_COLUMNS)
    if unknown:
        sys.exit(f"reports_report has columns this loader does not fill: {sorted(unknown)}. Update bench/queue.py.")

    timings = {}
    started = time.monotonic()
    leads, caseworkers, key = staff_create_all()
    timings["staff (43 users, 1 intake key, through accounts.services)"] = time.monotonic() - started

    cover: dict[str, list[str]] = {}
    for user, places in zip(caseworkers, COVERAGE, strict=True):
        for place in places:
            cover.setdefault(place, []).append(str(user.pk))
    connection.close()  # the loader works on its own connection, without the bench's statement timeout

    from django.utils import timezone

    now = timezone.now()
    with loader() as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pgcrypto")
        conn.execute("SELECT setseed(0.42)")
        conn.execute("DROP TABLE IF EXISTS bench_queue_plan, bench_queue_cover")
        conn.execute("CREATE UNLOGGED TABLE bench_queue_cover (gov text PRIMARY KEY, ids uuid[] NOT NULL)")
        with conn.cursor().copy("COPY bench_queue_cover (gov, ids) FROM STDIN") as copy:
            for place, ids in cover.items():
                copy.write_row((place, ids))

        step = time.monotonic()
        conn.execute(
            PLAN_SQL.format(
                severity=weighted_case("r_sev", SEVERITIES),
                governorate=weighted_case("r_gov", GOVERNORATES),
                category=weighted_case("r_cat", CATEGORIES),
                outcome=weighted_case("r_out", OUTCOMES),
            ),
            {"n": n, "now": now},
        )
        timings["plan (states, times, assignees)"] = time.monotonic() - step

        step = time.monotonic()
        parallel([(INSERT_SQL, {"key": str(key.pk), "part": part}) for part in (0, 1)])
        timings[f"reports_report INSERT ({n:,} rows with ~1.5 KB ciphertext, 2 connections)"] = time.monotonic() - step

        step = time.monotonic()
        with conn.transaction():
            for statement in LINKS_SQL.split(";"):
                if statement.strip():
                    conn.execute(statement, {"pairs": int(n * LINKS_PER_REPORT / 2)} if "%(" in statement else None)
        timings["reports_candidatelink INSERT"] = time.monotonic() - step

        step = time.monotonic()
        broken = conn.execute(FOREIGN_KEYS_SQL).fetchone()
        if any(broken):
            sys.exit(f"loaded rows break foreign keys (reports' users/keys, links' reports): {broken}")
        conn.execute("DROP TABLE bench_queue_plan, bench_queue_cover")
        timings["foreign keys checked (one anti-join each)"] = time.monotonic() - step

        step = time.monotonic()
        parallel([("VACUUM ANALYZE reports_report", None), ("VACUUM ANALYZE reports_candidatelink", None)])
        conn.execute("VACUUM ANALYZE")
        conn.execute("CHECKPOINT")
        timings["VACUUM ANALYZE, CHECKPOINT"] = time.monotonic() - step

    total = time.monotonic() - started
    record = {"reports": n, "at": now.isoformat(), "seconds": round(total, 1), "steps": timings}
    meta_set("loaded", record)
    print("loaded:")
    for name, seconds in timings.items():
        print(f"  {seconds:7.1f} s  {name}")
    print(f"  {total:7.1f} s  total")
    return record


def data_ready(n: int) -> bool:
    """Whether a load of n reports finished in this database (a load records itself only at its end)."""
    loaded = meta_get("loaded")
    if not loaded or loaded.get("reports") != n:
        return False
    with pg() as conn:
        count = conn.execute("SELECT count(*) FROM reports_report").fetchone()[0]
        users = conn.execute("SELECT count(*) FROM accounts_staffuser").fetchone()[0]
    return count == n and users == len(LEADS) + len(COVERAGE)


def describe_data() -> None:
    with pg() as conn:
        rows = conn.execute("SELECT state, count(*) FROM reports_report GROUP BY state ORDER BY 2 DESC").fetchall()
        total = sum(count for _, count in rows)
        print(f"reports_report: {total:,} rows: " + ", ".join(f"{state} {count:,}" for state, count in rows))
        facts = conn.execute(
            "SELECT count(*) FILTER (WHERE severity = 'critical'), count(*) FILTER (WHERE assigned_to_id IS NULL),"
            " min(created_at)::date, max(created_at)::date FROM reports_report"
        ).fetchone()
        print(f"  critical {facts[0]:,}; unassigned {facts[1]:,}; created {facts[2]} .. {facts[3]}")
        links = conn.execute("SELECT status, count(*) FROM reports_candidatelink GROUP BY 1 ORDER BY 2 DESC").fetchall()
        print(f"reports_candidatelink: {sum(c for _, c in links):,} rows: " + ", ".join(f"{s} {c:,}" for s, c in links))
        sizes = conn.execute(
            "SELECT pg_size_pretty(pg_table_size('reports_report')), pg_size_pretty(pg_indexes_size('reports_report')),"
            " pg_size_pretty(pg_total_relation_size('reports_candidatelink'))"
        ).fetchone()
        print(f"sizes: reports_report table {sizes[0]}, its indexes {sizes[1]}; reports_candidatelink {sizes[2]}")
        settings = conn.execute(
            "SELECT string_agg(name || '=' || current_setting(name), ', ' ORDER BY name) FROM pg_settings"
            " WHERE name IN ('shared_buffers', 'work_mem', 'effective_cache_size', 'random_page_cost', 'jit',"
            " 'max_parallel_workers_per_gather')"
        ).fetchone()[0]
        version = conn.execute("SHOW server_version").fetchone()[0]
        print(f"PostgreSQL {version}: {settings}")


# --- Measuring -----------------------------------------------------------------------------


class PageTimeout(Exception):
    pass


@dataclass
class Statement:
    sql: str
    params: object
    ms: float
    stopped: str = ""  # "cancelled" (at the page's deadline or by statement_timeout), "not started" (after it)


@dataclass
class Run:
    ms: float
    status: int | str
    statements: list[Statement] = field(default_factory=list)
    matches: int | None = None
    error: str = ""
    changelist: object = field(default=None, repr=False)


class Recorder:
    """Times every statement of the default connection, and stops a request at its deadline:
    the statement running then is cancelled, and no further one starts."""

    def __init__(self) -> None:
        self.statements: list[Statement] = []
        self.expired = False
        self.raw = None  # the psycopg connection in use, for the timer thread to cancel on

    def __call__(self, execute, sql, params, many, context):
        if self.expired:
            self.statements.append(Statement(sql, params, 0.0, "not started"))
            raise PageTimeout
        self.raw = context["connection"].connection
        started = time.perf_counter()
        stopped = ""
        try:
            return execute(sql, params, many, context)
        except Exception as exc:
            if self.expired or "canceling statement" in str(exc):
                stopped = "cancelled"
            raise
        finally:
            self.statements.append(Statement(sql, params, (time.perf_counter() - started) * 1000, stopped))

    def expire(self) -> None:
        self.expired = True
        raw = self.raw
        if raw is not None:
            try:
                (getattr(raw, "cancel_safe", None) or raw.cancel)()
            except Exception:  # nothing running, or the connection is gone: the flag stops the next statement
                pass


@contextmanager
def untimed():
    """The bench's own queries (choosing personas, logging in) are not pages: no statement timeout for them.
    RESET goes back to the connection's startup value, the page timeout."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 0")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET statement_timeout")


def timed_get(client, url: str, timeout_s: float) -> Run:
    from django.db import connection

    recorder = Recorder()
    timer = threading.Timer(timeout_s, recorder.expire)
    started = time.perf_counter()
    timer.start()
    try:
        with connection.execute_wrapper(recorder):
            response = client.get(url, secure=True)
    except Exception as exc:
        elapsed = (time.perf_counter() - started) * 1000
        if recorder.expired or "statement timeout" in str(exc) or "canceling statement" in str(exc):
            return Run(elapsed, "TIMEOUT", recorder.statements, error=type(exc).__name__)
        raise
    finally:
        timer.cancel()
    elapsed = (time.perf_counter() - started) * 1000
    if recorder.expired:  # over time in Python, after its last statement
        return Run(elapsed, "TIMEOUT", recorder.statements)
    context = getattr(response, "context_data", None) or {}
    changelist = context.get("cl")
    matches = getattr(changelist, "result_count", None)
    return Run(elapsed, response.status_code, recorder.statements, matches, changelist=changelist)


@dataclass
class Result:
    persona: str
    page: str
    url: str
    runs: list[Run]

    @property
    def timed_out(self) -> bool:
        return any(run.status == "TIMEOUT" for run in self.runs)

    @property
    def median(self) -> float:
        return statistics.median(run.ms for run in self.runs)

    @property
    def worst(self) -> float:
        return max(run.ms for run in self.runs)

    @property
    def status(self):
        return "TIMEOUT" if self.timed_out else self.runs[-1].status

    @property
    def passed(self) -> bool:
        return not self.timed_out and self.status == 200 and self.median < TARGET_MS

    @property
    def culprit(self) -> Statement | None:
        """The statement cancelled at the deadline, if one was; else the slowest one."""
        run = self.median_run
        cancelled = [statement for statement in run.statements if statement.stopped == "cancelled"]
        return cancelled[-1] if cancelled else max(run.statements, key=lambda s: s.ms, default=None)

    @property
    def changelist(self):
        return next((run.changelist for run in self.runs if run.changelist is not None), None)

    @property
    def median_run(self) -> Run:
        ordered = sorted(self.runs, key=lambda run: run.ms)
        return ordered[(len(ordered) - 1) // 2]


def measure(client, persona: str, page: str, url: str, runs: int, timeout_s: float) -> Result:
    warm = timed_get(client, url, timeout_s)
    if warm.status == "TIMEOUT":
        result = Result(persona, page, url, [warm])  # five more minutes would tell nothing new
        print(f"  {persona:<18} {page:<30} {format_ms(result)} (warm-up)", flush=True)
        return result
    done = []
    for _ in range(runs):
        run = timed_get(client, url, timeout_s)
        done.append(run)
        if run.status == "TIMEOUT":
            break
    result = Result(persona, page, url, done)
    print(f"  {persona:<18} {page:<30} {format_ms(result)}", flush=True)
    return result


def format_ms(result: Result) -> str:
    if result.timed_out:
        return f">{result.worst / 1000:.0f} s TIMEOUT"
    return f"median {result.median:,.1f} ms, max {result.worst:,.1f} ms"


def login(user):
    """Log a test client in through the real login page: password, then a TOTP code, as tests/conftest.py does."""
    from django.test import Client

    from accounts.models import TOTPDevice
    from accounts.totp import current_code, device_new

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = device_new(user)
        TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
    device.refresh_from_db()
    step = max(int(time.time()) // device.step, device.last_t + 1)
    code = current_code(device, at=step * device.step + 1)
    client = Client()
    response = client.post(
        "/admin/login/", {"username": user.username, "password": PASSWORD, "otp_token": code}, secure=True
    )
    if response.status_code != 302:
        sys.exit(f"login of {user.username} failed: {response.status_code} {response.content[:300]!r}")
    return client


def personas():
    """The first lead, and the caseworker with the most reports assigned to them (all states)."""
    from django.db.models import Count

    from accounts.models import StaffUser
    from accounts.roles import Role

    lead = StaffUser.objects.get(username=LEADS[0])
    caseworker = (
        StaffUser.objects.filter(groups__name=Role.CASEWORKER)
        .annotate(assigned=Count("assigned_reports"))
        .order_by("-assigned", "username")
        .first()
    )
    return lead, caseworker


BASE = "/admin/reports/report/"
# Each list filter (by its title) with a realistic value, and its URL should the page not offer that choice.
FILTERS = [
    ("state", "triaged", "?state__exact=triaged"),
    ("severity", "critical", "?severity__exact=critical"),
    ("governorate", "{place}", "?governorate={place}"),
    ("category", "phone_threat", "?category__exact=phone_threat"),
    ("assignee", "me", "?assignee=me"),
    ("assignee", "none", "?assignee=none"),
]


def filter_url(changelist, title: str, value: str, fallback: str) -> tuple[str, bool]:
    """The URL of the choice the first page's filter offers for `value` (True), else the fallback (False)."""
    for spec in getattr(changelist, "filter_specs", None) or []:
        if str(spec.title) != title:
            continue
        for choice in spec.choices(changelist):
            query = choice.get("query_string") or ""
            if value in [item for items in parse_qs(query.lstrip("?")).values() for item in items]:
                return BASE + query, True
    return BASE + fallback, False


def label(sql: str) -> str:
    """A short name for a statement of the changelist."""
    text = " ".join(sql.split())
    lower = text.lower()
    if "django_session" in lower or "accounts_staffsession" in lower:
        return "session"
    if lower.startswith("select distinct") and "governorate" in lower:
        return "GovernorateFilter choices"
    if 'from "accounts_staffuser"' in lower and "reports_report" in lower:
        return "AssigneeFilter choices"
    if 'from "accounts_staffuser"' in lower:
        return "user"
    if "count(*)" in lower and "reports_report" in lower:
        return "COUNT (paginator or full count)"
    if lower.startswith("select") and "reports_report" in lower and "limit" in lower:
        return "page rows"
    if "accounts_coverage" in lower:
        return "coverage"
    if "auth_group" in lower:
        return "roles"
    if "otp" in lower:
        return "TOTP device"
    return text[:60]


def print_table(results: list[Result]) -> None:
    header = (
        f"{'persona':<22} {'page':<28} {'median ms':>10} {'max ms':>10} {'status':>7} {'SQL':>4} {'SQL ms':>9} "
        f"{'matches':>9} {'slowest':>9}  {'result':<7} slowest statement"
    )
    print(header)
    print("-" * len(header))
    for result in results:
        run = result.median_run
        slowest = result.culprit
        median = "TIMEOUT" if result.timed_out else f"{result.median:,.1f}"
        matches = "" if run.matches is None else f"{run.matches:,}"
        verdict = "TIMEOUT" if result.timed_out else ("PASS" if result.passed else "FAIL")
        print(
            f"{result.persona:<22} {result.page:<28} {median:>10} {result.worst:>10,.1f} {result.status!s:>7} "
            f"{len(run.statements):>4} {sum(s.ms for s in run.statements):>9,.1f} {matches:>9} "
            f"{(slowest.ms if slowest else 0):>9,.1f}  {verdict:<7} "
            f"{label(slowest.sql) if slowest else ''}{f' ({slowest.stopped})' if slowest and slowest.stopped else ''}"
        )


def print_breakdown(result: Result) -> None:
    run = result.median_run
    what = "the run that timed out" if result.timed_out else "the median run"
    print(f"\n{result.persona}, {result.page}: every statement of {what} ({run.ms:,.1f} ms in all)")
    for statement in run.statements:
        stopped = f" ({statement.stopped})" if statement.stopped else ""
        print(f"  {statement.ms:10,.1f} ms  {label(statement.sql)}{stopped}")


def explain(result: Result, timeout_s: float) -> None:
    from django.db import connection

    slowest = result.culprit
    print(f"\n=== EXPLAIN ANALYZE: {result.persona}, {result.page} ({slowest.ms:,.1f} ms in the request) ===")
    print(" ".join(slowest.sql.split()))
    if slowest.params:
        print(f"params: {slowest.params}")
    try:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + slowest.sql, slowest.params)
            for (line,) in cursor.fetchall():
                print(line)
    except Exception as exc:  # a statement that timed out in the request times out here too
        print(f"(not finished within {timeout_s:.0f} s: {type(exc).__name__})")
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + slowest.sql, slowest.params)
            for (line,) in cursor.fetchall():
                print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=1_000_000, help="reports to load (default 1,000,000)")
    parser.add_argument("--reload", action="store_true", help="drop the bench database and load it anew")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per page after one warm-up (default 5)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds after which a page is stopped")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the slowest statement of slow pages")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # progress shows as it happens, also into a file
    if args.reports < 10_000:
        parser.error("--reports must be at least 10,000 (page 100 needs 5,000 reports to look at)")

    secrets = database_prepare(reload=args.reload)
    if not args.reload and not data_ready(args.reports):
        # Never loaded, loaded at another size, or a load that did not finish: start from an empty database.
        print(f"{DB} holds no finished load of {args.reports:,} reports")
        secrets = database_prepare(reload=True)
    django_start(environment(secrets), args.timeout)

    if data_ready(args.reports):
        loaded = meta_get("loaded")
        print(f"data present ({args.reports:,} reports, loaded {loaded['at']} in {loaded['seconds']} s): not reloaded")
    else:
        load(args.reports)
    describe_data()

    from reports.models import Report

    with untimed():
        lead, caseworker = personas()
        assigned = Report.objects.filter(assigned_to=caseworker).order_by("id")
        reference = str(assigned[assigned.count() // 2].pk)[:8]
    print(
        f"personas: lead {lead.username}; caseworker {caseworker.username} ({assigned.count():,} reports assigned,"
        f" covers {', '.join(caseworker.coverage.governorates)}); search reference {reference}"
    )
    logging.getLogger("django.request").setLevel(logging.CRITICAL)  # a cancelled page is reported in the table

    results: list[Result] = []
    unoffered = False
    for persona, user in (("lead", lead), ("caseworker", caseworker)):
        with untimed():
            client = login(user)
        name = f"{persona} ({user.username})"
        print(f"measuring {name}: warm-up, then {args.runs} runs per page")
        first = measure(client, name, "first page (+filter choices)", BASE, args.runs, args.timeout)
        results.append(first)
        places = caseworker.coverage.governorates
        place = "IQ-BG" if persona == "lead" or "IQ-BG" in places else places[0]
        for title, value, fallback in FILTERS:
            value, fallback = value.format(place=place), fallback.format(place=place)
            url, offered = filter_url(first.changelist, title, value, fallback)
            unoffered |= not offered
            page = f"{title}={value}" + ("" if offered else " *")
            results.append(measure(client, name, page, url, args.runs, args.timeout))
        results.append(
            measure(client, name, f"search q={reference}", BASE + f"?q={reference}", args.runs, args.timeout)
        )
        # Django 5.2: ChangeList's `p` counts from 1.
        results.append(measure(client, name, "page 100 (p=100)", BASE + "?p=100", args.runs, args.timeout))

    print(
        f"\nQueue pages, {args.reports:,} reports; median and max of {args.runs} runs after a warm-up;"
        f" target {TARGET_MS:.0f} ms; TIMEOUT after {args.timeout:g} s"
    )
    print_table(results)
    print(
        "SQL: statements the request ran (default connection); SQL ms: their total time; matches: the changelist's"
        " count of rows; slowest: ms of its slowest statement (of a page that timed out: of the one cancelled, if any)"
    )
    if unoffered:
        print("* the first page did not offer this choice (or timed out): its URL was built by hand")
    for result in results:
        if result.page.startswith("first page"):
            print_breakdown(result)
    if args.explain:
        explained = set()
        for result in results:
            slowest = result.culprit
            if not result.passed and slowest is not None:
                if (slowest.sql, repr(slowest.params)) not in explained:  # pages often share their slowest
                    explained.add((slowest.sql, repr(slowest.params)))
                    explain(result, args.timeout)
    passed = sum(result.passed for result in results)
    print(
        f"\nSUMMARY: {passed} of {len(results)} queue pages under {TARGET_MS:.0f} ms"
        f" ({sum(result.timed_out for result in results)} timed out) at {args.reports:,} reports"
    )


if __name__ == "__main__":
    main()
