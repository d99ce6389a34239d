"""The ports the services talk to; adapters implement them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Delivery:
    """One message taken from the event queue, not yet acknowledged."""

    body: bytes
    message_id: str | None
    tag: int  # the broker's delivery tag: acknowledging a tag acknowledges all before it
    redelivered: bool
    queue: str
    published_at: float | None = None  # when the sender published it (epoch seconds), if it said


@dataclass(frozen=True, slots=True)
class OutMessage:
    """A message for the payment system."""

    routing_key: str
    message_id: str
    body: bytes


class Broker(Protocol):
    """Where register events come from and where decisions go."""

    def fetch(self, max_messages: int, max_wait: float) -> list[Delivery]:
        """Up to `max_messages`, waiting at most `max_wait` seconds for the first."""
        ...

    def ack(self, deliveries: Sequence[Delivery]) -> None:
        """The effects of these deliveries are committed: forget them."""
        ...

    def publish(self, messages: Sequence[OutMessage]) -> None:
        """Publish to the decisions exchange; returns once the broker has them all."""
        ...

    def dead_letter(self, deliveries: Sequence[tuple[Delivery, str]]) -> None:
        """Send rejected messages, with the reason, to the dead-letter queue."""
        ...

    def lag(self) -> int | None:
        """Messages waiting in the event queues (None when unknown)."""
        ...

    def idle(self, seconds: float) -> None:
        """Wait, keeping the connection alive (heartbeats) and the deliveries in hand."""
        ...

    def close(self) -> None: ...
