"""Receipts as reporters type them (backend.receipts, client.receipts) and as the API reads them from a header.

An input is both the typed text (UTF-8, undecodable bytes kept as lone
surrogates) and the raw bytes of an Authorization header value, which WSGI
hands over decoded as Latin-1 (reports.api._header_text reads UTF-8 back).
Only each module's MalformedReceipt may escape. A receipt that parses
re-formats to itself; whatever the client accepts, the server accepts as the
same receipt.
"""

from __future__ import annotations

import contextlib

from backend import receipts as server
from client import receipts as client
from reports.api import _header_text

DECLARED = (server.MalformedReceipt, client.MalformedReceipt)
MAX_LEN = 256


def prepared():
    return contextlib.nullcontext()


def _server(text: str) -> None:
    try:
        canonical = server.receipt_canonical(text)
    except server.MalformedReceipt:
        assert not server.receipt_matches(text, server.receipt_hash(server.receipt_new()))
        return
    assert len(canonical) == server.DIGITS and canonical.isascii() and canonical.isdigit(), canonical
    assert server.receipt_canonical(canonical) == canonical
    stored = server.receipt_hash(text)
    assert stored == server.receipt_hash(canonical)
    assert server.receipt_matches(text, stored) and server.receipt_matches(canonical, stored)


def _client(text: str) -> None:
    try:
        grouped = client.receipt_canonical(text)
    except client.MalformedReceipt:
        return
    assert client.receipt_canonical(grouped) == grouped  # re-formats to itself
    assert server.receipt_canonical(text) == grouped.replace("-", "")  # the server reads the same receipt


def _header(data: bytes) -> None:
    """ReceiptView.report up to the database lookup: the header's scheme and value, then its hash."""
    scheme, _, value = _header_text(data.decode("latin-1")).partition(" ")
    try:
        server.receipt_hash(value.strip() if scheme.lower() == "receipt" else "")
    except server.MalformedReceipt:
        pass


def test_one_input(data: bytes) -> None:
    text = data.decode("utf-8", "surrogateescape")
    _server(text)
    _client(text)
    _header(data)
