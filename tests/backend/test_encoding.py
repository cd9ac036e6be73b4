import pytest

from backend.crypto.encoding import b64url_decode, b64url_encode
from backend.crypto.errors import MalformedEncoding


def test_round_trip_unpadded_and_padded():
    for data in (b"", b"f", b"fo", b"foo", bytes(range(256))):
        text = b64url_encode(data)
        assert "=" not in text and "+" not in text and "/" not in text
        assert b64url_decode(text) == data
        assert b64url_decode(text + "=" * (-len(text) % 4)) == data


@pytest.mark.parametrize("text", ["a+b/", "ab cd", "abc$", "a", "abcde", "ab==c", "Zm9v\n", None, 12])
def test_malformed_is_refused(text):
    with pytest.raises(MalformedEncoding):
        b64url_decode(text)


@pytest.mark.parametrize("text", ["Zg=", "Zg===", "Zm8==", "Zm9v=", "Zm9v==", "="])
def test_padding_must_be_exactly_what_the_encoding_needs(text):
    """Found by the schema's limits (issue 16): a 32-byte key with two "=" was taken, one character longer
    than the schema said a key can be."""
    with pytest.raises(MalformedEncoding):
        b64url_decode(text)


def test_non_canonical_trailing_bits_are_refused():
    assert b64url_decode("Zg") == b"f"
    with pytest.raises(MalformedEncoding):
        b64url_decode("Zh")  # same byte, different unused low bits


def test_length_cap():
    with pytest.raises(MalformedEncoding):
        b64url_decode(b64url_encode(b"x" * 100), max_bytes=50)
    assert b64url_decode(b64url_encode(b"x" * 50), max_bytes=50) == b"x" * 50
