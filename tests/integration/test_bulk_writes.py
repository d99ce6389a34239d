"""The bulk statements below SQLAlchemy: rows given in any order land as given
(SQLite sorts updates and upserts by key for speed; the result is the same)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, text

from eventfilter.adapters.sql import bulk
from eventfilter.adapters.sql.connection import make_engine


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
