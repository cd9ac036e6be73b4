"""`make run` on a fresh var/ serves /healthz, a page at / and an intake key of each suite; run again, it reuses everything."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str):
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, json.loads(response.read())


def start(env, log_path):
    log = open(log_path, "w")
    return subprocess.Popen(
        ["make", "--no-print-directory", "run"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_until_serving(port, process, log_path, seconds=90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"make run exited {process.returncode}:\n{Path(log_path).read_text()}")
        try:
            return get(f"http://127.0.0.1:{port}/healthz")
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"make run did not serve within {seconds}s:\n{Path(log_path).read_text()}")


def stop(process):
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def test_make_run_serves_and_is_idempotent(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "SANAD_DEV", "SANAD_VAR_DIR")}
    env["SANAD_VAR_DIR"] = str(tmp_path / "var")
    for attempt in (1, 2):
        port = free_port()
        env["PORT"] = str(port)
        log_path = tmp_path / f"run{attempt}.log"
        process = start(env, log_path)
        try:
            assert wait_until_serving(port, process, log_path) == (200, {"status": "ok"})
            status, keys = get(f"http://127.0.0.1:{port}/api/v1/intake-keys/")
            # Both suites: a client that speaks only the mandatory X25519 can submit to the demo too.
            assert status == 200 and sorted(key["kem"] for key in keys) == ["MLKEM768-X25519", "X25519"]
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as home:
                page = home.read()
                assert home.status == 200 and b"/static/sanad/web/page.js" in page
            status, ready = get(f"http://127.0.0.1:{port}/readyz")
            assert (status, ready) == (200, {"status": "ok"})
            # The demo partner's token, printed at start, reads last month's demo release, "<11" cells and all.
            token = re.search(r"Token (sanad_pt_[A-Za-z0-9_-]{43})", log_path.read_text()).group(1)
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/api/v1/stats/releases/", headers={"Authorization": f"Token {token}"}
            )
            with urllib.request.urlopen(request, timeout=5) as answer:
                releases = json.loads(answer.read())
            assert len(releases) == 1
            request.full_url = f"http://127.0.0.1:{port}{releases[0]['json']}"
            with urllib.request.urlopen(request, timeout=5) as answer:
                assert b'"<11"' in answer.read()
            # The worker boots beside the web server, and the sample report (with its
            # proof of work) goes in after the server answers: wait for both, bounded.
            expected = [" ready."] + (
                ["Receipt: ", "triaged: high; assigned to demo-caseworker", "Referred the sample report"]
                if attempt == 1
                else []
            )
            deadline = time.monotonic() + 90
            while not all(text in log_path.read_text() for text in expected) and time.monotonic() < deadline:
                time.sleep(0.5)
        finally:
            stop(process)
        output = log_path.read_text()
        assert f"Log in at http://127.0.0.1:{port}/admin/ as demo-caseworker, password " in output
        assert f"from a phone browser: http://127.0.0.1:{port}/" in output
        assert "manage.py dev_totp demo-caseworker" in output
        assert "Relocation coordinator: log in as demo-relocation, password " in output
        assert "Partner statistics (Demo partner (dev)): curl -H 'Authorization: Token sanad_pt_" in output
        assert "celery@" in output and " ready." in output  # the worker started on the embedded broker
        if attempt == 1:
            assert "Created intake key" in output
            assert "Created relocation key" in output and "Created 3 demo safe houses in two regions." in output
            assert re.search(r"Receipt: \d{4}(-\d{4}){4}", output), "a sample report went through the client"
            assert "Reply key" not in output  # the reply key stays in the vault
            first_keys = sorted(key["key_id"] for key in keys)
        else:
            assert "Created" not in output and "Granted" not in output and "Receipt:" not in output
            assert sorted(key["key_id"] for key in keys) == first_keys
    readers = script_output(WHO_READS, env)
    # The caseworker it is assigned to reads it; so does the triage lead (the role reads every report,
    # docs/threat-model.md, Roles); nobody else does, whatever their password.
    assert readers == {
        "demo-caseworker": True,
        "demo-lead": True,
        "demo-relocation": False,
        "demo-relocation-2": False,
        "demo-auditor": False,
        "demo-admin": False,
    }
    assert script_output(RELOCATION_DEMO, env) == {
        "houses": 3,
        "regions": ["kri-erbil", "kri-sulaymaniyah"],
        "referred": ["waiting"],
        "address_opens_for": ["demo-relocation", "demo-relocation-2"],
    }


def script_output(script: str, env: dict):
    """What a Django script run against the demo's var/ prints last, as JSON."""
    done = subprocess.run(
        [str(ROOT / ".venv/bin/python"), "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**env, "SANAD_DEV": "1", "DJANGO_SETTINGS_MODULE": "config.settings"},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


# The relocation demo: houses, the sample report referred, and who opens an address with their password.
RELOCATION_DEMO = """
import json, django
django.setup()
from django.conf import settings
from accounts.models import StaffUser
from accounts.services import AccountError, personal_key_unlock
from relocation import services
from relocation.access import RelocationError
from relocation.models import Referral, SafeHouse
from reports.models import Report
passwords = json.loads((settings.VAR_DIR / "dev-demo-passwords.json").read_text())
house = SafeHouse.objects.order_by("code_name").first()
opens = []
for name, password in sorted(passwords.items()):
    user = StaffUser.objects.get(username=name)
    try:
        key = personal_key_unlock(user=user, password=password)
        services.house_address_open(user=user, house=house, personal_key=key)
        opens.append(name)
    except (AccountError, RelocationError):
        pass
print(json.dumps({
    "houses": SafeHouse.objects.count(),
    "regions": sorted(set(SafeHouse.objects.values_list("region", flat=True))),
    "referred": [r.state for r in Referral.objects.filter(report=Report.objects.get())],
    "address_opens_for": opens,
}))
"""


# Who can open the sample report's content with their own password (the workspace's own checks).
WHO_READS = """
import json, django
django.setup()
from django.conf import settings
from accounts.models import StaffUser
from accounts.services import AccountError, personal_key_unlock
from reports import access
from reports.models import Report
passwords = json.loads((settings.VAR_DIR / "dev-demo-passwords.json").read_text())
report = Report.objects.get()
text = open("bin/sample-report.txt", encoding="utf-8").read().strip()[:40]
readers = {}
for name, password in passwords.items():
    user = StaffUser.objects.get(username=name)
    try:
        key = personal_key_unlock(user=user, password=password)
    except AccountError:
        key = None
    try:
        opened = access.report_open(user=user, report=report, personal_key=key)
        readers[name] = text in opened.content["narrative"]
    except access.CannotDecrypt:
        readers[name] = False
print(json.dumps(readers))
"""
