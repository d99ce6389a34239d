"""One batch pipeline for replay, the stream and a caseworker's redecide:

    read → accept → load → decide → record → write (one value, one unit of work)

- read: parse each line or message and check what its form cannot say
  (`plausibility`); what breaks the contract is a dead letter;
- accept: drop duplicates (by event id and message id) and refuse conflicts
  (`accept`);
- load: what the batch's events read, through the unit of work (`world`);
- decide: the pure engine;
- record: review items, holds placed and lifted, the audit trail, the outbox
  (`recording`);
- write: everything the batch changed, handed to the unit of work as one
  `BatchChanges` (`harvest` says which persons, cases and windows that is:
  one rule for every way in).

Replay, the stream and redecide differ only in where their input comes from,
how long they keep what they loaded (`FreshWorld`, `RunWorld`) and when
windows close; every decision is made and recorded the same way, so the
same events give the same decisions with the same ids however they arrive.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

from eventfilter.core.decision import Decision
from eventfilter.core.engine import Engine
from eventfilter.core.events import Event
from eventfilter.core.pack import RulePack
from eventfilter.errors import Malformed
from eventfilter.formats import message_key, parse_event
from eventfilter.plausibility import Horizon, check_event
from eventfilter.ports import OutMessage, UnitOfWork
from eventfilter.records import BatchChanges, DeadLetter, ProcessedEvent
from eventfilter.service.accept import Candidate, accept
from eventfilter.service.recording import Recording, record
from eventfilter.service.world import World

P = TypeVar("P")  # where an input came from: a line number, a delivery
BOM = b"\xef\xbb\xbf"
Parsed = tuple[Event, str] | str  # an event and its content hash, or why the line is malformed


@dataclass(slots=True)
class Input(Generic[P]):
    """One line of a file or one message of the stream."""

    raw: bytes
    origin: P
    message_id: str | None = None
    refused: str | None = (
        None  # already known unreadable (a register snapshot): a dead letter, with this reason
    )
    parsed: Parsed | None = None  # `Pipeline.parse` of `raw`, made already (as the message came in)


@dataclass
class Outcome(Generic[P]):
    """What a batch did."""

    changes: BatchChanges
    decisions: list[Decision] = field(default_factory=list)
    refused: list[tuple[P, str]] = field(default_factory=list)  # dead-lettered inputs, with the reason
    duplicates: int = 0
    accepted: list[Candidate[P]] = field(default_factory=list)  # the events decided, with their origin

    @property
    def fresh(self) -> list[Event]:
        return [c.event for c in self.accepted]


Dead = Callable[[P, bytes, str], DeadLetter]  # an input and its refusal as the dead-letter store keeps it
DeadOut = Callable[[P, bytes, str], OutMessage]  # ... and as the broker's dead-letter queue gets it


@dataclass(frozen=True)
class Pipeline(Generic[P]):
    pack: RulePack
    how: Recording
    horizon_days: int
    dead: Dead[P]
    bom: bool = False  # a byte order mark opening an input is accepted (a message is a file of one line)
    # the stream: each refused message also goes to the outbox, for the broker's
    # dead-letter queue (published with the payment system's messages)
    dead_out: DeadOut[P] | None = None

    # -- read and accept --------------------------------------------------------------
    def read(self, inputs: Sequence[Input[P]], today: datetime, out: Outcome[P]) -> list[Candidate[P]]:
        horizon = Horizon(today.date(), self.horizon_days)
        parsed: list[Candidate[P]] = []
        for item in inputs:
            if item.refused is not None:
                self._refuse(item.origin, item.raw, item.refused, out)
                continue
            got = item.parsed if item.parsed is not None else self.parse(item.raw)
            if isinstance(got, str):
                self._refuse(item.origin, item.raw, got, out)
                continue
            event, digest = got
            try:
                check_event(event, horizon)  # against today: never made ahead
            except Malformed as exc:
                self._refuse(item.origin, item.raw, str(exc), out)
                continue
            parsed.append(Candidate(event, digest, item.origin, message_key(item.message_id), item.raw))
        return parsed

    def parse(self, raw: bytes) -> Parsed:
        """One line or message: its event and content hash, or why it is
        malformed. Pure: the stream makes it on the broker connection's thread
        as each message comes in (`Input.parsed`), the rest in `read`."""
        body = raw[len(BOM) :] if self.bom and raw.startswith(BOM) else raw
        try:
            return parse_event(body)
        except Malformed as exc:
            return str(exc)

    def accept(self, uow: UnitOfWork, parsed: Sequence[Candidate[P]], out: Outcome[P]) -> list[Event]:
        known, taken = uow.seen(
            [c.event.event_id for c in parsed], [c.message_id for c in parsed if c.message_id]
        )
        accepted = accept(parsed, known, taken, uow.event_owners)
        out.duplicates += accepted.duplicates
        for c, message in accepted.refused:
            self._refuse(c.origin, c.raw, message, out)
        out.changes.processed.extend(
            ProcessedEvent(e.event_id, c.digest, e.person_id, e.type, e.effective_date, c.message_id)
            for c in accepted.fresh
            if (e := c.event)
        )
        out.accepted = accepted.fresh
        return out.fresh

    def _refuse(self, origin: P, raw: bytes, reason: str, out: Outcome[P]) -> None:
        out.changes.dead_letters.append(self.dead(origin, raw, reason))
        if self.dead_out is not None:
            out.changes.outbox.append(self.dead_out(origin, raw, reason))
        out.refused.append((origin, reason))

    # -- a whole batch ----------------------------------------------------------------------
    def run(
        self,
        uow: UnitOfWork,
        world: World,
        inputs: Sequence[Input[P]],
        at: datetime,
        close: Callable[[Engine], list[Decision]] | None = None,
        settle: bool = False,
    ) -> Outcome[P]:
        """Read, accept, load, decide, record and write one batch; `close` decides
        the windows that are due after it (the stream's settle time); `settle`
        evaluates the facts after each window it changed that stays open (replay:
        they wait for the end of input, see `Engine.settle_open`)."""
        out: Outcome[P] = Outcome(BatchChanges(at=at))
        fresh = self.accept(uow, self.read(inputs, at, out), out)
        engine = world.prepare(fresh)
        now = at.timestamp()
        for event in fresh:
            out.decisions.extend(engine.process(event, now))
        if close is not None:
            out.decisions.extend(close(engine))
        if settle:
            engine.settle_open()
        self.finish(uow, world, out.decisions, out.changes)
        return out

    def finish(self, uow: UnitOfWork, world: World, decisions: list[Decision], changes: BatchChanges) -> None:
        finish(uow, world, decisions, changes, self.how)


def finish(
    uow: UnitOfWork, world: World, decisions: list[Decision], changes: BatchChanges, how: Recording
) -> None:
    """Record the decisions and hand everything the batch changed to the unit of work."""
    assert changes.at is not None
    items = world.open_items(d.case_id for d in decisions if d.case_id)
    record(decisions, items, changes.at, how, changes)
    harvest(world.engine, changes, world.stored_windows)
    uow.write(changes)


def harvest(engine: Engine, changes: BatchChanges, stored: set[str]) -> None:
    """What the engine changed, into `changes`, and forget it (one rule for every way in):
    a person first seen is written only if still absent; one whose address, partner or
    parents changed is written whole; any other changed person has only its facts updated."""
    state, book = engine.state, engine.book
    whole = state.reindexed
    for pid in state.dirty:
        person = state.persons.get(pid)
        if person is None:
            continue
        if pid in state.created:
            changes.new_persons.append(person)
        elif pid in whole:
            changes.persons.append(person)
        else:
            changes.person_facts.append(person)
    changes.protected_addresses |= state.protected_addresses
    changes.cases.extend(book.cases[c] for c in book.dirty)
    # `stored`: the cases whose open window is in the store. A window opened and
    # closed within the batch never was: nothing to delete.
    for c in engine.changed_windows:
        if c in engine.windows:
            changes.windows_open.append(engine.windows[c])
            stored.add(c)
        elif c in stored:
            changes.windows_closed.append(c)
            stored.discard(c)
    changes.effects.update((e.event_id, e) for e in engine.new_effects)


def forget(engine: Engine) -> None:
    """After the commit: what was written is no longer "changed"."""
    state = engine.state
    state.dirty.clear()
    state.reindexed.clear()
    state.created.clear()
    state.protected_addresses.clear()
    engine.book.dirty.clear()
    engine.changed_windows.clear()
    engine.new_effects.clear()
    engine.effects.clear()  # a later correction loads the effect it needs from the store
