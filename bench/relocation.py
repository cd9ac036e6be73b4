"""How long relocation's pages take with a full waitlist, and what racing for one house's last beds costs, on PostgreSQL.

    .venv/bin/python bench/relocation.py [--referrals 10000] [--houses 500] [--reload] [--runs 5]
                                         [--threads 16] [--seconds 10] [--timeout 60] [--explain]

1. Data. Database sanad_bench_relocation (created if missing, kept between runs,
   migrated to today's code on every run). Through the app's own services:
   2 relocation coordinators holding the relocation key (the first makes it
   and grants it to the second, as tests/relocation/conftest.py does), a
   triage lead who makes the intake key and grants it to 20 caseworkers
   (accounts.services; each caseworker covers two of bench/queue.py's
   teams); --houses safe houses (relocation.services.house_create: regions
   over relocation.vocabulary.Region, one to four household types, 2-60
   beds in service, an address encrypted to the relocation key; then about
   4% paused and 2% closed through house_change). --referrals reports are
   written by bulk INSERT (Report.objects.bulk_create), not through intake:
   assigned, acknowledged or in progress, each assigned to a caseworker
   covering its place, created over the last 180 days, with real content
   (HPKE to the intake key, padded as the client pads) and sealed triage
   details and severity reasons, so that a caseworker's report page opens as
   a real one does. Each report gets one referral from its caseworker
   through relocation.services.referral_create (sealed details; needs
   encrypted to the relocation key for three in four; household, people,
   urgency reason, preferred and avoided regions mixed). Coordinators then
   move them through the placement services (placement_hold, _place,
   _depart, _cancel, holds_expire), each to a house chosen beforehand that
   may take them: about 70% left waiting (some after a hold the house
   declined or that expired), 8% with beds held, 10% placed, 7% placed then
   departed and 5% cancelled as no longer needed (both closed); a referral no
   open house fits stays waiting. Referrals and placements are written by two
   threads at once (LOAD_THREADS; placements: each thread its own houses).
   Referral and placement times are then spread back over the reports'
   lifetimes by UPDATE, and 90 days of occupancy history
   (relocation_occupancyday, ~80% of days per house) are inserted by SQL.
   Two houses are filled on purpose: "bench-contended" (Turkey; 6 beds in
   service, 2 occupied by one placed referral) for the race below, and
   "bench-busy" (Erbil; 60 beds for single adults, 45 placed and 10 held: a
   full house, the longest house page). The database is then
   VACUUM ANALYZEd. If it already holds a finished load of this size
   (bench_relocation_meta records each load), loading is skipped; --reload
   drops the database and loads anew.
2. Pages. The first coordinator and the caseworker with the most referrals
   log in through the real login page (password, then a TOTP code). Each
   page is fetched once to check that it shows what it must (the houses to
   hold beds in, the needs or the address once asked for, the placements'
   actions, the free-bed bands), then warmed up once and timed --runs times.
   The coordinator's: the waitlist (first page: waiting; ?status=held;
   ?status=all; ?urgency__exact=0; ?status=all&p=100); the page of the
   waitlist's first waiting referral with needs (it lists every house not
   closed to hold beds in), and the same page as "Show the needs" POSTs it
   (.../needs/: the needs decrypted with the relocation key the session's
   personal key opens, and the reading put on the audit chain); a referral
   with beds held; the house list; two house pages (live placements with
   their actions, 90 days of occupancy): a typical house (the median, by live
   placements, of the houses that have any) and bench-busy, and bench-busy's
   as "Show the address" POSTs it (.../address/, decrypted and audited as the
   needs are); the placement list. The caseworker's: the page of one of their
   reports with a waiting referral (its content decrypted, the referral's
   status and the free-bed bands); and their waitlist, which must be 403.
   Printed per page, as bench/queue.py prints them (its timing code is
   imported and used as it is; a POST page through a client whose get()
   posts): median and max wall time of the request as Django's test client
   serves it in process, the status, the SQL statements of the request
   (connection.execute_wrapper), the slowest of them (and its text), and the
   statements counted by kind; every statement of a page over the target is
   listed, repeats folded. Target: each page under 300 ms. A page is stopped
   after --timeout seconds; --explain prints EXPLAIN (ANALYZE, BUFFERS) of the
   slowest statement of each page over the target.
3. Contention. --threads threads (default 16), each with its own database
   connection (closed at the end), each with its own waiting one-person
   referral that bench-contended may take, race for --seconds: hold a bed
   there (placement_hold, as one of the two coordinators), then cancel it as
   declined by the house (placement_cancel, which returns the referral to
   waiting), again and again; a refused hold is tried again at once. Any
   hold left over by an interrupted run is cancelled first, so the house has
   4 beds free. Printed: holds plus cancels per second, refusals (no bed free,
   and any other reason), errors by type, and each call's median and 95th
   percentile. Meanwhile a watcher reads the house's counters and the sum of
   its live placements in one statement every 10 ms; every snapshot, and the
   state after the race, must agree (beds_held = beds of held placements,
   beds_occupied = beds of placed ones) and fit (held + occupied <= beds in
   service); "overbookings" counts those that do not fit. The race is then
   run with one thread for comparison. The threads share this one Python
   process, so their Python work also waits its turn for the GIL (the app's
   web workers are processes). The races' placements (all cancelled) are
   deleted afterwards, so every run starts from the same data; their audit
   entries stay, as the pages' own readings do.

Settings are production's (SANAD_DEV unset: DEBUG off, Argon2 at full cost,
manifest static files, HTTPS-only cookies; requests are made as HTTPS) with
throwaway secrets made once per database by config.env's own makers and kept
in it (bench_relocation_meta), so sealed and encrypted columns stay readable
across runs. Redis db 11 is the cache. Timings are with the tables in the OS
page cache; held placements keep the hold times of their load (48 hours), and
nothing expires them here.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import random
import re
import statistics
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Run as a script, this file's folder comes first on sys.path, where bench/queue.py would shadow the standard
# library's `queue` (which amqp, Celery's transport, imports): take the folder away before anything imports it.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))

from bench.queue import (  # noqa: E402  (after the path is set)
    COVERAGE,
    GOVERNORATES,
    PASSWORD,
    PG,
    TARGET_MS,
    BenchDatabase,
    Result,
    django_start,
    environment,
    explain,
    format_ms,
    login,
    measure,
    staff_with_role,
    untimed,
)

DB = "sanad_bench_relocation"
META = "bench_relocation_meta"
REDIS_DB = 11
COORDINATORS = ["coord1", "coord2"]
LEAD = "lead1"
CASEWORKERS = 20  # each covers two of bench/queue.py's 40 teams
LOAD_THREADS = 2  # referrals and placements are written through the services by this many threads at once
CONTENDED = "bench-contended"
CONTENDED_BEDS, CONTENDED_FREE = 6, 4
BUSY = "bench-busy"  # a full 60-bed house of single adults: the house page at its longest
BUSY_BEDS, BUSY_PLACED, BUSY_HELD = 60, 45, 10
SPECIAL = {CONTENDED, BUSY}  # houses the loader fills on purpose, not at random
LOAD_VERSION = 2  # bump when the loader changes: a database loaded by another version is loaded anew

REGIONS = [("kri-erbil", 30), ("kri-sulaymaniyah", 25), ("kri-duhok", 20), ("tr", 10), ("other", 15)]
HOUSEHOLDS = [("single_adult", 30), ("couple", 15), ("family_with_children", 40), ("women_only", 15)]
SEVERITIES = [("critical", 12), ("high", 45), ("medium", 30), ("low", 13)]
REPORT_STATES = [("assigned", 15), ("acknowledged", 25), ("in_progress", 60)]
CATEGORIES = [("phone_threat", 30), ("telegram_doxxing", 20), ("surveillance", 15), ("attempted_attack", 15)]
CATEGORIES += [("kidnapping_attempt", 10), ("other", 10)]
# What becomes of each referral: left waiting (some after a declined or an expired hold), held, placed, closed.
OUTCOMES = [
    ("waiting", 63),
    ("declined", 5),
    ("expired", 2),
    ("held", 8),
    ("placed", 10),
    ("departed", 7),
    ("no_longer_needed", 5),
]
WORDS = "cedar olive palm willow almond fig juniper oak pine laurel myrtle poplar sumac tamarisk walnut".split()
NARRATIVE = [
    "تلقيت رسائل تهديد على هاتفي من رقم مجهول.",
    "نشروا صورتي وعنوان بيتي في قناة على تلغرام.",
    "رأيت سيارة تقف قرب البيت كل ليلة منذ أسبوع.",
    "هددوا بإيذاء أطفالي إذا لم أتوقف عن العمل.",
    "اتصل بي شخص يعرف مكان عملي ومواعيد خروجي.",
    "حاول رجلان دخول البيت في الليل وهربا عندما صرخنا.",
]
NEEDS = [
    "يحتاج إلى دواء السكري يوميًا.",
    "أحد الأطفال يستعمل كرسيًا متحركًا.",
    "لا يمكنهم البقاء قرب أقارب الزوج.",
    "تحتاج إلى مكان قريب من مستشفى لمتابعة الحمل.",
    "يتكلمون العربية فقط.",
    "معهم كلب صغير لا يتركونه.",
]


# --- Database, secrets, settings (bench/queue.py's, with this bench's database and meta table) ---

_database = BenchDatabase(DB, META)
pg, database_prepare, meta_get, meta_set = (
    _database.connect,
    _database.prepare,
    _database.meta_get,
    _database.meta_set,
)


def bench_environment(secrets: dict) -> dict:
    return {**environment(secrets), "DATABASE_URL": f"{PG}/{DB}", "REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}"}


# --- Loading -------------------------------------------------------------------------------------


def pick(rng: random.Random, choices):
    return rng.choices([value for value, _ in choices], weights=[weight for _, weight in choices])[0]


@dataclass
class Staff:
    coordinators: list
    lead: object
    caseworkers: list  # (user, places covered)
    intake_key: object
    relocation_key: object


def staff_create_all() -> Staff:
    from accounts.roles import KeyPurpose, Role
    from accounts.services import coverage_set, key_grant_create, shared_key_create

    coordinators = [staff_with_role(COORDINATORS[0], Role.RELOCATION_COORDINATOR)]  # the first holder
    relocation_key = shared_key_create(purpose=KeyPurpose.RELOCATION, holder=coordinators[0], holder_password=PASSWORD)
    for name in COORDINATORS[1:]:
        coordinators.append(staff_with_role(name, Role.RELOCATION_COORDINATOR, approver=coordinators[0]))
        key_grant_create(
            shared_key=relocation_key, grantor=coordinators[0], grantor_password=PASSWORD, grantee=coordinators[-1]
        )
    lead = staff_with_role(LEAD, Role.TRIAGE_LEAD)  # the first holder of intake keys
    intake_key = shared_key_create(purpose=KeyPurpose.INTAKE, holder=lead, holder_password=PASSWORD)
    caseworkers = []
    for n in range(CASEWORKERS):
        places = sorted(set(COVERAGE[2 * n]) | set(COVERAGE[2 * n + 1]))
        user = staff_with_role(f"cw{n + 1:02d}", Role.CASEWORKER, approver=lead)
        key_grant_create(shared_key=intake_key, grantor=lead, grantor_password=PASSWORD, grantee=user)
        coverage_set(user=user, governorates=places, languages=["ar"], capacity=30)
        caseworkers.append((user, places))
    return Staff(coordinators, lead, caseworkers, intake_key, relocation_key)


def houses_create(count: int, coordinator, rng: random.Random) -> list:
    """`count` houses through house_create (the first two are the contended and the busy one); some paused or
    closed after."""
    from relocation.services import house_change, house_create

    houses = []
    for n in range(count):
        if n == 0:
            code, region, types, in_service = CONTENDED, "tr", ["couple", "single_adult", "women_only"], CONTENDED_BEDS
        elif n == 1:
            code, region, types, in_service = BUSY, "kri-erbil", ["single_adult", "women_only"], BUSY_BEDS
        else:
            code, region = f"{WORDS[n % len(WORDS)]}-{n:03d}", pick(rng, REGIONS)
            types = sorted({pick(rng, HOUSEHOLDS) for _ in range(rng.randint(1, 4))})
            in_service = rng.randint(2, 60)
        houses.append(
            house_create(
                user=coordinator,
                code_name=code,
                region=region,
                household_types=types,
                beds_funded=in_service + rng.choice([0, 0, 0, 1, 2, 4]),
                beds_in_service=in_service,
                address=f"شارع {rng.randint(1, 120)}، بناية {rng.randint(1, 40)}، الطابق {rng.randint(0, 6)}",
                contact=f"+964 770 {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
                access_notes="الباب الخلفي بعد الساعة التاسعة مساءً" if rng.random() < 0.5 else "",
            )
        )
    for house in houses[len(SPECIAL) :]:
        roll = rng.random()
        if roll < 0.06:
            status = "closed" if roll < 0.02 else "paused"
            house_change(
                user=coordinator,
                house=house,
                beds_funded=house.beds_funded,
                beds_in_service=house.beds_in_service,
                status=status,
            )
            house.status = status
    return houses


def reports_create(count: int, staff: Staff, rng: random.Random, now) -> list:
    """Reports in work, written by bulk INSERT with real content and sealed fields (as intake and triage leave them)."""
    from cryptography.hazmat.primitives.asymmetric import x25519

    from backend.crypto import hpke
    from backend.receipts import receipt_hash, receipt_new
    from backend.sealed_fields import seal_value
    from client.content import report_content
    from reports.models import Report
    from reports.severity import SLA_HOURS

    key = staff.intake_key
    public = hpke.load_public_key(hpke.Suite.parse(key.suite), bytes(key.public_key))
    info = hpke.report_info(key.key_id)
    cover: dict[str, list] = {}
    for user, places in staff.caseworkers:
        for place in places:
            cover.setdefault(place, []).append(user)
    reports = []
    for _ in range(count):
        governorate = pick(rng, GOVERNORATES)
        severity, state, category = pick(rng, SEVERITIES), pick(rng, REPORT_STATES), pick(rng, CATEGORIES)
        created = now - timedelta(days=180 * rng.random() ** 1.5, seconds=rng.randint(0, 86400))
        narrative = " ".join(rng.choice(NARRATIVE) for _ in range(rng.randint(2, 25)))
        plaintext = report_content(
            narrative=narrative, indicators=[{"type": "phone", "value": f"0770 {rng.randint(1000000, 9999999)}"}]
        )
        ciphertext = hpke.encrypt(public, plaintext, info=info)
        triaged = created + timedelta(seconds=rng.randint(3, 40))
        sla = SLA_HOURS.get(severity)
        acknowledged = None
        if state != "assigned":
            acknowledged = max(triaged, min(now, triaged + timedelta(hours=(sla or 96) * 1.2 * rng.random())))
        report = Report(
            intake_key=key,
            ciphertext=ciphertext,
            ciphertext_sha256=hashlib.sha256(ciphertext).digest(),
            receipt_hash=receipt_hash(receipt_new()),
            reply_public_key=x25519.X25519PrivateKey.generate().public_key().public_bytes_raw()
            if rng.random() < 0.9
            else None,
            state=state,
            category=category,
            governorate=governorate,
            incident_month=(created - timedelta(days=rng.randint(0, 60))).date().replace(day=1),
            created_at=created,
            updated_at=max(value for value in (triaged, acknowledged) if value),
            severity=severity,
            ruleset_version=1,
            assigned_to=rng.choice(cover[governorate]),
            triage_attempts=1,
            triaged_at=triaged,
            sla_due_at=triaged + timedelta(hours=sla) if sla else None,
            acknowledged_at=acknowledged,
        )
        if sla and (acknowledged or now) > triaged + timedelta(hours=sla):
            report.escalated_at = triaged + timedelta(hours=sla, minutes=1)
        flags = sorted(rng.sample(["death_threat", "weapon_seen", "home_address_exposed", "followed"], 2))
        sealed = {"immediate_danger": severity == "critical", "needs_relocation": True, "flags": flags}
        report.triage_sealed = seal_value(
            report, "triage_sealed", json.dumps({**sealed, "language": "ar"}, sort_keys=True).encode()
        )
        reasons = (["immediate_danger"] if severity == "critical" else []) + [f"flag_{flag}" for flag in flags]
        reasons = reasons if severity != "low" else ["no_aggravating_factor"]
        report.severity_reasons_sealed = seal_value(report, "severity_reasons_sealed", json.dumps(reasons).encode())
        reports.append(report)
    Report.objects.bulk_create(reports, batch_size=500)
    return reports


@dataclass
class Plan:
    """One referral as the loader means it: who it describes and what becomes of it."""

    report: object
    adults: int
    children: int
    household: str
    avoid: set
    preferred: list
    outcome: str
    referral: object = None
    placement: object = None


def referral_plan(report, houses, rng: random.Random) -> dict:
    """referral_create's arguments for `report`: people a house that may take them can take."""
    from relocation.vocabulary import regions_ruled_out

    household = pick(rng, HOUSEHOLDS)
    adults, children = {
        "single_adult": (1, 0),
        "couple": (2, 0),
        "family_with_children": (rng.randint(1, 3), rng.randint(1, 5)),
        "women_only": (rng.randint(1, 3), rng.choice([0, 0, 1, 2])),
    }[household]
    ruled_out = regions_ruled_out(report.governorate)
    allowed = [value for value, _ in REGIONS if value not in ruled_out]
    preferred = sorted(rng.sample(allowed, rng.randint(1, 2))) if rng.random() < 0.4 and allowed else []
    avoid = sorted(rng.sample([r for r in allowed if r not in preferred], 1)) if rng.random() < 0.15 else []
    largest = max(
        (
            house.beds_in_service
            for house in houses
            if house.status != "closed"
            and house.code_name not in SPECIAL
            and household in house.household_types
            and house.region not in set(avoid) | ruled_out
        ),
        default=0,
    )
    while adults + children > largest and children:
        children -= 1
    if adults + children > largest:
        household, adults, children, preferred, avoid = "single_adult", 1, 0, [], []
    return {
        "adults": adults,
        "children": children,
        "household_type": household,
        "urgency_reason": rng.choice(["location_known", "recent_attack", "nowhere_to_stay", "children_at_risk"])
        if rng.random() < 0.15
        else "",
        "preferred_regions": preferred,
        "avoid_regions": avoid,
        "needs": " ".join(rng.sample(NEEDS, rng.randint(1, 3))) if rng.random() < 0.75 else "",
    }


def in_threads(function, parts: list[list], what: str) -> None:
    """function(item) for every item of each part, a part to a thread, each thread on its own connection."""
    from django.db import connections

    errors: list[BaseException] = []
    lock = threading.Lock()
    done, total, started = [0], sum(len(part) for part in parts), time.monotonic()

    def run(part) -> None:
        try:
            for item in part:
                if errors:
                    return
                function(item)
                with lock:
                    done[0] += 1
                    if done[0] % 2000 == 0 or done[0] == total:
                        print(f"    {done[0]:,} {what} in {time.monotonic() - started:.1f} s", flush=True)
        except BaseException as exc:  # re-raised below, in the caller's thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(part,)) for part in parts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def referrals_create(reports, houses, rng: random.Random) -> list[Plan]:
    """One referral per report, by its caseworker, through referral_create (LOAD_THREADS at once)."""
    from relocation.services import referral_create
    from relocation.vocabulary import regions_ruled_out

    plans = []
    for report in reports:  # planned here, in order, so that a load is the same every time
        kwargs = referral_plan(report, houses, rng)
        plan = Plan(
            report=report,
            adults=kwargs["adults"],
            children=kwargs["children"],
            household=kwargs["household_type"],
            avoid=set(kwargs["avoid_regions"]) | regions_ruled_out(report.governorate),
            preferred=kwargs["preferred_regions"],
            outcome=pick(rng, OUTCOMES),
        )
        plans.append((plan, kwargs))

    def create(item) -> None:
        plan, kwargs = item
        plan.referral = referral_create(user=plan.report.assigned_to, report=plan.report, **kwargs)

    in_threads(create, [plans[n::LOAD_THREADS] for n in range(LOAD_THREADS)], "referrals")
    return [plan for plan, _ in plans]


def placements_create(plans: list[Plan], houses, coordinators, rng: random.Random) -> Counter:
    """Coordinators hold, place, depart and cancel through the placement services, as each plan says.

    The houses are chosen first, here, by the beds each would have free; the services then run in
    LOAD_THREADS threads, each with its own houses, in the order chosen, so every hold finds its beds free."""
    from relocation import services
    from relocation.models import Placement

    free = {house.pk: house.beds_free for house in houses}
    open_houses = [house for house in houses if house.status == "open" and house.code_name not in SPECIAL]
    part_of = {house.pk: n % LOAD_THREADS for n, house in enumerate(open_houses)}
    parts: list[list] = [[] for _ in range(LOAD_THREADS)]
    done: Counter = Counter()
    for n, plan in enumerate(plans):
        if plan.outcome == "waiting":
            continue
        beds = plan.adults + plan.children
        fitting = [
            house
            for house in open_houses
            if plan.household in house.household_types and house.region not in plan.avoid and free[house.pk] >= beds
        ]
        if not fitting:
            done["left waiting: no house fits"] += 1
            plan.outcome = "waiting"
            continue
        house = rng.choice([house for house in fitting if house.region in plan.preferred] or fitting)
        if plan.outcome not in ("departed", "declined", "no_longer_needed"):  # an expired hold frees its beds later
            free[house.pk] -= beds
        parts[part_of[house.pk]].append((plan, house, coordinators[n % len(coordinators)]))
        done[plan.outcome] += 1

    expiring = []

    def act(item) -> None:
        plan, house, user = item
        plan.placement = placement = services.placement_hold(user=user, referral=plan.referral, house=house)
        if plan.outcome in ("placed", "departed"):
            services.placement_place(user=user, placement=placement)
        if plan.outcome == "departed":
            services.placement_depart(user=user, placement=placement)
        elif plan.outcome in ("declined", "no_longer_needed"):
            reason = "declined_by_house" if plan.outcome == "declined" else "no_longer_needed"
            services.placement_cancel(user=user, placement=placement, reason=reason)
        elif plan.outcome == "expired":
            expiring.append(placement.pk)

    in_threads(act, parts, "referrals held, placed, departed or cancelled")
    # Holds past their time, expired as the periodic task expires them.
    Placement.objects.filter(pk__in=expiring).update(held_until=timezone_now() - timedelta(hours=1))
    expired = services.holds_expire(limit=len(expiring) + 1)
    assert expired == len(expiring), (expired, len(expiring))
    return done


def timezone_now():
    from django.utils import timezone

    return timezone.now()


def special_fill(plans: list[Plan], houses, coordinator) -> None:
    """The contended house: all but CONTENDED_FREE beds occupied by one waiting referral, placed. The busy house:
    BUSY_PLACED one-person referrals placed and BUSY_HELD held."""
    from relocation import access, services
    from relocation.services import referral_details

    def fits(plan: Plan, house, people: int) -> bool:
        if plan.outcome != "waiting" or plan.adults + plan.children != people:
            return False
        details = referral_details(plan.referral)
        return access.house_refusal(house, details=details, threat_place=plan.report.governorate) is None

    contended = next(house for house in houses if house.code_name == CONTENDED)
    busy = next(house for house in houses if house.code_name == BUSY)
    chosen = next((plan for plan in plans if fits(plan, contended, CONTENDED_BEDS - CONTENDED_FREE)), None)
    if chosen is None:
        sys.exit(f"no waiting referral of {CONTENDED_BEDS - CONTENDED_FREE} people fits {CONTENDED}")
    placement = services.placement_hold(user=coordinator, referral=chosen.referral, house=contended)
    services.placement_place(user=coordinator, placement=placement)
    chosen.outcome = "placed"
    singles = [plan for plan in plans if fits(plan, busy, 1)][: BUSY_PLACED + BUSY_HELD]
    if len(singles) < BUSY_PLACED + BUSY_HELD:
        sys.exit(f"only {len(singles)} waiting one-person referrals fit {BUSY}")
    for n, plan in enumerate(singles):
        placement = services.placement_hold(user=coordinator, referral=plan.referral, house=busy)
        plan.outcome = "held"
        if n < BUSY_PLACED:
            services.placement_place(user=coordinator, placement=placement)
            plan.outcome = "placed"


# Times: a referral some hours to days after its report; placements after their referral (held ones within the
# last 40 hours, as a 48-hour hold would still be). The services wrote them all at load time.
TIMES_SQL = """
UPDATE relocation_referral f SET created_at = greatest(r.created_at, least(now() - interval '1 hour',
                                                    r.created_at + interval '1 hour' * (2 + 300 * random())))
FROM reports_report r WHERE r.id = f.report_id;
UPDATE relocation_placement p SET
    created_at = CASE WHEN p.state = 'held' THEN greatest(f.created_at, now() - interval '40 hours' * random())
                      ELSE f.created_at + (now() - f.created_at) * (0.5 * random()) END
FROM relocation_referral f WHERE f.id = p.referral_id;
UPDATE relocation_placement SET
    updated_at = CASE WHEN state = 'held' THEN created_at
                      ELSE created_at + (now() - created_at) * random() END,
    held_until = created_at + interval '48 hours';
"""

# A row for ~80% of the last 90 days of each house (a day with no change has none), beds as they might have been.
HISTORY_SQL = """
WITH days AS MATERIALIZED (
    SELECT h.id, h.beds_in_service AS n, %(today)s::date - g AS day,
           random() AS r_occupied, random() AS r_held, random() AS r_keep
    FROM relocation_safehouse h CROSS JOIN generate_series(1, 90) g
), beds AS (
    SELECT id, day, n, floor(n * (0.2 + 0.75 * r_occupied))::int AS occupied, r_held FROM days WHERE r_keep < 0.8
)
INSERT INTO relocation_occupancyday (house_id, day, beds_in_service, beds_held, beds_occupied)
SELECT id, day, n, floor((n - occupied) * 0.4 * r_held)::int, occupied FROM beds
ON CONFLICT (house_id, day) DO NOTHING
"""


def load(referrals: int, houses_count: int) -> dict:
    from django.db import connection
    from django.utils import timezone

    rng = random.Random(42)
    timings: dict[str, float] = {}
    started = step = time.monotonic()

    def done(name: str) -> None:
        nonlocal step
        timings[name] = round(time.monotonic() - step, 1)
        print(f"  {timings[name]:7.1f} s  {name}", flush=True)
        step = time.monotonic()

    print("loading:")
    staff = staff_create_all()
    done(f"staff ({2 + 1 + CASEWORKERS} users, relocation and intake keys, grants; accounts.services)")
    houses = houses_create(houses_count, staff.coordinators[0], rng)
    done(f"safe houses ({houses_count:,}, relocation.services.house_create; some paused or closed)")
    now = timezone.now()
    reports = reports_create(referrals, staff, rng, now)
    done(f"reports ({referrals:,} in work, HPKE content and sealed fields; bulk INSERT)")
    plans = referrals_create(reports, houses, rng)
    done(f"referrals ({referrals:,}, relocation.services.referral_create as each report's caseworker)")
    outcomes = placements_create(plans, houses, staff.coordinators, rng)
    special_fill(plans, houses, staff.coordinators[0])
    done(
        "placements (placement_hold/place/depart/cancel, holds_expire): "
        + ", ".join(f"{name} {count:,}" for name, count in sorted(outcomes.items()))
        + f"; {CONTENDED} and {BUSY} filled"
    )
    with connection.cursor() as cursor:
        for statement in TIMES_SQL.split(";"):
            if statement.strip():
                cursor.execute(statement)
        cursor.execute(HISTORY_SQL, {"today": timezone.localdate()})
    done("times spread back (UPDATE), 90 days of occupancy history (INSERT)")
    connection.close()
    with pg() as conn:
        conn.execute("SET statement_timeout = 0")
        conn.execute("VACUUM ANALYZE")
        conn.execute("CHECKPOINT")
    done("VACUUM ANALYZE, CHECKPOINT")
    total = round(time.monotonic() - started, 1)
    contended = next(house for house in houses if house.code_name == CONTENDED)
    record = {
        "version": LOAD_VERSION,
        "referrals": referrals,
        "houses": houses_count,
        "at": now.isoformat(),
        "seconds": total,
        "steps": timings,
        "contended": str(contended.pk),
    }
    meta_set("loaded", record)
    print(f"  {total:7.1f} s  total")
    return record


def data_ready(referrals: int, houses: int) -> bool:
    """Whether a load of this size finished in this database (a load records itself only at its end)."""
    loaded = meta_get("loaded")
    if not loaded or (loaded.get("version"), loaded.get("referrals"), loaded.get("houses")) != (
        LOAD_VERSION,
        referrals,
        houses,
    ):
        return False
    with pg() as conn:
        counts = conn.execute(
            "SELECT (SELECT count(*) FROM relocation_referral), (SELECT count(*) FROM relocation_safehouse)"
        ).fetchone()
    return counts == (referrals, houses)


def describe_data() -> None:
    with pg() as conn:

        def grouped(sql: str) -> str:
            return ", ".join(f"{name} {count:,}" for name, count in conn.execute(sql).fetchall())

        print(
            "relocation_referral: "
            + grouped("SELECT state, count(*) FROM relocation_referral GROUP BY 1 ORDER BY 2 DESC")
            + "; by urgency: "
            + grouped("SELECT urgency::text, count(*) FROM relocation_referral GROUP BY 1 ORDER BY 1")
            + "; with needs: "
            + f"{conn.execute('SELECT count(needs_ciphertext) FROM relocation_referral').fetchone()[0]:,}"
        )
        print(
            "relocation_placement: "
            + grouped("SELECT state, count(*) FROM relocation_placement GROUP BY 1 ORDER BY 2 DESC")
        )
        beds = conn.execute(
            "SELECT count(*), sum(beds_in_service), sum(beds_held), sum(beds_occupied) FROM relocation_safehouse"
        ).fetchone()
        print(
            f"relocation_safehouse: {beds[0]:,} houses ("
            + grouped("SELECT status, count(*) FROM relocation_safehouse GROUP BY 1 ORDER BY 2 DESC")
            + "; "
            + grouped("SELECT region, count(*) FROM relocation_safehouse GROUP BY 1 ORDER BY 2 DESC")
            + f"); beds in service {beds[1]:,}, held {beds[2]:,}, occupied {beds[3]:,}"
        )
        other = conn.execute(
            "SELECT (SELECT count(*) FROM relocation_occupancyday), (SELECT count(*) FROM reports_report),"
            " (SELECT count(*) FROM audit_auditentry)"
        ).fetchone()
        print(f"relocation_occupancyday {other[0]:,} rows; reports_report {other[1]:,}; audit_auditentry {other[2]:,}")
        settings = conn.execute(
            "SELECT string_agg(name || '=' || current_setting(name), ', ' ORDER BY name) FROM pg_settings"
            " WHERE name IN ('shared_buffers', 'work_mem', 'effective_cache_size', 'random_page_cost', 'jit',"
            " 'max_parallel_workers_per_gather', 'synchronous_commit')"
        ).fetchone()[0]
        version = conn.execute("SHOW server_version").fetchone()[0]
        print(f"PostgreSQL {version}: {settings}")


# --- Pages -------------------------------------------------------------------------------------------


@dataclass
class Page:
    persona: str
    name: str
    url: str
    must_show: list[str] = field(default_factory=list)  # bits of HTML the page shows only when it works
    post: bool = False  # asked for by a form's POST (the needs or the address shown), not a GET


class Posting:
    """A test client whose get() POSTs (no fields; the test client checks no CSRF token): bench/queue.py's
    timed_get and measure, reused as they are, time a POST page with it."""

    def __init__(self, client) -> None:
        self.client = client

    def get(self, url: str, **extra):
        return self.client.post(url, **extra)


def pages_choose() -> tuple[object, object, list[Page]]:
    """The personas and the pages they open."""
    from django.db.models import Count, Q

    from accounts.models import StaffUser
    from relocation.models import Referral, SafeHouse

    coordinator = StaffUser.objects.get(username=COORDINATORS[0])
    caseworker = (
        StaffUser.objects.filter(username__startswith="cw")
        .annotate(referred=Count("assigned_reports__referrals"))
        .order_by("-referred", "username")
        .first()
    )
    waitlist = Referral.objects.order_by("urgency", "created_at")
    waiting = waitlist.filter(state="waiting", needs_ciphertext__isnull=False).first()
    held = waitlist.filter(state="held").first()
    by_live = list(
        SafeHouse.objects.annotate(live=Count("placements", filter=Q(placements__state__in=["held", "placed"])))
        .filter(live__gt=0)
        .order_by("-live", "code_name")
    )
    busiest, typical = by_live[0], by_live[len(by_live) // 2]
    own = waitlist.filter(state="waiting", report__assigned_to=caseworker).first()
    base = "/admin/relocation/"
    coord, cw = f"coordinator ({coordinator.username})", f"caseworker ({caseworker.username})"
    pages = [
        Page(coord, "waitlist (waiting)", f"{base}referral/", ["result_list"]),
        Page(coord, "waitlist status=held", f"{base}referral/?status=held", ["result_list"]),
        Page(coord, "waitlist status=all", f"{base}referral/?status=all", ["result_list"]),
        Page(coord, "waitlist urgency=immediate", f"{base}referral/?urgency__exact=0", ["result_list"]),
        Page(coord, "waitlist all, p=100", f"{base}referral/?status=all&p=100", ["result_list"]),
        Page(
            coord,
            "referral (waiting)",
            f"{base}referral/{waiting.pk}/change/",
            ['id="show-needs"', f"{base}referral/{waiting.pk}/hold/"],
        ),
        Page(
            coord,
            "referral (waiting): needs",
            f"{base}referral/{waiting.pk}/needs/",
            ['id="needs-text"', f"{base}referral/{waiting.pk}/hold/"],
            post=True,
        ),
        Page(coord, "referral (beds held)", f"{base}referral/{held.pk}/change/", ["/act/cancel/"]),
        Page(coord, "house list", f"{base}safehouse/", ["result_list"]),
        *[
            Page(coord, f"house ({which}: {house.live} live)", f"{base}safehouse/{house.pk}/change/", bits)
            for which, house, bits in (
                ("typical", typical, ['id="show-address"', "/act/"]),
                ("busiest", busiest, ['id="show-address"', "/act/"]),
            )
        ],
        Page(
            coord,
            "house (busiest): address",
            f"{base}safehouse/{busiest.pk}/address/",
            ['id="address-text"', "/act/"],
            post=True,
        ),
        Page(coord, "placement list", f"{base}placement/", ["result_list"]),
        Page(
            cw,
            "report with a referral",
            f"/admin/reports/report/{own.report_id}/change/",
            ['id="report-narrative"', 'id="free-beds"', 'class="referral-status"'],
        ),
    ]
    return coordinator, caseworker, pages


def page_check(client, page: Page) -> str:
    """'' if the page answers 200 and shows what it must; else what is wrong."""
    response = client.get(page.url, secure=True)
    if response.status_code != 200:
        return f"status {response.status_code}"
    text = response.content.decode()
    missing = [bit for bit in page.must_show if bit not in text]
    return f"does not show {missing}" if missing else ""


def label(sql: str) -> str:
    """A short name for a statement of relocation's pages."""
    lower = " ".join(sql.split()).lower()
    names = [
        ("pg_advisory_xact_lock", "audit chain lock"),
        ('insert into "audit_auditentry"', "audit entry INSERT"),
        ('from "audit_auditentry"', "audit chain head"),
        ("django_session", "session"),
        ("accounts_staffsession", "session"),
        ("otp", "TOTP device"),
        ("auth_permission", "permissions"),
        ("auth_group", "roles"),
        ('from "accounts_keygrant"', "key grant"),
        ('from "accounts_sharedkey"', "shared key"),
        ("relocation_occupancyday", "occupancy history"),
        ("relocation_safehousesecret", "address row"),
        ("accounts_coverage", "coverage"),
    ]
    for needle, name in names:
        if needle in lower:
            return name
    for table in ("relocation_referral", "relocation_placement", "relocation_safehouse", "reports_report"):
        if f'from "{table}"' in lower:
            kind = "COUNT" if "count(*)" in lower else "rows"
            return f"{table} {kind}"
    if 'from "accounts_staffuser"' in lower:
        return "user"
    return lower[:60]


def compact(sql: str, limit: int = 400) -> str:
    """A statement on one line without its column list: what it reads, joins, filters and sorts."""
    text = re.sub(r"^SELECT (DISTINCT )?.*? FROM ", r"SELECT \1... FROM ", " ".join(sql.split()), count=1)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def print_table(results: list[Result]) -> None:
    header = (
        f"{'persona':<22} {'page':<30} {'median ms':>10} {'max ms':>9} {'status':>7} {'SQL':>4} {'SQL ms':>8} "
        f"{'matches':>8} {'slowest':>8}  {'result':<7} slowest statement"
    )
    print(header)
    print("-" * len(header))
    for result in results:
        run, slowest = result.median_run, result.culprit
        median = "TIMEOUT" if result.timed_out else f"{result.median:,.1f}"
        matches = "" if run.matches is None else f"{run.matches:,}"
        verdict = "TIMEOUT" if result.timed_out else ("PASS" if result.passed else "FAIL")
        print(
            f"{result.persona:<22} {result.page:<30} {median:>10} {result.worst:>9,.1f} {result.status!s:>7} "
            f"{len(run.statements):>4} {sum(s.ms for s in run.statements):>8,.1f} {matches:>8} "
            f"{(slowest.ms if slowest else 0):>8,.1f}  {verdict:<7} {label(slowest.sql) if slowest else ''}"
        )


def by_kind(result: Result, top: int = 6) -> str:
    counts: Counter = Counter()
    ms: Counter = Counter()
    for statement in result.median_run.statements:
        counts[label(statement.sql)] += 1
        ms[label(statement.sql)] += statement.ms
    shown = [f"{name} {count}x {ms[name]:.1f}" for name, count in counts.most_common(top)]
    rest = len(counts) - top
    return ", ".join(shown) + (f", {rest} other kinds" if rest > 0 else "")


def print_breakdown(result: Result) -> None:
    """Every statement of the median run in order; a statement, or a pair or three, repeated back to back is one
    line ("16 x roles + key grant": what a loop over rows asks each time)."""
    run = result.median_run
    sql_ms = sum(statement.ms for statement in run.statements)
    print(
        f"\n{result.persona}, {result.page}: every statement of the median run ({run.ms:,.1f} ms in all,"
        f" {sql_ms:,.1f} ms of it in {len(run.statements)} statements, {run.ms - sql_ms:,.1f} ms outside them)"
    )
    names = [
        label(statement.sql) + (f" ({statement.stopped})" if statement.stopped else "") for statement in run.statements
    ]
    index = 0
    while index < len(names):
        period, repeats = 1, 1
        for size in (1, 2, 3):
            pattern = names[index : index + size]
            count = 1
            while names[index + count * size : index + (count + 1) * size] == pattern:
                count += 1
            if count >= 3 and count * size > period * repeats:
                period, repeats = size, count
        span = run.statements[index : index + period * repeats]
        if repeats >= 3:
            print(f"  {sum(s.ms for s in span):9,.1f} ms  {repeats} x {' + '.join(names[index : index + period])}")
            index += period * repeats
        else:
            print(f"  {span[0].ms:9,.1f} ms  {names[index]}")
            index += 1


def pages_measure(args) -> list[Result]:
    from relocation.models import Referral

    with untimed():
        coordinator, caseworker, pages = pages_choose()
        referred = Referral.objects.filter(report__assigned_to=caseworker).count()
    print(f"personas: coordinator {coordinator.username}; caseworker {caseworker.username} ({referred:,} referrals)")
    logging.getLogger("django.request").setLevel(logging.CRITICAL)  # a cancelled page is reported in the table
    clients = {}
    for user, persona in ((coordinator, pages[0].persona), (caseworker, pages[-1].persona)):
        with untimed():
            clients[persona] = login(user)
    with untimed():
        forbidden = clients[pages[-1].persona].get("/admin/relocation/referral/", secure=True).status_code
    verdict = "as it must" if forbidden == 403 else "WARNING: it must be 403, a list only coordinators see"
    print(f"the caseworker's waitlist answers {forbidden} ({verdict})")
    results = []
    print(f"checking each page once, then a warm-up and {args.runs} timed runs per page")
    for page in pages:
        client = Posting(clients[page.persona]) if page.post else clients[page.persona]
        with untimed():
            wrong = page_check(client, page)
        if wrong:
            print(f"  WARNING {page.persona}, {page.name} ({'POST ' if page.post else ''}{page.url}): {wrong}")
        results.append(measure(client, page.persona, page.name, page.url, args.runs, args.timeout))
    return results


# --- Contention ----------------------------------------------------------------------------------------


SNAPSHOT_SQL = """
SELECT h.beds_in_service, h.beds_held, h.beds_occupied,
       coalesce(sum(p.beds) FILTER (WHERE p.state = 'held'), 0),
       coalesce(sum(p.beds) FILTER (WHERE p.state = 'placed'), 0),
       count(p.id) FILTER (WHERE p.state = 'held')
FROM relocation_safehouse h
LEFT JOIN relocation_placement p ON p.house_id = h.id AND p.state IN ('held', 'placed')
WHERE h.id = %s
GROUP BY h.id
"""


@dataclass
class Snapshot:
    in_service: int
    held: int
    occupied: int
    placements_held: int  # beds of the house's held placements
    placements_placed: int
    holds: int  # held placements

    @property
    def agrees(self) -> bool:
        return (self.held, self.occupied) == (self.placements_held, self.placements_placed)

    @property
    def overbooked(self) -> bool:
        return max(self.held + self.occupied, self.placements_held + self.placements_placed) > self.in_service


def snapshot(house_id) -> Snapshot:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(SNAPSHOT_SQL, [house_id])
        return Snapshot(*cursor.fetchone())


@dataclass
class Race:
    threads: int
    seconds: float = 0.0
    holds: int = 0
    cancels: int = 0
    refusals: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    ms: dict = field(default_factory=lambda: {"hold": [], "cancel": [], "refused": []})
    snapshots: int = 0
    disagreeing: int = 0
    overbooked: int = 0
    most_holds: int = 0

    @property
    def rate(self) -> float:
        return (self.holds + self.cancels) / self.seconds if self.seconds else 0.0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] if ordered else 0.0


def race(house_id, referral_ids: list, coordinator_ids: list, seconds: float) -> Race:
    """Each thread holds a bed for its own referral in the one house, then cancels it (declined by the house),
    until the time is up; a watcher takes snapshots of the house meanwhile."""
    from django.db import connections
    from django.utils import translation

    from accounts.models import StaffUser
    from relocation import services
    from relocation.access import RelocationError
    from relocation.models import Referral, SafeHouse

    result = Race(threads=len(referral_ids))
    lock = threading.Lock()
    clock: dict[str, float] = {}
    barrier = threading.Barrier(len(referral_ids), action=lambda: clock.update(start=time.monotonic()))
    watching = threading.Event()

    def refused(exc: Exception) -> str:
        text = str(exc)
        return "no bed free" if "beds free" in text or "bed free" in text else text

    def worker(index: int, referral_id) -> None:
        holds = cancels = 0
        refusals, errors, ms = Counter(), Counter(), {"hold": [], "cancel": [], "refused": []}
        try:
            with translation.override("en"):  # refusals are told apart by their English text
                user = StaffUser.objects.get(pk=coordinator_ids[index % len(coordinator_ids)])
                referral = Referral.objects.get(pk=referral_id)
                house = SafeHouse.objects.get(pk=house_id)
                barrier.wait(timeout=60)
                deadline = clock["start"] + seconds
                while time.monotonic() < deadline:
                    began = time.perf_counter()
                    try:
                        placement = services.placement_hold(user=user, referral=referral, house=house)
                    except RelocationError as exc:
                        refusals[refused(exc)] += 1
                        ms["refused"].append((time.perf_counter() - began) * 1000)
                        continue
                    except Exception as exc:  # noqa: BLE001 - counted by type, the race goes on
                        errors[f"hold: {type(exc).__name__}"] += 1
                        continue
                    holds += 1
                    ms["hold"].append((time.perf_counter() - began) * 1000)
                    began = time.perf_counter()
                    try:
                        services.placement_cancel(user=user, placement=placement, reason="declined_by_house")
                    except RelocationError as exc:
                        refusals[f"cancel refused: {exc}"] += 1
                    except Exception as exc:  # noqa: BLE001
                        errors[f"cancel: {type(exc).__name__}"] += 1
                    else:
                        cancels += 1
                        ms["cancel"].append((time.perf_counter() - began) * 1000)
        except threading.BrokenBarrierError:
            errors["did not start (another thread failed first)"] += 1
        except Exception as exc:  # noqa: BLE001
            barrier.abort()
            errors[f"thread: {type(exc).__name__}: {exc}"] += 1
        finally:
            connections.close_all()  # this thread's own connection
            with lock:
                result.holds += holds
                result.cancels += cancels
                result.refusals.update(refusals)
                result.errors.update(errors)
                for kind, values in ms.items():
                    result.ms[kind] += values

    def watcher() -> None:
        try:
            while not watching.is_set():
                seen = snapshot(house_id)
                result.snapshots += 1
                result.disagreeing += not seen.agrees
                result.overbooked += seen.overbooked
                result.most_holds = max(result.most_holds, seen.holds)
                watching.wait(0.01)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n, pk)) for n, pk in enumerate(referral_ids)]
    watch = threading.Thread(target=watcher)
    watch.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ended = time.monotonic()
    watching.set()
    watch.join()
    result.seconds = ended - clock.get("start", ended)
    return result


def racers(house, count: int) -> list:
    """`count` waiting one-person referrals the house may take, oldest first."""
    from relocation import access
    from relocation.models import Referral
    from relocation.services import referral_details

    chosen = []
    for referral in Referral.objects.filter(state="waiting").select_related("report").order_by("created_at", "id"):
        details = referral_details(referral)
        if details.get("adults", 0) + details.get("children", 0) != 1:
            continue
        if access.house_refusal(house, details=details, threat_place=referral.report.governorate) is None:
            chosen.append(referral.pk)
            if len(chosen) == count:
                return chosen
    sys.exit(f"only {len(chosen)} waiting one-person referrals fit {house.code_name}; --threads is too many")


def print_race(result: Race, free: int) -> None:
    refusals = sum(result.refusals.values())
    reasons = ", ".join(f"{reason}: {count:,}" for reason, count in result.refusals.most_common()) or "none"
    errors = ", ".join(f"{kind}: {count:,}" for kind, count in result.errors.most_common()) or "none"
    print(
        f"  {result.threads:>2} thread{'s' if result.threads > 1 else ' '}: {result.holds:,} holds + "
        f"{result.cancels:,} cancels in {result.seconds:.1f} s = {result.rate:,.1f} holds+cancels/s;"
        f" refused {refusals:,} ({reasons}); errors: {errors}"
    )
    timing = "; ".join(
        f"{kind} median {statistics.median(values):.1f} ms, p95 {percentile(values, 0.95):.1f} ms"
        for kind, values in result.ms.items()
        if values
    )
    print(f"      {timing}")
    print(
        f"      watcher: {result.snapshots:,} snapshots, {result.disagreeing} with counters not equal to the live"
        f" placements, {result.overbooked} over capacity; most holds at once {result.most_holds}"
        f" (beds free at the start: {free})"
    )


def contention(args) -> bool:
    """The race with --threads threads, then with one; True if nothing was overbooked or miscounted."""
    from django.db import connection

    from accounts.models import StaffUser
    from relocation import services
    from relocation.models import Placement, Referral, SafeHouse

    with untimed():
        house = SafeHouse.objects.get(code_name=CONTENDED)
        coordinators = list(StaffUser.objects.filter(username__in=COORDINATORS).order_by("username"))
        leftover = list(Placement.objects.filter(house=house, state="held"))
        for placement in leftover:  # from a run that was interrupted mid-race
            services.placement_cancel(user=coordinators[0], placement=placement, reason="declined_by_house")
        house.refresh_from_db()
        chosen = racers(house, max(args.threads, 1))
    if leftover:
        print(f"cancelled {len(leftover)} hold(s) an interrupted run left in {CONTENDED}")
    free = house.beds_free
    print(
        f"\nContention: threads hold a bed in {CONTENDED} ({house.beds_in_service} beds in service,"
        f" {house.beds_held} held, {house.beds_occupied} occupied, {free} free), each for its own waiting"
        f" one-person referral, then cancel it (declined by the house); {args.seconds:g} s each"
    )
    since = timezone_now()
    coordinator_ids = [user.pk for user in coordinators]
    results = []
    for threads in dict.fromkeys([args.threads, 1]):
        connection.close()  # the racers' connections are their own; the bench's waits
        results.append(race(house.pk, chosen[:threads], coordinator_ids, args.seconds))
        print_race(results[-1], free)
    if len(results) == 2 and results[1].rate:
        print(
            f"  {args.threads} threads do {results[0].rate / results[1].rate:.2f}x the holds+cancels per second"
            f" of one thread"
        )
    with untimed():
        after = snapshot(house.pk)
        stuck = Referral.objects.filter(pk__in=chosen).exclude(state="waiting").count()
        live = Placement.objects.filter(referral_id__in=chosen, state__in=["held", "placed"]).count()
    print(
        f"  after: beds_held {after.held} = held placements' beds {after.placements_held}: "
        f"{'yes' if after.held == after.placements_held else 'NO'}; beds_occupied {after.occupied} = placed"
        f" placements' beds {after.placements_placed}: {'yes' if after.occupied == after.placements_placed else 'NO'};"
        f" held + occupied {after.held + after.occupied} <= {after.in_service} in service:"
        f" {'yes' if not after.overbooked else 'NO'}; racing referrals not waiting again: {stuck}, with a live"
        f" placement: {live}"
    )
    overbookings = sum(result.overbooked for result in results) + after.overbooked
    miscounts = sum(result.disagreeing for result in results) + (not after.agrees)
    constraint = sum(count for result in results for kind, count in result.errors.items() if "IntegrityError" in kind)
    print(f"overbookings: {overbookings}")
    print(f"counter mismatches: {miscounts}; holds refused by the database's constraint: {constraint}")
    with untimed():
        removed, _ = Placement.objects.filter(house=house, referral_id__in=chosen, created_at__gte=since).delete()
    print(f"  removed the race's {removed:,} placements (all cancelled), so the next run starts from the same data")
    errors = sum(sum(result.errors.values()) for result in results)
    return overbookings == 0 and miscounts == 0 and stuck == 0 and live == 0 and errors == 0


# --- Main ------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--referrals", type=int, default=10_000, help="reports and referrals (default 10,000)")
    parser.add_argument("--houses", type=int, default=500, help="safe houses (default 500)")
    parser.add_argument("--reload", action="store_true", help="drop the bench database and load it anew")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per page after one warm-up (default 5)")
    parser.add_argument("--threads", type=int, default=16, help="threads racing for one house (default 16)")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long each race runs (default 10)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds after which a page is stopped")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the slowest statement of slow pages")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    if args.referrals < 5_000:
        parser.error("--referrals must be at least 5,000 (page 100 of all referrals needs 5,000)")
    if args.houses < 50:
        parser.error("--houses must be at least 50")
    if args.threads < 1 or args.seconds <= 0:
        parser.error("--threads must be at least 1 and --seconds more than 0")

    secrets = database_prepare(reload=args.reload)
    if not args.reload and not data_ready(args.referrals, args.houses):
        print(f"{DB} holds no finished load of {args.referrals:,} referrals and {args.houses:,} houses")
        secrets = database_prepare(reload=True)
    django_start(bench_environment(secrets), args.timeout)

    loaded = meta_get("loaded") if data_ready(args.referrals, args.houses) else None
    if loaded:
        print(
            f"data present ({args.referrals:,} referrals, {args.houses:,} houses; loaded {loaded['at']}"
            f" in {loaded['seconds']} s): not reloaded"
        )
    else:
        load(args.referrals, args.houses)
    describe_data()

    results = pages_measure(args)
    print(
        f"\nRelocation pages, {args.referrals:,} referrals, {args.houses:,} houses; median and max of {args.runs} runs"
        f" after a warm-up; target {TARGET_MS:.0f} ms; TIMEOUT after {args.timeout:g} s"
    )
    print_table(results)
    print(
        "SQL: statements the request ran (default connection); SQL ms: their total time; matches: the changelist's"
        " count of rows; slowest: ms of its slowest statement"
    )
    print("\nslowest statement of each page (its column list left out):")
    for result in results:
        slowest = result.culprit
        if slowest is not None:
            print(f"  {result.page:<30} {slowest.ms:7.1f} ms  {compact(slowest.sql)}")
    print("\nstatements of each page's median run by kind (count x, total ms), most frequent first:")
    for result in results:
        print(f"  {result.page:<30} {by_kind(result)}")
    slow = [result for result in results if not result.passed]
    for result in slow:
        print_breakdown(result)
    if args.explain:
        explained = set()
        for result in slow:
            slowest = result.culprit
            if slowest is not None and (slowest.sql, repr(slowest.params)) not in explained:
                explained.add((slowest.sql, repr(slowest.params)))
                explain(result, args.timeout)

    correct = contention(args)
    passed = sum(result.passed for result in results)
    print(
        f"\nSUMMARY: {passed} of {len(results)} relocation pages under {TARGET_MS:.0f} ms"
        + (f" (over: {', '.join(f'{r.page} {format_ms(r)}' for r in slow)})" if slow else "")
        + f"; contention on one house: {'no overbooking, counts agree' if correct else 'INCORRECT (see above)'}"
    )


if __name__ == "__main__":
    main()
