"""Group commit: requests that arrive together are written in one transaction.

Each caller hands its item to `GroupCommit.submit` and blocks until the item
is written. The first caller to find no write in progress becomes the
leader: it takes every item waiting (its own included, up to `max_batch`),
writes them with `write(items)` in its own thread and database connection,
hands each follower its own result, and steps down; a caller whose item was
not taken yet becomes the next leader. Nobody waits on a timer: a request
alone is written at once, and the batch grows only while a write is already
under way (PostgreSQL's own commit works the same way).

`write` returns one result per item, in order; an exception as a result is
raised in that item's caller only. If `write` itself raises, every caller of
the batch gets that exception. Nothing is ever acknowledged before `write`
returned, so a caller is answered only after its item is durable.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class GroupCommit(Generic[Item, Result]):
    def __init__(self, write: Callable[[list[Item]], Sequence[Result | BaseException]], *, max_batch: int = 64) -> None:
        self._write = write
        self._max_batch = max_batch
        self._cond = threading.Condition()
        self._pending: list[tuple[Item, Future]] = []
        self._leading = False

    def submit(self, item: Item) -> Result:
        """Write `item` (with whatever else is waiting) and return its result, or raise its error."""
        mine: Future = Future()
        with self._cond:
            self._pending.append((item, mine))
        while True:
            with self._cond:
                while self._leading and not mine.done():
                    self._cond.wait()
                if mine.done():
                    return mine.result()
                self._leading = True
                batch, self._pending = self._pending[: self._max_batch], self._pending[self._max_batch :]
            try:
                self._run(batch)
            finally:
                with self._cond:
                    self._leading = False
                    self._cond.notify_all()

    def _run(self, batch: list[tuple[Item, Future]]) -> None:
        try:
            results = self._write([item for item, _ in batch])
            if len(results) != len(batch):
                raise RuntimeError("group commit: write returned the wrong number of results")
        except BaseException as exc:
            for _, future in batch:
                future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise  # SystemExit, KeyboardInterrupt: every caller was told; go on stopping
            return
        for (_, future), result in zip(batch, results, strict=True):
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)
