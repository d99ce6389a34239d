"""The stream: decide register events as messages arrive, with several
consumers at once.

Each batch is one transaction. It takes the messages' events (dropping
duplicates by message id and event id), reads the persons they name, finds
the cases they may touch, locks those cases, reads everything the cases'
rules need fresh under the lock (persons, open windows, review items),
decides with the same engine as replay, and commits the decisions, holds,
review items, windows, processed ids and the outbox messages for the
payment system together. Only then are the messages acknowledged; only
then is the outbox published. A crash anywhere loses nothing: uncommitted
messages are redelivered and decided then, committed ones are duplicates.

A case's window closes `settle_seconds` after its first event: windows live
in the store, so a restart finishes them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from eventfilter.adapters.jsonl import BOM
from eventfilter.adapters.sql import stream as q
from eventfilter.adapters.sql.store import SqlStore
from eventfilter.core.cases import CaseBook
from eventfilter.core.engine import Decision, Engine
from eventfilter.core.events import CORRECTION, AddressData, BirthData, CorrectionData, Event, MaritalData
from eventfilter.core.facts import Effect, Group
from eventfilter.core.pack import RulePack
from eventfilter.core.state import RegisterState
from eventfilter.errors import Malformed
from eventfilter.formats import parse_event, raw_text
from eventfilter.plausibility import Horizon, check_event
from eventfilter.ports import Broker, Delivery
from eventfilter.records import (
    BatchChanges,
    DeadLetter,
    ProcessedEvent,
)
from eventfilter.service.accept import Candidate, accept
from eventfilter.service.recording import Recording, record
from eventfilter.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy import Connection

Clock = Callable[[], datetime]


class StreamMetrics(Protocol):
    def consumed(self, n: int, redelivered: int) -> None: ...
    def decided(self, outcome: str, benefit: str | None) -> None: ...
    def dead_lettered(self, n: int) -> None: ...
    def latency(self, seconds: float) -> None: ...


class NoMetrics:
    def consumed(self, n: int, redelivered: int) -> None:
        return None

    def decided(self, outcome: str, benefit: str | None) -> None:
        return None

    def dead_lettered(self, n: int) -> None:
        return None

    def latency(self, seconds: float) -> None:
        return None


@dataclass
class BatchResult:
    decisions: list[Decision] = field(default_factory=list)
    dead: list[tuple[Delivery, str]] = field(default_factory=list)  # for the dead-letter queue
    duplicates: int = 0
    decided_events: int = 0


class StreamProcessor:
    def __init__(
        self,
        store: SqlStore,
        pack: RulePack,
        settings: Settings,
        clock: Clock,
        metrics: StreamMetrics | None = None,
        source: str = "stream",
    ) -> None:
        self.store = store
        self.pack = pack
        self.settings = settings
        self.clock = clock
        self.metrics: StreamMetrics = metrics or NoMetrics()
        self.source = source

    # -- a batch of messages ----------------------------------------------------------
    def process(self, deliveries: Sequence[Delivery]) -> BatchResult:
        at = self.clock()
        now = at.timestamp()
        result = BatchResult()
        changes = BatchChanges(at=at)
        parsed = self._parse(deliveries, at, changes, result)
        self.metrics.consumed(len(deliveries), sum(1 for d in deliveries if d.redelivered))

        with self.store.write_transaction() as conn:
            known, taken = q.seen(
                conn, [e.event_id for _, e, _ in parsed], [d.message_id for d, _, _ in parsed if d.message_id]
            )
            accepted = accept(
                [Candidate(e, digest, d, d.message_id) for d, e, digest in parsed],
                known,
                taken,
                lambda ids: q.event_persons(conn, ids),
            )
            result.duplicates += accepted.duplicates
            for c, message in accepted.refused:
                self._reject(c.origin, message, changes, result)
            fresh = [c.event for c in accepted.fresh]
            changes.processed.extend(
                ProcessedEvent(e.event_id, c.digest, e.person_id, e.type, e.effective_date, c.message_id)
                for c in accepted.fresh
                if (e := c.event)
            )

            withdrawn = q.effects(
                conn, [e.data.corrects_event_id for e in fresh if isinstance(e.data, CorrectionData)]
            )
            state = RegisterState(q.persons(conn, _named(fresh, withdrawn)))
            beneficiaries, addresses, partners = _candidates(fresh, state, withdrawn)
            engine = self._mini_world(
                conn, state, q.candidate_cases(conn, beneficiaries, addresses, partners), addresses
            )
            engine.effects.update(withdrawn)
            decisions: list[Decision] = []
            for event in fresh:
                decisions.extend(engine.process(event, now))
            decisions.extend(engine.close_due(now, self.settings.settle_seconds))
            result.decided_events = len(fresh)
            self._record(conn, engine, decisions, changes)
            self.store.write_changes(conn, changes)
        self.store.committed(changes)
        result.decisions = decisions
        committed = self.clock().timestamp()
        decided = {e.event_id for e in fresh}
        for delivery, event, _ in parsed:
            if delivery.published_at is not None and event.event_id in decided:
                self.metrics.latency(max(0.0, committed - delivery.published_at))
        for decision in decisions:
            self.metrics.decided(decision.outcome, decision.benefit)
        self.metrics.dead_lettered(len(result.dead))
        return result

    def _parse(
        self, deliveries: Sequence[Delivery], at: datetime, changes: BatchChanges, result: BatchResult
    ) -> list[tuple[Delivery, Event, str]]:
        """The messages' events; malformed ones are dead letters."""
        parsed: list[tuple[Delivery, Event, str]] = []
        horizon = Horizon(at.date(), self.settings.horizon_days)
        for d in deliveries:
            try:
                body = d.body[len(BOM) :] if d.body.startswith(BOM) else d.body  # accepted, and ignored
                event, digest = parse_event(body)
                check_event(event, horizon)
            except Malformed as exc:
                self._reject(d, str(exc), changes, result)
                continue
            parsed.append((d, event, digest))
        return parsed

    def reject(self, delivery: Delivery, reason: str) -> BatchResult:
        """Dead-letter one message that could not be processed at all."""
        result = BatchResult()
        changes = BatchChanges(at=self.clock())
        self._reject(delivery, reason, changes, result)
        with self.store.write_transaction() as conn:
            self.store.write_changes(conn, changes)
        self.metrics.dead_lettered(1)
        return result

    def _reject(self, d: Delivery, reason: str, changes: BatchChanges, result: BatchResult) -> None:
        position = f"message {d.message_id}" if d.message_id else f"delivery {d.tag}"
        raw = raw_text(d.body)
        changes.dead_letters.append(
            DeadLetter(d.queue or self.source, position, raw, f"{position.capitalize()}: {reason}")
        )
        result.dead.append((d, reason))

    def _mini_world(
        self,
        conn: Connection,
        state: RegisterState,
        case_ids: Sequence[str],
        addresses: Iterable[str] = (),
        skip_locked: bool = False,
    ) -> Engine:
        """The locked cases with everything their rules read, fresh; `addresses`
        are those the batch's events may move people to."""
        cases = q.lock_cases(conn, case_ids, skip_locked)
        for p in q.case_persons(conn, cases, state.persons, addresses):
            state.add(p)
        places = {p.address_id for p in state.persons.values() if p.address_id}
        places.update(c.dwelling_address_id for c in cases if c.dwelling_address_id)
        state.protected_places.update(q.protected_among(conn, places))
        return Engine(self.pack, state, CaseBook(cases), q.windows(conn, [c.case_id for c in cases]))

    def _record(
        self, conn: Connection, engine: Engine, decisions: list[Decision], changes: BatchChanges
    ) -> None:
        assert changes.at is not None
        at = changes.at
        state, book = engine.state, engine.book
        items = q.open_items(conn, sorted({d.case_id for d in decisions if d.case_id}))
        record(decisions, items, at, Recording(self.settings.deadlines, outbox=True), changes)
        changes.persons = [state.persons[p] for p in state.dirty if p not in state.created]
        changes.new_persons = [state.persons[p] for p in state.dirty & state.created]
        changes.protected_addresses = set(state.protected_addresses)
        changes.cases = [book.cases[c] for c in book.dirty]
        changes.windows_open = [engine.windows[c] for c in engine.changed_windows if c in engine.windows]
        changes.windows_closed = [c for c in engine.changed_windows if c not in engine.windows]
        changes.effects = {e.event_id: e for e in engine.new_effects}

    # -- windows that settled ------------------------------------------------------------
    def close_due(self, limit: int = 500, everything: bool = False) -> list[Decision]:
        """Decide the windows whose settle time has passed (or all, to flush before a cut-off).

        Cases another consumer holds locked right now are left for the next round.
        """
        at = self.clock()
        now = at.timestamp()
        changes = BatchChanges(at=at)
        with self.store.write_transaction() as conn:
            due = (
                q.all_windows(conn, limit)
                if everything
                else q.due_windows(conn, now - self.settings.settle_seconds, limit)
            )
            if not due:
                return []
            engine = self._mini_world(conn, RegisterState(), due, skip_locked=True)
            decisions = (
                engine.close_all() if everything else engine.close_due(now, self.settings.settle_seconds)
            )
            self._record(conn, engine, decisions, changes)
            self.store.write_changes(conn, changes)
        self.store.committed(changes)
        for d in decisions:
            self.metrics.decided(d.outcome, d.benefit)
        return decisions

    def flush(self) -> int:
        """Close every open window now; returns how many decisions that made."""
        total = 0
        while batch := self.close_due(everything=True):
            total += len(batch)
        return total

    # -- the payment system's messages ----------------------------------------------------
    def publish_outbox(self, broker: Broker, limit: int = 2000) -> int:
        """Publish committed messages in order; at least once (ids are stable)."""
        sent = 0
        while True:
            with self.store.write_transaction() as conn:
                claimed = q.claim_outbox(conn, limit)
                if not claimed:
                    return sent
                broker.publish([m for _, m in claimed])
                q.delete_outbox(conn, claimed[-1][0])
            sent += len(claimed)
            if len(claimed) < limit:
                return sent

    def open_windows(self) -> int:
        with self.store.connect() as conn:
            return q.open_window_count(conn)


def _named(events: Iterable[Event], withdrawn: dict[str, Effect]) -> set[str]:
    ids: set[str] = set()
    for e in events:
        ids.add(e.person_id)
        ids.update(e.named_persons())
        if isinstance(e.data, CorrectionData) and e.data.corrects_event_id in withdrawn:
            ids.update(w.person_id for w in withdrawn[e.data.corrects_event_id].writes)
    return ids


def _candidates(
    events: Iterable[Event], state: RegisterState, withdrawn: dict[str, Effect]
) -> tuple[set[str], set[str], set[str]]:
    """Who might be a beneficiary, which addresses might be dwellings, and who
    might be named as a partner, before or after these events."""
    beneficiaries: set[str] = set()
    addresses: set[str] = set()
    partners: set[str] = set()

    def person(pid: str) -> None:
        beneficiaries.add(pid)
        partners.add(pid)
        p = state.get(pid)
        if p is not None:
            beneficiaries.update(x for x in (p.partner_id, *p.parent_ids) if x)
            if p.address_id:
                addresses.add(p.address_id)

    for e in events:
        person(e.person_id)
        data = e.data
        if isinstance(data, AddressData | BirthData) and data.address_id:
            addresses.add(data.address_id)
        if isinstance(data, MaritalData) and data.partner_id:
            beneficiaries.add(data.partner_id)
        if isinstance(data, BirthData):
            beneficiaries.update(data.parent_ids)
        if e.type == CORRECTION and isinstance(data, CorrectionData):
            for w in withdrawn.get(data.corrects_event_id, Effect("")).writes:
                person(w.person_id)
                for values in (w.old_values, w.values):
                    if w.group is Group.ADDRESS and values and isinstance(values[0], str):
                        addresses.add(values[0])
                    elif w.group is Group.MARITAL and len(values) > 1 and isinstance(values[1], str):
                        beneficiaries.add(values[1])
                    elif w.group is Group.BIRTH and len(values) > 1 and isinstance(values[1], tuple):
                        beneficiaries.update(values[1])
    return beneficiaries, addresses, partners
