"""The stream's batches without the broker: the stream benchmark's world
(`benchmarks/test_stream.py`) decided in-process by `StreamProcessor.process`,
in batches of BATCH messages as a consumer at full throughput takes them, on a
fresh PostgreSQL database, with each SQL statement timed (RESULTS.md), and
the process's own CPU time beside the wall time.

    .venv/bin/python -m benchmarks.stream_batches [BATCH] [EVENTS]

Without RabbitMQ and the consumer's loop around it, what is left is the
batch's own cost, and a change to one statement shows in its line of the
table: the statements by total time, with their calls, mean time and rows.
(COPY goes round SQLAlchemy and is not in the table.) Needs the local
PostgreSQL; makes its own database and drops it.
"""

from __future__ import annotations

import collections
import re
import statistics
import sys
import time
import uuid
from typing import Any

import psycopg
from sqlalchemy import event
from sqlalchemy.engine import Engine as SqlEngine

from benchmarks.conftest import CACHE
from benchmarks.stream_phases import (  # lists of placeholders shortened alike, statements timed alike
    PLACEHOLDERS,
    statement_started,
    statement_took,
)
from benchmarks.workloads import import_extracts, make_world
from eventfilter.adapters.jsonl import JsonlSource
from eventfilter.bootstrap import bootstrap
from eventfilter.ports import Delivery
from eventfilter.service.stream import StreamProcessor
from tests.conftest import PG_HOST, PG_PORT


class Statements:
    """Each statement's times and rows, by its text (lists of placeholders shortened)."""

    def __init__(self) -> None:
        self.times: dict[str, list[float]] = collections.defaultdict(list)
        self.rows: collections.Counter[str] = collections.Counter()

    def after(self, conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        took = statement_took(conn)
        if took is None:
            return
        key = PLACEHOLDERS.sub("..", re.sub(r"\s+", " ", statement))[:90]
        self.times[key].append(took)
        self.rows[key] += max(cursor.rowcount, 0)

    def by_total(self, top: int) -> list[tuple[str, list[float]]]:
        """The `top` statements by their total time, each with its times."""
        return sorted(self.times.items(), key=lambda kv: -sum(kv[1]))[:top]


def run(batch: int, events: int) -> None:
    world = make_world(CACHE, profile="national", persons=30_000, days=120, seed=3)  # test_stream's
    name = f"eventfilter_batches_{uuid.uuid4().hex[:8]}"
    admin = f"host={PG_HOST} port={PG_PORT} user=postgres dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    statements = Statements()
    try:
        app = bootstrap(f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/{name}")
        try:
            import_extracts(app, world.dir)
            lines = [raw for _, raw in JsonlSource(str(world.events))][:events]
            processor = StreamProcessor(app.store, app.pack, app.settings, app.clock, daily_tick=False)
            event.listen(SqlEngine, "before_cursor_execute", statement_started)
            event.listen(SqlEngine, "after_cursor_execute", statements.after)
            took: list[float] = []
            cpu = 0.0  # this process's own CPU (every thread), steadier than wall time on a shared machine
            for start in range(0, len(lines), batch):
                deliveries = [
                    Delivery(raw, f"m{start + i}", start + i + 1, False, "q")
                    for i, raw in enumerate(lines[start : start + batch])
                ]
                began, began_cpu = time.perf_counter(), time.process_time()
                processor.process(deliveries)
                took.append(time.perf_counter() - began)
                cpu += time.process_time() - began_cpu
        finally:
            event.remove(SqlEngine, "before_cursor_execute", statement_started)
            event.remove(SqlEngine, "after_cursor_execute", statements.after)
            app.store.dispose()
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    total = sum(took)
    print(
        f"{len(lines)} events in {len(took)} batches: {total:.2f} s, {len(lines) / total:.0f} events/s,"
        f" a batch {statistics.median(took) * 1000:.0f} ms (median);"
        f" this process's CPU {cpu:.2f} s ({cpu / len(lines) * 1e6:.0f} us an event)"
    )
    ran = [t for k, t in statements.times.items() if not k.startswith("ANALYZE")]
    count, spent = sum(map(len, ran)), sum(map(sum, ran))
    print(f"statements: {count / len(took):.1f} a batch, {spent:.2f} s in all (no ANALYZE, no COPY)")
    print("statements by total time (ANALYZE runs on a thread of its own):")
    for key, times in statements.by_total(25):
        mean, rows = statistics.mean(times), statements.rows[key] / len(times)
        print(f"  {sum(times):6.2f} s {len(times):5d}x {mean * 1000:7.2f} ms {rows:7.0f} rows  {key}")


if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 2000, int(sys.argv[2]) if len(sys.argv) > 2 else 40_000)
