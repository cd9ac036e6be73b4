"""The reporter's page's files are never stored by a browser, and its scripts (which run as workers under
their own policy) carry a strict one; other static files keep their caching."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_reporter_scripts_are_no_store_and_admin_styles_are_not():
    client = Client()
    script = client.get("/static/sanad/web/reporter.js")
    assert script.status_code == 200 and script["Cache-Control"] == "no-store"
    assert client.get("/static/sanad/web/pow-worker.js")["Cache-Control"] == "no-store"
    style = client.get("/static/sanad/admin.css")
    assert style.status_code == 200 and "no-store" not in style.get("Cache-Control", "")


def test_reporter_scripts_carry_a_policy_for_when_they_run_as_workers():
    client = Client()
    for name in ("pow-worker.js", "key-worker.js", "page.js"):
        policy = client.get(f"/static/sanad/web/{name}")["Content-Security-Policy"]
        assert policy == "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'", name
    assert client.get("/static/sanad/web/page.css")["Cache-Control"] == "no-store"
    assert "Content-Security-Policy" not in client.get("/static/sanad/admin.css")
