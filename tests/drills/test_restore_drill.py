"""Restore drill (README "Back up and restore"): dump a populated database, restore it into a fresh one, and
start there with the same secrets; then start with a wrong SANAD_SEALING_KEYS, which must refuse and change nothing.

Every step is a separate production-mode process (manage.py, the actor script, pg_dump, pg_restore), as an
operator would run them; the test process only compares what they print and what the databases hold.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.drills.helpers import (
    ROOT,
    actor,
    anchor,
    assert_no_secret_in,
    database_url,
    fingerprint,
    manage,
    new_key,
    ok,
    production_env,
    row_counts,
    run,
)

pytestmark = [pytest.mark.services, pytest.mark.slow]


def pg_tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        pytest.fail(f"the restore drill needs {name} (PostgreSQL's client tools) on PATH")
    return found


def backup_and_restore(source: str, target: str, dump: Path) -> None:
    """README: `pg_dump -Fc`, then pg_restore into a fresh, empty database, stopping at the first error."""
    subprocess.run([pg_tool("pg_dump"), "-Fc", "-f", str(dump), database_url(source)], check=True, timeout=120)
    result = subprocess.run(
        [pg_tool("pg_restore"), "--exit-on-error", "--single-transaction", "-d", database_url(target), str(dump)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def refused(result, code: str, words: str, secrets_: dict) -> None:
    """Non-zero, the check's id and what is wrong in the message, no traceback, no secret."""
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-2000:]
    assert code in output and words in output, output[-2000:]
    assert "Traceback" not in output, output[-4000:]
    assert_no_secret_in(output, secrets_)


def test_restore_drill(tmp_path, databases, drill_secrets):
    source = databases.create("source")
    env = production_env(tmp_path, drill_secrets, source)
    ok(manage(env, "migrate", "--noinput", "-v0"), "migrate")
    populated = actor(env, "populate")
    recorded = anchor(env)  # the operator writes this down outside the database
    counts = row_counts(source)
    assert counts["reports_report"] == 3 and counts["reports_reply"] == 1 and counts["accounts_keygrant"] >= 2
    assert counts["audit_auditentry"] >= 8

    dump = tmp_path / "sanad.dump"
    restored = databases.create("restored")
    backup_and_restore(source, restored, dump)
    # The source goes on after the dump: an entry the restore will not have, and an anchor recorded after it.
    ok(manage(env, "verify_audit", "--record"), "verify_audit --record on the source")
    later = anchor(env)

    # Start on the restored copy with the same secrets: migrate (nothing to do), then the operator's checks.
    env = production_env(tmp_path, drill_secrets, restored)
    ok(manage(env, "migrate", "--noinput", "-v0"), "migrate after restore")
    assert row_counts(restored) == counts
    out = ok(manage(env, "verify_audit", "--anchor", recorded), "verify_audit with the anchor recorded at the dump")
    assert f"head seq {recorded.split(':')[0]} " in out
    # An anchor recorded after the dump names an entry the restore lost: verify_audit says so.
    lost = manage(env, "verify_audit", "--anchor", later)
    assert lost.returncode != 0 and "Traceback" not in lost.stderr, lost.stderr
    assert f"anchor seq {later.split(':')[0]} not found: the chain ends at seq {recorded.split(':')[0]}" in lost.stderr
    # A wrong hash at the recorded seq (someone rewrote history) fails too.
    seq, head_hash = recorded.split(":")
    forged = manage(env, "verify_audit", "--anchor", f"{seq}:{head_hash[:-1]}{'0' if head_hash[-1] != '0' else '1'}")
    assert forged.returncode != 0 and f"anchor seq {seq} does not match" in forged.stderr, forged.stderr

    checked = actor(env, "check", payload=populated)
    assert [seen["id"] for seen in checked["reports"]] == [made["id"] for made in populated["reports"]]
    for seen in checked["reports"]:
        assert seen["status_code"] == 200, seen  # the reporter's receipt works
        assert seen.get("narrative_matches") is True, seen  # alice decrypts what was submitted
    assert checked["reports"][0]["replies"] == [populated["reports"][0]["reply_body"]]
    assert checked["reports"][0]["followups"] == 1
    assert checked["sealed"] == populated["sealed"]  # every sealed value opens, to what it was
    assert checked["sealed"]["accounts.TOTPDevice.key_sealed"].startswith("1:")
    assert checked["sealed"]["reports.Report.triage_sealed"].startswith("3:")
    assert all(not digest.startswith("0:") for digest in checked["sealed"].values()), checked["sealed"]
    assert checked["severity_reasons"] == populated["severity_reasons"]

    # The same dump started with a wrong SANAD_SEALING_KEYS: refused, clearly, before any change.
    before = fingerprint(restored)
    same_id_wrong_key = {**drill_secrets, "SANAD_SEALING_KEYS": f"k2026:{new_key()}"}
    other_id = {**drill_secrets, "SANAD_SEALING_KEYS": f"k2027:{new_key()}"}
    wrong_audit = {**drill_secrets, "SANAD_AUDIT_KEY": new_key()}
    manage_py = [sys.executable, "manage.py"]
    celery = str(Path(sys.executable).with_name("celery"))
    probes = [
        # (what is started, with which secrets, the check that must refuse it, words its message must hold)
        # The key id missing from the ring: the check names it.
        ([*manage_py, "check"], other_id, "sanad.E010", "no key 'k2026'"),
        # A wrong key under the right id: every way in refuses, the writing ones included.
        ([*manage_py, "migrate", "--noinput"], same_id_wrong_key, "sanad.E011", "key 'k2026' does not open"),
        (
            [*manage_py, "verify_audit", "--anchor", recorded, "--record"],
            same_id_wrong_key,
            "sanad.E011",
            "key 'k2026' does not open",
        ),
        ([*manage_py, "reseal"], same_id_wrong_key, "sanad.E011", "key 'k2026' does not open"),
        # A Celery worker (which would seal triage details), on a queue of its own should it start.
        (
            [celery, "-A", "config", "worker", "--pool=solo", "--without-mingle", "--without-gossip", "-Q", "drill"],
            same_id_wrong_key,
            "sanad.E011",
            "key 'k2026' does not open",
        ),
        # A wrong SANAD_AUDIT_KEY would append entries the right key never verifies.
        ([*manage_py, "verify_audit", "--record"], wrong_audit, "sanad.E012", "SANAD_AUDIT_KEY does not verify"),
    ]
    # Started together (they are independent, and each refuses before writing): the drill stays short.
    started = [
        (
            subprocess.Popen(
                command,
                cwd=ROOT,
                env=production_env(tmp_path, wrong, restored),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            ),
            wrong,
            code,
            words,
        )
        for command, wrong, code, words in probes
    ]
    try:
        for process, wrong, code, words in started:
            try:
                stdout, stderr = process.communicate(timeout=120)
            except subprocess.TimeoutExpired:
                pytest.fail(f"{process.args[1:3]} did not refuse: still running after 120 s")
            refused(subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr), code, words, wrong)
    finally:
        for process, *_ in started:
            if process.poll() is None:
                process.kill()
                process.wait()
    # The web process: gunicorn imports config.wsgi, which raises the same refusal (with Python's traceback).
    web = run(production_env(tmp_path, same_id_wrong_key, restored), "-c", "import config.wsgi")
    assert web.returncode != 0 and "sanad.E011" in web.stderr and "'k2026'" in web.stderr, web.stderr[-2000:]
    assert_no_secret_in(web.stdout + web.stderr, same_id_wrong_key)
    assert fingerprint(restored) == before
