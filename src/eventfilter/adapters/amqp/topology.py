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

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pika
import pika.exceptions
from pika.adapters.blocking_connection import BlockingChannel

from eventfilter.adapters.amqp.frames import JoinedFrames
from eventfilter.adapters.urls import redact_url
from eventfilter.errors import BrokerError, BrokerSetupError

PUBLISHED_AT = "x-published-at-us"  # microseconds since the epoch (AMQP tables carry no floats)
ERROR_HEADER = "x-eventfilter-error"  # a dead letter: why it was refused
QUEUE_HEADER = "x-eventfilter-queue"  # a dead letter: the queue it was taken from


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


PLUGIN_MISSING = (
    "RabbitMQ at {url} lacks the consistent-hash exchange eventfilter partitions events with; "
    "enable it with `rabbitmq-plugins enable rabbitmq_consistent_hash_exchange` and start again."
)


REFUSED_LOGIN = (
    "RabbitMQ at {url} refused to log in user {user} (wrong user name or password); "
    "correct --amqp or EVENTFILTER_AMQP and start again."
)
REFUSED_VHOST = (
    "RabbitMQ at {url} refused user {user} its virtual host ({reply}); "
    "check the virtual host in --amqp or EVENTFILTER_AMQP and the user's permissions, and start again."
)


@contextmanager
def broker_errors(url: str) -> Iterator[None]:
    """pika's exceptions as one sentence. A broker that refuses the topology
    (no hashing plugin), the login or the virtual host is a setup error:
    retrying cannot help, and "not reachable" would send an operator to the
    network instead of the credentials."""
    try:
        yield
    except pika.exceptions.ProbableAuthenticationError:
        raise BrokerSetupError(REFUSED_LOGIN.format(url=redact_url(url), user=_user(url))) from None
    except pika.exceptions.ProbableAccessDeniedError as exc:
        reply = str(exc).split(" - ", 1)[-1].rstrip("'")
        raise BrokerSetupError(
            REFUSED_VHOST.format(url=redact_url(url), user=_user(url), reply=reply)
        ) from None
    except pika.exceptions.UnsupportedAMQPFieldException:
        raise  # our own mistake in a message, not the broker's state
    except (pika.exceptions.ChannelClosedByBroker, pika.exceptions.ConnectionClosedByBroker) as exc:
        if "exchange type" in exc.reply_text:
            raise BrokerSetupError(PLUGIN_MISSING.format(url=redact_url(url))) from None
        if isinstance(exc, pika.exceptions.ConnectionClosedByBroker):
            raise BrokerError(
                f"RabbitMQ at {redact_url(url)} closed the connection: {exc.reply_text}."
            ) from None
        raise BrokerError(f"RabbitMQ at {redact_url(url)} refused: {exc.reply_text}.") from None
    except (pika.exceptions.AMQPError, OSError) as exc:
        text = str(exc) or type(exc).__name__
        raise BrokerError(f"RabbitMQ at {redact_url(url)} is not reachable ({text}).") from None


def _user(url: str) -> str:
    """The user name the URL logs in as (pika's default, guest, when it names none)."""
    return str(pika.URLParameters(url).credentials.username)


def open_connection(url: str, heartbeat: int = 30) -> pika.BlockingConnection:
    params = pika.URLParameters(url)
    params.heartbeat = heartbeat
    params.blocked_connection_timeout = 60
    params.connection_attempts = 1
    with broker_errors(url):
        return pika.BlockingConnection(params, _impl_class=JoinedFrames)


def declare(channel: BlockingChannel, topology: Topology) -> None:
    """Declare exchanges and queues (idempotent). The hashing exchange needs the
    rabbitmq_consistent_hash_exchange plugin: it is declared first, so that a
    broker without the plugin is left as it was."""
    channel.exchange_declare(topology.events, topology.hashing, durable=True)
    declare_outbound(channel, topology)
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


def declare_outbound(channel: BlockingChannel, topology: Topology) -> None:
    """Where the outbox goes (what a publisher needs): the payment system's
    exchange, and the dead-letter exchange with its queue."""
    channel.exchange_declare(topology.dead_exchange, "fanout", durable=True)
    channel.queue_declare(topology.dead_queue, durable=True, arguments={"x-queue-type": "quorum"})
    channel.queue_bind(topology.dead_queue, topology.dead_exchange)
    channel.exchange_declare(topology.decisions, "topic", durable=True)


def declare_topology(url: str, topology: Topology) -> None:
    connection = open_connection(url)
    try:
        with broker_errors(url):
            declare(connection.channel(), topology)
    finally:
        if connection.is_open:
            connection.close()


def delete_topology(url: str, topology: Topology) -> None:
    """Remove everything `declare` made (tests, and taking a deployment down)."""
    connection = open_connection(url)
    with broker_errors(url):
        channel = connection.channel()
        for queue in topology.queues():
            channel.queue_delete(queue)
        for exchange in topology.exchanges():
            channel.exchange_delete(exchange)
        connection.close()
