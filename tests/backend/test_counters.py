"""The global intake counters: each process reads them at most about once a second."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from backend import budgets as counters


@pytest.fixture
def clock(monkeypatch):
    """Wall clock (which minute) and monotonic clock (how old a read is), both under the test's control."""
    now = {"wall": 1_800_000_000.0, "mono": 1000.0}
    monkeypatch.setattr(counters, "_now", lambda: now["wall"])
    monkeypatch.setattr(counters, "_monotonic", lambda: now["mono"])
    return now


def _bump_elsewhere(name: str, amount: int, minute: int) -> None:
    """Another process's events: straight into the shared cache, unseen by this one."""
    key = f"sanad:count:{name}:{minute}"
    cache.set(key, (cache.get(key) or 0) + amount, timeout=180)


def _no_reads(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("read the shared cache")

    monkeypatch.setattr(cache, "get_many", refuse)


def test_a_fresh_read_answers_without_the_cache_and_goes_stale_after_a_second(clock, monkeypatch):
    minute = int(clock["wall"] // 60)
    _bump_elsewhere("report", 5, minute)
    _bump_elsewhere("report", 7, minute - 1)
    assert counters.recent_count("report") == 12
    _bump_elsewhere("report", 100, minute)
    with monkeypatch.context() as patch:
        _no_reads(patch)
        clock["mono"] += counters.COUNT_READ_SECONDS * 0.9
        assert counters.recent_count("report") == 12  # remembered; another process's events are not seen yet
    clock["mono"] += counters.COUNT_READ_SECONDS * 0.2
    assert counters.recent_count("report") == 112  # a second on: read again


def test_this_process_sees_its_own_events_at_once(clock, monkeypatch):
    minute = int(clock["wall"] // 60)
    _bump_elsewhere("report", 3, minute - 1)
    assert counters.recent_count("report") == 3
    _bump_elsewhere("report", 10, minute)  # another process, meanwhile
    assert counters.count_event("report", 2) == 12
    _no_reads(monkeypatch)
    assert counters.recent_count("report") == 15  # the increment's answer counts the other process too


def test_own_events_do_not_keep_a_read_fresh(clock, monkeypatch):
    minute = int(clock["wall"] // 60)
    assert counters.recent_count("report") == 0
    _bump_elsewhere("report", 50, minute - 1)  # late events of the last minute, from another process
    for _ in range(3):
        clock["mono"] += counters.COUNT_READ_SECONDS * 0.5
        counters.count_event("report")
    assert counters.recent_count("report") == 53  # read again a second after the read, however busy this process was


def test_a_new_minute_is_read_again(clock, monkeypatch):
    minute = int(clock["wall"] // 60)
    _bump_elsewhere("report", 4, minute)
    assert counters.recent_count("report") == 4
    _bump_elsewhere("report", 30, minute)  # another process, before the minute turns
    clock["wall"] += 60  # a new minute, well within the second of the monotonic clock
    assert counters.recent_count("report") == 34  # read again: the old minute, all of it, is now the previous one
    _bump_elsewhere("report", 6, minute + 1)  # another process, in the new minute
    clock["wall"] += 60
    assert counters.count_event("report") == 1  # the minute turns under an increment: nothing carried over
    assert counters.recent_count("report") == 7  # this minute's 1 and the last one's 6, read again


def test_counters_fail_open_and_remember_nothing_while_the_cache_is_down(clock, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("redis unreachable")

    with monkeypatch.context() as patch:
        for method in ("get_many", "incr", "add"):
            patch.setattr(cache, method, down)
        assert counters.recent_count("report") == 0
        assert counters.count_event("report") == 0
    _bump_elsewhere("report", 9, int(clock["wall"] // 60))
    assert counters.recent_count("report") == 9  # back up: read at once, not a remembered 0
