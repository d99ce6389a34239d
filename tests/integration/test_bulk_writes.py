"""The bulk statements below SQLAlchemy: rows given in any order land as given
(SQLite sorts updates and upserts by key for speed; the result is the same).
On PostgreSQL a few rows go one statement per row and many through a temporary
table: both land alike, with the writer's encodings (dates and JSON as text)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, text

from eventfilter.adapters.sql import bulk
from eventfilter.adapters.sql.connection import make_engine
from tests.integration.conftest import _empty_postgres


def _table(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path}/bulk.db")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER, w TEXT)")
    return engine


def _rows(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        found = [tuple(r) for r in conn.execute(text("SELECT k, v, w FROM t ORDER BY k"))]
    engine.dispose()
    return found


def test_rows_are_put_in_key_order_and_rows_of_one_key_keep_theirs() -> None:
    rows = [("c", 1), ("a", 2), ("b", 3), ("a", 4)]
    assert bulk.in_key_order(rows, 0) == [("a", 2), ("a", 4), ("b", 3), ("c", 1)]
    assert bulk.in_key_order([(9, "z"), (8, "y")], 1) == [(8, "y"), (9, "z")]


def test_an_upsert_in_any_order_stores_every_row_as_given(tmp_path: Path) -> None:
    engine = _table(tmp_path)
    with engine.begin() as conn:
        bulk.insert(conn, "t", ("k", "v", "w"), [("m", 0, "old"), ("b", 0, "old")])
        bulk.upsert(conn, "t", ("v", "k", "w"), "k", [(3, "z", "new"), (1, "m", "new"), (2, "a", "new")])
    assert _rows(engine) == [("a", 2, "new"), ("b", 0, "old"), ("m", 1, "new"), ("z", 3, "new")]


def test_an_update_in_any_order_changes_only_the_rows_named(tmp_path: Path) -> None:
    engine = _table(tmp_path)
    with engine.begin() as conn:
        bulk.insert(conn, "t", ("k", "v", "w"), [(k, 0, "x") for k in "edcba"])
        bulk.update(conn, "t", "k", ("v", "w"), [(5, "y", "e"), (1, "y", "a"), (3, "y", "c")])
    assert _rows(engine) == [("a", 1, "y"), ("b", 0, "x"), ("c", 3, "y"), ("d", 0, "x"), ("e", 5, "y")]


def test_a_delete_removes_exactly_the_rows_named_in_any_order(tmp_path: Path) -> None:
    engine = _table(tmp_path)
    with engine.begin() as conn:
        bulk.insert(conn, "t", ("k", "v", "w"), [(k, 0, "x") for k in "edcba"])
        bulk.delete(conn, "t", "k", ["e", "b", "nobody"])
        bulk.delete(conn, "t", "k", [])
    assert _rows(engine) == [("a", 0, "x"), ("c", 0, "x"), ("d", 0, "x")]


def test_none_and_bools_bind_as_null_and_integers_as_before(tmp_path: Path) -> None:
    """SQLite binds None and bools through adapters made for speed
    (`connection._fast_sqlite_binding`): what lands is NULL and 1/0, as without them."""
    engine = _table(tmp_path)
    with engine.begin() as conn:
        bulk.insert(conn, "t", ("k", "v", "w"), [("a", True, None), ("b", False, "x"), ("c", None, None)])
    with engine.connect() as conn:
        stored = [
            tuple(r) for r in conn.exec_driver_sql("SELECT k, typeof(v), v, typeof(w) FROM t ORDER BY k")
        ]
    engine.dispose()
    assert stored == [
        ("a", "integer", 1, "null"),
        ("b", "integer", 0, "text"),
        ("c", "null", None, "null"),
    ]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def typed_table(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A table with the column types the writer fills: text key, integer, date, JSON, boolean."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/bulk.db"
    else:
        url = request.getfixturevalue("pg_database")
        _empty_postgres(url)
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER, d DATE, j JSON, b BOOLEAN)")
    yield engine
    engine.dispose()


def _typed(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT k, v, CAST(d AS TEXT), CAST(j AS TEXT), b FROM t ORDER BY k")
        return [(k, v, d, j, bool(b) if b is not None else None) for k, v, d, j, b in rows]


@pytest.mark.parametrize("n", [3, bulk.FEW_ROWS + 7])
def test_few_rows_and_many_upsert_and_update_alike(typed_table: Engine, n: int) -> None:
    keys = [f"k{i:04d}" for i in range(n)]
    with typed_table.begin() as conn:
        bulk.insert(conn, "t", ("k", "v", "d", "j", "b"), [(k, 0, "2026-01-01", "[]", False) for k in keys])
    stored = _typed(typed_table)
    assert stored[0] == ("k0000", 0, "2026-01-01", "[]", False)
    changed = keys[::2]
    shuffled = random.Random(n).sample(changed, len(changed))
    updates = [
        (i, date(2026, 2, 1 + i % 28).isoformat(), f'["{k}"]', True, k) for i, k in enumerate(shuffled)
    ]
    added = [(f"new{i}", -i, "2026-03-01", None, None) for i in range(n)]
    with typed_table.begin() as conn:
        bulk.update(conn, "t", "k", ("v", "d", "j", "b"), updates)
        bulk.upsert(
            conn, "t", ("k", "v", "d", "j", "b"), "k", [*added, ("k0001", 99, None, '{"a": 1}', True)]
        )
    expected: dict[str, tuple[object, ...]] = {k: (k, 0, "2026-01-01", "[]", False) for k in keys}
    expected.update({k: (k, v, d, j, b) for v, d, j, b, k in updates})
    expected.update({k: (k, v, d, j, b) for k, v, d, j, b in added})
    expected["k0001"] = ("k0001", 99, None, '{"a": 1}', True)
    assert _typed(typed_table) == [expected[k] for k in sorted(expected)]


@pytest.mark.postgres
def test_many_rows_are_updated_through_the_keys_index_not_a_scan_of_the_table(pg_database: str) -> None:
    """PostgreSQL: a few hundred rows of a table of 30,000 are found by the key's
    index. Joined only to the temporary table (never analysed), the planner hashed
    the whole table instead, which took about three times as long."""
    _empty_postgres(pg_database)
    engine = make_engine(pg_database)
    statements: list[str] = []

    def seen(conn: object, cursor: object, statement: str, *_: object) -> None:
        if "UPDATE register" in statement:
            statements.append(statement)

    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE register (k TEXT PRIMARY KEY, v INTEGER, w TEXT)")
            conn.exec_driver_sql(
                "INSERT INTO register SELECT 'k' || lpad(i::text, 6, '0'), 0, 'x'"
                " FROM generate_series(1, 30000) i"
            )
            conn.exec_driver_sql("ANALYZE register")
        rows = [(1, "y", f"k{i:06d}") for i in range(1, 30000, 63)]  # 477 rows spread over the table
        event.listen(engine, "before_cursor_execute", seen)
        with engine.begin() as conn:
            bulk.update(conn, "register", "k", ("v", "w"), rows)
            assert len(statements) == 1
            plan = "\n".join(r[0] for r in conn.exec_driver_sql(f"EXPLAIN {statements[0]}"))
        with engine.connect() as conn:
            changed = conn.exec_driver_sql("SELECT count(*) FROM register WHERE v = 1").scalar_one()
    finally:
        event.remove(engine, "before_cursor_execute", seen)
        engine.dispose()
    assert "Index Scan using register_pkey on register" in plan and "Seq Scan on register" not in plan, plan
    assert changed == len(rows)


@pytest.mark.postgres
def test_the_temporary_tables_outlive_a_transaction_empty_and_serve_twice_in_one(pg_database: str) -> None:
    """PostgreSQL: many rows go through a temporary table made once per connection
    (no catalog rows written and deleted with every batch). Each use starts
    empty: a second update and upsert in the same transaction, and the next
    transaction, see only their own rows."""
    _empty_postgres(pg_database)
    engine = make_engine(pg_database)
    n = bulk.FEW_ROWS + 1
    keys = [f"k{i:04d}" for i in range(n)]
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE register (k TEXT PRIMARY KEY, v INTEGER, w TEXT)")
            bulk.insert(conn, "register", ("k", "v", "w"), [(k, 0, "x") for k in keys])
        tables: list[list[tuple[str, int]]] = []
        for round_ in (1, 2):
            with engine.begin() as conn:
                bulk.update(conn, "register", "k", ("v", "w"), [(round_, "first", k) for k in keys])
                bulk.update(conn, "register", "k", ("v",), [(10 * round_, k) for k in keys[:-1]])
                bulk.upsert(
                    conn, "register", ("k", "v", "w"), "k", [(f"n{i:04d}", round_, "new") for i in range(n)]
                )
                bulk.upsert(
                    conn, "register", ("k", "v", "w"), "k", [(f"m{i:04d}", round_, "new") for i in range(n)]
                )
                tables.append(
                    list(
                        conn.exec_driver_sql(
                            "SELECT relname, oid FROM pg_class WHERE relpersistence = 't'"
                            " AND relname IN ('_ef_register', '_ef_register_update') ORDER BY relname"
                        ).all()
                    )
                )
            with engine.connect() as conn:
                rows = conn.exec_driver_sql("SELECT k, v FROM register").all()
            stored: dict[str, int] = {r[0]: r[1] for r in rows}
            assert {stored[k] for k in keys[:-1]} == {10 * round_}
            assert stored[keys[-1]] == round_
            assert (
                {stored[f"n{i:04d}"] for i in range(n)} == {stored[f"m{i:04d}"] for i in range(n)} == {round_}
            )
            assert len(stored) == 3 * n
        with engine.connect() as conn:
            left = conn.exec_driver_sql("SELECT count(*) FROM _ef_register_update").scalar_one()
    finally:
        engine.dispose()
    assert [name for name, _ in tables[0]] == ["_ef_register", "_ef_register_update"]
    assert tables[0] == tables[1]  # the same tables: made once on this connection
    assert left == 0
