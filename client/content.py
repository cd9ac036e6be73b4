"""Building the plaintexts of wire format v1, padded so their size says little."""

from __future__ import annotations

import hashlib
import json

from client.i18n import _f

# Content is padded up to the next of these sizes (bytes), so a short threat and
# a long account look alike on the wire. The largest sizes stay under the
# server's caps (256 KiB per report, 64 KiB per follow-up) with room for the
# HPKE overhead (1,136 bytes for the post-quantum suite).
BUCKETS = (1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072)
MAX_REPORT = 240 * 1024
MAX_FOLLOWUP = 60 * 1024


class TooLong(ValueError):
    pass


def bucket_for(size: int, maximum: int) -> int:
    if size > maximum:
        raise TooLong(
            # Translators: size and maximum are numbers of bytes, such as 245761 and 245760.
            _f("Too long ({size} bytes; at most {maximum}): send the rest as a follow-up.", size=size, maximum=maximum)
        )
    for bucket in BUCKETS:
        if size <= bucket <= maximum:
            return bucket
    return maximum


def _dump(document: dict) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def padded(document: dict, maximum: int = MAX_REPORT) -> bytes:
    """UTF-8 JSON of `document` with a "pad" string filling it to its size bucket exactly."""
    bare = _dump({**document, "pad": ""})
    target = bucket_for(len(bare), maximum)
    result = _dump({**document, "pad": "=" * (target - len(bare))})
    assert len(result) == target
    return result


def report_content(
    *,
    narrative: str,
    occurred_on: str | None = None,
    location_text: str | None = None,
    indicators: list[dict] | None = None,
    contact: dict | None = None,
) -> bytes:
    document: dict = {"narrative": narrative, "indicators": indicators or []}
    if occurred_on:
        document["occurred_on"] = occurred_on
    if location_text:
        document["location_text"] = location_text
    if contact:
        document["contact"] = contact
    return padded(document)


def followup_content(narrative: str) -> bytes:
    return padded({"narrative": narrative}, MAX_FOLLOWUP)


def evidence_plaintext(*, filename: str, media_type: str, data: bytes) -> bytes:
    """One line of JSON metadata, a newline, then the file's bytes."""
    header = json.dumps(
        {"filename": filename, "media_type": media_type, "sha256": hashlib.sha256(data).hexdigest()},
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode("utf-8")
    return header + b"\n" + data
