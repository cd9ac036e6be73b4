"""Running functions at the same moment in threads, each on its own database connection (PostgreSQL races)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connections


def run_together(functions: list[Callable], outcomes: dict[type[BaseException], str]) -> list[str | None]:
    """Start every function at once; for each, "ok", or the label of the exception it raised among
    `outcomes` (any other exception is left as None, so a test comparing outcomes fails)."""
    barrier = threading.Barrier(len(functions))
    results: list[str | None] = [None] * len(functions)

    def runner(index, function):
        barrier.wait()
        try:
            function()
            results[index] = "ok"
        except tuple(outcomes) as exc:
            results[index] = next(label for kind, label in outcomes.items() if isinstance(exc, kind))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results
