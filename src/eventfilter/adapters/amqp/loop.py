"""A pika connection on a thread of its own.

pika's blocking connection belongs to one thread, and it reads the broker's
frames (each delivery is three, decoded in Python) only while that thread
calls into it. On the consumer's thread that reading happened while the
acknowledgement of one batch or the fetch of the next waited for it, a fifth
of the cycle, while the same thread also waits on the database for as long
again. `ConnectionLoop` gives the connection a thread that does nothing but
its I/O: deliveries are read and decoded while the consumer's thread decides
and waits on the database, and heartbeats are answered whatever the consumer
does. Everything else the connection does (acknowledgements, publishing,
queue counts, subscribing) is a command the loop runs between its reads, and
the caller waits for its answer, so each keeps the meaning it had.

A failure of the connection ends the loop; the next call from another thread
raises it (the broker's errors become `BrokerError` there, as before).
"""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

import pika
import pika.exceptions

T = TypeVar("T")

THREAD_NAME = "amqp-io"  # as profilers and thread dumps show it


class LoopStopped(pika.exceptions.AMQPConnectionError):  # type: ignore[misc]
    """The loop has ended (closed, or its connection failed for a reason that
    is not the broker's: then that reason is the cause)."""


class ConnectionLoop:
    """Runs `connection`'s I/O on a daemon thread; once `start` is called, no
    other thread touches the connection. `changed` is the owner's condition
    (the callbacks that fill its buffers notify it): the loop notifies it too
    when it ends, so that a thread waiting for deliveries learns of a failure."""

    def __init__(self, connection: pika.BlockingConnection, changed: threading.Condition) -> None:
        self.connection = connection
        self.changed = changed  # notified when the loop fails or stops
        self.failure: BaseException | None = None
        self._commands: deque[tuple[Callable[[], Any], Future[Any]]] = deque()
        self._stopped = False
        self._closing = False
        self._thread = threading.Thread(target=self._run, name=THREAD_NAME, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def call(self, command: Callable[[], T]) -> T:
        """Run `command` on the loop's thread and return what it returns (or
        raise what it raises); `LoopStopped` when the loop has ended, with the
        failure that ended it as its cause."""
        future: Future[T] = Future()
        with self.changed:
            if self._stopped or self._closing:
                raise self._ended()
            self._commands.append((command, future))
        self._wake()
        return future.result()

    def check(self) -> None:
        """Raise if the loop has ended."""
        if self._stopped:
            raise self._ended()

    def close(self, timeout: float = 10.0) -> None:
        """Run the commands already given, close the connection on the loop's
        thread, and end the loop."""
        with self.changed:
            stopped = self._stopped
            self._closing = True
        if not stopped:
            self._wake()
        self._thread.join(timeout)

    def _ended(self) -> BaseException:
        """The connection's own failure (the broker's errors read as before), or `LoopStopped`."""
        if isinstance(self.failure, pika.exceptions.AMQPError | OSError):
            return self.failure
        error = LoopStopped("the connection to the broker was closed")
        error.__cause__ = self.failure
        return error

    @property
    def stopped(self) -> bool:
        """The loop has ended (set under `changed`, before it is notified)."""
        return self._stopped

    @property
    def running(self) -> bool:
        """The loop's thread is still alive (after `close`: it did not end in time)."""
        return self._thread.is_alive()

    def _wake(self) -> None:
        # a connection that is closing refuses: the loop is ending, and fails every command left
        with contextlib.suppress(pika.exceptions.AMQPError, OSError, AttributeError):
            self.connection.add_callback_threadsafe(_nothing)

    def _run(self) -> None:
        try:
            while True:
                self._run_commands()
                if self._closing:
                    break
                # returns early when a command is woken in, or a delivery dispatched
                self.connection.process_data_events(time_limit=0.2)
            self._run_commands()
            if self.connection.is_open:
                self.connection.close()
        except BaseException as exc:  # told to the caller of the next command
            self.failure = exc
        finally:
            with self.changed:
                self._stopped = True
                left, self._commands = list(self._commands), deque()
                self.changed.notify_all()
            for _, future in left:
                future.set_exception(self._ended())

    def _run_commands(self) -> None:
        while True:
            with self.changed:
                if not self._commands:
                    return
                command, future = self._commands.popleft()
            try:
                future.set_result(command())
            except BaseException as exc:  # raised in the caller's thread
                future.set_exception(exc)
                if isinstance(exc, pika.exceptions.AMQPConnectionError | OSError):
                    raise


def _nothing() -> None:
    return None
