"""The in-memory broker keeps RabbitMQ's contract where the stream relies on it."""

from __future__ import annotations

from eventfilter.adapters.memory_broker import MemoryBroker


def test_what_the_consumer_makes_of_each_message_comes_with_it() -> None:
    """`prepare` runs on each body as it is delivered; one that fails leaves
    `read` empty for the batch to do, and the broker goes on (as `PikaBroker`)."""

    def prepare(body: bytes) -> int:
        n = int(body)
        if n % 2:
            raise RuntimeError("a bug in the parse")
        return n

    broker = MemoryBroker(prepare=prepare)
    for i in range(6):
        broker.send(str(i).encode(), f"m{i}")
    got = broker.fetch(10, 0)
    assert [d.read for d in got] == [0, None, 2, None, 4, None]
    assert [d.message_id for d in got] == [f"m{i}" for i in range(6)]
    broker.ack(got)
    assert broker.lag() == 0 and broker.acked == 6
