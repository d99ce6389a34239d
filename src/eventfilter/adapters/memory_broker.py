"""A broker in memory, for tests and demos: the same contract as RabbitMQ.

Unacknowledged deliveries come back (flagged redelivered) after `crash()`,
as RabbitMQ returns a dead consumer's unacknowledged messages.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from eventfilter.ports import Delivery, OutMessage, prepared


class MemoryBroker:
    def __init__(self, queue: str = "events", prepare: Callable[[bytes], Any] | None = None) -> None:
        self.queue = queue
        self.prepare = prepare  # made of each body as it is delivered: `Delivery.read`
        self._ready: deque[tuple[bytes, str | None, bool, float | None]] = deque()
        self._unacked: dict[int, tuple[bytes, str | None, bool, float | None]] = {}
        self._tag = 0
        self.published: list[OutMessage] = []
        self.dead: list[tuple[bytes, str]] = []
        self.acked = 0

    # -- the sender's side ------------------------------------------------------
    def send(self, body: bytes, message_id: str | None = None, published_at: float | None = None) -> None:
        self._ready.append((body, message_id, False, published_at))

    def crash(self) -> None:
        """The consumer died: everything unacknowledged goes back to the front, redelivered."""
        returned = [(b, m, True, p) for _, (b, m, _r, p) in sorted(self._unacked.items())]
        self._unacked.clear()
        self._ready.extendleft(reversed(returned))

    # -- the Broker port ----------------------------------------------------------
    def fetch(self, max_messages: int, max_wait: float) -> list[Delivery]:
        out: list[Delivery] = []
        while self._ready and len(out) < max_messages:
            body, message_id, redelivered, published_at = self._ready.popleft()
            self._tag += 1
            self._unacked[self._tag] = (body, message_id, redelivered, published_at)
            read = prepared(self.prepare, body)
            out.append(Delivery(body, message_id, self._tag, redelivered, self.queue, published_at, read))
        return out

    def ack(self, deliveries: Sequence[Delivery]) -> None:
        for d in deliveries:
            if self._unacked.pop(d.tag, None) is not None:
                self.acked += 1

    def publish(self, messages: Sequence[OutMessage]) -> None:
        for m in messages:
            if m.error is not None:
                self.dead.append((m.body, m.error))
            else:
                self.published.append(m)

    def lag(self) -> int | None:
        return len(self._ready)

    def idle(self, seconds: float) -> None:
        time.sleep(seconds)

    def close(self) -> None:
        self.crash()
