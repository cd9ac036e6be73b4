"""The reporter's one secret (web/src/secret.js) in headless Chromium: the receipt and a reply code as one
number typed in any digits; the reply key derived from the code by standard Argon2id and HPKE's
DeriveKeyPair, the same on every device, so a reply sealed to it by the server opens on a fresh browser
with nothing but the secret."""

from __future__ import annotations

import base64

import pytest
from argon2.low_level import Type, hash_secret_raw

from backend.crypto import hpke

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SECRET = "/static/sanad/web/secret.js"
SEAL = "/static/sanad/web/seal.js"
RECEIPT = "1234-5678-9012-3456-7890"


@pytest.fixture
def open_page(chromium, live_server):
    def make():
        page = chromium.new_context().new_page()  # a fresh browser each time: nothing carried over
        page.goto(f"{live_server.url}{SECRET}")
        return page

    return make


def call(page, body: str, arg=None):
    return page.evaluate(f"async (arg) => {{ const s = await import('{SECRET}'); {body} }}", arg)


def test_the_secret_is_the_receipt_then_the_code_typed_in_any_digits(open_page):
    page = open_page()
    code = call(page, "return s.newReplyCode();")
    assert len(code) == 16 and code.isdigit()
    secret = call(page, "return s.secretOf(arg[0], arg[1]);", [RECEIPT, code])
    assert secret == "-".join((RECEIPT.replace("-", "") + code)[i : i + 4] for i in range(0, 36, 4))
    arabic = secret.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")).replace("-", " ")
    persian = secret.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    for typed in (secret, arabic, persian, secret.replace("-", "")):
        assert call(page, "return s.splitSecret(arg);", typed) == {"receipt": RECEIPT, "code": code}, typed
    for wrong in (secret[:-1], secret + "1", secret.replace("1", "l"), RECEIPT, "", "x" * 200):
        assert call(page, "return s.splitSecret(arg);", wrong) is None, wrong


def test_reply_codes_are_uniform_digits(open_page):
    codes = call(open_page(), "return Array.from({length: 400}, () => s.newReplyCode());")
    assert len(set(codes)) == 400
    counts = [sum(code.count(str(d)) for code in codes) for d in range(10)]
    assert all(500 < count < 780 for count in counts), counts  # 640 each expected; a gross bias would show


def test_the_key_material_is_standard_argon2id(open_page):
    code = "0123456789012345"
    material = call(open_page(), "return btoa(String.fromCharCode(...await s.replyKeyMaterial(arg)));", code)
    expected = hash_secret_raw(
        code.encode(),
        b"sanad/v1/reply-key",
        time_cost=3,
        memory_cost=64 * 1024,
        parallelism=1,
        hash_len=32,
        type=Type.ID,
    )
    assert base64.b64decode(material) == expected


def test_a_reply_sealed_to_the_derived_key_opens_on_another_browser_with_only_the_code(open_page):
    first = open_page()
    code = call(first, "return s.newReplyCode();")
    public = call(first, "const k = await s.replyKeyPair(arg); return btoa(String.fromCharCode(...k.publicKey));", code)
    reply = "وصلنا بلاغك؛ سنتصل بك عبر سيغنال.".encode()
    sealed = hpke.encrypt(hpke.load_reply_public_key(base64.b64decode(public)), reply, info=b"sanad/v1/reply")
    other = open_page()
    opened = call(
        other,
        f"const {{ openWith }} = await import('{SEAL}'); const k = await s.replyKeyPair(arg[0]);"
        " const b = (t) => Uint8Array.from(atob(t), (c) => c.charCodeAt(0));"
        " try { return btoa(String.fromCharCode(...await openWith('X25519', k.privateKey, b(arg[1]),"
        " new TextEncoder().encode('sanad/v1/reply')))); } catch (e) { return null; }",
        [code, base64.b64encode(sealed).decode()],
    )
    assert base64.b64decode(opened) == reply
    wrong = code[:-1] + str((int(code[-1]) + 1) % 10)
    refused = call(
        other,
        f"const {{ openWith }} = await import('{SEAL}'); const k = await s.replyKeyPair(arg[0]);"
        " const b = (t) => Uint8Array.from(atob(t), (c) => c.charCodeAt(0));"
        " try { await openWith('X25519', k.privateKey, b(arg[1]), new TextEncoder().encode('sanad/v1/reply'));"
        " return 'opened'; } catch (e) { return 'refused'; }",
        [wrong, base64.b64encode(sealed).decode()],
    )
    assert refused == "refused"
