"""HPKE in the browser (web/src/seal.js, built into backend/static/sanad/web/) against the server's, in headless
Chromium: what the page seals to an intake key, in both suites, the server opens; what the server seals to a
reporter's X25519 reply key, the page opens; and a ciphertext changed by one bit opens nowhere."""

from __future__ import annotations

import base64
import os

import pytest

from backend.crypto import hpke

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SEAL = "/static/sanad/web/seal.js"
B64 = "const b = (t) => Uint8Array.from(atob(t), (c) => c.charCodeAt(0)); const t = (u) => btoa(String.fromCharCode(...u));"
SEAL_JS = (
    (
        "async ([kem, key, plain, info]) => { B64 const { seal } = await import('SEAL');"
        " return t(await seal(kem, b(key), b(plain), b(info))); }"
    )
    .replace("B64", B64)
    .replace("SEAL", SEAL)
)
OPEN_JS = (
    (
        "async ([kem, key, ct, info]) => { B64 const { openWith } = await import('SEAL');"
        " try { return t(await openWith(kem, b(key), b(ct), b(info))); } catch (e) { return 'refused: ' + e.name; } }"
    )
    .replace("B64", B64)
    .replace("SEAL", SEAL)
)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.fixture
def page(chromium, live_server):
    page = chromium.new_context().new_page()
    page.goto(f"{live_server.url}{SEAL}")  # the server's origin, so the module imports
    return page


@pytest.mark.parametrize("suite", [hpke.Suite.MLKEM768_X25519, hpke.Suite.X25519])
def test_what_the_page_seals_to_an_intake_key_the_server_opens(page, suite):
    private = hpke.generate_private_key(suite)
    info = hpke.report_info("ik-browser-test")
    plaintext = "تهديد بالقتل عبر الهاتف".encode() + os.urandom(700)
    sealed = base64.b64decode(
        page.evaluate(SEAL_JS, [suite.value, b64(private.public_key().raw), b64(plaintext), b64(info)])
    )
    assert len(sealed) == len(plaintext) + suite.encapsulated_key_length + 16
    assert hpke.decrypt(private, sealed, info=info) == plaintext
    with pytest.raises(Exception):  # noqa: B017 - any refusal: the point is that it does not open
        hpke.decrypt(private, sealed, info=hpke.report_info("ik-another"))


def test_what_the_server_seals_to_a_reply_key_the_page_opens(page):
    private = hpke.generate_private_key(hpke.Suite.X25519)
    reply = "قرأنا بلاغك. سنتصل بك اليوم.".encode()
    sealed = hpke.encrypt(private.public_key(), reply, info=b"sanad/v1/reply")
    opened = page.evaluate(OPEN_JS, ["X25519", b64(private.raw), b64(sealed), b64(b"sanad/v1/reply")])
    assert base64.b64decode(opened) == reply
    flipped = bytearray(sealed)
    flipped[-1] ^= 1
    refused = page.evaluate(OPEN_JS, ["X25519", b64(private.raw), b64(bytes(flipped)), b64(b"sanad/v1/reply")])
    assert refused.startswith("refused")
