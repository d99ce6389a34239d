"""PostgreSQL's planner statistics, kept up with what a run adds, off the caller's path.

PostgreSQL plans each query by its tables' statistics. A table filled from
empty in one run (a first import, a first replay, a new stream) is planned as
if it were still empty: a sequential scan per lookup, quadratic in all
(measured: a national case import crawled at 250 cases/s, and the stream's
duplicate checks scanned `processed_events` whole). So a table is analysed
again whenever it has grown by half since the last time; autovacuum may be
off, and is too slow for a bulk load anyway.

The `ANALYZE` itself runs on a thread of its own, on its own connection. It
took 60–175 ms on the stream benchmark's tables, and run in the consumer's
loop it held up the next batch that long: the worst cycles of a run at 1,000
events/s were these. It changes no data, and reads and writes go on beside it
(it takes only a SHARE UPDATE EXCLUSIVE lock), so nothing waits for it but
`settle` and `close` (which the end of the process runs: a command such as
an import leaves its tables analysed for the next, as before).

Each process counts only the rows it added itself. Several consumers fill the
same tables, and each used to analyse them on its own count: two consumers
ran 10 ANALYZEs of `processed_events` where one ran 6, a second of the
server's time in a run of 39,000 events. So before it analyses, the worker
asks the server when the table was last analysed: if another session (or
autovacuum) did it since this process last looked, it does not analyse again,
and counts its own rows on from the table's size at that ANALYZE (`_Seen`).
"""

from __future__ import annotations

import atexit
import threading
from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy import Connection, Engine, text

from eventfilter.adapters.sql.connection import first_line

log = structlog.get_logger("eventfilter.store")

# Rows a table must gain before it is analysed again, however small it is. A
# municipality's few thousand cases are worth it: left unanalysed, PostgreSQL took
# the 3,595 cases of the stream benchmark for 132 and hashed them whole to join
# the partner lookup of every batch (1.3-1.5 ms on the server, 0.8 analysed).
MIN_GROWTH = 1_000


class Statistics:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._rows: dict[str, float] = {}  # table -> rows at its last ANALYZE
        self._last: dict[str, datetime | None] = {}  # table -> its last ANALYZE, as last seen here
        self._grown: dict[str, int] = {}  # table -> rows added since
        self._due: list[str] = []  # tables waiting for the worker
        self._busy = False  # the worker is analysing one now
        self._closing = False
        self._worker: threading.Thread | None = None
        self._cond = threading.Condition()

    def grew(self, **added: int) -> None:
        """Rows added per table; a table that has grown by half is analysed soon."""
        if self.engine.dialect.name != "postgresql":
            return
        for table, n in added.items():
            if not n:
                continue
            if table not in self._rows:
                with self.engine.connect() as conn:
                    seen = _seen(conn, table)
                with self._cond:
                    self._rows.setdefault(table, seen.rows)
                    self._last.setdefault(table, seen.analysed)
            with self._cond:
                self._grown[table] = self._grown.get(table, 0) + n
                if self._grown[table] >= max(MIN_GROWTH, self._rows[table] / 2):
                    self._rows[table] += self._grown.pop(table)
                    self._ask(table)

    def _ask(self, table: str) -> None:
        if table not in self._due:
            self._due.append(table)
        if self._worker is None or not self._worker.is_alive():
            self._closing = False
            self._worker = threading.Thread(target=self._work, name="eventfilter-analyze", daemon=True)
            self._worker.start()
            atexit.register(self.close)  # a command that ends leaves its tables analysed
        self._cond.notify_all()

    def _work(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: bool(self._due) or self._closing)
                if not self._due:
                    return
                table = self._due.pop(0)
                self._busy = True
            try:
                with self.engine.begin() as conn:
                    seen = _seen(conn, table)
                    if not self._analysed_elsewhere(table, seen):
                        conn.exec_driver_sql(f"ANALYZE {table}")  # names from this package, never from input
                        analysed = _seen(conn, table).analysed
                        with self._cond:
                            self._last[table] = analysed
            except Exception as exc:  # the statistics are a help, never a reason to stop a run
                log.warning(
                    "could not analyse a table; its queries may be planned slowly",
                    table=table,
                    error=first_line(exc),
                )
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _analysed_elsewhere(self, table: str, seen: _Seen) -> bool:
        """Whether another session analysed `table` since this process last looked;
        if so, this process's own rows count on from the table's size then. (The
        server's count of rows changed since, `n_mod_since_analyze`, is not used:
        it counts updates too, which this count leaves out on purpose.)"""
        with self._cond:
            if seen.analysed is None or seen.analysed == self._last.get(table):
                return False
            self._last[table] = seen.analysed
            self._rows[table] = seen.rows
            return True

    def settle(self, timeout: float | None = None) -> bool:
        """Wait until every ANALYZE asked for has run; False if `timeout` passed first."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._due and not self._busy, timeout)

    def close(self, timeout: float = 60.0) -> None:
        """Run what is due (the next run's first queries are planned by it), then stop
        the worker. A worker still held up after `timeout` (a lock another session
        keeps) is left to die with the process: it is a daemon, and changes no data."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
            worker = self._worker
        if worker is not None:
            worker.join(timeout)
        atexit.unregister(self.close)


@dataclass(frozen=True)
class _Seen:
    """What the server says of a table: its rows at its last ANALYZE, and when
    that was (any session's, or autovacuum's; None: never)."""

    rows: float
    analysed: datetime | None


def _seen(conn: Connection, table: str) -> _Seen:
    row = conn.execute(
        text(
            "SELECT c.reltuples, GREATEST(s.last_analyze, s.last_autoanalyze)"
            " FROM pg_class c LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid"
            " WHERE c.oid = to_regclass(:t)"
        ),
        {"t": table},
    ).one_or_none()
    if row is None:
        return _Seen(0.0, None)
    return _Seen(max(0.0, float(row[0] or 0)), row[1])
