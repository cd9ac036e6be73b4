"""Named rate budgets: global per-minute caps that hold a flood back without knowing who anyone is.

Each budget is a counter in the shared cache (Redis), counted per minute; a
budget is over when the current and the previous minute together reach its
cap (a setting). Counters fail open: with Redis down nothing is counted,
nothing is refused, and intake goes on (proof of work still applies).

Each process reads a counter at most about once a second: a read is
remembered for COUNT_READ_SECONDS and answers later reads of the same
counter, and this process's own increments are added to it at once. So
under load an intake request reads no counter from Redis; each process reads
each counter about once a second. The price: a process sees other processes'
events up to a second late, so a cap can be overshot by about a second's
worth of events.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Budget:
    """A per-minute cap on some kind of event, counted across every process."""

    name: str  # the counter's name in the shared cache
    cap_setting: str  # the setting holding the cap (events in the current and the previous minute)

    @property
    def cap(self) -> int:
        return getattr(settings, self.cap_setting)

    def used(self) -> int:
        """Events in the current and the previous minute, as this process last learnt them; 0 without the cache."""
        return recent_count(self.name)

    def exceeded(self, *, adding: int = 1) -> bool:
        """Whether `adding` more events would go past the cap."""
        return self.used() + adding > self.cap

    def spend(self, amount: int = 1) -> int:
        """Count `amount` events now; this minute's count so far (0 without the cache)."""
        return count_event(self.name, amount)


# Reports stored (counted after commit): a flood must pay proof of work to reach the cap.
REPORTS = Budget("report", "SANAD_INTAKE_MAX_PER_MINUTE")
# Wrong receipts: past the cap, further failures answer 429 (a right receipt is never refused).
RECEIPT_FAILURES = Budget("receipt-failure", "SANAD_RECEIPT_FAILURES_PER_MINUTE")
# Bytes of follow-ups and evidence stored.
UPLOAD_BYTES = Budget("upload-bytes", "SANAD_UPLOAD_BYTES_PER_MINUTE")


def _now() -> float:
    return time.time()


def _monotonic() -> float:
    return time.monotonic()


def _minute() -> int:
    return int(_now() // 60)


COUNT_READ_SECONDS = 1.0


@dataclass(frozen=True)
class _Seen:
    """What this process last learnt of a counter: when (monotonic), for which minute, and the two minutes' counts."""

    at: float
    minute: int
    current: int
    previous: int


_seen: dict[str, _Seen] = {}  # per process; replacing an entry is atomic, so threads need no lock


def forget_counts() -> None:
    """Drop what this process remembers of the counters (tests; a new minute needs no call)."""
    _seen.clear()


def _incr(key: str, amount: int) -> int:
    try:
        return cache.incr(key, amount)  # one round trip in the common case
    except ValueError:  # first event of this minute
        if cache.add(key, amount, timeout=180):
            return amount
        return cache.incr(key, amount)  # another replica created it meanwhile


def count_event(name: str, amount: int = 1) -> int:
    """Add `amount` to the current minute's count of `name`; 0 if the cache is unreachable."""
    minute = _minute()
    try:
        current = _incr(f"sanad:count:{name}:{minute}", amount)
    except Exception:
        logger.warning("counter %s unavailable; intake goes on without it", name)
        return 0
    seen = _seen.get(name)
    if seen is not None and seen.minute == minute:
        # The increment's answer is this minute's count, other processes' events included:
        # this process sees its own at once. The read keeps its age, so the previous
        # minute's count is read again within COUNT_READ_SECONDS as before.
        _seen[name] = _Seen(at=seen.at, minute=minute, current=max(current, seen.current), previous=seen.previous)
    elif seen is not None:
        _seen.pop(name, None)  # a new minute: the next read fetches both
    return current


def recent_count(name: str) -> int:
    """Events of `name` in the current and the previous minute, as this process learnt them at most
    COUNT_READ_SECONDS ago; 0 if the cache is unreachable."""
    minute = _minute()
    seen = _seen.get(name)
    if seen is not None and seen.minute == minute and _monotonic() - seen.at < COUNT_READ_SECONDS:
        return seen.current + seen.previous
    try:
        counts = cache.get_many([f"sanad:count:{name}:{minute - offset}" for offset in (0, 1)])
    except Exception:
        logger.warning("counter %s unavailable; intake goes on without it", name)
        return 0
    current, previous = (int(counts.get(f"sanad:count:{name}:{minute - offset}", 0)) for offset in (0, 1))
    _seen[name] = _Seen(at=_monotonic(), minute=minute, current=current, previous=previous)
    return current + previous
