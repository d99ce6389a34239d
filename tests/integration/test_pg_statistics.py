"""PostgreSQL keeps planning well while a bulk load fills a table from empty,
and the ANALYZE that keeps it so never holds up the batch that asked for it."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import psycopg
from sqlalchemy import text

from eventfilter.bootstrap import bootstrap
from eventfilter.service.imports import import_cases, import_persons
from tests.helpers import case, extract, person, sql_store


def _analysed(store: Any, table: str) -> bool:
    """Whether `table` has been analysed, once the ANALYZEs asked for so far have run."""
    assert store.statistics.settle(timeout=60), "the ANALYZEs asked for did not finish"
    with store.connect() as conn:
        return bool(
            conn.execute(
                text("SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = :t"),
                {"t": table},
            ).scalar()
        )


def test_an_import_from_empty_analyses_the_tables_it_fills(pg_databases: Any) -> None:
    app = bootstrap(pg_databases())
    try:
        few = [person(f"P{i}") for i in range(100)]
        import_persons(app.store, extract(*few), "persons.jsonl", app.clock)
        assert not _analysed(app.store, "persons")  # a hundred rows: not worth it
        many = [person(f"Q{i}") for i in range(6_000)]
        import_persons(app.store, extract(*many), "persons.jsonl", app.clock)
        assert _analysed(app.store, "persons")
        # a municipality's few thousand cases are analysed too: the stream looks them
        # up by beneficiary three times a batch, and unanalysed they were scanned whole
        cases = [case(f"C{i}", "kontanthjaelp", f"Q{i}") for i in range(1_500)]
        import_cases(app.store, app.pack, extract(*cases), "cases.jsonl", app.clock)
        assert _analysed(app.store, "cases")
        with sql_store(app).connect() as conn:  # the planner now knows the size
            for sql in (
                "SELECT * FROM cases WHERE case_id IN ('C1', 'C2')",
                "SELECT case_id FROM cases WHERE in_active_set AND beneficiary_id IN ('Q1', 'Q2')",
            ):
                plan = "\n".join(conn.execute(text(f"EXPLAIN {sql}")).scalars())
                assert "Index" in plan and "Seq Scan on cases" not in plan, plan
    finally:
        app.store.dispose()


def test_the_stream_on_a_fresh_database_analyses_what_it_fills(pg_databases: Any) -> None:
    from eventfilter.adapters.memory_broker import MemoryBroker
    from eventfilter.service.stream import StreamProcessor
    from tests.helpers import income

    app = bootstrap(pg_databases())
    try:
        processor = StreamProcessor(app.store, app.pack, app.settings, app.clock)
        broker = MemoryBroker()
        for i in range(6_000):
            broker.send(json.dumps(income(f"R{i}", 100, event_id=f"i{i}")).encode())
        while deliveries := broker.fetch(1_000, 0):
            processor.process(deliveries)
            broker.ack(deliveries)
        assert _analysed(app.store, "processed_events")
    finally:
        app.store.dispose()


def test_the_analyze_runs_beside_the_writes_not_before_them(pg_databases: Any) -> None:
    """Another session holds a lock that ANALYZE waits for (and writes do not):
    the batch that made the table due is committed, and the next one too, while
    the ANALYZE waits; once the lock is let go, it runs."""
    from eventfilter.records import BatchChanges, ProcessedEvent

    url = pg_databases()
    app = bootstrap(url)
    store = sql_store(app)
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    day = date(2026, 3, 1)

    def batch(start: int, n: int) -> None:
        changes = BatchChanges(at=app.clock())
        changes.processed.extend(
            ProcessedEvent(f"e{i}", "h", f"P{i}", "moved", day, None) for i in range(start, start + n)
        )
        with app.store.unit_of_work() as uow:
            uow.write(changes)

    try:
        with psycopg.connect(dsn) as holder:
            holder.execute("LOCK TABLE processed_events IN SHARE UPDATE EXCLUSIVE MODE")
            batch(0, 6_000)  # due now: the ANALYZE is asked for, and waits for the lock
            batch(6_000, 10)  # the writes go on meanwhile
            assert not store.statistics.settle(timeout=0)  # still waiting
            with store.connect() as conn:
                assert conn.execute(text("SELECT count(*) FROM processed_events")).scalar() == 6_010
            holder.rollback()
        assert _analysed(store, "processed_events")
        with store.connect() as conn:
            rows = conn.execute(text("SELECT reltuples FROM pg_class WHERE relname = 'processed_events'"))
            assert rows.scalar() == 6_010
    finally:
        app.store.dispose()


def test_two_consumers_filling_one_table_analyse_it_once_for_both(pg_databases: Any) -> None:
    """Each process counts the rows it added itself. Once one has analysed a
    table, the other's count since does not analyse it again; the table is
    analysed again when it has grown by half since (by that other's count alone here)."""
    from eventfilter.records import BatchChanges, ProcessedEvent

    url = pg_databases()
    first, second = bootstrap(url), bootstrap(url)  # two consumers' stores
    day = date(2026, 3, 1)

    def batch(app: Any, start: int, n: int) -> None:
        changes = BatchChanges(at=app.clock())
        changes.processed.extend(
            ProcessedEvent(f"e{i}", "h", f"P{i}", "moved", day, None) for i in range(start, start + n)
        )
        with app.store.unit_of_work() as uow:
            uow.write(changes)

    def analyses() -> int:
        for app in (first, second):
            assert sql_store(app).statistics.settle(timeout=60), "the ANALYZEs asked for did not finish"
        with sql_store(first).connect() as conn:
            return int(
                conn.execute(
                    text("SELECT analyze_count FROM pg_stat_user_tables WHERE relname = 'processed_events'")
                ).scalar_one()
            )

    try:
        # only these two analyse it, on a server with autovacuum on too
        with sql_store(first).begin() as conn:
            conn.execute(text("ALTER TABLE processed_events SET (autovacuum_enabled = false)"))
        batch(second, 0, 10)  # the second has seen the table empty: 1,000 rows of its own make it due
        batch(first, 10, 6_000)
        assert analyses() == 1
        batch(second, 6_010, 2_000)  # due by its own count, but analysed at 6,010 rows since
        assert analyses() == 1
        batch(second, 8_010, 3_100)  # now half of 6,010 by its count alone: analysed again
        assert analyses() == 2
        with sql_store(first).connect() as conn:
            rows = conn.execute(text("SELECT reltuples FROM pg_class WHERE relname = 'processed_events'"))
            assert rows.scalar() == 11_110
    finally:
        first.store.dispose()
        second.store.dispose()
