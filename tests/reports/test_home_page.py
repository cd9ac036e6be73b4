"""The page at /: says what Sanad is and where staff log in, and leaves nothing on a phone."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_the_home_page_says_what_sanad_is_and_where_staff_log_in():
    response = Client().get("/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "report a threat" in page.lower() and "encrypted on your own device" in page
    assert 'href="/admin/login/"' in page and "python -m client" in page
    assert "/api/docs/" not in page  # the API docs set a CSRF cookie and may be cached: not for reporters


def test_the_home_page_keeps_nothing_on_the_phone_and_loads_nothing_else():
    response = Client().get("/")
    assert not response.cookies  # no session, no CSRF cookie
    assert "no-store" in response["Cache-Control"]
    assert "default-src 'none'" in response["Content-Security-Policy"]
    page = response.content.decode()
    assert "<script" not in page and "http://" not in page.replace("http://testserver", "")


def test_the_home_page_only_answers_reads():
    assert Client().post("/").status_code == 405
