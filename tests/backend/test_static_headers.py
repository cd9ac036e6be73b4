"""The reporter's page's scripts are never stored by a browser; other static files keep their caching."""

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
