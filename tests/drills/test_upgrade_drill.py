"""Upgrade drill: a database made and used by the first release, migrated by today's code, loses nothing.

The first release is 36a0c37 ("Screenshots retaken from the current pages", 2026-11-21), the last commit of
the first day's work, and the first state with the whole loop the design promises: a reporter submits
through the reference client, triage assigns, a caseworker logs in with TOTP and decrypts in the workspace
with their own key through a grant, replies reach the reporter by receipt, and every decryption and key
change is in the audit chain. Earlier commits are not releases: staff could not read a report (no
workspace, ad71aa7) and nothing was audited (a118cc7). They are also not upgradable, and this is why the
drill cannot start earlier: reports/migrations/0001 and accounts/migrations/0001 were edited in place
while triage was built (63b9a12, 3018e5a), so a database made by the intake commits (9be6a9f, 1409534)
fails today's `migrate` ('column "severity" does not exist'). Every migration the first release applied
has since changed only by `ruff format` (836ebc7), which this drill would catch if it had not.

The old tree is extracted with `git archive` (the clone in CI has full history) and runs its own
`migrate` and its own services (tests/drills/actor.py, which imports only what the old tree has) with the
shared virtualenv: its pins are a subset of today's. Then today's `migrate`, and with today's code: no
row lost, every sealed value opens to what the first release sealed, the severity reasons that were a
plain column then are sealed and the same, `verify_audit` passes with the anchor recorded before the
upgrade, the caseworker decrypts every report, and the receipts still work.
"""

from __future__ import annotations

import io
import subprocess
import tarfile

import pytest

from tests.drills.helpers import (
    ROOT,
    actor,
    anchor,
    database_url,
    manage,
    ok,
    production_env,
    row_counts,
    started,
)

pytestmark = [pytest.mark.services, pytest.mark.slow]

FIRST_RELEASE = "36a0c3734815b3244b444897870b5317859173f7"


def git(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, timeout=60)


def extract(commit: str, into) -> None:
    """The release's tree as `git archive` gives it: no .git, no .venv (the shared one runs it)."""
    if git("rev-parse", "--is-inside-work-tree").returncode != 0:
        pytest.fail("the upgrade drill needs the git repository (run the tests from a clone)")
    if git("cat-file", "-e", f"{commit}^{{commit}}").returncode != 0:
        shallow = git("rev-parse", "--is-shallow-repository").stdout.decode().strip() == "true"
        pytest.fail(
            f"commit {commit[:7]} (the first release) is not in this clone"
            + (": it is shallow; `git fetch --unshallow` or clone without --depth" if shallow else "")
        )
    archive = git("archive", "--format=tar", commit)
    assert archive.returncode == 0, archive.stderr.decode()
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")


def schema(database: str) -> list[str]:
    """`pg_dump --schema-only`, without comments, blank lines and the random \\restrict token of each dump."""
    dumped = subprocess.run(
        ["pg_dump", "--schema-only", "--no-owner", "--no-privileges", database_url(database)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    return [
        line
        for line in dumped.splitlines()
        if line.strip() and not line.startswith(("--", "\\restrict", "\\unrestrict"))
    ]


def test_upgrade_from_the_first_release(tmp_path, databases, drill_secrets):
    old = tmp_path / "first-release"
    extract(FIRST_RELEASE, old)
    database = databases.create("upgrade")
    env = production_env(tmp_path, drill_secrets, database)

    # Today's schema made on an empty database, for the comparison below: it migrates meanwhile.
    fresh = databases.create("fresh")
    with started(
        production_env(tmp_path, drill_secrets, fresh), "manage.py", "migrate", "--noinput", "-v0"
    ) as fresh_migrate:
        ok(manage(env, "migrate", "--noinput", "-v0", cwd=old), "the first release's migrate")
        populated = actor(env, "populate", cwd=old)
        recorded = anchor(env, cwd=old)  # with the first release's own verify_audit
        before = row_counts(database)
        assert before["reports_report"] == 3 and before["reports_reply"] == 1 and before["audit_auditentry"] >= 8

        out = ok(manage(env, "migrate", "--noinput"), "today's migrate")
        assert "Applying" in out  # there was something to upgrade
        after = row_counts(database)
        lost = {table: (count, after.get(table)) for table, count in before.items() if after.get(table, -1) < count}
        assert not lost, f"rows lost by the upgrade (table: before, after): {lost}"
        # Only tables and rows that migrations make may be added: permissions, content types, migration
        # records, and the partners' roll-up backfilled from the existing reports.
        grown = {table for table, count in after.items() if count != before.get(table, 0)}
        assert grown <= {
            "auth_permission",
            "auth_group_permissions",
            "django_content_type",
            "django_migrations",
            "partners_countedreport",
            "partners_statscount",
        }, grown
        # The upgraded schema is the one today's migrations make on an empty database, to the last index.
        stdout, stderr = fresh_migrate.communicate(timeout=300)
        assert fresh_migrate.returncode == 0, stderr[-4000:]
        assert schema(database) == schema(fresh)

        out = ok(manage(env, "verify_audit", "--anchor", recorded), "verify_audit after the upgrade")
        assert f"head seq {recorded.split(':')[0]} " in out

        checked = actor(env, "check", payload=populated)
        for name, digest in populated["sealed"].items():  # every field the first release sealed
            assert checked["sealed"][name] == digest, name
        assert checked["severity_reasons"] == populated["severity_reasons"]
        assert any(populated["severity_reasons"].values())  # triage gave reasons, so the comparison says something
        assert [seen["id"] for seen in checked["reports"]] == [made["id"] for made in populated["reports"]]
        for seen in checked["reports"]:
            assert seen["status_code"] == 200 and seen.get("narrative_matches") is True, seen
        assert checked["reports"][0]["replies"] == [populated["reports"][0]["reply_body"]]
        assert checked["reports"][0]["followups"] == 1
        # The reads just made extended the chain; it still verifies from the first release's entries on.
        ok(manage(env, "verify_audit", "--anchor", recorded), "verify_audit after today's reads")
