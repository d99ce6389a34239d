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
  the collector does not run while a batch is decided. The caller collects
  the young generations after each batch, and everything every
  `FULL_EVERY` batches. A cycle made in a batch lives at most until that
  batch ends; what a batch holds is bounded by the batch size.

  The cycles a replay makes are SQLAlchemy's statements (1,000-3,000 small
  objects a batch), all of them young when the batch ends: a full collection
  on the national month found nothing more, and took 0.8 s with a million
  persons in memory. So it runs rarely.
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
    """Collects after each batch, as `batched` asks its caller to."""

    def __init__(self) -> None:
        self.batches = 0

    def batch_done(self) -> None:
        self.batches += 1
        gc.collect(2 if self.batches % FULL_EVERY == 0 else 1)


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
