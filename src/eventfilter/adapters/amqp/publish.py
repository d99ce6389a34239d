"""Feeding the events exchange: event lines and register messages, routed by person and stamped in order."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable

import pika
import pika.exceptions

from eventfilter.adapters.amqp.topology import (
    PUBLISHED_AT,
    Topology,
    broker_errors,
    declare,
    open_connection,
)


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
    with broker_errors(url):
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
