"""Production mode refuses missing, short, default or reused secrets, and passes `check --deploy` when right.

These run real processes with a production environment (no SANAD_DEV), as an operator would.
"""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECRET_NAMES = [
    "SANAD_SECRET_KEY",
    "SANAD_SEALING_KEYS",
    "SANAD_BLIND_INDEX_KEY",
    "SANAD_RECEIPT_KEY",
    "SANAD_AUDIT_KEY",
]


def key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()


@pytest.fixture
def prod_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANAD_") and k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "SANAD_VAR_DIR": str(tmp_path / "var"),
            "SANAD_SECRET_KEY": secrets.token_urlsafe(50),
            "SANAD_SEALING_KEYS": f"k2026:{key()}",
            "SANAD_BLIND_INDEX_KEY": key(),
            "SANAD_RECEIPT_KEY": key(),
            "SANAD_AUDIT_KEY": key(),
            "SANAD_ALLOWED_HOSTS": "sanad.example.org",
            "DATABASE_URL": "postgres://sanad:pw-not-used@127.0.0.1:5432/sanad",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
        }
    )
    return env


def run(env, *args, timeout=60):
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def check(env, *extra):
    return run(env, sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING", *extra)


def assert_no_secret_in(output: str, env: dict) -> None:
    for name in SECRET_NAMES:
        value = env.get(name)
        if value:
            assert value not in output
            for part in value.split(","):
                assert part.split(":")[-1] not in output


def test_a_complete_production_environment_passes_check_deploy(prod_env):
    result = check(prod_env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


@pytest.mark.parametrize("name", SECRET_NAMES + ["DATABASE_URL", "REDIS_URL", "SANAD_ALLOWED_HOSTS"])
def test_each_missing_setting_is_refused_by_name(prod_env, name):
    del prod_env[name]
    result = check(prod_env)
    assert result.returncode != 0
    assert f"(sanad.E001) {name}" in result.stderr
    assert_no_secret_in(result.stdout + result.stderr, prod_env)


@pytest.mark.parametrize(
    "name, value, code",
    [
        ("SANAD_SECRET_KEY", "too-short-secret", "sanad.E002"),
        ("SANAD_SECRET_KEY", "django-insecure-" + secrets.token_urlsafe(50), "sanad.E002"),
        ("SANAD_SECRET_KEY", "ab" * 40, "sanad.E002"),
        ("SANAD_SEALING_KEYS", "k1:" + base64.urlsafe_b64encode(b"\0" * 32).decode(), "sanad.E003"),
        ("SANAD_SEALING_KEYS", "k1:" + base64.urlsafe_b64encode(secrets.token_bytes(16)).decode(), "sanad.E003"),
        ("SANAD_BLIND_INDEX_KEY", base64.urlsafe_b64encode(b"a" * 32).decode(), "sanad.E004"),
        ("SANAD_RECEIPT_KEY", base64.urlsafe_b64encode(secrets.token_bytes(20)).decode(), "sanad.E004"),
        ("SANAD_RECEIPT_KEY", "not base64!", "sanad.E001"),
        ("SANAD_AUDIT_KEY", base64.urlsafe_b64encode(b"\x01\x02" * 16).decode(), "sanad.E004"),
        ("SANAD_AUDIT_KEY", base64.urlsafe_b64encode(secrets.token_bytes(16)).decode(), "sanad.E004"),
        ("SANAD_SEALING_KEYS", "no-colon-here", "sanad.E001"),
        ("SANAD_SEALING_KEYS", f"k1:{key()},k1:{key()}", "sanad.E001"),
        ("SANAD_SEALING_KEYS", f"bad id:{key()}", "sanad.E003"),
        ("SANAD_BLIND_INDEX_BITS", "40", "sanad.E008"),
        ("SANAD_ALLOWED_HOSTS", "*", "sanad.E009"),
        ("SANAD_ALLOWED_HOSTS", "sanad.example.org,.iq", "sanad.E009"),
    ],
    ids=[
        "short secret key",
        "django-insecure secret key",
        "low-variety secret key",
        "all-zero sealing key",
        "16-byte sealing key",
        "repeated-byte blind-index key",
        "20-byte receipt key",
        "receipt key not base64",
        "low-variety audit key",
        "16-byte audit key",
        "sealing ring without ids",
        "sealing ring with a repeated id",
        "sealing key id with a space",
        "blind index too long to stay a candidate",
        "any host",
        "a whole top-level domain",
    ],
)
def test_weak_or_malformed_secrets_are_refused(prod_env, name, value, code):
    prod_env[name] = value
    result = check(prod_env)
    assert result.returncode != 0
    assert code in result.stderr
    if name in SECRET_NAMES:
        assert value not in result.stdout + result.stderr


def test_one_key_for_two_purposes_is_refused(prod_env):
    prod_env["SANAD_RECEIPT_KEY"] = prod_env["SANAD_BLIND_INDEX_KEY"]
    result = check(prod_env)
    assert result.returncode != 0 and "sanad.E005" in result.stderr


def test_audit_key_reused_for_another_purpose_is_refused(prod_env):
    prod_env["SANAD_AUDIT_KEY"] = prod_env["SANAD_RECEIPT_KEY"]
    result = check(prod_env)
    assert result.returncode != 0 and "sanad.E005" in result.stderr


def test_dev_mode_is_not_a_deployment(prod_env):
    prod_env["SANAD_DEV"] = "1"
    result = check(prod_env)
    assert result.returncode != 0 and "sanad.E006" in result.stderr


def test_dev_mode_refuses_to_serve_a_public_host(prod_env):
    prod_env["SANAD_DEV"] = "1"
    del prod_env["SANAD_ALLOWED_HOSTS"]
    result = run(prod_env, sys.executable, "-c", "import config.wsgi")
    assert result.returncode == 0, result.stderr  # loopback only: fine
    prod_env["SANAD_ALLOWED_HOSTS"] = "sanad.example.org"
    result = run(prod_env, sys.executable, "-c", "import config.wsgi")
    assert result.returncode != 0 and "sanad.E007" in result.stderr


def test_secrets_can_come_from_files(prod_env, tmp_path):
    for name in SECRET_NAMES:
        path = tmp_path / name.lower()
        path.write_text(prod_env.pop(name) + "\n")
        prod_env[f"{name}_FILE"] = str(path)
    assert check(prod_env).returncode == 0
    prod_env["SANAD_RECEIPT_KEY"] = key()
    result = check(prod_env)
    assert result.returncode != 0 and "Set SANAD_RECEIPT_KEY or SANAD_RECEIPT_KEY_FILE, not both" in result.stderr


def test_unreadable_secret_file_is_refused(prod_env, tmp_path):
    del prod_env["SANAD_RECEIPT_KEY"]
    prod_env["SANAD_RECEIPT_KEY_FILE"] = str(tmp_path / "missing")
    result = check(prod_env)
    assert result.returncode != 0 and "SANAD_RECEIPT_KEY_FILE names a file that cannot be read" in result.stderr


def test_production_defaults_are_safe(prod_env):
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_NAME, "
        "s.SESSION_COOKIE_SAMESITE, s.SECURE_SSL_REDIRECT, s.PASSWORD_HASHERS[0].rsplit('.', 1)[-1], "
        "s.REST_FRAMEWORK['DEFAULT_PERMISSION_CLASSES'][0])"
    )
    result = run(prod_env, sys.executable, "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "True",
        "True",
        "__Host-sanad_session",
        "Strict",
        "True",
        "Argon2PasswordHasher",
        "rest_framework.permissions.IsAuthenticated",
    ]


def test_web_process_refuses_to_start_without_secrets(prod_env):
    del prod_env["SANAD_SEALING_KEYS"]
    result = run(prod_env, sys.executable, "-c", "import config.wsgi")
    assert result.returncode != 0
    assert "Refusing to start" in result.stderr and "SANAD_SEALING_KEYS" in result.stderr
    prod_env["SANAD_SEALING_KEYS"] = f"k1:{key()}"
    result = run(prod_env, sys.executable, "-c", "import config.wsgi")
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_celery_worker_refuses_to_start_without_secrets(prod_env):
    del prod_env["SANAD_RECEIPT_KEY"]
    prod_env["REDIS_URL"] = "redis://127.0.0.1:1/0"  # never reached: the worker stops first
    celery = str(Path(sys.executable).with_name("celery"))
    result = run(
        prod_env, celery, "-A", "config", "worker", "--pool=solo", "--without-mingle", "--without-gossip", timeout=90
    )
    assert result.returncode != 0
    assert "Refusing to start" in result.stderr and "SANAD_RECEIPT_KEY" in result.stderr
