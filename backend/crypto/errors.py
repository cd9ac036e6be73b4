"""Exceptions of the cryptographic core, one per way input can be wrong.

Messages are fixed strings: they never contain key material, plaintext or the
offending input, so they are safe to show at an API edge or log.
"""


class CryptoError(Exception):
    """Base class: something about keys or ciphertext was not acceptable."""

    code = "crypto_error"


class MalformedEncoding(CryptoError):
    code = "malformed_encoding"


class UnknownSuite(CryptoError):
    code = "unknown_suite"


class InvalidKey(CryptoError):
    """Key bytes of the wrong length or not a valid point/encapsulation key."""

    code = "invalid_key"


class UnknownKey(CryptoError):
    """The key id named by a ciphertext or request is not one we hold."""

    code = "unknown_key"


class MalformedCiphertext(CryptoError):
    """Too short, or otherwise not shaped like this format's output."""

    code = "malformed_ciphertext"


class UnsupportedVersion(CryptoError):
    code = "unsupported_version"


class DecryptionFailed(CryptoError):
    """Authentication failed: wrong key, wrong context (info/AAD), or tampered bytes."""

    code = "decryption_failed"


class WrongPassword(CryptoError):
    code = "wrong_password"


class KeyRingMissing(CryptoError):
    code = "key_ring_missing"


class InvalidIndicator(CryptoError):
    """An indicator (phone number, Telegram handle) that cannot be normalised."""

    code = "invalid_indicator"
