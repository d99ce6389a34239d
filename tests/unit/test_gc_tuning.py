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
def test_no_automatic_collection_inside_a_batch() -> None:
    with gc_tuning.batched():
        assert not gc.isenabled()
        cycle = a_cycle()
        for _ in range(200_000):  # far past any threshold: nothing collects by itself
            Node()
        assert cycle() is not None
    assert gc.isenabled()


@pytest.mark.usefixtures("collector_on")
def test_what_a_batch_leaves_alive_is_frozen_not_scanned() -> None:
    """After a batch what is alive (what the run holds on to) is frozen: no
    collection scans it again. (Not asserted through `gc.get_count()`: a thread
    another test left running may allocate in between.)"""
    with gc_tuning.batched() as collector:
        held = [Node() for _ in range(1_000)]
        frozen = gc.get_freeze_count()
        collector.batch_done()
        assert gc.get_freeze_count() >= frozen + len(held)
    assert gc.get_freeze_count() == 0, "the run's end unfreezes everything"


@pytest.mark.usefixtures("collector_on")
def test_a_cycle_made_in_a_batch_goes_at_the_next_full_collection() -> None:
    with gc_tuning.batched() as collector:
        cycle = a_cycle()
        collector.batch_done()
        while collector.batches % gc_tuning.FULL_EVERY != gc_tuning.FULL_EVERY - 1:
            collector.batch_done()
            assert cycle() is not None, "only the full collection frees it"
        collector.batch_done()
        assert cycle() is None


@pytest.mark.usefixtures("collector_on")
def test_a_cycle_left_when_the_run_ends_is_collected_as_usual() -> None:
    with gc_tuning.batched() as collector:
        cycle = a_cycle()
        collector.batch_done()
    assert cycle() is not None
    gc.collect()
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
