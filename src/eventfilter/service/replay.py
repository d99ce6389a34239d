"""Replay: decide every event of a file, batch by batch, each batch one transaction.

Per batch: parse and validate (malformed lines become dead letters), drop
identical duplicates (already decided, or earlier in the batch), dead-letter
conflicting reuse of an event id, load the persons the batch names, run the
events through the engine, write the decisions to the sink and commit
everything the batch changed (register state, windows, processed ids,
decisions, holds, review items, dead letters) at once. A rerun after a crash
finds the committed events already decided and the open windows in the
store, and completes the run.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any, Protocol

import structlog

from eventfilter.adapters.sql.store import SqlStore
from eventfilter.core import routing
from eventfilter.core.decide import PASS, REVIEW, SUSPEND
from eventfilter.core.engine import LIFT, PLACE, Decision, Engine
from eventfilter.core.events import CORRECTION, CorrectionData, Event
from eventfilter.core.pack import RulePack
from eventfilter.errors import Malformed
from eventfilter.formats import parse_event, raw_text
from eventfilter.plausibility import Horizon, check_event
from eventfilter.records import (
    BatchChanges,
    DeadLetter,
    OpenItem,
    ProcessedEvent,
)
from eventfilter.service import gc_tuning
from eventfilter.service.accept import Candidate, accept
from eventfilter.service.recording import Recording, record
from eventfilter.service.registry import Registry
from eventfilter.settings import Settings

log = structlog.get_logger("eventfilter.replay")

Clock = Callable[[], datetime]


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
    decided: int = 0
    duplicates: int = 0
    dead_letters: int = 0
    untouched: int = 0  # events that touched no active case
    outcomes: Counter[str] = field(default_factory=Counter)
    holds_placed: int = 0
    holds_lifted: int = 0
    started: float = field(default_factory=time.perf_counter)
    elapsed: float = 0.0

    @property
    def rate(self) -> float:
        return self.events_read / self.elapsed if self.elapsed > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "events_read": self.events_read,
            "events_decided": self.decided,
            "decisions": {k: self.outcomes.get(k, 0) for k in (SUSPEND, REVIEW, PASS)},
            "untouched": self.untouched,
            "duplicates": self.duplicates,
            "dead_letters": self.dead_letters,
            "holds_placed": self.holds_placed,
            "holds_lifted": self.holds_lifted,
            "seconds": round(self.elapsed, 3),
            "events_per_second": round(self.rate),
        }


@dataclass
class _Run:
    """What one replay run carries from batch to batch."""

    engine: Engine
    registry: Registry
    items: dict[str, OpenItem]
    summary: Summary
    run_id: int
    output: list[Decision] = field(default_factory=list)  # decided, not yet written


class Replayer:
    def __init__(
        self,
        store: SqlStore,
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

    def run(self, lines: Iterable[tuple[int, bytes]], source: str) -> Summary:
        with self.store.exclusive(f"replay {source}"):
            return self._run(lines, source)

    def _run(self, lines: Iterable[tuple[int, bytes]], source: str) -> Summary:
        book = self.store.load_cases()
        registry = Registry(self.store, book)
        engine = Engine(self.pack, registry.state, book)
        engine.mark_spilled(self.store.window_case_ids())  # open windows stay in the store until needed
        run = _Run(
            engine=engine,
            registry=registry,
            items=self.store.load_open_items(),
            summary=Summary(source),
            run_id=self.store.start_run("replay", source, self.clock()),
        )
        status = "failed"
        try:
            with gc_tuning.long_run():
                self._run_batches(run, lines, source)
            status = "completed"
        finally:
            run.summary.elapsed = time.perf_counter() - run.summary.started
            self.store.finish_run(run.run_id, self.clock(), status, run.summary.as_dict())
        log.info("replay finished", **run.summary.as_dict())
        return run.summary

    def _run_batches(self, run: _Run, lines: Iterable[tuple[int, bytes]], source: str) -> None:
        for batch in _batches(lines, self.settings.batch_size):
            changes = self._decide_batch(run, batch, source)
            self._commit(run, changes)
            if self.on_batch is not None:
                self.on_batch(run.summary)
        # End of input: decide every open window, in order of date and case,
        # a store-load at a time.
        engine = run.engine
        engine.spill()  # all committed with the last batch
        while engine.spilled:
            chunk = self.store.first_windows(max(1, self.settings.windows_in_memory))
            if not chunk:
                break
            engine.unspill(chunk)
            changes = BatchChanges()
            self._record(run, changes, engine.close_all())
            self._commit(run, changes)
        engine.spilled.clear()

    # -- one batch -------------------------------------------------------------
    def _decide_batch(self, run: _Run, batch: list[tuple[int, bytes]], source: str) -> BatchChanges:
        changes = BatchChanges()
        summary = run.summary
        parsed: list[Candidate[tuple[int, bytes]]] = []
        horizon = Horizon(self.clock().date(), self.settings.horizon_days)
        for lineno, raw in batch:
            summary.events_read += 1
            try:
                event, digest = parse_event(raw)
                check_event(event, horizon)
            except Malformed as exc:
                changes.dead_letters.append(_dead(source, lineno, raw, str(exc)))
                continue
            parsed.append(Candidate(event, digest, (lineno, raw)))

        accepted = accept(
            parsed,
            self.store.known_events([c.event.event_id for c in parsed]),
            set(),
            self.store.event_persons,
        )
        summary.duplicates += accepted.duplicates
        for c, message in accepted.refused:
            changes.dead_letters.append(_dead(source, *c.origin, message))
        fresh = [c.event for c in accepted.fresh]
        changes.processed.extend(
            ProcessedEvent(e.event_id, c.digest, e.person_id, e.type, e.effective_date)
            for c in accepted.fresh
            if (e := c.event)
        )

        engine = run.engine
        self._load_withdrawn(engine, fresh)
        run.registry.prepare(fresh, engine.effects)
        self._load_windows(engine, fresh)
        decisions: list[Decision] = []
        for event in fresh:
            decisions.extend(engine.process(event))
        summary.decided += len(fresh)
        self._record(run, changes, decisions)
        return changes

    def _load_withdrawn(self, engine: Engine, events: list[Event]) -> None:
        """Effects of earlier events that this batch's corrections withdraw."""
        wanted = []
        for e in events:
            if e.type == CORRECTION:
                assert isinstance(e.data, CorrectionData)
                if e.data.corrects_event_id not in engine.effects:
                    wanted.append(e.data.corrects_event_id)
        if wanted:
            engine.effects.update(self.store.effects_of(wanted))

    def _load_windows(self, engine: Engine, events: list[Event]) -> None:
        """The stored open windows of the cases these events may touch."""
        if not engine.spilled:
            return
        need: set[str] = set()
        for e in events:
            need.update(routing.candidates(engine.book, engine.state, e, engine.effects))
        need &= engine.spilled
        if need:
            engine.unspill(self.store.load_windows(sorted(need)))

    def _record(self, run: _Run, changes: BatchChanges, decisions: list[Decision]) -> None:
        summary = run.summary
        for d in decisions:
            summary.outcomes[d.outcome] += 1
            if d.hold == PLACE:
                summary.holds_placed += 1
            elif d.hold == LIFT:
                summary.holds_lifted += 1
            if d.case_id is None:
                summary.untouched += 1
            else:
                log.debug(
                    "decided",
                    decision_id=d.decision_id,
                    case_id=d.case_id,
                    outcome=d.outcome,
                    reasons=[r.code for r in d.reasons],
                    events=list(d.event_ids),
                )
        record(decisions, run.items, self.clock(), Recording(self.settings.deadlines), changes)
        run.output.extend(decisions)

    def _commit(self, run: _Run, changes: BatchChanges) -> None:
        engine = run.engine
        state, book = engine.state, engine.book
        full = state.reindexed | state.created
        changes.persons = [state.persons[p] for p in state.dirty if p in full]
        changes.person_facts = [state.persons[p] for p in state.dirty if p not in full]
        changes.protected_addresses = set(state.protected_addresses)
        changes.cases = [book.cases[c] for c in book.dirty]
        changes.windows_open = [engine.windows[c] for c in engine.changed_windows if c in engine.windows]
        changes.windows_closed = [c for c in engine.changed_windows if c not in engine.windows]
        changes.effects = {e.event_id: e for e in engine.new_effects}
        changes.run_id = run.run_id
        changes.at = self.clock()
        run.summary.dead_letters += len(changes.dead_letters)
        if self.sink is not None:
            self.sink.write(run.output)
            self.sink.flush()  # durable before the commit: a crash repeats, never loses
        run.output = []
        run.registry.note_changed()
        self.store.write_batch(changes)
        state.dirty.clear()
        state.reindexed.clear()
        state.created.clear()
        state.protected_addresses.clear()
        book.dirty.clear()
        engine.changed_windows.clear()
        engine.new_effects.clear()
        engine.effects.clear()
        run.registry.evict()
        if len(engine.windows) > self.settings.windows_in_memory:
            engine.spill()


def _dead(source: str, lineno: int, raw: bytes, error: str) -> DeadLetter:
    return DeadLetter(source, str(lineno), raw_text(raw), f"Line {lineno}: {error}")


def _batches(lines: Iterable[tuple[int, bytes]], size: int) -> Iterator[list[tuple[int, bytes]]]:
    it = iter(lines)
    while batch := list(islice(it, size)):
        yield batch
