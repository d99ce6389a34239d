"""pika's connection, handing the socket a message's frames in one write.

pika writes every frame on its own: a message is three (method, header,
body), and each became a `send()` of its own. Publishing the outbox's 5,000
decisions in one broker transaction took 15,001 system calls, about half of
the publisher thread's CPU (benchmarks/RESULTS.md). Here a message's frames go
as one write, and a publication held together (`JoinedFrames.held`: a batch in one broker
transaction, which takes effect only at its commit) goes as one write in all.
A partial write is pika's own business as before: its transport keeps the
rest for when the socket can take it.

This reaches beneath pika's public interface: it overrides
`Connection._output_marshaled_frames` (the method every frame goes through)
and calls `_adapter_emit_data` (the socket write) itself.
tests/integration/test_amqp.py counts the writes, so a pika whose insides
differ fails there rather than going quietly slower.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from pika.adapters.select_connection import SelectConnection


class JoinedFrames(SelectConnection):  # type: ignore[misc]  # pika has no types
    """The connection beneath a `pika.BlockingConnection` (its `_impl_class`)."""

    _held: list[bytes] | None = None

    def _output_marshaled_frames(self, marshaled_frames: Sequence[bytes]) -> None:
        self.frames_sent += len(marshaled_frames)
        if self._held is not None:
            self._held.extend(marshaled_frames)
            return
        self._write(b"".join(marshaled_frames))

    def _write(self, data: bytes) -> None:
        self.bytes_sent += len(data)
        self._adapter_emit_data(data)

    @contextmanager
    def held(self) -> Iterator[None]:
        """The frames made within, written at its end as one. Nothing is read or
        written meanwhile (the blocking connection does I/O only when asked), so
        they go out in the order they were made, before any frame made after."""
        held: list[bytes] = []
        self._held = held
        try:
            yield
        finally:
            self._held = None
            if held:
                self._write(b"".join(held))
