"""Sanad's cryptographic core: a domain-named API over `cryptography` and `argon2-cffi`.

Callers never touch a cipher. Every function here raises a subclass of
`backend.crypto.errors.CryptoError` on bad input, and none implements a primitive.
"""
