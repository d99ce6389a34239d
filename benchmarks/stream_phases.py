"""Where the stream's cycle goes: the latency benchmark's run (`workloads.stream_latency`,
one consumer, events published at a steady rate), with each phase of the consumer's
cycle and each SQL statement timed (RESULTS.md).

    .venv/bin/python -m benchmarks.stream_phases [RATE] [ROUNDS]

Needs the local PostgreSQL and RabbitMQ (as `benchmarks/test_stream.py`); makes its
own database and queues and drops them. Prints, per round: the latency percentiles,
the batches' sizes, the time per phase (a phase inside another counts in both), the
slowest cycles with what they spent it on, and the statements by total time.
"""

from __future__ import annotations

import collections
import functools
import re
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import psycopg
from sqlalchemy import event
from sqlalchemy.engine import Engine as SqlEngine

from benchmarks.conftest import CACHE
from benchmarks.workloads import World, make_world, stream_latency
from eventfilter.adapters.amqp.broker import PikaBroker, PikaPublisher
from eventfilter.adapters.sql.store import SqlStore
from eventfilter.adapters.sql.unit import SqlUnitOfWork
from eventfilter.service import outbox
from eventfilter.service.consumer import Consumer
from eventfilter.service.pipeline import Pipeline
from eventfilter.service.stream import StreamProcessor
from eventfilter.service.world import FreshWorld
from tests.conftest import PG_HOST, PG_PORT, RABBIT_URL

PHASES: list[tuple[Any, str]] = [
    (Consumer, "step"),
    (PikaBroker, "fetch"),
    (PikaBroker, "ack"),
    (PikaBroker, "publish"),
    (StreamProcessor, "process"),
    (StreamProcessor, "close_due"),
    (StreamProcessor, "tick_due"),
    (outbox, "publish_round"),
    (PikaPublisher, "publish"),
    (Pipeline, "read"),
    (Pipeline, "accept"),
    (FreshWorld, "prepare"),
    (FreshWorld, "open_items"),
    (Pipeline, "finish"),
    (SqlUnitOfWork, "write"),
    (SqlStore, "committed"),
]
PLACEHOLDERS = re.compile(r"(%s|\?|\$\d+|%\(\w+\)s)(, (%s|\?|\$\d+|%\(\w+\)s))+")
_STARTED = "eventfilter.started"  # the connection's info key for the statement in hand


def statement_started(conn: Any, *_: Any) -> None:
    """SQLAlchemy's `before_cursor_execute`: the statement's start, on its connection."""
    conn.info[_STARTED] = time.perf_counter()


def statement_took(conn: Any) -> float | None:
    """In `after_cursor_execute`: how long the statement took; None for one begun
    before the listener was (the statistics worker's ANALYZE, on its own thread)."""
    started = conn.info.pop(_STARTED, None)
    return None if started is None else time.perf_counter() - started


class Timings:
    def __init__(self) -> None:
        self.phases: dict[str, list[float]] = collections.defaultdict(list)
        self.cycles: list[tuple[float, dict[str, float]]] = []  # each cycle, with its phases
        self.current: dict[str, float] = {}
        self.statements: dict[str, list[float]] = collections.defaultdict(list)
        self.sizes: list[int] = []
        self.latencies: list[float] = []

    def timed(self, cls: Any, name: str) -> Callable[[], None]:
        """Wrap `cls.name` (a class's or a module's) to time each call; returns what
        undoes it. Calls on the outbox's publisher thread are counted apart: they
        are not part of the consumer's cycle."""
        original = getattr(cls, name)
        key = f"{cls.__name__.rsplit('.', 1)[-1]}.{name}"

        @functools.wraps(original)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if key == "StreamProcessor.process":
                self.sizes.append(len(args[1]))
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                spent = time.perf_counter() - started
                if _beside():
                    self.phases[f"{key} {BESIDE}"].append(spent)
                elif key == "Consumer.step":
                    self.phases[key].append(spent)
                    self.cycles.append((spent, self.current))
                    self.current = {}
                else:
                    self.phases[key].append(spent)
                    self.current[key] = self.current.get(key, 0.0) + spent

        setattr(cls, name, wrapper)
        return lambda: setattr(cls, name, original)

    def after(self, conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        took = statement_took(conn)
        if took is None:
            return
        text = PLACEHOLDERS.sub("..", re.sub(r"\s+", " ", statement))[:80] + (" [many]" if many else "")
        text = f"{BESIDE} {text}" if _beside() else text
        self.statements[text].append(took)

    def report(self, latencies: list[float]) -> None:
        lat = sorted(latencies)
        p50, p99 = ms(lat[len(lat) // 2]), ms(lat[int(len(lat) * 0.99)])
        print(f"latency p50 {p50} ms, p99 {p99} ms, max {ms(lat[-1])} ms over {len(lat)} events")
        mean = statistics.mean(self.sizes)
        print(f"batches {len(self.sizes)}, mean {mean:.1f} events, max {max(self.sizes)}")
        for key, calls in sorted(self.phases.items(), key=lambda kv: -sum(kv[1])):
            each = sorted(calls)
            print(
                f"  {key:32s} {len(each):6d}x  total {sum(each):6.2f} s"
                f"  mean {ms(statistics.mean(each)):>6} ms  p99 {ms(each[int(len(each) * 0.99)]):>6} ms"
                f"  max {ms(each[-1]):>6} ms"
            )
        print("slowest cycles:")
        for cycle, parts in sorted(self.cycles, key=lambda c: -c[0])[:8]:
            big = sorted(
                ((k.split(".")[-1], v) for k, v in parts.items() if v > 0.003), key=lambda kv: -kv[1]
            )
            print(f"  {ms(cycle):>6} ms: " + ", ".join(f"{k} {ms(v)}" for k, v in big))
        print("statements by total time:")
        for text, calls in sorted(self.statements.items(), key=lambda kv: -sum(kv[1]))[:25]:
            print(f"  {sum(calls):6.2f} s {len(calls):6d}x {ms(statistics.mean(calls)):>6} ms  {text}")


BESIDE = "[publisher thread]"


def _beside() -> bool:
    """On the outbox's publisher thread, beside the consumer's cycle."""
    return threading.current_thread().name == outbox.THREAD_NAME


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def one_round(world: World, rate: float) -> Timings:
    """The latency run on `world` at `rate`, timed; reported, and returned."""
    timings = Timings()
    undo = [timings.timed(cls, name) for cls, name in PHASES]
    event.listen(SqlEngine, "before_cursor_execute", statement_started)
    event.listen(SqlEngine, "after_cursor_execute", timings.after)
    name = f"eventfilter_phases_{uuid.uuid4().hex[:8]}"
    admin = f"host={PG_HOST} port={PG_PORT} user=postgres dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/{name}"
        run = stream_latency(world, url, RABBIT_URL, f"efphases.{uuid.uuid4().hex[:8]}", rate=rate)
        timings.latencies = run.latencies
        timings.report(run.latencies)
    finally:
        event.remove(SqlEngine, "before_cursor_execute", statement_started)
        event.remove(SqlEngine, "after_cursor_execute", timings.after)
        for undone in undo:
            undone()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return timings


def main(argv: list[str]) -> None:
    rate = float(argv[0]) if argv else 1000.0
    rounds = int(argv[1]) if len(argv) > 1 else 1
    world = make_world(CACHE, profile="national", persons=30_000, days=120, seed=3)  # test_stream's
    for n in range(rounds):
        print(f"== round {n + 1} at {rate:.0f} events/s")
        one_round(world, rate)


if __name__ == "__main__":
    main(sys.argv[1:])
