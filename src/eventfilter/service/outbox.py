"""The payment system's messages: the outbox, published in order.

A batch commits its decisions together with their messages for the payment
system (the outbox table); only what is committed is ever published, and a
message leaves the outbox only once the broker has it. A crash between the
two publishes it again, with the same message id (at least once).

`OutboxPublisher` does this on a thread of its own with a broker connection
of its own (a pika connection belongs to the thread that opened it), so the
consumer's loop does not wait for the broker's answer before it takes its
next batch: it commits, acknowledges and wakes the publisher. Rounds are at
least `least` seconds apart (0.1 s: the wakes of several batches make one
round, which costs the consumer's thread less than a round per batch; the
payment system gets its messages at most that much later), and the publisher
also looks once every `every` seconds unwoken, for what other processes left
(a caseworker's lifted hold, an earlier run that stopped before publishing).
A broker or database outage is the publisher's alone: it waits with growing
backoff and tries again, and nothing leaves the outbox meanwhile.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import structlog

from eventfilter.errors import BrokerError, BrokerSetupError, StoreError
from eventfilter.logs import unexpected
from eventfilter.ports import Broker, Publisher, Store
from eventfilter.service.backoff import Backoff

log = structlog.get_logger("eventfilter.outbox")

THREAD_NAME = "outbox-publisher"  # the publisher's thread, as profilers and thread dumps show it


def publish_outbox(store: Store, publisher: Broker | Publisher, limit: int = 2000) -> int:
    """Publish committed messages in order, `limit` per broker transaction; at
    least once (ids are stable). With several processes, one publishes at a time
    (the store's claim); the others find nothing to claim."""
    return publish_round(store, publisher, limit) or 0


def publish_round(store: Store, publisher: Broker | Publisher, limit: int = 2000) -> int | None:
    """`publish_outbox`, or None when another process held the claim and nothing
    was published: its round may have begun before this one's messages were
    committed, so they may still wait."""
    sent = 0
    while True:
        with store.unit_of_work() as uow:
            claimed = uow.claim_outbox(limit)
            if claimed is None and sent == 0:
                return None
            if not claimed:
                return sent
            publisher.publish([m for _, m in claimed])
            uow.delete_outbox(claimed[-1][0])
        sent += len(claimed)
        if len(claimed) < limit:
            return sent


class OutboxPublisher:
    """Publishes the outbox on its own thread, woken after each commit."""

    def __init__(
        self,
        store: Store,
        connect: Callable[[], Publisher],
        *,
        every: float = 1.0,
        least: float = 0.1,
        backoff_start: float = 0.5,
        backoff_max: float = 30.0,
        on_published: Callable[[int], None] | None = None,
        on_waiting: Callable[[int], None] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.connect = connect
        self.every = every
        self.least = least
        # for the operator: messages published, and (at most every `every` seconds)
        # how many wait in the outbox, so a payment system left without its
        # messages shows while the consumer goes on deciding
        self.on_published = on_published
        self.on_waiting = on_waiting
        self.monotonic = monotonic
        self._next_reading = 0.0
        self.backoff = Backoff(backoff_start, backoff_max)
        self.rounds = 0  # rounds that reached the store
        self.outages = 0
        self._wake = threading.Event()
        self._closing = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread; its first round publishes what an earlier run left."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=THREAD_NAME, daemon=True)
            self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wake(self) -> None:
        """Something may have been committed to the outbox: publish it now."""
        self._wake.set()

    def close(self, timeout: float = 30.0) -> bool:
        """One last round, then stop; True if the thread ended within `timeout`.
        What that round could not publish stays in the outbox for the next run."""
        self._closing.set()
        self._wake.set()
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        publisher: Publisher | None = None
        while True:
            closing = self._closing.is_set()  # read before the round: a close gets one more
            self._wake.clear()
            failed = True
            try:
                if publisher is None:
                    publisher = self.connect()
                sent = publish_round(self.store, publisher)
                if sent is None:  # claimed elsewhere: try again after `least`, not at the next wake
                    self._wake.set()
                    sent = 0
                self.rounds += 1
                if sent and self.on_published is not None:
                    self.on_published(sent)
                publisher.keep_alive()  # a quiet outbox: the connection stays open all the same
                self.backoff.reset()
                failed = False
            except StoreError as exc:  # the broker connection is fine: keep it
                self._failed("the outbox waits for the database", str(exc), closing)
            except (BrokerError, BrokerSetupError) as exc:  # our own sentences: nothing secret in them
                self._failed("the outbox waits for the broker", str(exc), closing)
                _close(publisher)
                publisher = None
            except Exception as exc:  # never let the thread die silently: say so and try again
                self._failed("the outbox could not be published", unexpected(exc), closing)
                _close(publisher)
                publisher = None
            self._read_waiting()
            if closing:
                break
            if failed:
                self._closing.wait(self.backoff.next())
            elif not self._closing.wait(self.least):  # wakes meanwhile are kept: one round for them all
                self._wake.wait(self.every)
        _close(publisher)

    def _read_waiting(self) -> None:
        """The outbox's size for `on_waiting`, at most every `every` seconds; a
        database that is away is already said, so a failed reading is only noted."""
        now = self.monotonic()
        if self.on_waiting is None or now < self._next_reading:
            return
        self._next_reading = now + self.every
        try:
            waiting = self.store.outbox_waiting()
        except Exception as exc:
            log.debug("the outbox's size could not be read", error=unexpected(exc))
            return
        self.on_waiting(waiting)

    def _failed(self, what: str, error: str, closing: bool) -> None:
        self.outages += 1
        then = "the next run publishes it" if closing else "retrying"
        log.warning(f"{what}; {then}", error=error)


def _close(publisher: Publisher | None) -> None:
    if publisher is None:
        return
    try:
        publisher.close()
    except Exception as exc:  # already in an outage or stopping: only note it
        log.debug("closing the publisher's connection failed", error=unexpected(exc))
