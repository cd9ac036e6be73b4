"""The global intake counters: each process reads them at most about once a second."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from backend import pow as counters


@pytest.fixture
def clock(monkeypatch):
    """Wall clock (which minute) and monotonic clock (how old a read is), both under the test's control."""
    now = {"wall": 1_800_000_000.0, "mono": 1000.0}
    monkeypatch.setattr(counters, "_now", lambda: now["wall"])
    monkeypatch.setattr(counters.time, "monotonic", lambda: now["mono"])
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


def test_a_new_minute_is_read_again_and_the_old_one_becomes_the_previous(clock, monkeypatch):
    minute = int(clock["wall"] // 60)
    _bump_elsewhere("report", 4, minute)
    assert counters.recent_count("report") == 4
    clock["wall"] += 60  # a new minute, well within the second of the monotonic clock
    assert counters.recent_count("report") == 4  # read again: the old minute is now the previous one
    assert counters.count_event("report") == 1
    _no_reads(monkeypatch)
    assert counters.recent_count("report") == 5
    clock["wall"] += 60
    assert counters.count_event("report") == 1  # the turn of a minute seen through an increment
    assert counters.recent_count("report") == 2  # this minute's 1 and the last one's 1; the one before is gone


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
