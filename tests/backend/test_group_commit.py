"""backend.group_commit: one write for requests that arrive together, each answered with its own result."""

from __future__ import annotations

import threading
import time

import pytest

from backend.group_commit import GroupCommit


def test_a_lone_item_is_written_at_once_and_gets_its_result():
    writes = []
    group = GroupCommit(lambda items: writes.append(list(items)) or [item * 2 for item in items])
    assert group.submit(21) == 42
    assert writes == [[21]]


def test_items_arriving_during_a_write_share_the_next_one_and_each_gets_its_own_result():
    first_started, release = threading.Event(), threading.Event()
    writes = []

    def write(items):
        writes.append(list(items))
        if len(writes) == 1:
            first_started.set()
            release.wait(5)
        return [ValueError(f"refused {item}") if item == 3 else item * 10 for item in items]

    group = GroupCommit(write)
    results = {}

    def call(item):
        try:
            results[item] = group.submit(item)
        except ValueError as exc:
            results[item] = str(exc)

    leader = threading.Thread(target=call, args=(0,))
    leader.start()
    assert first_started.wait(5)
    followers = [threading.Thread(target=call, args=(n,)) for n in range(1, 6)]
    for thread in followers:
        thread.start()
    deadline = time.monotonic() + 5
    while len(group._pending) < 5 and time.monotonic() < deadline:
        time.sleep(0.001)
    release.set()
    for thread in [leader, *followers]:
        thread.join(5)
    assert writes[0] == [0]
    assert sorted(writes[1]) == [1, 2, 3, 4, 5] and len(writes) == 2  # one write for all five
    assert results == {0: 0, 1: 10, 2: 20, 3: "refused 3", 4: 40, 5: 50}  # only 3's caller sees its error


def test_a_failed_write_fails_its_whole_batch_and_the_next_caller_still_gets_through():
    calls = []

    def write(items):
        calls.append(list(items))
        if len(calls) == 1:
            raise ConnectionError("database went away")
        return list(items)

    group = GroupCommit(write)
    with pytest.raises(ConnectionError):
        group.submit("a")
    assert group.submit("b") == "b"  # leadership was given up


def test_a_write_returning_the_wrong_number_of_results_fails_loudly():
    group = GroupCommit(lambda items: [])
    with pytest.raises(RuntimeError):
        group.submit(1)


def test_batches_are_capped_and_every_item_is_written_once():
    release, started = threading.Event(), threading.Event()
    writes = []

    def write(items):
        writes.append(list(items))
        if len(writes) == 1:
            started.set()
            release.wait(5)
        return list(items)

    group = GroupCommit(write, max_batch=3)
    threads = [threading.Thread(target=group.submit, args=(0,))]
    threads[0].start()
    assert started.wait(5)
    threads += [threading.Thread(target=group.submit, args=(n,)) for n in range(1, 8)]
    for thread in threads[1:]:
        thread.start()
    deadline = time.monotonic() + 5
    while len(group._pending) < 7 and time.monotonic() < deadline:
        time.sleep(0.001)
    release.set()
    for thread in threads:
        thread.join(5)
    assert all(len(batch) <= 3 for batch in writes)
    assert sorted(item for batch in writes for item in batch) == list(range(8))
