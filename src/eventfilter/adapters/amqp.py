"""RabbitMQ (AMQP 0-9-1) for the stream, with pika.

The topology eventfilter declares (`--queue`, default `eventfilter.events`):

    {queue}                 exchange, x-consistent-hash: register events,
                            routing key = the event's person_id
    {queue}.{n}             n = 0 … partitions-1: durable quorum queues with
                            single-active-consumer, a delivery limit, and
                            dead-lettering to {queue}.dead
    {queue}.dead            exchange (fanout) → {queue}.dead-letters queue:
                            malformed and poison messages
    eventfilter.decisions   exchange (topic) for the payment system:
                            decision.{suspend|review|pass}.{benefit|none},
                            hold.placed.{benefit}, hold.lifted.{benefit}

Hashing by person keeps each person's events in one partition, and one
active consumer per partition keeps them in order. Order matters (a
person's income reports, a move and the correction of it), and RabbitMQ's
quorum queues may hand back the messages a lost connection held in another
order (rabbitmq-server#6804, #14386). So a consumer that meets redelivered
messages first gathers everything the broker hands back, and every fetch
takes the buffered messages in the order their sender stamped on them
(`x-published-at-us`, strictly increasing per sender); messages without
a stamp keep the order they arrived in. Consumer `member` of
`members` subscribes first to its own partitions (n % members == member)
and to the others `standby_after` seconds later, as standby: RabbitMQ makes
the first subscriber active, so each process takes its share, and a
survivor takes over the partitions of a consumer that dies.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pika
import pika.exceptions
from pika.adapters.blocking_connection import BlockingChannel

from eventfilter.errors import BrokerError, BrokerSetupError
from eventfilter.ports import Delivery, OutMessage

PUBLISHED_AT = "x-published-at-us"  # microseconds since the epoch (AMQP tables carry no floats)
ERROR_HEADER = "x-eventfilter-error"


@dataclass(frozen=True)
class Topology:
    """Names and shape: `queue` names the event exchange; its partitions are
    `{queue}.0` … and its dead letters go to `{queue}.dead-letters`."""

    queue: str = "eventfilter.events"
    partitions: int = 4
    delivery_limit: int = 5
    decisions: str = "eventfilter.decisions"
    # The plugin's exchange type (tests name one no broker has, to see what a
    # broker without the plugin does).
    hashing: str = "x-consistent-hash"

    @property
    def events(self) -> str:
        return self.queue

    def partition(self, n: int) -> str:
        return f"{self.queue}.{n}"

    @property
    def dead_exchange(self) -> str:
        return f"{self.queue}.dead"

    @property
    def dead_queue(self) -> str:
        return f"{self.queue}.dead-letters"

    def queues(self) -> list[str]:
        return [self.partition(n) for n in range(self.partitions)] + [self.dead_queue]

    def exchanges(self) -> list[str]:
        return [self.events, self.dead_exchange, self.decisions]


def _redact(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':', 1)[0]}@{host}"
    return url


PLUGIN_MISSING = (
    "RabbitMQ at {url} lacks the consistent-hash exchange eventfilter partitions events with; "
    "enable it with `rabbitmq-plugins enable rabbitmq_consistent_hash_exchange` and start again."
)


@contextmanager
def _broker_errors(url: str) -> Iterator[None]:
    """pika's exceptions as one sentence. A broker that refuses the topology
    (no hashing plugin) is a setup error: retrying cannot help."""
    try:
        yield
    except pika.exceptions.UnsupportedAMQPFieldException:
        raise  # our own mistake in a message, not the broker's state
    except (pika.exceptions.ChannelClosedByBroker, pika.exceptions.ConnectionClosedByBroker) as exc:
        if "exchange type" in exc.reply_text:
            raise BrokerSetupError(PLUGIN_MISSING.format(url=_redact(url))) from None
        if isinstance(exc, pika.exceptions.ConnectionClosedByBroker):
            raise BrokerError(
                f"RabbitMQ at {_redact(url)} closed the connection: {exc.reply_text}."
            ) from None
        raise BrokerError(f"RabbitMQ at {_redact(url)} refused: {exc.reply_text}.") from None
    except (pika.exceptions.AMQPError, OSError) as exc:
        text = str(exc) or type(exc).__name__
        raise BrokerError(f"RabbitMQ at {_redact(url)} is not reachable ({text}).") from None


def open_connection(url: str, heartbeat: int = 30) -> pika.BlockingConnection:
    params = pika.URLParameters(url)
    params.heartbeat = heartbeat
    params.blocked_connection_timeout = 60
    params.connection_attempts = 1
    with _broker_errors(url):
        return pika.BlockingConnection(params)


def declare(channel: BlockingChannel, topology: Topology) -> None:
    """Declare exchanges and queues (idempotent). The hashing exchange needs the
    rabbitmq_consistent_hash_exchange plugin: it is declared first, so that a
    broker without the plugin is left as it was."""
    channel.exchange_declare(topology.events, topology.hashing, durable=True)
    channel.exchange_declare(topology.dead_exchange, "fanout", durable=True)
    channel.queue_declare(topology.dead_queue, durable=True, arguments={"x-queue-type": "quorum"})
    channel.queue_bind(topology.dead_queue, topology.dead_exchange)
    channel.exchange_declare(topology.decisions, "topic", durable=True)
    for n in range(topology.partitions):
        queue = topology.partition(n)
        channel.queue_declare(
            queue,
            durable=True,
            arguments={
                "x-queue-type": "quorum",
                "x-single-active-consumer": True,
                "x-delivery-limit": topology.delivery_limit,
                "x-dead-letter-exchange": topology.dead_exchange,
            },
        )
        channel.queue_bind(queue, topology.events, routing_key="1")  # equal weights


def declare_topology(url: str, topology: Topology) -> None:
    connection = open_connection(url)
    try:
        with _broker_errors(url):
            declare(connection.channel(), topology)
    finally:
        if connection.is_open:
            connection.close()


def delete_topology(url: str, topology: Topology) -> None:
    """Remove everything `declare` made (tests, and taking a deployment down)."""
    connection = open_connection(url)
    with _broker_errors(url):
        channel = connection.channel()
        for queue in topology.queues():
            channel.queue_delete(queue)
        for exchange in topology.exchanges():
            channel.exchange_delete(exchange)
        connection.close()


class PikaBroker:
    """The Broker port on RabbitMQ."""

    def __init__(
        self,
        url: str,
        topology: Topology,
        *,
        member: int = 0,
        members: int = 1,
        prefetch: int = 1000,
        standby_after: float = 10.0,
    ) -> None:
        self.url = url
        self.topology = topology
        self._buffer: list[Delivery] = []
        self._order: dict[int, int] = {}  # delivery tag -> the sender's stamp
        self._prefetch = prefetch
        self._gathered = False
        self._subscribed: list[int] = []
        with _broker_errors(url):
            self._connection = open_connection(url)
            self._channel = self._connection.channel()
            declare(self._channel, topology)
            self._channel.basic_qos(prefetch_count=prefetch)
            self._out = self._connection.channel()
            self._out.tx_select()  # publish in batches, each one broker transaction
            own = [n for n in range(topology.partitions) if n % members == member]
            self._standby = [n for n in range(topology.partitions) if n % members != member]
            for n in own:
                self._subscribe(n)
        self._standby_at = time.monotonic() + standby_after

    def _subscribe(self, n: int) -> None:
        queue = self.topology.partition(n)
        self._subscribed.append(n)

        def on_message(ch: Any, method: Any, properties: Any, body: bytes) -> None:
            headers = properties.headers or {}
            published = headers.get(PUBLISHED_AT)
            if isinstance(published, int):
                self._order[method.delivery_tag] = published
            self._buffer.append(
                Delivery(
                    body=body,
                    message_id=properties.message_id,
                    tag=method.delivery_tag,
                    redelivered=bool(method.redelivered),
                    queue=queue,
                    published_at=published / 1e6 if isinstance(published, int) else None,
                )
            )

        self._channel.basic_consume(queue, on_message, auto_ack=False)

    def fetch(self, max_messages: int, max_wait: float) -> list[Delivery]:
        with _broker_errors(self.url):
            if self._standby and time.monotonic() >= self._standby_at:
                for n in self._standby:
                    self._subscribe(n)
                self._standby = []
            deadline = time.monotonic() + max_wait
            while not self._buffer:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._connection.process_data_events(time_limit=min(left, 0.05))
            if self._buffer:
                self._connection.process_data_events(time_limit=0)  # take what has arrived meanwhile
            if not self._gathered and any(d.redelivered for d in self._buffer):
                self._gather()
        self._sort()
        taken, self._buffer = self._buffer[:max_messages], self._buffer[max_messages:]
        return taken

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
            self._connection.process_data_events(time_limit=0.05)
            if self._ready() == 0:
                held = len(self._buffer)
                self._connection.process_data_events(time_limit=settle)
                if len(self._buffer) == held and self._ready() == 0:
                    return

    def _ready(self) -> int:
        """Messages waiting for delivery in the partitions this consumer takes."""
        return sum(
            self._channel.queue_declare(self.topology.partition(n), passive=True).method.message_count
            for n in self._subscribed
        )

    def _sort(self) -> None:
        """The buffered messages in their senders' order, when every one is stamped."""
        order = self._order
        if len(self._buffer) > 1 and all(d.tag in order for d in self._buffer):
            self._buffer.sort(key=lambda d: order[d.tag])

    def ack(self, deliveries: Sequence[Delivery]) -> None:
        if not deliveries:
            return
        top = max(d.tag for d in deliveries)
        with _broker_errors(self.url):
            if all(d.tag > top for d in self._buffer):  # nothing still waiting lies below: one ack for all
                self._channel.basic_ack(delivery_tag=top, multiple=True)
            else:  # put in order past messages still waiting: acknowledge exactly these
                for d in deliveries:
                    self._channel.basic_ack(delivery_tag=d.tag)
        for d in deliveries:
            self._order.pop(d.tag, None)

    def publish(self, messages: Sequence[OutMessage]) -> None:
        if not messages:
            return
        with _broker_errors(self.url):
            for m in messages:
                self._out.basic_publish(
                    self.topology.decisions,
                    m.routing_key,
                    m.body,
                    pika.BasicProperties(
                        delivery_mode=pika.DeliveryMode.Persistent,
                        content_type="application/json",
                        message_id=m.message_id,
                    ),
                )
            self._out.tx_commit()

    def dead_letter(self, deliveries: Sequence[tuple[Delivery, str]]) -> None:
        if not deliveries:
            return
        with _broker_errors(self.url):
            for d, reason in deliveries:
                self._out.basic_publish(
                    self.topology.dead_exchange,
                    "",
                    d.body,
                    pika.BasicProperties(
                        delivery_mode=pika.DeliveryMode.Persistent,
                        message_id=d.message_id,
                        headers={ERROR_HEADER: reason, "x-eventfilter-queue": d.queue},
                    ),
                )
            self._out.tx_commit()

    def lag(self) -> int | None:
        with _broker_errors(self.url):
            total = 0
            for n in range(self.topology.partitions):
                total += self._channel.queue_declare(
                    self.topology.partition(n), passive=True
                ).method.message_count
            return total

    def idle(self, seconds: float) -> None:
        with _broker_errors(self.url):
            self._connection.sleep(seconds)

    def close(self) -> None:
        self._buffer = []
        self._order = {}
        try:
            if self._connection.is_open:
                self._connection.close()
        except (pika.exceptions.AMQPError, OSError):
            pass  # the connection is gone either way; the broker returns what was not acknowledged


def publish_events(url: str, topology: Topology, lines: Iterable[bytes], batch: int = 1000) -> int:
    """Feed event lines into the events exchange, routed by person (demos, tests)."""
    return publish_messages(url, topology, ((*_keys(line), line) for line in lines), batch=batch)


def publish_messages(
    url: str,
    topology: Topology,
    messages: Iterable[tuple[str, str, bytes]],
    content_type: str = "application/json",
    batch: int = 1000,
) -> int:
    """Feed (person, message id, body) messages into the events exchange, routed by person."""
    connection = open_connection(url)
    sent = 0
    with _broker_errors(url):
        channel = connection.channel()
        declare(channel, topology)
        channel.tx_select()
        stamp = 0
        for person_id, message_id, body in messages:
            stamp = max(time.time_ns() // 1000, stamp + 1)  # strictly increasing: it orders them
            channel.basic_publish(
                topology.events,
                person_id,
                body,
                pika.BasicProperties(
                    delivery_mode=pika.DeliveryMode.Persistent,
                    content_type=content_type,
                    message_id=message_id,
                    headers={PUBLISHED_AT: stamp},
                ),
            )
            sent += 1
            if sent % batch == 0:
                channel.tx_commit()
        channel.tx_commit()
        connection.close()
    return sent


def _keys(line: bytes) -> tuple[str, str]:
    """The routing key (the person) and message id of a line.

    The message id is the line's hash: the same line sent twice is one
    message, while the same event id with other content stays a separate
    message, which the consumer dead-letters as a conflict. A line that is
    not an event is routed by its own text; the consumer dead-letters it.
    """
    message_id = hashlib.blake2b(line, digest_size=16).hexdigest()
    try:
        value = json.loads(line)
    except ValueError:
        return line[:64].decode("utf-8", "replace") or "-", message_id
    person = value.get("person_id") if isinstance(value, dict) else None
    return (person if isinstance(person, str) and person else "-"), message_id
