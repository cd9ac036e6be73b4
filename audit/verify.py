"""Walking the audit chain and naming the first entry that does not check out.

Read-only and in constant memory: entries are streamed in seq order in
batches. For each entry, in this order:

1. its seq must be the previous one plus 1, starting at 1, else
   "gap in sequence" (entries were deleted, possibly the first ones);
2. its prev_hash must equal the previous entry's hash (the zero hash for
   seq 1), else "broken link" (an entry was deleted and the rest renumbered,
   or entries were reordered);
3. its HMAC must recompute under SANAD_AUDIT_KEY, else "hash mismatch" (a
   field was edited, or the hash was recomputed without the key).

Deleting the newest entries leaves a shorter chain that is perfectly valid.
Only an anchor (a seq and hash recorded outside this database, e.g. from a
previous run's output) can show that; pass it to check it still exists.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from audit.chain import GENESIS_HASH, audit_key, compute_hash
from audit.models import AuditEntry

HASH_MISMATCH = "hash mismatch"
BROKEN_LINK = "broken link"
GAP_IN_SEQUENCE = "gap in sequence"
_WHY = {
    HASH_MISMATCH: "edited, or rehashed without the audit key",
    BROKEN_LINK: "deleted or reordered",
    GAP_IN_SEQUENCE: "deleted",
}
_ANCHOR = re.compile(r"([1-9][0-9]*):([0-9a-f]{64})")


@dataclass(frozen=True)
class Anchor:
    seq: int
    entry_hash: str


@dataclass(frozen=True)
class ChainReport:
    entries: int  # entries that checked out, in order from seq 1
    head_seq: int  # last good entry (0 for an empty chain)
    head_hash: str
    bad_seq: int | None = None
    reason: str | None = None
    problem: str | None = None  # the full message when the chain or an anchor fails

    @property
    def ok(self) -> bool:
        return self.problem is None


def parse_anchor(text: str) -> Anchor:
    """`SEQ:HASH` as printed by verify_audit (seq from 1, 64 lowercase hex digits)."""
    match = _ANCHOR.fullmatch(text.strip().lower())
    if not match:
        raise ValueError("an anchor looks like SEQ:HASH, e.g. 42:<64 hex digits>.")
    return Anchor(int(match.group(1)), match.group(2))


def verify_chain(*, anchors: Iterable[Anchor] = (), batch_size: int = 2000) -> ChainReport:
    """Check the whole chain (and any anchors); never writes."""
    key = audit_key()
    pending = {anchor.seq: anchor for anchor in anchors}
    count, prev_seq, prev_hash = 0, 0, GENESIS_HASH
    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=batch_size):
        if entry.seq != prev_seq + 1:
            reason, detail = GAP_IN_SEQUENCE, f"expected seq {prev_seq + 1}; {_WHY[GAP_IN_SEQUENCE]}"
        elif entry.prev_hash != prev_hash:
            reason, detail = BROKEN_LINK, _WHY[BROKEN_LINK]
        elif compute_hash(entry, key) != entry.entry_hash:
            reason, detail = HASH_MISMATCH, _WHY[HASH_MISMATCH]
        else:
            anchor = pending.pop(entry.seq, None)
            if anchor is not None and anchor.entry_hash != entry.entry_hash:
                return ChainReport(
                    count,
                    prev_seq,
                    prev_hash,
                    problem=f"anchor seq {anchor.seq} does not match: the chain was rewritten from there or earlier",
                )
            count, prev_seq, prev_hash = count + 1, entry.seq, entry.entry_hash
            continue
        return ChainReport(
            count,
            prev_seq,
            prev_hash,
            bad_seq=entry.seq,
            reason=reason,
            problem=f"first bad entry: seq {entry.seq} ({reason}: {detail})",
        )
    if pending:
        missing = min(pending)
        return ChainReport(
            count,
            prev_seq,
            prev_hash,
            problem=f"anchor seq {missing} not found: the chain ends at seq {prev_seq} (tail truncated)",
        )
    return ChainReport(count, prev_seq, prev_hash)
