"""The stream: decide register events as messages arrive, with several
consumers at once.

Each batch is one unit of work through the batch pipeline (`pipeline`): it
takes the messages' events (dropping duplicates by message id and event id),
loads what they read fresh and locks their cases (`FreshWorld`: several
consumers decide at once), decides with the same engine as replay, and
commits the decisions, holds, review items, windows, processed ids and the
outbox messages for the payment system together. Only then are the messages
acknowledged; only then is the outbox published (`outbox`). A crash anywhere loses
nothing: uncommitted messages are redelivered and decided then, committed
ones are duplicates.

A case's window closes `settle_seconds` after its first event: windows live
in the store, so a restart finishes them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from eventfilter.core.decision import Decision
from eventfilter.core.pack import RulePack
from eventfilter.formats import message_key, raw_text
from eventfilter.ports import Broker, Delivery, OutMessage, Publisher, Store
from eventfilter.records import BatchChanges, DeadLetter, SnapshotRead
from eventfilter.service.outbox import publish_outbox
from eventfilter.service.pipeline import Input, Parsed, Pipeline
from eventfilter.service.recording import Recording
from eventfilter.service.snapshots import derive_from
from eventfilter.service.ticks import Ticker
from eventfilter.service.world import FreshWorld
from eventfilter.settings import Settings

Clock = Callable[[], datetime]


class StreamMetrics(Protocol):
    def consumed(self, n: int, redelivered: int) -> None: ...
    def decided(self, outcome: str, benefit: str | None) -> None: ...
    def dead_lettered(self, n: int) -> None: ...
    def latency(self, seconds: float) -> None: ...
    def locked(self, seconds: float) -> None: ...


class NoMetrics:
    def consumed(self, n: int, redelivered: int) -> None:
        return None

    def decided(self, outcome: str, benefit: str | None) -> None:
        return None

    def dead_lettered(self, n: int) -> None:
        return None

    def latency(self, seconds: float) -> None:
        return None

    def locked(self, seconds: float) -> None:
        return None


@dataclass
class BatchResult:
    decisions: list[Decision] = field(default_factory=list)
    # refused, with the reason (in the outbox, for the dead-letter queue)
    dead: list[tuple[Delivery, str]] = field(default_factory=list)
    duplicates: int = 0
    decided_events: int = 0


class StreamProcessor:
    def __init__(
        self,
        store: Store,
        pack: RulePack,
        settings: Settings,
        clock: Clock,
        metrics: StreamMetrics | None = None,
        source: str = "stream",
        reader: Callable[[Delivery], SnapshotRead] | None = None,
        daily_tick: bool = True,
    ) -> None:
        self.store = store
        self.pack = pack
        self.settings = settings
        self.clock = clock
        self.metrics: StreamMetrics = metrics or NoMetrics()
        self.source = source
        # messages that carry a register snapshot (Beskedfordeler envelopes) rather than
        # the contract's event lines: diffed against the register (`snapshots`)
        self.reader = reader
        self.daily_tick = daily_tick
        self._ticked: date | None = None  # the day the daily tick last ran
        self.pipeline: Pipeline[Delivery] = Pipeline(
            pack,
            Recording(settings.deadlines, outbox=True),
            settings.horizon_days,
            self._dead,
            bom=True,
            dead_out=dead_message,
        )

    @property
    def prepare(self) -> Callable[[bytes], Parsed] | None:
        """What the broker may make of each message as it comes in, on its
        connection's own thread (`Delivery.read`): the contract's event lines
        parsed, while the batch before is decided and written. A register
        snapshot is read in the batch, against the register."""
        return self.pipeline.parse if self.reader is None else None

    # -- a batch of messages ----------------------------------------------------------
    def process(self, deliveries: Sequence[Delivery]) -> BatchResult:
        at = self.clock()
        now = at.timestamp()
        settle = self.settings.settle_seconds
        self.metrics.consumed(len(deliveries), sum(1 for d in deliveries if d.redelivered))
        reads = [(self.reader(d), d) for d in deliveries] if self.reader is not None else []
        with self.store.unit_of_work() as uow:
            world = FreshWorld(self.pack, uow, on_locked=self.metrics.locked)
            inputs = (
                derive_from(world, reads)
                if self.reader is not None
                else [Input(d.body, d, d.message_id, parsed=d.read) for d in deliveries]
            )
            out = self.pipeline.run(uow, world, inputs, at, close=lambda e: e.close_due(now, settle))
        result = BatchResult(out.decisions, out.refused, out.duplicates, len(out.fresh))
        committed = self.clock().timestamp()
        for c in out.accepted:
            if c.origin.published_at is not None:
                self.metrics.latency(max(0.0, committed - c.origin.published_at))
        for decision in out.decisions:
            self.metrics.decided(decision.outcome, decision.benefit)
        self.metrics.dead_lettered(len(result.dead))
        return result

    def reject(self, delivery: Delivery, reason: str) -> BatchResult:
        """Dead-letter one message that could not be processed at all."""
        changes = BatchChanges(at=self.clock())
        changes.dead_letters.append(self._dead(delivery, delivery.body, reason))
        changes.outbox.append(dead_message(delivery, delivery.body, reason))
        with self.store.unit_of_work() as uow:
            uow.write(changes)
        self.metrics.dead_lettered(1)
        return BatchResult(dead=[(delivery, reason)])

    def _dead(self, d: Delivery, raw: bytes, reason: str) -> DeadLetter:
        key = message_key(d.message_id)
        position = f"message {key}" if key else f"delivery {d.tag}"
        return DeadLetter(
            d.queue or self.source, position, raw_text(raw), f"{position.capitalize()}: {reason}"
        )

    # -- windows that settled ------------------------------------------------------------
    def close_due(self, limit: int = 500, everything: bool = False) -> list[Decision]:
        """Decide the windows whose settle time has passed (or all, to flush before a cut-off).

        Cases another consumer holds locked right now are left for the next round.
        """
        at = self.clock()
        now = at.timestamp()
        settle = self.settings.settle_seconds
        changes = BatchChanges(at=at)
        with self.store.unit_of_work() as uow:
            due = uow.first_windows(limit) if everything else uow.due_windows(now - settle, limit)
            if not due:
                return []
            world = FreshWorld(self.pack, uow)
            world.load_cases(due, skip_locked=True)
            engine = world.engine
            decisions = engine.close_all() if everything else engine.close_due(now, settle)
            self.pipeline.finish(uow, world, decisions, changes)
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
    def publish_outbox(self, publisher: Broker | Publisher, limit: int = 2000) -> int:
        """Publish committed messages in order; at least once (ids are stable)."""
        return publish_outbox(self.store, publisher, limit)

    def open_windows(self) -> int:
        return self.store.open_window_count()

    # -- what time alone changes ---------------------------------------------------------
    def tick_due(self) -> list[Decision]:
        """Once a day by the clock: decide what time alone changes through today
        (`Ticker`); several consumers may do it at once (each case is locked and
        keeps its own tick date, so none is decided twice)."""
        today = self.clock().date()
        if not self.daily_tick or self._ticked == today:
            return []
        sink = _Collect()
        Ticker(self.store, self.pack, self.settings, self.clock, sink).run(today)
        self._ticked = today
        for d in sink.decisions:
            self.metrics.decided(d.outcome, d.benefit)
        return sink.decisions


def dead_message(d: Delivery, raw: bytes, reason: str) -> OutMessage:
    """A refused message for the broker's dead-letter queue: as it came, with the reason."""
    return OutMessage("", message_key(d.message_id) or "", raw, error=reason, queue=d.queue)


class _Collect:
    def __init__(self) -> None:
        self.decisions: list[Decision] = []

    def write(self, decisions: list[Decision]) -> None:
        self.decisions.extend(decisions)

    def flush(self) -> None:
        return None
