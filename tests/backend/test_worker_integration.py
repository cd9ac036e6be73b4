"""A real Celery worker, on Redis, against PostgreSQL, runs the reseal task after a key rotation."""

from __future__ import annotations

import base64
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from accounts.models import StaffUser
from accounts.roles import Role
from accounts.services import staff_contact, staff_create
from backend.crypto.sealed import parse_envelope
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_worker_reseals_after_rotation():
    assert connection.vendor == "postgresql", "this test needs DATABASE_URL (PostgreSQL)"
    old_id, old_key = settings.SANAD_SEALING_KEYS[0]
    user = staff_create(
        username="rotated", password=PASSWORD, roles=[Role.AUDITOR], contact="r@example.org", password_set_by_owner=True
    )
    assert parse_envelope(bytes(user.contact_sealed))[1] == old_id

    new_key = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
    old_b64 = base64.urlsafe_b64encode(old_key).rstrip(b"=").decode()
    env = dict(os.environ)
    env["SANAD_SEALING_KEYS"] = f"new:{new_key},{old_id}:{old_b64}"
    # The worker must use the database this test is using (pytest-django's test_ database).
    db = settings.DATABASES["default"]
    env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    celery = str(Path(sys.executable).with_name("celery"))
    worker = subprocess.Popen(
        [
            celery,
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "-Q",
            "maintenance",
            "--without-mingle",
            "--without-gossip",
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        from config.celery import app

        app.send_task("backend.tasks.reseal_sealed_fields", queue="maintenance")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            user.refresh_from_db()
            if parse_envelope(bytes(user.contact_sealed))[1] == "new":
                break
            time.sleep(0.3)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        output = worker.communicate(timeout=30)[0]
    assert parse_envelope(bytes(user.contact_sealed))[1] == "new", output
    assert "r@example.org" not in output
    settings.SANAD_SEALING_KEYS = [("new", base64.urlsafe_b64decode(new_key + "=" * (-len(new_key) % 4)))]
    assert staff_contact(user=StaffUser.objects.get(pk=user.pk)) == "r@example.org"
