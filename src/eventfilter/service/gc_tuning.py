"""Python's cyclic garbage collector, tuned for long batch runs.

A replay keeps a large, long-lived heap (the persons and cases the rules
need) and makes many short-lived objects per event. With the default
thresholds the collector rescans that heap thousands of times. Freezing
what is loaded at start and collecting the young generation less often
keeps the cost proportional to the work; reference cycles are still
collected.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def long_run() -> Iterator[None]:
    previous = gc.get_threshold()
    gc.freeze()  # what is alive now lives for the whole run
    gc.set_threshold(50_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*previous)
        gc.unfreeze()
