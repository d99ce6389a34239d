"""PostgreSQL keeps planning well while a bulk load fills a table from empty."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text

from eventfilter.bootstrap import bootstrap
from eventfilter.service.imports import import_cases, import_persons
from tests.helpers import case, extract, person, sql_store


def _analysed(store: Any, table: str) -> bool:
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
        cases = [case(f"C{i}", "kontanthjaelp", f"Q{i}") for i in range(6_000)]
        import_cases(app.store, app.pack, extract(*cases), "cases.jsonl", app.clock)
        assert _analysed(app.store, "cases")
        with sql_store(app).connect() as conn:  # the planner now knows the size
            plan = "\n".join(
                conn.execute(text("EXPLAIN SELECT * FROM cases WHERE case_id IN ('C1', 'C2')")).scalars()
            )
        assert "Index" in plan, plan
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
