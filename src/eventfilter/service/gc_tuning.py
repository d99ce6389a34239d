"""Python's cyclic garbage collector, tuned for long runs.

A run keeps a large, long-lived heap (the persons and cases the rules need)
and makes many short-lived objects per event. With the default thresholds the
collector rescans that heap thousands of times.

- `long_run` (the stream): freezes what is loaded at start and collects the
  young generation less often. Reference cycles are still collected.
- `batched` (replay): a replay batch keeps nearly everything it makes until it
  is written (up to 100,000 lines of events, decisions and rows), so an
  automatic collection in the middle of a batch only scans live objects and
  moves them on: 11 % of a replay's time, measured with `gc.callbacks`. Here
  the collector does not run while a batch is decided. After each batch the
  caller freezes what is alive (`gc.freeze`: no scan, whatever it holds),
  and every `FULL_EVERY` batches everything is collected.

  What stays alive after a batch is what the run holds on to (persons, cases,
  windows): collecting the young generations after each batch only scanned it
  to move it on, 0.24-0.36 s of a 132,579-line replay, each batch's share
  growing with what it loaded (3.7 s of the national month). The cycles a
  replay makes are few: SQLAlchemy's statements, 10-250 objects a batch on
  the national mix, as many with two lines in three malformed. They wait for
  the full collection, at most `FULL_EVERY` batches. That one scans
  everything the run holds (1.2 s with a million persons in memory), so it
  stays rare: every 20 batches, the month's three took as long as the young
  collections they replaced.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

FULL_EVERY = 100  # batches between two collections of every generation


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


class BatchCollector:
    """After each batch, as `batched` asks its caller to: freezes what is alive, and
    collects everything every `FULL_EVERY` batches."""

    def __init__(self) -> None:
        self.batches = 0

    def batch_done(self) -> None:
        self.batches += 1
        if self.batches % FULL_EVERY == 0:
            gc.unfreeze()
            gc.collect()
        gc.freeze()


@contextmanager
def batched() -> Iterator[BatchCollector]:
    """No automatic collection inside the block; the caller calls `batch_done`
    after each batch. The collector's state before is restored after."""
    was_enabled = gc.isenabled()
    gc.freeze()  # what is alive now lives for the whole run
    gc.disable()
    try:
        yield BatchCollector()
    finally:
        gc.unfreeze()
        if was_enabled:
            gc.enable()
