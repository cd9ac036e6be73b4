import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pyhpke import AEADId, CipherSuite, KDFId, KEMId

from backend.crypto import hpke
from backend.crypto.encoding import b64url_decode, b64url_encode
from backend.crypto.errors import DecryptionFailed, InvalidKey, MalformedCiphertext, UnknownSuite
from tests.backend.hpke_vectors import X25519_SHA256_AES256GCM_BASE as VECTOR

SUITES = list(hpke.Suite)
CANARY = "تهديد بالقتل — canary-7f3a1c"


@pytest.fixture(params=SUITES, ids=[suite.value for suite in SUITES])
def private_key(request):
    return hpke.generate_private_key(request.param)


def test_round_trip_and_plaintext_absent(private_key):
    info = hpke.report_info("ik-1")
    ciphertext = hpke.encrypt(private_key.public_key(), CANARY.encode(), info=info)
    assert CANARY.encode() not in ciphertext
    assert b"canary" not in ciphertext
    assert hpke.decrypt(private_key, ciphertext, info=info) == CANARY.encode()


def test_each_encryption_is_fresh(private_key):
    public = private_key.public_key()
    assert hpke.encrypt(public, b"same", info=b"i") != hpke.encrypt(public, b"same", info=b"i")


def test_wrong_key_fails_closed(private_key):
    ciphertext = hpke.encrypt(private_key.public_key(), b"secret", info=b"i")
    other = hpke.generate_private_key(private_key.suite)
    with pytest.raises(DecryptionFailed):
        hpke.decrypt(other, ciphertext, info=b"i")


def test_wrong_context_fails_closed(private_key):
    """A report ciphertext replayed as a follow-up, or under another key id, does not open."""
    ciphertext = hpke.encrypt(private_key.public_key(), b"secret", info=hpke.report_info("ik-1"))
    for info in (hpke.followup_info("ik-1"), hpke.report_info("ik-2"), hpke.evidence_info("ik-1"), hpke.REPLY_INFO):
        with pytest.raises(DecryptionFailed):
            hpke.decrypt(private_key, ciphertext, info=info)


def test_every_flipped_byte_fails_closed(private_key):
    ciphertext = hpke.encrypt(private_key.public_key(), b"short secret", info=b"i")
    for position in range(len(ciphertext)):
        tampered = bytearray(ciphertext)
        tampered[position] ^= 0x01
        with pytest.raises((DecryptionFailed, MalformedCiphertext)):
            hpke.decrypt(private_key, bytes(tampered), info=b"i")


def test_truncated_ciphertext_is_malformed(private_key):
    ciphertext = hpke.encrypt(private_key.public_key(), b"", info=b"i")
    assert len(ciphertext) == private_key.suite.min_ciphertext_length
    with pytest.raises(MalformedCiphertext):
        hpke.decrypt(private_key, ciphertext[:-1], info=b"i")
    with pytest.raises(MalformedCiphertext):
        hpke.decrypt(private_key, b"", info=b"i")


def test_a_byte_cut_from_the_end_fails(private_key):
    ciphertext = hpke.encrypt(private_key.public_key(), b"some content", info=b"i")
    with pytest.raises(DecryptionFailed):
        hpke.decrypt(private_key, ciphertext[:-1], info=b"i")


def test_key_serialisation_round_trip(private_key):
    suite = private_key.suite
    public_raw = private_key.public_key().raw
    assert len(public_raw) == suite.public_key_length == (32 if suite is hpke.Suite.X25519 else 1216)
    assert len(private_key.raw) == suite.private_key_length
    reloaded = hpke.load_private_key(suite, b64url_decode(b64url_encode(private_key.raw)))
    public = hpke.load_public_key(suite, b64url_decode(b64url_encode(public_raw)))
    assert hpke.decrypt(reloaded, hpke.encrypt(public, b"x", info=b"i"), info=b"i") == b"x"


@pytest.mark.parametrize("suite", SUITES, ids=[suite.value for suite in SUITES])
def test_public_key_of_wrong_length_is_refused(suite):
    with pytest.raises(InvalidKey):
        hpke.load_public_key(suite, b"\x01" * (suite.public_key_length - 1))
    with pytest.raises(InvalidKey):
        hpke.load_private_key(suite, b"\x01" * (suite.private_key_length + 1))


def test_invalid_mlkem_encapsulation_key_is_refused():
    # FIPS 203 requires every coefficient to be reduced mod q; all-0xff bytes are not.
    with pytest.raises(InvalidKey):
        hpke.load_public_key(hpke.Suite.MLKEM768_X25519, b"\xff" * 1216)


def test_low_order_x25519_point_cannot_be_encrypted_to():
    zero_point = hpke.load_public_key(hpke.Suite.X25519, b"\x00" * 32)
    with pytest.raises(InvalidKey):
        hpke.encrypt(zero_point, b"x", info=b"i")


def test_unknown_suite_is_refused():
    with pytest.raises(UnknownSuite):
        hpke.Suite.parse("P256")
    assert hpke.Suite.parse("MLKEM768-X25519") is hpke.Suite.MLKEM768_X25519


def test_known_answer_vector_rfc9180_x25519_sha256_aes256gcm():
    """CFRG/RFC 9180 vector for our mandatory suite: its key schedule (key, base_nonce) must be ours.

    cryptography's single-shot API uses empty associated data, so the expected
    ciphertext is the vector's first-sequence AEAD output with empty AAD.
    """
    private = hpke.load_private_key(hpke.Suite.X25519, bytes.fromhex(VECTOR["skRm"]))
    assert private.public_key().raw.hex() == VECTOR["pkRm"]
    plaintext = bytes.fromhex(VECTOR["encryptions"][0]["pt"])
    body = AESGCM(bytes.fromhex(VECTOR["key"])).encrypt(bytes.fromhex(VECTOR["base_nonce"]), plaintext, b"")
    ciphertext = bytes.fromhex(VECTOR["enc"]) + body
    assert hpke.decrypt(private, ciphertext, info=bytes.fromhex(VECTOR["info"])) == plaintext
    with pytest.raises(DecryptionFailed):
        hpke.decrypt(private, ciphertext, info=b"other info")


def _pyhpke_suite():
    return CipherSuite.new(KEMId.DHKEM_X25519_HKDF_SHA256, KDFId.HKDF_SHA256, AEADId.AES256_GCM)


def test_our_x25519_output_opens_with_pyhpke():
    ours = hpke.generate_private_key(hpke.Suite.X25519)
    info = hpke.report_info("ik-interop")
    ciphertext = hpke.encrypt(ours.public_key(), CANARY.encode(), info=info)
    suite = _pyhpke_suite()
    enc, body = ciphertext[:32], ciphertext[32:]
    recipient = suite.create_recipient_context(enc, suite.kem.deserialize_private_key(ours.raw), info=info)
    assert recipient.open(body) == CANARY.encode()


def test_pyhpke_output_opens_with_ours():
    ours = hpke.generate_private_key(hpke.Suite.X25519)
    info = hpke.followup_info("ik-interop")
    suite = _pyhpke_suite()
    enc, sender = suite.create_sender_context(suite.kem.deserialize_public_key(ours.public_key().raw), info=info)
    ciphertext = enc + sender.seal(CANARY.encode())
    assert hpke.decrypt(ours, ciphertext, info=info) == CANARY.encode()
    with pytest.raises(DecryptionFailed):
        hpke.decrypt(ours, ciphertext, info=hpke.report_info("ik-interop"))


# X25519 points whose shared secret is all zeros (RFC 7748 section 6.1), little-endian,
# including non-canonical encodings with the top bit set, which X25519 ignores.
LOW_ORDER_POINTS = [
    "00" * 32,
    "01" + "00" * 31,
    "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
    "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
    "ec" + "ff" * 30 + "7f",
    "ed" + "ff" * 30 + "7f",
    "ee" + "ff" * 30 + "7f",
    "00" * 31 + "80",
    "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b880",
]


@pytest.mark.parametrize("point", LOW_ORDER_POINTS)
def test_reply_keys_that_replies_cannot_be_encrypted_to_are_refused(point):
    raw = bytes.fromhex(point)
    with pytest.raises(InvalidKey):
        hpke.load_reply_public_key(raw)
    with pytest.raises(InvalidKey):  # the cheaper check refuses exactly what encryption would
        hpke.encrypt(hpke.load_public_key(hpke.Suite.X25519, raw), b"", info=hpke.REPLY_INFO)


def test_a_real_reply_key_is_accepted_and_can_be_answered():
    private = hpke.generate_private_key(hpke.Suite.X25519)
    key = hpke.load_reply_public_key(private.public_key().raw)
    assert hpke.decrypt(private, hpke.encrypt(key, b"reply", info=hpke.REPLY_INFO), info=hpke.REPLY_INFO) == b"reply"
    with pytest.raises(InvalidKey):
        hpke.load_reply_public_key(private.public_key().raw[:31])
