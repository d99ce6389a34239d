"""Who may write to a database at once.

A replay and an import keep the register, the cases and the open review
items in memory for the whole run; a second writer on the same database
meanwhile (another replay, a consumer, a caseworker resolving an item)
would write behind their back, and decisions are lost (trust issue,
finding 3). So those runs hold the database *exclusively*; the stream
consumers, `windows close` and a caseworker's resolution, which read
everything fresh inside their own transactions, hold it *shared* (any
number at once, but never beside an exclusive holder). A process that
cannot get its lease is refused with one sentence at once, never queued.

SQLite: an advisory `flock` on a file beside the database (`NAME.lock`).
PostgreSQL: a session-level advisory lock on a connection of its own.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from eventfilter.errors import Busy

# pg_advisory_lock's key: "eventfil" as a big-endian 64-bit integer.
PG_KEY = int.from_bytes(b"eventfil", "big") - 2**63


class Lease:
    """Re-entrant within one store object: a replay that imports its
    extracts first takes the lease once for all three steps."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._depth = 0
        self._exclusive = False
        self._held: Any = None  # an open lock file, or a PostgreSQL connection

    @contextlib.contextmanager
    def hold(self, doing: str, *, exclusive: bool) -> Iterator[None]:
        if self._depth:
            if exclusive and not self._exclusive:
                raise Busy(f"Cannot {doing} while this process holds the database for reading only.")
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._acquire(doing, exclusive)
        self._depth, self._exclusive = 1, exclusive
        try:
            yield
        finally:
            self._depth = 0
            self._release()

    # -- the two kinds of lock ------------------------------------------------------
    def _acquire(self, doing: str, exclusive: bool) -> None:
        name = self.engine.dialect.name
        if name == "sqlite":
            self._held = _sqlite_lock(self.engine, doing, exclusive)
        elif name == "postgresql":
            self._held = _pg_lock(self.engine, doing, exclusive)

    def _release(self) -> None:
        held, self._held = self._held, None
        if held is not None:
            with contextlib.suppress(Exception):  # a lost connection has released it already
                held.close()


def _refusal(doing: str, holder: str) -> Busy:
    return Busy(
        f"Cannot {doing}: {holder} is using this database right now; "
        "wait for it to finish (two writers at once would lose decisions)."
    )


def _sqlite_lock(engine: Engine, doing: str, exclusive: bool) -> Any:
    database = engine.url.database
    if not database or database == ":memory:":
        return None  # a private in-memory database: nobody else can write to it
    path = Path(database).with_name(Path(database).name + ".lock")
    try:
        handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - kept open while held
    except OSError:
        return None  # a read-only place: the database itself will say what is wrong
    try:
        fcntl.flock(handle.fileno(), (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another eventfilter process"
        handle.close()
        raise _refusal(doing, holder) from None
    if exclusive:
        handle.seek(0)
        handle.truncate()
        since = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        handle.write(f"another eventfilter process ({doing}, pid {os.getpid()}, since {since})")
        handle.flush()
    return handle


def _pg_lock(engine: Engine, doing: str, exclusive: bool) -> Any:
    conn = engine.connect()
    try:
        fn = "pg_try_advisory_lock" if exclusive else "pg_try_advisory_lock_shared"
        got = conn.execute(text(f"SELECT {fn}(:key)"), {"key": PG_KEY}).scalar()
        conn.commit()
    except Exception:
        conn.close()
        raise
    if not got:
        conn.close()
        raise _refusal(doing, "another eventfilter process")
    return _PgHolder(conn)


class _PgHolder:
    """The connection holding the advisory lock; closing it unlocks, so the
    pooled connection never carries the lock on to its next user."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def close(self) -> None:
        try:
            self.conn.execute(text("SELECT pg_advisory_unlock_all()"))
            self.conn.commit()
        finally:
            self.conn.close()
