"""The Broker port on RabbitMQ: a consumer of its partitions, taken in their
senders' order, and the publisher of decisions and dead letters."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import pika
import pika.exceptions

from eventfilter.adapters.amqp.loop import ConnectionLoop
from eventfilter.adapters.amqp.topology import (
    ERROR_HEADER,
    PUBLISHED_AT,
    QUEUE_HEADER,
    Topology,
    broker_errors,
    declare,
    declare_outbound,
    open_connection,
)
from eventfilter.ports import Delivery, OutMessage, prepared

Outbound = tuple[str, str, bytes, pika.BasicProperties]  # exchange, routing key, body, properties


def outbound(topology: Topology, messages: Sequence[OutMessage]) -> list[Outbound]:
    """The outbox as the broker takes it: the payment system's messages to the
    decisions exchange as persistent JSON; dead letters to the dead-letter
    exchange as they came, with the reason and their queue in the headers."""
    out: list[Outbound] = []
    for m in messages:
        if not m.dead:
            properties = pika.BasicProperties(
                delivery_mode=pika.DeliveryMode.Persistent,
                content_type="application/json",
                message_id=m.message_id,
            )
            out.append((topology.decisions, m.routing_key, m.body, properties))
        else:
            properties = pika.BasicProperties(
                delivery_mode=pika.DeliveryMode.Persistent,
                message_id=m.message_id or None,
                headers={ERROR_HEADER: m.error, QUEUE_HEADER: m.queue},
            )
            out.append((topology.dead_exchange, "", m.body, properties))
    return out


def send_in_transaction(url: str, channel: Any, topology: Topology, messages: Sequence[OutMessage]) -> None:
    """Publish the outbox's messages in one broker transaction, on a channel in
    transaction mode (`Broker.publish` and `Publisher.publish` alike). pika's
    blocking channel writes to the socket after every message; inside a
    transaction nothing takes effect before the commit, so the messages are
    queued on the channel beneath it, held together (`JoinedFrames.held`: one
    write to the socket for them all) and go out with the commit (the commit
    waits for the broker's answer). `channel` is one of `open_connection`'s."""
    if not messages:
        return
    with broker_errors(url):
        queued = channel._impl
        with queued.connection.held():
            for exchange, routing_key, body, properties in outbound(topology, messages):
                queued.basic_publish(exchange, routing_key, body, properties)
        channel.tx_commit()


class PikaPublisher:
    """The Publisher port on RabbitMQ: a connection of its own that only
    publishes the outbox: to the decisions exchange and the dead-letter exchange
    (the outbox's publisher thread; a pika connection belongs to the one thread
    that opened it)."""

    def __init__(self, url: str, topology: Topology, heartbeat: int = 30) -> None:
        self.url = url
        self.topology = topology
        with broker_errors(url):
            self._connection = open_connection(url, heartbeat)
            self._out = self._connection.channel()
            declare_outbound(self._out, topology)
            self._out.tx_select()

    def publish(self, messages: Sequence[OutMessage]) -> None:
        send_in_transaction(self.url, self._out, self.topology, messages)

    def keep_alive(self) -> None:
        """pika's blocking connection answers heartbeats only while it does I/O;
        RabbitMQ closes a connection that misses two."""
        with broker_errors(self.url):
            self._connection.process_data_events(time_limit=0)

    def close(self) -> None:
        try:
            if self._connection.is_open:
                self._connection.close()
        except (pika.exceptions.AMQPError, OSError):
            pass  # gone either way; what was not committed stays in the outbox


class PikaBroker:
    """The Broker port on RabbitMQ. Its connection runs on a thread of its own
    (`ConnectionLoop`), which reads and decodes deliveries into the buffer
    while the consumer decides the batch before; acknowledging, publishing and
    counting are commands the caller waits for, as before."""

    def __init__(
        self,
        url: str,
        topology: Topology,
        *,
        member: int = 0,
        members: int = 1,
        prefetch: int = 1000,
        standby_after: float = 10.0,
        heartbeat: int = 30,
        prepare: Callable[[bytes], Any] | None = None,
    ) -> None:
        self.url = url
        self.topology = topology
        self._prepare = prepare  # made of each body as it comes in: `Delivery.read`
        # what the connection's thread has delivered, not yet fetched: guarded by
        # `_changed`, which is notified when it grows (or the loop ends)
        self._changed = threading.Condition()
        self._buffer: list[Delivery] = []
        # Each partition is consumed on its own channel (delivery tags count per
        # channel). Per queue: its channel, and every tag delivered on it and not
        # yet acknowledged, in delivery order (what an acknowledgement with
        # `multiple` covers). A batch taken in the senders' order is, per queue,
        # nearly always the oldest outstanding run: one frame acknowledges it.
        # Both are the connection's thread's alone once the loop runs.
        self._consumers: dict[str, Any] = {}
        self._unacked: dict[str, dict[int, None]] = {}
        self._prefetch = prefetch
        self._gathered = False
        self._subscribed: list[int] = []
        with broker_errors(url):
            self._connection = open_connection(url, heartbeat)
            self._channel = self._connection.channel()  # declarations and queue counts
            declare(self._channel, topology)
            self._out = self._connection.channel()
            self._out.tx_select()  # publish in batches, each one broker transaction
            own = [n for n in range(topology.partitions) if n % members == member]
            self._standby = [n for n in range(topology.partitions) if n % members != member]
            self._subscribe_all(own)
        self._standby_at = time.monotonic() + standby_after
        self._loop = ConnectionLoop(self._connection, self._changed)
        self._loop.start()

    def _subscribe_all(self, partitions: Sequence[int]) -> None:
        for n in partitions:
            self._subscribe(n)

    def _subscribe(self, n: int) -> None:
        queue = self.topology.partition(n)
        self._subscribed.append(n)
        channel = self._connection.channel()
        channel.basic_qos(prefetch_count=self._prefetch)
        self._consumers[queue] = channel
        unacked = self._unacked[queue] = {}
        buffer, changed = self._buffer, self._changed

        def on_message(ch: Any, method: Any, properties: Any, body: bytes) -> None:
            headers = properties.headers or {}
            published = headers.get(PUBLISHED_AT)
            unacked[method.delivery_tag] = None
            read = prepared(self._prepare, body)  # a failing prepare must not end the connection
            delivery = Delivery(
                body=body,
                message_id=properties.message_id,
                tag=method.delivery_tag,
                redelivered=bool(method.redelivered),
                queue=queue,
                published_at=published / 1e6 if isinstance(published, int) else None,
                read=read,
            )
            with changed:
                buffer.append(delivery)
                changed.notify_all()

        channel.basic_consume(queue, on_message, auto_ack=False)

    def fetch(self, max_messages: int, max_wait: float) -> list[Delivery]:
        with broker_errors(self.url):
            if self._standby and time.monotonic() >= self._standby_at:
                standby, self._standby = self._standby, []
                self._loop.call(lambda: self._subscribe_all(standby))
            self._wait_for(lambda: bool(self._buffer), max_wait)
            if not self._gathered and self._redelivered():
                self._gather()
            with self._changed:
                self._sort()
                taken = self._buffer[:max_messages]
                del self._buffer[:max_messages]  # the same list: the callbacks append to it
        return taken

    def _redelivered(self) -> bool:
        with self._changed:
            return any(d.redelivered for d in self._buffer)

    def _wait_for(self, done: Callable[[], bool], seconds: float) -> None:
        """Wait until `done` (read under the buffer's lock) or `seconds` have
        passed; raise the connection's failure if its loop has ended."""
        with self._changed:
            self._changed.wait_for(lambda: done() or self._loop.stopped, seconds)
        self._loop.check()

    def _gather(self, most: float = 5.0, settle: float = 0.25) -> None:
        """After a reconnect: wait until the broker has handed back what an
        earlier connection held, so that it can be put back in order: until the
        prefetch window is full, or none of the subscribed partitions holds a
        message ready for delivery any more and nothing more has come in for
        `settle` seconds (a message the queue has already counted as handed to
        us may still be on its way through the broker when the count reads
        zero), or `most` seconds have passed. A condition, not a pause: a busy
        broker may take its time."""
        self._gathered = True
        until = time.monotonic() + most
        while len(self._buffer) < self._prefetch and time.monotonic() < until:
            self._wait_to_grow(0.05)
            if self._loop.call(self._ready) == 0:
                held = len(self._buffer)
                self._wait_to_grow(settle)
                if len(self._buffer) == held and self._loop.call(self._ready) == 0:
                    return

    def _wait_to_grow(self, seconds: float) -> None:
        held = len(self._buffer)
        self._wait_for(lambda: len(self._buffer) != held, seconds)

    def _ready(self) -> int:
        """Messages waiting for delivery in the partitions this consumer takes."""
        return sum(
            self._channel.queue_declare(self.topology.partition(n), passive=True).method.message_count
            for n in self._subscribed
        )

    def _sort(self) -> None:
        """The buffered messages in their senders' order, when every one is stamped."""
        if len(self._buffer) > 1 and all(d.published_at is not None for d in self._buffer):
            self._buffer.sort(key=lambda d: d.published_at or 0.0)  # all stamped: checked above

    def ack(self, deliveries: Sequence[Delivery]) -> None:
        """Per partition: one acknowledgement with `multiple` for the longest run
        of its oldest outstanding tags that are all being acknowledged, then one
        each for the rest (a message put in its senders' order may lie past
        another still waiting, which must not be acknowledged with it)."""
        by_queue: dict[str, set[int]] = {}
        for d in deliveries:
            by_queue.setdefault(d.queue, set()).add(d.tag)
        with broker_errors(self.url):
            self._loop.call(lambda: self._ack(by_queue))

    def _ack(self, by_queue: dict[str, set[int]]) -> None:
        for queue, done in by_queue.items():
            channel, unacked = self._consumers[queue], self._unacked[queue]
            top = 0
            for tag in unacked:
                if tag not in done:
                    break
                top = tag
            if top:
                channel.basic_ack(delivery_tag=top, multiple=True)
            for tag in sorted(done):
                if tag > top:
                    channel.basic_ack(delivery_tag=tag)
            for tag in done:
                unacked.pop(tag, None)

    def publish(self, messages: Sequence[OutMessage]) -> None:
        with broker_errors(self.url):
            self._loop.call(lambda: send_in_transaction(self.url, self._out, self.topology, messages))

    def lag(self) -> int | None:
        with broker_errors(self.url):
            return self._loop.call(self._lag)

    def _lag(self) -> int:
        total = 0
        for n in range(self.topology.partitions):
            queue = self.topology.partition(n)
            total += self._channel.queue_declare(queue, passive=True).method.message_count
        return total

    def idle(self, seconds: float) -> None:
        """The connection's thread answers heartbeats meanwhile."""
        with broker_errors(self.url):
            self._wait_for(lambda: False, seconds)

    def close(self) -> None:
        self._loop.close()  # the commands given run first; the loop closes the connection
        with self._changed:
            self._buffer.clear()
        if not self._loop.running:  # else stuck in the broker: the thread is a daemon
            try:
                if self._connection.is_open:
                    self._connection.close()  # the loop ended in a failure, with it open
            except (pika.exceptions.AMQPError, OSError):
                pass  # the connection is gone either way; the broker returns what was not acknowledged
            self._unacked = {}
            self._consumers = {}
