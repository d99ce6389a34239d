"""Bulk writes below SQLAlchemy's per-value processing, for the hot path.

Rows arrive as tuples already encoded (JSON as text, dates as ISO text).
SQLite gets one executemany; PostgreSQL gets COPY for plain inserts, and
for upserts and updates a COPY into a temporary table followed by one
INSERT ... ON CONFLICT or UPDATE ... FROM, or, below `FEW_ROWS`, the same
executemany as SQLite.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from operator import itemgetter
from typing import Any, TypeVar

import orjson
from sqlalchemy import ARRAY, ColumnElement, Connection, Select, Text, any_, cast, literal
from sqlalchemy.types import NullType

Row = tuple[Any, ...]
T = TypeVar("T")
IN_CHUNK = 500  # ids per IN (...) lookup (SQLite)
# PostgreSQL: ids per `= ANY(%s)` lookup, one array parameter however many. A
# stream batch of 2,000 messages looks up its event and message ids in one
# statement instead of eight.
ARRAY_CHUNK = 10_000
# The execution option that runs a statement unprepared on PostgreSQL (see
# `connection._unprepared`).
UNPREPARED_OPTION = "eventfilter_unprepared"
UNPREPARED: dict[str, Any] = {UNPREPARED_OPTION: True}
# PostgreSQL: fewer rows than this are upserted or updated by one statement run per
# row (psycopg pipelines and prepares it) rather than through a temporary table.
# A temporary table is made (`KEPT_EMPTY`), filled and read: three statements,
# 3-6 ms for the stream's batches of tens of rows when it was made anew each time;
# and with no statistics the planner guesses it holds hundreds of rows and
# scans a small register whole to join them (a 30,000-person table: 5-15 ms).
# Row by row took 2.4 ms against 5.8 for 40 persons' facts and broke even near
# 300 (23 against 46 ms at 2,000).
FEW_ROWS = 200

# The temporary tables many rows go through live as long as the connection:
# created on its first use (`IF NOT EXISTS` in the same transaction, so a
# pooler that hands each transaction another server connection finds or makes
# its own), emptied by the statement that reads them (`DELETE ... RETURNING`,
# so a second use in one transaction starts empty) and truncated in place at
# every commit. Created and dropped with each transaction (`ON COMMIT DROP`), a
# stream wrote and deleted catalog rows two or three times a batch, ten batches
# a second: 1.7 ms a table, and the catalogs to vacuum. 476 rows updated in a
# table of 30,000: 6.97-7.22 -> 5.52-6.21 ms a transaction (medians of 60
# alternating rounds, two runs).
KEPT_EMPTY = "ON COMMIT DELETE ROWS"


def chunks(items: Sequence[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def id_chunks(conn: Connection, items: Sequence[T]) -> Iterator[Sequence[T]]:
    """`items` in chunks of the size `one_of` takes on this database."""
    return chunks(items, ARRAY_CHUNK if conn.dialect.name == "postgresql" else IN_CHUNK)


def one_of(
    conn: Connection, column: str, values: Sequence[str], blind: bool = False
) -> tuple[str, tuple[Any, ...]]:
    """The condition "`column` is one of `values`" and its parameters, for
    `lookup`. SQLite: an IN list of placeholders. PostgreSQL: `= ANY(%s)`,
    the values as one array. psycopg rewrites every `%s` of a statement into
    `$n` with a regular expression and caches the result only for statements of
    at most 50 parameters, so a 500-id IN list was parsed again on every
    lookup: 2.3 ms for the 1,000 of a stream batch's duplicate check, and 11 %
    of a consumer's cycle at full throughput. The array goes as its text
    (`text_array`): psycopg's list dumper is Python, a loop per value.

    `blind`: on PostgreSQL `column = ANY(ARRAY(SELECT unnest(%s::text[])))`,
    planned without looking at the values. The planner estimates `= ANY` of a
    constant one value at a time against the column's most common values, and
    for a column that has some (a beneficiary, a dwelling, a partner named)
    that was most of the lookup: planning the cases a stream batch's 1,900
    persons and addresses may touch took 7-10 ms, running it 5. An array made
    by a subquery is a value the planner cannot see: it plans for a few ids,
    through the column's index. (A join with the ids, `IN (SELECT unnest(...))`,
    was planned quickly too, but for 200 ids of unknown kind: on a
    municipality's register of 30,000 persons it hashed the whole table to
    find who names one of 482 persons as partner, 4.8 of a statement's 6.6 ms.)"""
    if conn.dialect.name == "postgresql":
        if blind:
            return f"{column} = ANY(ARRAY(SELECT unnest(%s::text[])))", (text_array(values),)
        return f"{column} = ANY(%s::text[])", (text_array(values),)
    return f"{column} IN ({', '.join('?' for _ in values)})", tuple(values)


def text_array(values: Sequence[str]) -> str:
    """PostgreSQL's text form of a text[] array: each value in double quotes,
    with backslash and double quote escaped by a backslash (so a comma, a brace
    or the word NULL stays a value). Text holds no NUL, so neither does an id.

    Ids hardly ever hold either character: the values are joined as they are
    unless one does (a lookup of 500 ids took 63 µs escaped one by one, 6 µs
    joined; a stream batch makes a few dozen)."""
    joined = "".join(values)
    if '"' in joined or "\\" in joined:
        return "{" + ",".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values) + "}"
    return '{"' + '","'.join(values) + '"}' if values else "{}"


def among(conn: Connection, column: ColumnElement[Any], values: Sequence[str]) -> ColumnElement[bool]:
    """`one_of` for a query written with SQLAlchemy (run it with `UNPREPARED`).
    The array's text goes untyped (`NullType`), as `one_of`'s `%s::text[]`: as a
    string SQLAlchemy types it `::VARCHAR`, and PostgreSQL then turns that
    varchar into an array again for every row it tests (`'…'::cstring::text[]`
    in the plan). A stream batch's 800 case ids against 283 review items took
    25 ms on the server for that; as a constant array, 0.5 ms."""
    if conn.dialect.name == "postgresql":
        return column == any_(cast(literal(text_array(values), NullType()), ARRAY(Text)))
    return column.in_(list(values))


def rows_among(
    conn: Connection, query: Select[Any], column: ColumnElement[Any], values: Sequence[str]
) -> Iterator[Any]:
    """`rows_where` for a query written with SQLAlchemy: the rows of `query` where
    `column` is one of `values` (`among`), a statement per chunk of `values`
    (`id_chunks`), each run unprepared."""
    for chunk in id_chunks(conn, values):
        yield from conn.execute(query.where(among(conn, column, chunk)), execution_options=UNPREPARED)


def lookup(conn: Connection, sql: str, params: tuple[Any, ...]) -> list[Row]:
    """The rows of a lookup made with `one_of`. On PostgreSQL it is never
    prepared: a prepared `= ANY($1)` may get a generic plan, made for an array of
    unknown length, where the IN list it replaces was planned for its values."""
    return list(conn.exec_driver_sql(sql, params, execution_options=UNPREPARED).all())


def rows_where(conn: Connection, template: str, column: str, values: Sequence[str]) -> Iterator[Row]:
    """The rows of `template` with "`column` is one of `values`" (`one_of`) in
    its `{}`, a statement per chunk of `values` (`id_chunks`)."""
    for chunk in id_chunks(conn, values):
        where, params = one_of(conn, column, chunk)
        yield from lookup(conn, template.format(where), params)


def encode(value: Any) -> str:
    """Compact UTF-8 JSON text. orjson: a national replay encodes millions of
    evaluations and reasons, and the standard encoder took a tenth of its time."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def js(value: Any) -> str | None:
    """JSON text for a JSON column (None stays SQL NULL)."""
    return None if value is None else encode(value)


def day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def stamp(conn: Connection, value: datetime) -> Any:
    """A time as the dialect stores it: SQLite as naive UTC text (as SQLAlchemy
    writes it), PostgreSQL as the aware value itself."""
    if conn.dialect.name != "sqlite":
        return value
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


def insert(conn: Connection, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        _copy(conn, table, columns, rows)
        return
    marks = ", ".join("?" for _ in columns)
    conn.exec_driver_sql(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", list(rows))


def insert_ignore(conn: Connection, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
    """Insert, leaving rows whose unique key exists already."""
    if not rows:
        return
    mark = "%s" if conn.dialect.name == "postgresql" else "?"
    marks = ", ".join(mark for _ in columns)
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) ON CONFLICT DO NOTHING"
    conn.exec_driver_sql(sql, list(rows))


def upsert(conn: Connection, table: str, columns: Sequence[str], key: str, rows: Sequence[Row]) -> None:
    """Insert or replace by `key` (the first occurrence of a key in `rows` must be the only one)."""
    if not rows:
        return
    cols = ", ".join(columns)
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != key)
    postgres = conn.dialect.name == "postgresql"
    if postgres and len(rows) >= FEW_ROWS:
        temp = f"_ef_{table}"
        conn.exec_driver_sql(
            f"CREATE TEMP TABLE IF NOT EXISTS {temp} (LIKE {table} INCLUDING DEFAULTS) {KEPT_EMPTY}"
        )
        _copy(conn, temp, columns, rows)
        conn.exec_driver_sql(
            f"WITH n AS (DELETE FROM {temp} RETURNING {cols})"
            f" INSERT INTO {table} ({cols}) SELECT {cols} FROM n ON CONFLICT ({key}) DO UPDATE SET {updates}"
        )
        return
    marks = ", ".join("%s" if postgres else "?" for _ in columns)
    sql = f"INSERT INTO {table} ({cols}) VALUES ({marks}) ON CONFLICT ({key}) DO UPDATE SET {updates}"
    conn.exec_driver_sql(sql, in_key_order(rows, list(columns).index(key)))


def update(conn: Connection, table: str, key: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
    """Update existing rows by `key` (each row: the columns, then the key). No
    indexed column may be among `columns`: the indexes are left alone, which
    is the point (an upsert rewrites every index entry of the row)."""
    if not rows:
        return
    postgres = conn.dialect.name == "postgresql"
    if postgres and len(rows) >= FEW_ROWS:
        temp = f"_ef_{table}_update"
        cols = ", ".join([*columns, key])
        conn.exec_driver_sql(
            f"CREATE TEMP TABLE IF NOT EXISTS {temp} {KEPT_EMPTY} AS SELECT {cols} FROM {table} WITH NO DATA"
        )
        _copy(conn, temp, [*columns, key], rows)
        sets = ", ".join(f"{c} = n.{c}" for c in columns)
        # The keys again as one array, so the rows are found by the key's index.
        # Joined only to the temporary table (which is never analysed), the planner
        # hashed the whole table to update a few hundred rows: on 30,000 persons,
        # 476 rows took 12.5-13.0 ms that way and 4.0-4.7 ms through the index
        # (EXPLAIN ANALYZE, three rounds of each in one run).
        conn.exec_driver_sql(
            f"WITH n AS (DELETE FROM {temp} RETURNING {cols})"
            f" UPDATE {table} SET {sets} FROM n WHERE {table}.{key} = n.{key}"
            f" AND {table}.{key} = ANY(ARRAY(SELECT {key} FROM n))"
        )
        return
    mark = "%s" if postgres else "?"
    sets = ", ".join(f"{c} = {mark}" for c in columns)
    sql = f"UPDATE {table} SET {sets} WHERE {key} = {mark}"
    conn.exec_driver_sql(sql, in_key_order(rows, len(columns)))


def delete(conn: Connection, table: str, key: str, keys: Sequence[str]) -> None:
    """Delete the rows with these keys. SQLite: one statement run per key, in key
    order. PostgreSQL: `one_of`, unprepared. Either way as driver SQL: made
    with SQLAlchemy's `delete().where(in_())`, each chunk was compiled anew (1,400
    of them at the end of a national month)."""
    if not keys:
        return
    if conn.dialect.name == "postgresql":
        for part in id_chunks(conn, keys):
            where, params = one_of(conn, key, part)
            conn.exec_driver_sql(f"DELETE FROM {table} WHERE {where}", params, execution_options=UNPREPARED)
        return
    conn.exec_driver_sql(f"DELETE FROM {table} WHERE {key} = ?", [(k,) for k in sorted(keys)])


def in_key_order(rows: Sequence[Row], key: int) -> list[Row]:
    """SQLite: rows that replace rows by key, sorted by it. In the file's order each
    row lands near the one before, in pages still in the cache; a national batch
    updates ~78,000 persons scattered over 5.9 million, and sorted they took a
    third less time (the sort is stable: rows of one key keep their order)."""
    return sorted(rows, key=itemgetter(key))


def upsert_many(
    conn: Connection, table: str, columns: Sequence[str], key: Sequence[str], rows: Sequence[Row]
) -> None:
    """Insert or replace by a composite key (small writes; no COPY)."""
    if not rows:
        return
    cols = ", ".join(columns)
    mark = "%s" if conn.dialect.name == "postgresql" else "?"
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in key)
    sql = (
        f"INSERT INTO {table} ({cols}) VALUES ({', '.join(mark for _ in columns)})"
        f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}"
    )
    conn.exec_driver_sql(sql, list(rows))


def _copy(conn: Connection, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
