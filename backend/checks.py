"""System checks that refuse unsafe configurations.

`sanad.E0xx` run with every management command and, in production, at web and
worker start-up (`config.startup.refuse_unsafe_start`); `sanad.W00x` are
deployment warnings shown by `check --deploy`. Messages name the setting,
never its value. sanad.E013 refuses the fuzzer's published keys outside dev
mode. sanad.E010 and E011 also read a few rows, as sanad.E012 (audit.checks)
does: the keys in the environment must open and verify what the database holds
(after a restore or on a new host), or nothing starts.
"""

from __future__ import annotations

import hashlib
import re

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.db import DatabaseError, connection, transaction

from backend.crypto.blind_index import planned_bits
from backend.crypto.encoding import b64url_encode
from backend.crypto.errors import CryptoError, UnknownKey
from backend.crypto.sealed import KeyRing, parse_envelope

# Values that appear in documentation and tutorials; refused wherever they turn up.
KNOWN_DEFAULTS = {
    "changeme",
    "change-me",
    "secret",
    "insecure",
    "default",
    "password",
    "your-secret-key",
    "django-insecure",
    "replace-me",
}
# The fuzzer's keys are derived from these public strings (fuzz/harness.py): anyone can compute them, so a
# process outside dev mode that was given one refuses to start (sanad.E013).
PUBLISHED_KEY_LABEL = "sanad fuzzing only, public: {}"
PUBLISHED_KEY_NAMES = (
    "SANAD_SECRET_KEY",
    "SANAD_BLIND_INDEX_KEY",
    "SANAD_RECEIPT_KEY",
    "SANAD_AUDIT_KEY",
    "fuzz0",
    "fuzz1",
)


def published_key(name: str) -> bytes:
    """A key published in this repository, for fuzzing only."""
    return hashlib.sha256(PUBLISHED_KEY_LABEL.format(name).encode()).digest()


MIN_SECRET_KEY_LENGTH = 50
MIN_KEY_BYTES = 32
# 32 random bytes have about 30 distinct values; fewer than 16 means a key
# typed by hand or padded with a repeated byte.
MIN_DISTINCT_BYTES = 16
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


def _weak_key(key: bytes) -> bool:
    return len(key) < MIN_KEY_BYTES or len(set(key)) < MIN_DISTINCT_BYTES


@register(Tags.security)
def check_configuration(app_configs=None, **kwargs):
    errors = [Error(message, id="sanad.E001") for message in settings.SANAD_CONFIG_ERRORS]
    secret = settings.SECRET_KEY or ""
    if secret and (
        len(secret) < MIN_SECRET_KEY_LENGTH
        or len(set(secret)) < MIN_DISTINCT_BYTES
        or secret.lower().startswith("django-insecure")
        or secret.lower() in KNOWN_DEFAULTS
    ):
        errors.append(
            Error(
                f"SANAD_SECRET_KEY is short, low in variety or a known default; use at least "
                f"{MIN_SECRET_KEY_LENGTH} random characters.",
                id="sanad.E002",
            )
        )
    for key_id, key in settings.SANAD_SEALING_KEYS:
        if len(key) != MIN_KEY_BYTES or _weak_key(key):
            errors.append(Error(f"SANAD_SEALING_KEYS key '{key_id}' is not 32 random bytes.", id="sanad.E003"))
    if settings.SANAD_SEALING_KEYS:
        try:
            KeyRing(settings.SANAD_SEALING_KEYS)
        except CryptoError as exc:
            errors.append(Error(f"SANAD_SEALING_KEYS: {exc}", id="sanad.E003"))
    for name in ("SANAD_BLIND_INDEX_KEY", "SANAD_RECEIPT_KEY", "SANAD_AUDIT_KEY"):
        key = getattr(settings, name)
        if key is not None and _weak_key(key):
            errors.append(Error(f"{name} is shorter than 32 bytes or low in variety.", id="sanad.E004"))
    keys = [key for _, key in settings.SANAD_SEALING_KEYS]
    keys += [
        k
        for k in (settings.SANAD_BLIND_INDEX_KEY, settings.SANAD_RECEIPT_KEY, settings.SANAD_AUDIT_KEY)
        if k is not None
    ]
    published = {published_key(name) for name in PUBLISHED_KEY_NAMES}
    published_text = {b64url_encode(key) for key in published}
    if not settings.SANAD_DEV and (published & set(keys) or any(text in secret for text in published_text)):
        errors.append(
            Error(
                "A secret here is one of the fuzzer's published keys (fuzz/harness.py): anyone can compute it. "
                "Make every key anew (README: Secrets and rotation).",
                id="sanad.E013",
            )
        )
    if len(set(keys)) != len(keys):
        errors.append(Error("The same key is used for two purposes; every key must be its own.", id="sanad.E005"))
    planned = planned_bits(settings.SANAD_BLIND_INDEX_EXPECTED_ROWS)
    if settings.SANAD_BLIND_INDEX_BITS > planned:
        errors.append(
            Error(
                f"SANAD_BLIND_INDEX_BITS={settings.SANAD_BLIND_INDEX_BITS} exceeds {planned}, the most that keeps "
                "matches candidates (R / 2^L >= 2 for SANAD_BLIND_INDEX_EXPECTED_ROWS); more bits make indexes "
                "exact and invertible by anyone holding the key.",
                id="sanad.E008",
            )
        )
    if settings.SANAD_DEV and not set(settings.ALLOWED_HOSTS) <= LOOPBACK_HOSTS:
        errors.append(
            Error("SANAD_DEV=1 writes its secrets to disk; it may only answer on 127.0.0.1/localhost.", id="sanad.E007")
        )
    # "*" or a suffix pattern covering a whole top-level domain (".iq", ".com").
    if not settings.SANAD_DEV and any(
        host == "*" or host.startswith(".") and host.count(".") == 1 for host in settings.ALLOWED_HOSTS
    ):
        errors.append(Error("SANAD_ALLOWED_HOSTS must name this deployment's hosts, not '*'.", id="sanad.E009"))
    return errors


@register(Tags.security, deploy=True)
def check_deployment(app_configs=None, **kwargs):
    messages = []
    if settings.SANAD_DEV:
        messages.append(Error("SANAD_DEV=1 is the embedded development mode, not a deployment.", id="sanad.E006"))
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        messages.append(Warning("SQLite is for development; production runs on PostgreSQL.", id="sanad.W001"))
    return messages


@register(Tags.security)
def check_sealing_keys_open_stored_data(app_configs=None, **kwargs):
    """sanad.E010/E011: the key ring opens what this database holds sealed; sanad.W010: not all of it.

    Started with a wrong SANAD_SEALING_KEYS (after a restore, on a new host), a
    process would serve and seal new values under a key that does not match
    the old ones, mixing two rings in one database. So every command and every
    web or worker start opens the oldest and the newest value of each sealed
    field (two indexed reads per field). When none of them opens, the start is
    refused, naming the key ids (never a key): E010 for an id the ring lacks,
    E011 for an id whose key is not the one that sealed. When some open and
    some do not (a key removed before `reseal` finished, or values edited in
    the database), it is a warning: refusing then would hand whoever can write
    one row a way to stop the service. The check is skipped where it cannot
    run: the configuration already has errors, the database cannot be reached,
    or a table or column does not exist yet (before `migrate`); those fail on
    their own.
    """
    if settings.SANAD_CONFIG_ERRORS or not settings.SANAD_SEALING_KEYS:
        return []
    try:
        ring = KeyRing(settings.SANAD_SEALING_KEYS)
    except CryptoError:
        return []  # sanad.E003 says why
    from backend.sealed_fields import open_value, sealed_fields

    try:
        tables = set(connection.introspection.table_names())
    except DatabaseError:
        return []
    opened = 0
    missing: dict[str, set[str]] = {}
    wrong: dict[str, set[str]] = {}
    for model, field_name in sealed_fields():
        if model._meta.db_table not in tables:
            continue
        # An empty value (a withdrawn report's triage details) holds no envelope to learn the key from.
        rows = (
            model._default_manager.filter(**{f"{field_name}__isnull": False})
            .exclude(**{field_name: b""})
            .only("pk", field_name)
        )
        try:
            with transaction.atomic():
                samples = {row.pk: row for row in (*rows.order_by("pk")[:1], *rows.order_by("-pk")[:1])}
        except DatabaseError:
            continue  # a column that a pending migration adds
        where = f"{model._meta.label}.{field_name}"
        for row in samples.values():
            try:
                # Read from the database: only its safe characters reach a log line.
                key_id = re.sub(r"[^A-Za-z0-9_.-]", "?", parse_envelope(bytes(getattr(row, field_name)))[1])
            except CryptoError:
                continue  # a damaged value says nothing about the keys; reading it fails on its own
            try:
                open_value(row, field_name, ring=ring)
                opened += 1
            except UnknownKey:
                missing.setdefault(key_id, set()).add(where)
            except CryptoError:
                wrong.setdefault(key_id, set()).add(where)
    if not missing and not wrong:
        return []
    if opened:
        problems = [(key_id, places, "is not in the ring") for key_id, places in missing.items()]
        problems += [(key_id, places, "does not open them") for key_id, places in wrong.items()]
        return [
            Warning(
                f"Some sealed values in this database do not open with SANAD_SEALING_KEYS: under key '{key_id}' "
                f"({', '.join(sorted(places))}), which {why}; others do. A key removed before `reseal` "
                "finished, or values edited in the database.",
                id="sanad.W010",
            )
            for key_id, places, why in sorted(problems)
        ]
    errors = [
        Error(
            f"SANAD_SEALING_KEYS has no key '{key_id}', which sealed values in this database "
            f"({', '.join(sorted(places))}), and none of them opens. Start with the ring this database was "
            "sealed under (after a restore: the SANAD_SEALING_KEYS in force when the dump was made).",
            id="sanad.E010",
        )
        for key_id, places in sorted(missing.items())
    ]
    errors += [
        Error(
            f"SANAD_SEALING_KEYS key '{key_id}' does not open values in this database sealed under that id "
            f"({', '.join(sorted(places))}): it is not the key they were sealed with. Start with the ring "
            "this database was sealed under (after a restore: the SANAD_SEALING_KEYS in force when the dump "
            "was made).",
            id="sanad.E011",
        )
        for key_id, places in sorted(wrong.items())
    ]
    return errors
