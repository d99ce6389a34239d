"""RabbitMQ (AMQP 0-9-1) for the stream, with pika: the `topology` it declares
(and why), the `broker` a consumer takes its partitions through (and the
publisher the outbox goes out through), and `publish` to feed the events
exchange."""

from eventfilter.adapters.amqp.broker import PikaBroker, PikaPublisher
from eventfilter.adapters.amqp.publish import publish_events, publish_messages
from eventfilter.adapters.amqp.topology import (
    ERROR_HEADER,
    PUBLISHED_AT,
    QUEUE_HEADER,
    Topology,
    declare,
    declare_topology,
    delete_topology,
    open_connection,
)

__all__ = [
    "ERROR_HEADER",
    "PUBLISHED_AT",
    "QUEUE_HEADER",
    "PikaBroker",
    "PikaPublisher",
    "Topology",
    "declare",
    "declare_topology",
    "delete_topology",
    "open_connection",
    "publish_events",
    "publish_messages",
]
