"""Replay: decide every event of a file, batch by batch, each batch one unit
of work through the batch pipeline (`pipeline`).

A run holds the database alone (`Store.exclusive`) and keeps what it has
loaded from batch to batch (`RunWorld`): each batch loads only the persons,
cases and windows new to it, so a national register costs nothing to open.
Each batch's decision lines are made durable in the sink before the batch
commits. A rerun after a crash finds the committed events already decided
and the open windows in the store, and completes the run. At the end of the
input every open window is decided, in order of date and case.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any, Protocol, TypeVar

import structlog

from eventfilter.core.decision import LIFT, PLACE, Decision
from eventfilter.core.pack import RulePack
from eventfilter.core.vocabulary import OUTCOMES
from eventfilter.errors import WindowNotLoaded
from eventfilter.formats import raw_text
from eventfilter.ports import Store
from eventfilter.records import BatchChanges, DeadLetter, SnapshotRead
from eventfilter.service import gc_tuning
from eventfilter.service.pipeline import Input, Pipeline, forget
from eventfilter.service.recording import Recording
from eventfilter.service.snapshots import derive
from eventfilter.service.world import RunWorld
from eventfilter.settings import Settings

log = structlog.get_logger("eventfilter.replay")
PARAMETERS_NOT_IN_FORCE = "parameters_not_in_force"

Clock = Callable[[], datetime]
Line = tuple[int, bytes]  # (line number, raw bytes)
P = TypeVar("P")  # what a run reads: lines, register snapshots


class DecisionSink(Protocol):
    def write(self, decisions: Iterable[Decision]) -> None: ...
    def flush(self) -> None: ...


class ObservedSink:
    """Shows every decision to `observe` (a report), then hands it on to `inner`, if any."""

    def __init__(self, observe: Callable[[list[Decision]], None], inner: DecisionSink | None = None) -> None:
        self.observe, self.inner = observe, inner

    def write(self, decisions: Iterable[Decision]) -> None:
        batch = list(decisions)
        self.observe(batch)
        if self.inner is not None:
            self.inner.write(batch)

    def flush(self) -> None:
        if self.inner is not None:
            self.inner.flush()


@dataclass
class Summary:
    source: str
    events_read: int = 0
    snapshots: int | None = None  # persons read from register snapshots (their changes are the events)
    decided: int = 0
    duplicates: int = 0
    dead_letters: int = 0
    untouched: int = 0  # events that touched no active case
    outcomes: Counter[str] = field(default_factory=Counter)
    holds_placed: int = 0
    holds_lifted: int = 0
    not_in_force: int = 0  # decisions dated before the pack's parameters are in force
    started: float = field(default_factory=time.perf_counter)
    elapsed: float = 0.0

    @property
    def rate(self) -> float:
        return self.events_read / self.elapsed if self.elapsed > 0 else 0.0

    def count(self, decisions: Iterable[Decision]) -> None:
        """Add a batch's decisions (counted in locals and added at the end: a
        national month counts two million)."""
        outcomes: dict[str, int] = {}
        placed = lifted = untouched = early = 0
        for d in decisions:
            outcomes[d.outcome] = outcomes.get(d.outcome, 0) + 1
            if d.hold == PLACE:
                placed += 1
            elif d.hold == LIFT:
                lifted += 1
            if d.case_id is None:
                untouched += 1
                continue
            for r in d.reasons:
                if r.code == PARAMETERS_NOT_IN_FORCE:
                    early += 1
                    break
        self.outcomes.update(outcomes)
        self.holds_placed += placed
        self.holds_lifted += lifted
        self.untouched += untouched
        self.not_in_force += early

    def as_dict(self) -> dict[str, Any]:
        snapshots = {} if self.snapshots is None else {"snapshots_read": self.snapshots}
        return {
            "source": self.source,
            **snapshots,
            "events_read": self.events_read,
            "events_decided": self.decided,
            "decisions": {k.value: self.outcomes.get(k, 0) for k in OUTCOMES},
            "untouched": self.untouched,
            "duplicates": self.duplicates,
            "dead_letters": self.dead_letters,
            "holds_placed": self.holds_placed,
            "holds_lifted": self.holds_lifted,
            "decided_before_the_pack_is_in_force": self.not_in_force,
            "seconds": round(self.elapsed, 3),
            "events_per_second": round(self.rate),
        }


class Replayer:
    def __init__(
        self,
        store: Store,
        pack: RulePack,
        settings: Settings,
        clock: Clock,
        sink: DecisionSink | None = None,
        on_batch: Callable[[Summary], None] | None = None,
    ) -> None:
        self.store = store
        self.pack = pack
        self.settings = settings
        self.clock = clock
        self.sink = sink
        self.on_batch = on_batch

    def run(self, lines: Iterable[Line], source: str) -> Summary:
        """Decide the contract's event lines."""
        with self.store.exclusive(f"replay {source}"):

            def dead(origin: Line, raw: bytes, error: str) -> DeadLetter:
                return DeadLetter(source, str(origin[0]), raw_text(raw), f"Line {origin[0]}: {error}")

            def inputs(world: RunWorld, batch: list[Line]) -> list[Input[Line]]:
                return [Input(raw, (n, raw)) for n, raw in batch]

            return self._run(lines, source, dead, inputs)

    def run_snapshots(self, reads: Iterable[SnapshotRead], source: str) -> Summary:
        """Decide the changes in a register source's snapshots (CPR extracts, Navet
        notifications): each diffed against what the register holds (`snapshots`)."""
        with self.store.exclusive(f"replay {source}"):

            def dead(origin: SnapshotRead, raw: bytes, error: str) -> DeadLetter:
                where = origin.file or source
                return DeadLetter(where, origin.position, raw_text(origin.shown), f"{origin.where}: {error}")

            return self._run(reads, source, dead, derive, snapshots=True)

    def _run(
        self,
        items: Iterable[P],
        source: str,
        dead: Callable[[P, bytes, str], DeadLetter],
        inputs: Callable[[RunWorld, list[P]], list[Input[P]]],
        snapshots: bool = False,
    ) -> Summary:
        summary = Summary(source, snapshots=0 if snapshots else None)
        run_id = self.store.start_run("replay", source, self.clock())
        pipeline: Pipeline[P] = Pipeline(
            self.pack, Recording(self.settings.deadlines), self.settings.horizon_days, dead
        )
        world = RunWorld(self.pack, self.settings.windows_in_memory, self.settings.persons_in_memory)
        status = "failed"
        try:
            with gc_tuning.batched() as collector:
                for batch in _batches(items, self.settings.batch_size):
                    self._batch(pipeline, world, batch, inputs, summary, run_id)
                    collector.batch_done()
                self._close_all(pipeline, world, summary, run_id, collector)
            status = "completed"
        finally:
            summary.elapsed = time.perf_counter() - summary.started
            self.store.finish_run(run_id, self.clock(), status, summary.as_dict())
        log.info("replay finished", **summary.as_dict())
        return summary

    def _batch(
        self,
        pipeline: Pipeline[P],
        world: RunWorld,
        batch: list[P],
        inputs: Callable[[RunWorld, list[P]], list[Input[P]]],
        summary: Summary,
        run_id: int,
    ) -> None:
        with self.store.unit_of_work() as uow:
            items = inputs(world.bind(uow), batch)
            summary.events_read += len(items)
            if summary.snapshots is not None:
                summary.snapshots += len(batch)
            out = pipeline.run(uow, world, items, self.clock(), settle=True)
            out.changes.run_id = run_id
            self._deliver(out.decisions)  # durable before the commit: a crash repeats, never loses
        self._committed(world, out.changes, out.decisions, summary)
        summary.decided += len(out.accepted)
        summary.duplicates += out.duplicates
        if self.on_batch is not None:
            self.on_batch(summary)

    def _close_all(
        self,
        pipeline: Pipeline[P],
        world: RunWorld,
        summary: Summary,
        run_id: int,
        collector: gc_tuning.BatchCollector,
    ) -> None:
        """End of input: decide every open window, in order of date and case, a
        store-load at a time (the windows of a national run are mostly in the store).
        Every open window is in the store (each batch writes those it changed); the
        store gives the order, and a window still in memory is decided as it is there."""
        while self._close_round(pipeline, world, summary, run_id):
            collector.batch_done()  # the round's decisions and rows are gone: it scans what stays
        world.engine.spilled.clear()

    def _close_round(self, pipeline: Pipeline[P], world: RunWorld, summary: Summary, run_id: int) -> bool:
        """The open windows first in order, a store-load of them, decided and written;
        False when none is left."""
        engine = world.engine
        with self.store.unit_of_work() as uow:
            due = uow.first_windows(max(1, self.settings.windows_in_memory))
            if not due:
                return False
            world.bind(uow).load_to_close(due)  # the cases new to the run, the windows not in memory
            decisions = engine.close(due)
            changes = BatchChanges(at=self.clock(), run_id=run_id)
            # a window whose case is gone can never be decided: dropped, said, and never looped on
            orphans = [c for c in due if c not in engine.book.cases]
            if orphans:
                log.warning("open windows of cases that no longer exist were dropped", cases=len(orphans))
                changes.windows_closed.extend(orphans)
            elif not decisions:  # the same windows would come first again: never loop on them
                raise WindowNotLoaded(f"The open windows of {len(due)} cases could not be loaded.")
            pipeline.finish(uow, world, decisions, changes)
            self._deliver(decisions)
        self._committed(world, changes, decisions, summary)
        return True

    def _deliver(self, decisions: list[Decision]) -> None:
        if self.sink is not None:
            self.sink.write(decisions)
            self.sink.flush()

    def _committed(
        self, world: RunWorld, changes: BatchChanges, decisions: list[Decision], summary: Summary
    ) -> None:
        summary.dead_letters += len(changes.dead_letters)
        summary.count(decisions)
        logger = log.bind()  # resolved once per batch, not once per decision
        if logger.is_enabled_for(logging.DEBUG):
            for d in decisions:
                if d.case_id is not None:
                    logger.debug(
                        "decided",
                        decision_id=d.decision_id,
                        case_id=d.case_id,
                        outcome=d.outcome,
                        reasons=[r.code for r in d.reasons],
                        events=list(d.event_ids),
                    )
        world.committed()
        forget(world.engine)


def _batches(items: Iterable[P], size: int) -> Iterator[list[P]]:
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch
