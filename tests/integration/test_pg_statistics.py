"""PostgreSQL keeps planning well while a bulk load fills a table from empty."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from eventfilter.bootstrap import bootstrap
from eventfilter.service.imports import import_cases, import_persons
from tests.helpers import case, extract, person


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
        with app.store.connect() as conn:  # the planner now knows the size
            plan = "\n".join(
                conn.execute(text("EXPLAIN SELECT * FROM cases WHERE case_id IN ('C1', 'C2')")).scalars()
            )
        assert "Index" in plan, plan
    finally:
        app.store.dispose()
