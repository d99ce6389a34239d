"""The collector during a replay: off while a batch is decided, run after it."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from eventfilter.service import gc_tuning


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def a_cycle() -> weakref.ref[Node]:
    """Two objects that only the collector can free; the weak reference tells when it did."""
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)


@pytest.fixture
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


@pytest.mark.usefixtures("collector_on")
def test_no_automatic_collection_inside_a_batch_and_the_cycle_goes_after_it() -> None:
    with gc_tuning.batched() as collector:
        assert not gc.isenabled()
        cycle = a_cycle()
        for _ in range(200_000):  # far past any threshold: nothing collects by itself
            Node()
        assert cycle() is not None
        collector.batch_done()
        assert cycle() is None
    assert gc.isenabled()


@pytest.mark.usefixtures("collector_on")
def test_everything_is_collected_every_few_batches() -> None:
    """A cycle that lived through one batch's collection (it moved to the oldest
    generation) is freed by the full collection every `FULL_EVERY` batches."""
    with gc_tuning.batched() as collector:
        gc.collect()
        keep = Node()
        keep.other = Node()
        keep.other.other = keep
        cycle = weakref.ref(keep)
        collector.batch_done()  # alive now: moved on to an older generation
        collector.batch_done()
        del keep
        while collector.batches % gc_tuning.FULL_EVERY != gc_tuning.FULL_EVERY - 1:
            collector.batch_done()
        assert cycle() is not None, "the young collections do not reach the oldest generation"
        collector.batch_done()
        assert cycle() is None


@pytest.mark.usefixtures("collector_on")
def test_the_collector_is_on_again_after_a_failed_run() -> None:
    with pytest.raises(RuntimeError), gc_tuning.batched():
        raise RuntimeError("the run failed")
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    was = gc.isenabled()
    gc.disable()
    try:
        with gc_tuning.batched():
            pass
        assert not gc.isenabled()
    finally:
        if was:
            gc.enable()
