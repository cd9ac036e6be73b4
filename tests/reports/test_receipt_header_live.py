"""A receipt sent as UTF-8 bytes in the Authorization header, through a real HTTP server.

Django's test client hands the view a Python string, so it cannot show what a
real server does: WSGI decodes a header's bytes as Latin-1, and a receipt typed
in Arabic-Indic or Persian digits arrives as mojibake unless the view reads it
back as UTF-8.
"""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def status_with_header(server_url: str, authorization: bytes) -> tuple[int, dict]:
    parts = urlsplit(server_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.putrequest("GET", "/api/v1/reports/status/")
        connection.putheader("Authorization", authorization)  # bytes go on the wire as they are
        connection.putheader("Accept", "application/json")
        connection.endheaders()
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


@pytest.mark.parametrize(
    "digits, last_digit",
    [(ARABIC_INDIC, None), (PERSIAN, None), (ARABIC_INDIC, "0")],
    ids=["arabic-indic", "persian", "arabic-indic ending in zero"],
)
def test_a_receipt_in_another_script_sent_as_utf8_is_accepted(
    personas, envelope, submit, live_server, monkeypatch, digits, last_digit
):
    """Ending in ٠ matters: its UTF-8 ends in byte 0xA0, which wsgiref strips from a header as white space."""
    if last_digit is not None:
        from reports import intake_writes

        real = intake_writes.receipt_new
        monkeypatch.setattr(intake_writes, "receipt_new", lambda: real()[:-1] + last_digit)
    response = submit(envelope())
    assert response.status_code == 201
    receipt = response.json()["receipt"]
    typed = receipt.translate(digits).replace("-", " ")
    status, body = status_with_header(live_server.url, b"Receipt " + typed.encode("utf-8"))
    assert status == 200 and body["status"] == "received", body
    # A wrong receipt in the same script is still refused alike.
    wrong = ("1" if receipt[0] != "1" else "2") + receipt[1:]
    status, body = status_with_header(live_server.url, b"Receipt " + wrong.translate(digits).encode("utf-8"))
    assert status == 401 and body["error"] == "unknown_receipt"


def test_latin1_bytes_that_are_not_utf8_are_a_plain_401(personas, live_server):
    status, body = status_with_header(live_server.url, b"Receipt \xe9\xff")
    assert status == 401 and body == {"error": "unknown_receipt", "detail": "Unknown receipt."}
