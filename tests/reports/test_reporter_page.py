"""The reporter's page at / and /status/, and its self-contained file, without a browser: the headers
that keep a phone clean, the language, CORS on the reporter API alone, and the file's refusals. The
browser walks through it in tests/e2e/test_reporter_page_browser.py."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

pytestmark = pytest.mark.django_db


def test_headers_the_page_sends(client):
    response = client.get("/")
    assert response.status_code == 200 and not response.cookies
    assert response["Cache-Control"] == "no-store"
    policy = response["Content-Security-Policy"]
    for directive in (
        "default-src 'none'",
        "script-src 'self' 'wasm-unsafe-eval'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ):
        assert directive in policy
    assert "unsafe-inline" not in policy
    html = response.content.decode()
    assert re.findall(r"<script(?![^>]*(?:src=|type=\"application/json\"))", html) == []  # no inline script


def test_the_page_only_answers_reads():
    assert Client().post("/").status_code == 405
    assert Client().post("/status/").status_code == 405


def test_the_page_carries_its_words_in_the_readers_language_for_the_script():
    """The script says nothing of its own: its sentences come in the page, in the page's language."""
    for language, script in (("ar", r"[\u0600-\u06ff]"), ("ckb", r"[\u0600-\u06ff]"), ("en", r"[A-Za-z]")):
        page = Client().get(f"/?lang={language}").content.decode()
        config = json.loads(
            re.search(r'<script id="sanad-config" type="application/json">(.*?)</script>', page).group(1)
        )
        assert config["language"] == language and config["api"] == ""
        for sentence in [*config["strings"]["errors"].values(), *config["strings"]["seconds_left"].values()]:
            assert re.search(script, sentence), (language, sentence)
        assert len(config["monthNames"]) == 12


def test_cors_answers_the_reporter_api_only_and_never_with_credentials(client):
    preflight = client.options(
        "/api/v1/reports/",
        HTTP_ORIGIN="null",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type, accept-language",
    )
    assert preflight.status_code == 200 and preflight["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in preflight
    keys = client.get("/api/v1/intake-keys/", HTTP_ORIGIN="https://mirror.example")
    assert keys["Access-Control-Allow-Origin"] == "*" and "Date" in keys["Access-Control-Expose-Headers"]
    for path in ("/api/schema/", "/admin/login/", "/", "/static/sanad/web/page.js"):
        assert "Access-Control-Allow-Origin" not in client.get(path, HTTP_ORIGIN="https://mirror.example"), path


@pytest.mark.parametrize(
    "address",
    [
        "http://sanad.example.org",
        "https://sanad.example.org/api",
        "https://user@sanad.example.org",
        "ftp://x",
        "nonsense",
    ],
)
def test_the_file_is_built_only_for_an_https_origin(address, tmp_path):
    with pytest.raises(CommandError):
        call_command("reporter_page_file", api=address, out=str(tmp_path), stdout=io.StringIO())
    assert not list(tmp_path.iterdir())
