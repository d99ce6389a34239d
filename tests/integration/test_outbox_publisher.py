"""The outbox published on a thread of its own, beside the consumer's loop:
with the in-memory broker, on SQLite, PostgreSQL and the in-memory store."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from eventfilter.adapters.memory_broker import MemoryBroker
from eventfilter.errors import BrokerError, BrokerSetupError, StoreError
from eventfilter.ports import OutMessage, Store
from eventfilter.service import outbox
from eventfilter.service.consumer import Consumer, ConsumerSettings
from eventfilter.service.outbox import OutboxPublisher
from eventfilter.service.stream import StreamProcessor
from tests.helpers import event
from tests.integration.conftest import _empty_postgres
from tests.integration.test_stream import Clock, app_for, send

AMQP = "amqp://127.0.0.1:5672/"


@pytest.fixture
def clock() -> Clock:
    return Clock()


class Payments:
    """The payment system's side of the broker: what arrived, and a broker that can be away."""

    def __init__(self, fail: Callable[[int], BaseException | None] = lambda n: None) -> None:
        self.received: list[OutMessage] = []
        self.connects = 0
        self.closed = 0
        self.kept_alive = 0
        self.attempts = 0
        self.fail = fail  # given the attempt's number, an error to raise, or None

    def connect(self) -> Payments:
        self.connects += 1
        return self

    def publish(self, messages: Sequence[OutMessage]) -> None:
        self.attempts += 1
        error = self.fail(self.attempts)
        if error is not None:
            raise error
        self.received.extend(messages)

    def keep_alive(self) -> None:
        self.kept_alive += 1

    def close(self) -> None:
        self.closed += 1


def waiting(store: Store) -> list[str]:
    """The message ids still in the outbox, oldest first."""
    with store.unit_of_work() as uow:
        return [m.message_id for _, m in uow.claim_outbox(10_000) or []]


def until(done: Callable[[], bool], what: str, timeout: float = 60) -> None:
    """Wait on a condition (a busy machine may take its time), never a fixed pause."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.01)


def a_death(db_url: str, clock: Clock) -> tuple[StreamProcessor, list[str]]:
    """B dies: two suspensions, two holds, committed to the outbox; their ids in order."""
    app = app_for(db_url, clock)
    processor = StreamProcessor(app.store, app.pack, app.settings, app.clock)
    broker = MemoryBroker()
    send(broker, event("death", "B", event_id="d"))
    processor.process(broker.fetch(10, 0))
    processor.flush()
    ids = waiting(app.store)
    assert len(ids) == 4
    return processor, ids


def test_a_consumer_with_a_publisher_hands_its_outbox_to_the_thread(db_url: str, clock: Clock) -> None:
    app = app_for(db_url, clock)
    processor = StreamProcessor(app.store, app.pack, app.settings, app.clock)
    broker, payments = MemoryBroker(), Payments()
    publisher = OutboxPublisher(app.store, payments.connect)
    consumer = Consumer(
        processor, lambda: broker, ConsumerSettings(max_wait=0), threading.Event(), publisher=publisher
    )
    send(broker, event("death", "B", event_id="d"), "not json")
    consumer.step(broker)
    consumer.processor.flush()
    assert broker.acked == 2
    publisher.start()
    publisher.wake()
    until(lambda: len(payments.received) == 5, "the five messages to be published")
    assert publisher.close()
    assert broker.published == [] and broker.dead == []  # not on the consumer's connection
    assert payments.connects == 1 and payments.closed == 1
    assert waiting(app.store) == []  # and gone from the outbox
    assert sorted(m.routing_key for m in payments.received if not m.dead) == [
        "decision.suspend.boligstoette",
        "decision.suspend.kontanthjaelp",
        "hold.placed.boligstoette",
        "hold.placed.kontanthjaelp",
    ]
    [letter] = [m for m in payments.received if m.dead]  # the dead letter, through the same thread
    assert letter.body == b"not json" and letter.queue == broker.queue and letter.error


def test_a_stopping_consumer_has_its_last_batch_published(db_url: str, clock: Clock) -> None:
    app = app_for(db_url, clock)
    processor = StreamProcessor(app.store, app.pack, app.settings, app.clock)
    broker, payments = MemoryBroker(), Payments()
    stop = threading.Event()
    real = processor.process

    def then_stop(deliveries: Any) -> Any:
        result = real(deliveries)
        processor.flush()  # the windows closed at once: their messages are in this round's outbox
        stop.set()
        return result

    processor.process = then_stop  # type: ignore[method-assign]
    # the publisher looks only when woken (`every` is an hour): the stop's last round publishes
    publisher = OutboxPublisher(app.store, payments.connect, every=3600)
    send(broker, event("death", "B", event_id="d"))
    stats = Consumer(processor, lambda: broker, ConsumerSettings(max_wait=0), stop, publisher=publisher).run()
    assert stats.messages == 1
    assert len(payments.received) == 4 and waiting(app.store) == []


def test_a_broker_outage_keeps_the_messages_until_the_broker_is_back(db_url: str, clock: Clock) -> None:
    processor, ids = a_death(db_url, clock)

    def away_twice(n: int) -> BaseException | None:
        return (
            BrokerError("RabbitMQ at amqp://127.0.0.1:5672/ is not reachable (refused).") if n <= 2 else None
        )

    payments = Payments(away_twice)
    publisher = OutboxPublisher(processor.store, payments.connect, backoff_start=0.01)
    publisher.start()
    until(lambda: len(payments.received) == 4, "the messages after the outage")
    assert publisher.close()
    assert [m.message_id for m in payments.received] == ids  # once each, in the outbox's order
    assert payments.connects == 3  # a new connection after each failure
    assert publisher.outages == 2
    assert waiting(processor.store) == []


def test_a_database_outage_keeps_the_broker_connection(
    db_url: str, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    processor, ids = a_death(db_url, clock)
    real = outbox.publish_round
    calls = []

    def flaky(store: Store, publisher: Any, limit: int = 2000) -> int | None:
        calls.append(1)
        if len(calls) == 1:
            raise StoreError("The database at postgresql://… is not reachable.")
        return real(store, publisher, limit)

    monkeypatch.setattr(outbox, "publish_round", flaky)
    payments = Payments()
    publisher = OutboxPublisher(processor.store, payments.connect, backoff_start=0.01)
    publisher.start()
    until(lambda: len(payments.received) == 4, "the messages after the outage")
    assert publisher.close()
    assert [m.message_id for m in payments.received] == ids
    assert payments.connects == 1 and publisher.outages == 1


def test_an_unexpected_error_does_not_end_the_thread(db_url: str, clock: Clock) -> None:
    processor, ids = a_death(db_url, clock)
    payments = Payments(lambda n: RuntimeError("a bug") if n == 1 else None)
    publisher = OutboxPublisher(processor.store, payments.connect, backoff_start=0.01)
    publisher.start()
    until(lambda: len(payments.received) == 4, "the messages after the error")
    assert publisher.close()
    assert [m.message_id for m in payments.received] == ids and publisher.outages == 1


def test_stopping_with_the_broker_away_leaves_the_outbox_for_the_next_run(db_url: str, clock: Clock) -> None:
    processor, ids = a_death(db_url, clock)
    away = Payments(lambda n: BrokerError(f"RabbitMQ at {AMQP} is not reachable (refused)."))
    # a backoff of an hour: the close must not wait it out
    publisher = OutboxPublisher(processor.store, away.connect, backoff_start=3600)
    publisher.start()
    until(lambda: publisher.outages >= 1, "the outage to be met")
    started = time.monotonic()
    assert publisher.close(timeout=60)
    assert time.monotonic() - started < 30
    assert away.attempts == 2  # the first round, and one more on closing
    assert away.received == [] and waiting(processor.store) == ids  # nothing lost
    payments = Payments()
    later = OutboxPublisher(processor.store, payments.connect)
    later.start()  # the next run's first round
    until(lambda: len(payments.received) == 4, "the next run to publish them")
    assert later.close()
    assert [m.message_id for m in payments.received] == ids


def test_a_new_commit_wakes_the_publisher_at_once(db_url: str, clock: Clock) -> None:
    """Woken, not on its round: `every` is an hour, so only `wake()` can publish."""
    processor, ids = a_death(db_url, clock)
    payments = Payments()
    publisher = OutboxPublisher(processor.store, payments.connect, every=3600)
    publisher.start()
    until(lambda: len(payments.received) == 4, "the first round")
    broker = MemoryBroker()
    send(broker, event("death", "P", event_id="d2"))
    processor.process(broker.fetch(10, 0))
    processor.flush()
    assert len(waiting(processor.store)) > 0
    publisher.wake()
    # counted without the publishers' claim (`waiting` takes it, and would hold off the round)
    until(lambda: processor.store.outbox_waiting() == 0, "the woken round")
    assert publisher.close()
    assert len(payments.received) > 4
    assert [m.message_id for m in payments.received][:4] == ids


def test_a_quiet_outbox_keeps_its_connection_alive(db_url: str, clock: Clock) -> None:
    """Nothing to publish, round after round: the connection is still kept (an idle
    pika connection misses the broker's heartbeats and is closed)."""
    app = app_for(db_url, clock)
    payments = Payments()
    publisher = OutboxPublisher(app.store, payments.connect, every=0.01, least=0)
    publisher.start()
    until(lambda: payments.kept_alive >= 3, "three quiet rounds")
    assert publisher.close()
    assert payments.received == [] and payments.connects == 1


def test_a_run_that_ends_in_an_error_still_stops_its_publisher(db_url: str, clock: Clock) -> None:
    """A broker that refuses the topology ends the run: the publisher's thread gets
    its last round and ends with it, not left behind."""
    processor, ids = a_death(db_url, clock)
    payments = Payments()
    publisher = OutboxPublisher(processor.store, payments.connect, every=3600)

    def refused() -> Any:
        raise BrokerSetupError("RabbitMQ lacks the consistent-hash exchange plugin.")

    consumer = Consumer(processor, refused, ConsumerSettings(), threading.Event(), publisher=publisher)
    with pytest.raises(BrokerSetupError):
        consumer.run()
    assert not publisher.running
    assert [m.message_id for m in payments.received] == ids


def test_the_operator_sees_what_was_published_and_what_waits(db_url: str, clock: Clock) -> None:
    """Through the metrics: while the broker is away the messages show as waiting,
    and once they are out, as published and no longer waiting."""
    processor, ids = a_death(db_url, clock)
    published: list[int] = []
    waiting: list[int] = []
    back = threading.Event()

    def away_until_back(n: int) -> BaseException | None:
        return None if back.is_set() else BrokerError(f"RabbitMQ at {AMQP} is not reachable (refused).")

    payments = Payments(away_until_back)
    publisher = OutboxPublisher(
        processor.store,
        payments.connect,
        every=0.01,
        backoff_start=0.01,
        backoff_max=0.05,
        on_published=published.append,
        on_waiting=waiting.append,
    )
    publisher.start()
    until(lambda: 4 in waiting, "the four messages to show as waiting")
    assert published == []
    back.set()
    until(lambda: sum(published) == 4 and waiting[-1] == 0, "the messages to show as published")
    assert publisher.close()
    assert [m.message_id for m in payments.received] == ids


@pytest.mark.postgres
def test_a_round_that_finds_the_outbox_claimed_elsewhere_tries_again(pg_database: str, clock: Clock) -> None:
    """Another process's publisher holds the claim when this one is woken: its
    round may have begun before these messages were committed, so this one tries
    again shortly, not at its next wake (which may never come)."""
    _empty_postgres(pg_database)
    processor, ids = a_death(pg_database, clock)
    payments = Payments()
    publisher = OutboxPublisher(processor.store, payments.connect, every=3600)
    with processor.store.unit_of_work() as other:
        assert other.claim_outbox(1) is not None  # the other process's claim, held
        publisher.start()
        until(lambda: publisher.rounds >= 1, "a round that finds the outbox claimed")
        assert payments.received == []
    # claim released; no wake comes, and `every` is an hour
    until(lambda: len(payments.received) == 4, "the round tried again")
    assert publisher.close()
    assert [m.message_id for m in payments.received] == ids


def test_the_outbox_is_claimed_and_emptied_in_the_order_it_was_filled(db_url: str, clock: Clock) -> None:
    from eventfilter.records import BatchChanges

    app = app_for(db_url, clock)

    def add(*ids: str) -> None:
        changes = BatchChanges(at=app.clock())
        changes.outbox += [OutMessage("decision.pass.kontanthjaelp", i, b"{}") for i in ids]
        with app.store.unit_of_work() as uow:
            uow.write(changes)

    add("a", "b", "c")
    add("d")
    with app.store.unit_of_work() as uow:
        claimed = uow.claim_outbox(2) or []
    assert [m.message_id for _, m in claimed] == ["a", "b"]
    with app.store.unit_of_work() as uow:
        uow.delete_outbox(claimed[-1][0])
    assert waiting(app.store) == ["c", "d"]
    add("e")
    with app.store.unit_of_work() as uow:
        rest = uow.claim_outbox(10) or []
        uow.delete_outbox(rest[1][0])  # up to d: e stays
    assert [m.message_id for _, m in rest] == ["c", "d", "e"]
    assert waiting(app.store) == ["e"]
