"""The deployment files say what the code reads, and gunicorn's log names no client."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.config.test_settings import SECRET_NAMES, prod_env  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parents[2]


def _requirements(path: Path) -> dict[str, tuple[str, list[str]]]:
    """{name: (version, hashes)} of a pip-compile'd requirements file, one entry per requirement."""
    found = {}
    for entry in re.split(r"\n(?=\S)", path.read_text()):
        if entry.startswith("#") or not entry.strip():
            continue
        head = re.match(r"([A-Za-z0-9_.-]+)==(\S+)", entry)
        assert head, f"{path.name}: not pinned with ==: {entry.splitlines()[0]!r}"
        found[head[1].lower().replace("_", "-")] = (head[2], re.findall(r"--hash=sha256:([0-9a-f]{64})", entry))
    return found


def test_every_requirement_is_pinned_with_its_hashes_and_installed_with_them_required():
    runtime, dev = _requirements(ROOT / "requirements.txt"), _requirements(ROOT / "requirements-dev.txt")
    assert "django" in runtime and "pytest" in dev and "bandit" in dev
    for name, (_version, hashes) in {**runtime, **dev}.items():
        assert hashes, f"{name} has no --hash: an install could take other bytes"
    # The dev file is a superset at the same versions and hashes, so tests run what production runs.
    assert {name: dev[name] for name in runtime} == runtime
    assert "--require-hashes -r requirements-dev.txt" in (ROOT / "Makefile").read_text()
    assert "--require-hashes -r requirements.txt" in (ROOT / "Dockerfile").read_text()


def test_env_example_lists_every_variable_the_settings_read():
    code = "\n".join((ROOT / path).read_text() for path in ("config/settings.py", "config/gunicorn.conf.py"))
    names = set(re.findall(r'(?:env_\w+|_secret|_key|_key_ring|environ\.get)\(\s*"([A-Z][A-Z0-9_]+)"', code))
    assert {"SANAD_SECRET_KEY", "SANAD_SEALING_KEYS", "DATABASE_URL", "REDIS_URL"} <= names
    example = (ROOT / ".env.example").read_text()
    missing = sorted(
        name for name in names - {"SANAD_DEV", "SANAD_DEBUG", "SANAD_VAR_DIR", "PORT"} if name not in example
    )
    assert missing == []
    assert not re.search(r"^[A-Z_]+=\S", example, re.MULTILINE), ".env.example must hold no values"


def test_dockerfile_collects_static_files_with_production_settings():
    """The gunicorn test below builds static files this same way; dev mode would put them elsewhere."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "RUN python manage.py collectstatic --noinput" in dockerfile
    assert "SANAD_DEV" not in dockerfile


def test_compose_defines_the_production_services():
    import yaml

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(compose["services"])
    assert "gunicorn" in compose["services"]["web"]["command"]
    text = (ROOT / "docker-compose.yml").read_text()
    for name in SECRET_NAMES:
        assert f"${{{name}:?" in text  # required, no default


@pytest.mark.slow
def test_gunicorn_serves_production_without_naming_clients(prod_env, tmp_path):  # noqa: F811
    """As the Dockerfile builds it (collectstatic with production settings and no secret), then served."""
    build_env = {k: v for k, v in prod_env.items() if k not in SECRET_NAMES}
    built = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=build_env,
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr
    assert (ROOT / "staticfiles" / "staticfiles.json").exists()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    prod_env["PORT"] = str(port)
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    log = tmp_path / "gunicorn.log"
    with open(log, "w") as out:
        server = subprocess.Popen(
            [gunicorn, "-c", "config/gunicorn.conf.py", "--workers", "1", "config.wsgi:application"],
            cwd=ROOT,
            env=prod_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/healthz?canary-query=1",
            headers={
                "User-Agent": "canary-agent/1.0",
                "X-Forwarded-For": "198.51.100.23",
                "Referer": "https://canary-ref.example/",
            },
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    assert response.status == 200
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail(log.read_text())
                time.sleep(0.3)
        # The admin renders under production static storage (manifest), and its CSS is served.
        https = {"Host": "sanad.example.org", "X-Forwarded-Proto": "https"}
        with urllib.request.urlopen(
            urllib.request.Request(f"http://127.0.0.1:{port}/admin/login/", headers=https), timeout=10
        ) as page:
            html = page.read().decode()
        css = re.search(r'href="(/static/admin/css/base\.[0-9a-f]+\.css)"', html)
        assert css, "the login page links hashed static files"
        with urllib.request.urlopen(
            urllib.request.Request(f"http://127.0.0.1:{port}{css.group(1)}", headers=https), timeout=10
        ) as asset:
            assert asset.status == 200
        # Malformed requests: gunicorn itself logs these, naming the client, before Django runs.
        for raw in (b"GET / HTTP/1.1 junk\r\n\r\n", b"GET /?canary-query=2 HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n"):
            with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
                conn.sendall(raw)
                conn.recv(1024)
        time.sleep(0.5)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    text = log.read_text()
    assert '"GET /healthz" 200' in text
    assert "Invalid request from ip=[redacted]" in text
    for canary in ("127.0.0.1", "198.51.100.23", "canary-agent", "canary-ref", "canary-query"):
        assert canary not in text
