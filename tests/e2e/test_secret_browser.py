"""The reporter's one secret (web/src/secret.js) in headless Chromium: the receipt and a reply code as one
number typed in any digits; the reply key derived from the code by standard Argon2id and HPKE's
DeriveKeyPair, the same on every device, so a reply sealed to it by the server opens on a fresh browser
with nothing but the secret."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from argon2.low_level import Type, hash_secret_raw

from backend.crypto import hpke

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SECRET = "/static/sanad/web/secret.js"
SEAL = "/static/sanad/web/seal.js"
RECEIPT = "1234-5678-9012-3456-7890"
CODE = "01234567890123456789"


def rfc9180_x25519_public_key(ikm: bytes) -> str:
    """DeriveKeyPair of DHKEM(X25519, HKDF-SHA256), RFC 9180 section 7.1.3, written out here from the RFC
    (with `cryptography`'s HKDF-Expand and X25519) as an independent check of what the page derives."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import x25519
    from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

    suite_id = b"KEM" + (0x0020).to_bytes(2, "big")
    prk = hmac.new(b"", b"HPKE-v1" + suite_id + b"dkp_prk" + ikm, hashlib.sha256).digest()  # LabeledExtract
    info = (32).to_bytes(2, "big") + b"HPKE-v1" + suite_id + b"sk"  # LabeledExpand(prk, "sk", "", 32)
    secret = HKDFExpand(hashes.SHA256(), 32, info).derive(prk)
    return x25519.X25519PrivateKey.from_private_bytes(secret).public_key().public_bytes_raw().hex()


def reply_key_material(code: str) -> bytes:
    """The reply code's Argon2id, by argon2-cffi: what the page must derive."""
    return hash_secret_raw(
        code.encode(),
        b"sanad/v1/reply-key",
        time_cost=3,
        memory_cost=64 * 1024,
        parallelism=1,
        hash_len=32,
        type=Type.ID,
    )


def pinned_public_key() -> str:
    return rfc9180_x25519_public_key(reply_key_material(CODE))


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
    assert len(code) == 20 and code.isdigit()
    secret = call(page, "return s.secretOf(arg[0], arg[1]);", [RECEIPT, code])
    assert secret == "-".join((RECEIPT.replace("-", "") + code)[i : i + 4] for i in range(0, 40, 4))
    arabic = secret.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")).replace("-", " ")
    persian = secret.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    copied = (
        "\ufeff\u202b\u2067" + arabic.replace(" ", "\u200f \u200b\u2060") + "\u2069\u202c\n"
    )  # copied out of RTL text
    for typed in (secret, arabic, persian, secret.replace("-", ""), copied):
        assert call(page, "return s.splitSecret(arg);", typed) == {"receipt": RECEIPT, "code": code}, typed
    for wrong in (secret[:-1], secret + "1", secret.replace("1", "l"), RECEIPT, "", "x" * 200):
        assert call(page, "return s.splitSecret(arg);", wrong) is None, wrong


def test_reply_codes_are_uniform_digits(open_page):
    codes = call(open_page(), "return Array.from({length: 400}, () => s.newReplyCode());")
    assert len(set(codes)) == 400
    counts = [sum(code.count(str(d)) for code in codes) for d in range(10)]
    assert all(650 < count < 950 for count in counts), counts  # 800 each expected; a gross bias would show


def test_the_key_material_is_standard_argon2id(open_page):
    code = "01234567890123456789"
    material = call(open_page(), "return btoa(String.fromCharCode(...await s.replyKeyMaterial(arg)));", code)
    expected = reply_key_material(code)
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


def test_the_reply_key_a_code_gives_is_rfc_9180s(open_page):
    """Written-down secrets must open replies for as long as a report lives: a library upgrade that
    changed the derivation would strand them all. The page's key is held to Argon2id (argon2-cffi) and
    RFC 9180's DeriveKeyPair written out independently."""
    public = call(
        open_page(),
        "const k = await s.replyKeyPair(arg); return Array.from(k.publicKey, (x) => x.toString(16).padStart(2, '0')).join('');",
        CODE,
    )
    assert public == pinned_public_key()


def test_the_reply_key_needs_no_webcrypto_x25519(chromium, live_server):
    """Phones sold before 2025 mostly lack WebCrypto X25519: the page derives the key and seals without it."""
    context = chromium.new_context()
    context.add_init_script(
        """for (const name of ["generateKey", "importKey", "deriveBits", "exportKey"]) {
             const real = crypto.subtle[name].bind(crypto.subtle);
             crypto.subtle[name] = (...args) => {
               const algorithm = args.find((a) => a && (a === "X25519" || a.name === "X25519"));
               return algorithm ? Promise.reject(new DOMException("no X25519 here", "NotSupportedError")) : real(...args);
             };
           }"""
    )
    page = context.new_page()
    page.goto(f"{live_server.url}{SECRET}")
    public = call(
        page,
        "const k = await s.replyKeyPair(arg); return Array.from(k.publicKey, (x) => x.toString(16).padStart(2, '0')).join('');",
        CODE,
    )
    assert public == pinned_public_key()
    private = hpke.generate_private_key(hpke.Suite.X25519)
    sealed = page.evaluate(
        f"async (key) => {{ const {{ seal }} = await import('{SEAL}');"
        " const b = (t) => Uint8Array.from(atob(t), (c) => c.charCodeAt(0));"
        " return btoa(String.fromCharCode(...await seal('X25519', b(key), new TextEncoder().encode('hello'),"
        " new TextEncoder().encode('sanad/v1/report:ik-x')))); }",
        base64.b64encode(private.public_key().raw).decode(),
    )
    assert hpke.decrypt(private, base64.b64decode(sealed), info=b"sanad/v1/report:ik-x") == b"hello"
