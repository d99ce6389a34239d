"""Opening a database: the engine and its SQLite settings, and the small
helpers every SQL module shares (a URL fit for a message, times made aware;
chunked IN lists are in `bulk`)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from eventfilter.adapters.sql import bulk, codec
from eventfilter.adapters.urls import redact_url
from eventfilter.errors import StoreError

# JSON columns through orjson (the standard module is several times slower).
JSON_CODEC: dict[str, Any] = {"json_serializer": bulk.encode, "json_deserializer": codec.stored_json}


def _fast_sqlite_binding() -> None:
    """Bind None and bools without sqlite3's adaptation protocol. The module adapts
    every parameter that is not an exact int, float or str: for None and bool it
    builds a key, misses the registry and probes `__adapt__` and `__conform__`,
    about 0.6 us a value (a quarter of an 8-column row's whole insert), and then
    binds NULL and the integer anyway. With these adapters registered the lookup
    hits, and the adapter (a C function: `{}.get(None)` is None, `int(True)` is
    1) hands over the same value. The registry is the module's, for every
    connection in the process; what is bound does not change."""
    sqlite3.register_adapter(type(None), cast(Callable[[None], None], {}.get))
    sqlite3.register_adapter(bool, int)


# libpq's own URL forms, as psql and most platforms write them, go to the driver
# eventfilter ships with (eventfilter[postgres]: psycopg 3); SQLAlchemy would
# refuse `postgres://` and, before 2.1, look for psycopg2 behind `postgresql://`.
_LIBPQ_FORMS = ("postgres://", "postgresql://")
PSYCOPG = "postgresql+psycopg://"


def engine_url(url: str) -> str:
    """The URL as SQLAlchemy is given it: libpq's forms with eventfilter's driver."""
    for form in _LIBPQ_FORMS:
        if url.startswith(form):
            return PSYCOPG + url.removeprefix(form)
    return url


def make_engine(url: str) -> Engine:
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme.split("+", 1)[0] not in ("sqlite", "postgres", "postgresql"):
        raise StoreError(
            f"The database URL {redact_url(url)} names {scheme or 'no database'}, which eventfilter "
            "does not store in; give sqlite:///PATH (or a file path) or postgresql://USER@HOST/DATABASE."
        )
    url = engine_url(url)
    try:
        if url.startswith("sqlite"):
            _fast_sqlite_binding()
            engine = create_engine(url, connect_args={"timeout": 30}, **JSON_CODEC)
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = create_engine(url, pool_pre_ping=True, **JSON_CODEC)
            event.listen(engine, "do_execute", _unprepared)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise StoreError(f"The database URL {redact_url(url)} is not usable: {exc}.") from None
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] == "psycopg":
            raise StoreError(
                "The database driver psycopg is not installed; install eventfilter[postgres] for PostgreSQL."
            ) from None
        raise StoreError(  # another driver named in the URL (postgresql+psycopg2://…)
            f"The database driver {exc.name} is not installed; eventfilter[postgres] brings psycopg, "
            "which postgresql://USER@HOST/DATABASE uses."
        ) from None
    return engine


def _unprepared(cursor: Any, statement: str, parameters: Any, context: Any) -> bool:
    """PostgreSQL: run a statement given the execution option `bulk.UNPREPARED`
    without preparing it (psycopg prepares a statement run five times). True: it
    ran here; False: SQLAlchemy runs it as usual."""
    if context is None or not context.execution_options.get(bulk.UNPREPARED_OPTION):
        return False
    cursor.execute(statement, parameters, prepare=False)
    return True


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA cache_size=-65536")  # 64 MiB: replay updates rows all over the file
    cur.close()


def missing_database(url: str) -> str:
    return (
        f"The database {redact_url(url)} does not exist or holds no eventfilter data; "
        "check --db (or EVENTFILTER_DB), or create it with `eventfilter db upgrade`."
    )


def first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0].rstrip(".") if text else type(exc).__name__


def aware(value: datetime) -> datetime:
    """SQLite keeps no time zone; every time eventfilter stores is UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
