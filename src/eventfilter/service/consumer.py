"""The consumer loop: fetch, decide, acknowledge, publish; survive outages.

- The outbox (the payment system's messages, and the dead letters for the
  broker's dead-letter queue, committed with the batch) is published by an
  `OutboxPublisher` on its own thread and broker connection, woken after
  each round, when the consumer is given one (the `consume` command); else
  at the end of each round, on the consumer's own connection.

- A message is acknowledged only after its effects are committed.
- Broker gone: log it, wait with growing backoff, reconnect; RabbitMQ
  returns the unacknowledged messages.
- Database gone: log it, keep the broker connection and the batch in hand,
  wait with growing backoff, try the same batch again. (Handing the batch
  back would count against the queue's delivery limit, and a long database
  outage would push good events into the dead letters.)
- A message that breaks processing is isolated by halving the batch and
  dead-lettered alone, so it never takes others with it nor comes back
  forever (the queue's delivery limit is the backstop for crashes).
- Stopping (SIGTERM) finishes the batch in hand: commit, ack, publish, exit.
  What cannot be published then stays in the outbox for the next run.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import structlog

from eventfilter.errors import BrokerError, StoreError
from eventfilter.logs import unexpected
from eventfilter.ports import Broker, Delivery
from eventfilter.service.backoff import Backoff
from eventfilter.service.outbox import OutboxPublisher
from eventfilter.service.stream import BatchResult, StreamProcessor

log = structlog.get_logger("eventfilter.consumer")


@dataclass(frozen=True)
class ConsumerSettings:
    batch_size: int = 2000
    max_wait: float = 0.2  # seconds to wait for the first message of a batch
    close_every: float = 1.0  # how often settled windows are decided
    lag_every: float = 5.0  # how often the queue depth is read
    backoff_start: float = 0.5
    backoff_max: float = 30.0


@dataclass
class ConsumerStats:
    batches: int = 0
    messages: int = 0
    decisions: int = 0
    dead_letters: int = 0
    duplicates: int = 0
    outages: int = 0


class Consumer:
    def __init__(
        self,
        processor: StreamProcessor,
        connect: Callable[[], Broker],
        settings: ConsumerSettings,
        stop: threading.Event,
        on_lag: Callable[[int], None] | None = None,
        on_windows: Callable[[int], None] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        publisher: OutboxPublisher | None = None,
    ) -> None:
        self.processor = processor
        self.publisher = publisher
        self.connect = connect
        self.settings = settings
        self.stop = stop
        self.on_lag = on_lag
        self.on_windows = on_windows
        self.monotonic = monotonic
        self.stats = ConsumerStats()
        self._next_close = 0.0
        self._next_lag = 0.0
        self._pending: list[Delivery] = []  # fetched, not yet acknowledged

    def run(self) -> ConsumerStats:
        if self.publisher is not None:
            self.publisher.start()  # its first round publishes what an earlier run left
        try:
            self._loop()
        finally:  # a stop, or an error that ends the run (a broker without the plugin)
            if self.publisher is not None and not self.publisher.close():
                log.warning("the outbox publisher did not stop in time; the next run publishes what is left")
        log.info(
            "consumer stopped",
            batches=self.stats.batches,
            messages=self.stats.messages,
            decisions=self.stats.decisions,
            dead_letters=self.stats.dead_letters,
        )
        return self.stats

    def _loop(self) -> None:
        backoff = Backoff(self.settings.backoff_start, self.settings.backoff_max)
        broker: Broker | None = None
        while not self.stop.is_set():
            try:
                if broker is None:
                    broker = self.connect()
                    log.info("connected to the broker")
                    backoff.reset()
                    self._publish(broker)  # what an earlier run left unpublished
                self.step(broker)
                backoff.reset()
            except BrokerError as exc:
                self._outage("the broker is unavailable", exc, broker, backoff)
                broker = None
            except StoreError as exc:
                broker = self._database_outage(exc, broker, backoff)
        if broker is not None:
            self._finish(broker)

    def _outage(self, what: str, exc: Exception, broker: Broker | None, backoff: Backoff) -> None:
        self.stats.outages += 1
        self._pending = []  # the broker hands them back
        delay = backoff.next()
        log.warning(f"{what}; retrying", error=str(exc), retry_in_seconds=delay)
        if broker is not None:
            try:
                broker.close()  # unacknowledged messages go back to their queue
            except Exception as close_error:  # already in an outage: only note it
                log.debug("closing the broker connection failed", error=str(close_error))
        self.stop.wait(delay)

    def _database_outage(self, exc: StoreError, broker: Broker | None, backoff: Backoff) -> Broker | None:
        """Wait for the database with the batch in hand, keeping the broker connection alive."""
        if broker is None:
            self._outage("the database is unavailable", exc, broker, backoff)
            return None
        self.stats.outages += 1
        delay = backoff.next()
        log.warning("the database is unavailable; retrying", error=str(exc), retry_in_seconds=delay)
        until = self.monotonic() + delay
        try:
            while not self.stop.is_set() and (left := until - self.monotonic()) > 0:
                broker.idle(min(left, 1.0))
        except BrokerError as broker_exc:
            self._outage("the broker is unavailable", broker_exc, broker, backoff)
            return None
        return broker

    def _finish(self, broker: Broker) -> None:
        try:
            self._publish(broker)
        except (BrokerError, StoreError) as exc:
            log.warning("could not publish before stopping; the next run will", error=str(exc))
        try:
            broker.close()
        except BrokerError as exc:
            log.debug("closing the broker connection failed", error=str(exc))

    def step(self, broker: Broker) -> None:
        """One round: a batch if there is one, settled windows, the outbox."""
        deliveries = self._pending or broker.fetch(self.settings.batch_size, self.settings.max_wait)
        if deliveries:
            self._pending = deliveries
            result = self._decide(deliveries)  # its dead letters are in the outbox with its decisions
            broker.ack(deliveries)
            self._pending = []
            self._count(deliveries, result)
        now = self.monotonic()
        if now >= self._next_close:
            self._next_close = now + self.settings.close_every
            closed = self.processor.close_due()
            if closed:
                self._count([], BatchResult(decisions=closed))
            ticked = self.processor.tick_due()  # once a day: what time alone changes
            if ticked:
                self._count([], BatchResult(decisions=ticked))
            if self.on_windows is not None:
                self.on_windows(self.processor.open_windows())
        if now >= self._next_lag and self.on_lag is not None:
            self._next_lag = now + self.settings.lag_every
            lag = broker.lag()
            if lag is not None:
                self.on_lag(lag)
        self._publish(broker)

    def _publish(self, broker: Broker) -> None:
        """The outbox: the publisher's thread is woken, or it is published here."""
        if self.publisher is not None:
            self.publisher.wake()
        else:
            self.processor.publish_outbox(broker)

    def _decide(self, deliveries: Sequence[Delivery]) -> BatchResult:
        try:
            return self.processor.process(deliveries)
        except (StoreError, BrokerError):
            raise
        except Exception as exc:
            if len(deliveries) == 1:
                d = deliveries[0]
                log.error(
                    "a message could not be processed; it goes to the dead letters",
                    message_id=d.message_id,
                    error=unexpected(exc),
                )
                return self.processor.reject(d, f"could not be processed ({unexpected(exc)})")
            half = len(deliveries) // 2
            first, second = self._decide(deliveries[:half]), self._decide(deliveries[half:])
            return BatchResult(
                decisions=first.decisions + second.decisions,
                dead=first.dead + second.dead,
                duplicates=first.duplicates + second.duplicates,
                decided_events=first.decided_events + second.decided_events,
            )

    def _count(self, deliveries: Sequence[Delivery], result: BatchResult) -> None:
        self.stats.batches += 1 if deliveries else 0
        self.stats.messages += len(deliveries)
        self.stats.decisions += len(result.decisions)
        self.stats.dead_letters += len(result.dead)
        self.stats.duplicates += result.duplicates
        for d in result.decisions:
            log.info(
                "decided",
                decision_id=d.decision_id,
                case_id=d.case_id,
                benefit=d.benefit,
                outcome=d.outcome,
                reasons=[r.code for r in d.reasons],
                events=list(d.event_ids),
                hold=d.hold,
            )
