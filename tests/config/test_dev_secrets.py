"""The dev mode's secrets file: created once, and completed (never replaced) when a new secret is introduced."""

from __future__ import annotations

import json
import stat
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from config.env import DEV_SECRET_MAKERS, dev_secrets


def test_first_use_creates_every_secret_privately(tmp_path):
    path = tmp_path / "var" / "dev-secrets.json"
    values = dev_secrets(path)
    assert set(values) == set(DEV_SECRET_MAKERS) and "SANAD_AUDIT_KEY" in values
    assert json.loads(path.read_text()) == values
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert dev_secrets(path) == values


def test_a_file_from_before_a_new_secret_gets_only_that_name_added(tmp_path):
    path = tmp_path / "dev-secrets.json"
    old = {name: value for name, value in dev_secrets(path).items() if name != "SANAD_AUDIT_KEY"}
    path.write_text(json.dumps(old))
    values = dev_secrets(path)
    assert {name: values[name] for name in old} == old
    assert values["SANAD_AUDIT_KEY"] and json.loads(path.read_text()) == values


def test_processes_completing_the_file_at_once_agree(tmp_path):
    path = tmp_path / "dev-secrets.json"
    old = {name: value for name, value in dev_secrets(path).items() if name != "SANAD_AUDIT_KEY"}
    path.write_text(json.dumps(old))
    with ProcessPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(dev_secrets, [path] * 12))
    assert len({result["SANAD_AUDIT_KEY"] for result in results}) == 1
    assert json.loads(path.read_text()) == results[0]


def test_the_embedded_broker_keeps_all_its_files_under_var(settings):
    """kombu's filesystem transport puts its control (broadcast) files in ./control unless told otherwise."""
    if not settings.CELERY_BROKER_URL.startswith("filesystem://"):
        pytest.skip("the embedded broker is not in use (REDIS_URL is set)")
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    for name in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        assert Path(options[name]).resolve().is_relative_to(Path(settings.VAR_DIR).resolve()), name
