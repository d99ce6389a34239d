"""The SQL store (SQLite by default, PostgreSQL in production).

Hot paths use SQLAlchemy Core with executemany; each replay batch is one
transaction, so a run killed at any moment leaves the store as it was after
the last whole batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, exists, func, select, update
from sqlalchemy.exc import OperationalError

from eventfilter.adapters.sql import bulk, codec, schema
from eventfilter.adapters.sql.bulk import rows_among, rows_where
from eventfilter.adapters.sql.codec import PERSONS_WHERE, PROTECTED_WHERE
from eventfilter.adapters.sql.connection import (
    aware,
    first_line,
    make_engine,
)
from eventfilter.adapters.sql.lease import Lease
from eventfilter.adapters.sql.models import (
    CASES,
    DEAD_LETTERS,
    EXTRACTS,
    METADATA,
    OUTBOX,
    PERSONS,
    PROTECTED_ADDRESSES,
    RUNS,
    WINDOWS,
)
from eventfilter.adapters.sql.statistics import Statistics
from eventfilter.adapters.sql.writes import (
    CASE_COLUMNS,
    PERSON_COLUMNS,
    Writer,
    _case_tuple,
    _person_tuple,
    _remember_protected,
)
from eventfilter.adapters.urls import redact_url
from eventfilter.core.cases import CaseBook
from eventfilter.core.facts import Case, Person, extract_over
from eventfilter.errors import StoreError
from eventfilter.records import (
    BatchChanges,
    DeadLetter,
    DeadLetterView,
    Extract,
)

if TYPE_CHECKING:
    from eventfilter.adapters.sql.unit import SqlUnitOfWork


class SqlStore:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.writer = Writer()
        self.statistics = Statistics(self.engine)
        self._lease = Lease(self.engine)

    def exclusive(self, doing: str) -> AbstractContextManager[None]:
        """Hold the database alone (replay, import): refused at once with one
        sentence while another process holds it (see adapters.sql.lease)."""
        return self._lease.hold(doing, exclusive=True)

    def shared(self, doing: str) -> AbstractContextManager[None]:
        """Hold the database beside other shared holders (the stream, a caseworker)."""
        return self._lease.hold(doing, exclusive=False)

    # -- connections and schema ------------------------------------------
    @contextmanager
    def begin(self) -> Iterator[Connection]:
        try:
            with self.engine.begin() as conn:
                yield conn
        except OperationalError as exc:
            raise StoreError(f"The database {redact_url(self.url)} failed: {first_line(exc)}.") from None

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                yield conn
        except OperationalError as exc:
            raise StoreError(f"The database {redact_url(self.url)} failed: {first_line(exc)}.") from None

    def revisions(self) -> tuple[str | None, str]:
        """(the database's schema revision or None, this release's)."""
        return schema.revisions(self)

    def upgrade(self, revision: str = "head") -> tuple[str | None, str]:
        return schema.upgrade(self, revision)

    def ensure_schema(self, create: bool = True) -> None:
        """A fresh database gets the schema (when `create`, else it is refused);
        an older one must be upgraded on purpose."""
        schema.ensure_schema(self, create)

    # -- loading for the engine ----------------------------------------------
    def load_persons(self, person_ids: Sequence[str]) -> list[Person]:
        """These persons, those the store has."""
        with self.connect() as conn:
            return [codec.person_of_raw(r) for r in rows_where(conn, PERSONS_WHERE, "person_id", person_ids)]

    def load_cases(self, case_ids: Sequence[str] | None = None) -> CaseBook:
        """The case book: all cases, or these."""
        select_all = f"SELECT {', '.join(CASE_COLUMNS)} FROM cases"
        with self.connect() as conn:
            if case_ids is None:
                book = CaseBook()
                cur = conn.exec_driver_sql(select_all)
                while rows := cur.fetchmany(10_000):
                    for r in rows:
                        book.add(codec.case_of_raw(r))
                return book
            book = CaseBook()
            for row in rows_where(conn, select_all + " WHERE {}", "case_id", list(case_ids)):
                book.add(codec.case_of_raw(row))
            return book

    @contextmanager
    def write_transaction(self) -> Iterator[Connection]:
        """A transaction that writes. On SQLite it takes the write lock at once
        (BEGIN IMMEDIATE), so two writers queue instead of one failing on a
        stale snapshot; PostgreSQL's row locks do the same per row."""
        with self.begin() as conn:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            yield conn

    @contextmanager
    def unit_of_work(self) -> Iterator[SqlUnitOfWork]:
        """A write transaction as the `UnitOfWork` port: committed when the block
        ends without an exception (then the statistics are kept up), else undone."""
        from eventfilter.adapters.sql.unit import SqlUnitOfWork

        with self.write_transaction() as conn:
            uow = SqlUnitOfWork(self, conn)
            yield uow
        for changes in uow.written:
            self.committed(changes)

    def open_window_count(self) -> int:
        with self.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(WINDOWS)).scalar_one())

    def outbox_waiting(self) -> int:
        with self.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(OUTBOX)).scalar_one())

    def committed(self, b: BatchChanges) -> None:
        """After a batch's transaction: keep PostgreSQL's statistics up with what it added."""
        self.grew(
            processed_events=len(b.processed),
            decisions=len(b.decisions),
            persons=len(b.new_persons),
            windows=len(b.windows_open),
        )

    def grew(self, **added: int) -> None:
        """Rows a run added per table: PostgreSQL's statistics are kept up with
        them, off the caller's path (`statistics`)."""
        self.statistics.grew(**added)

    def write_changes(self, conn: Connection, b: BatchChanges) -> None:
        """Everything a batch (or a caseworker's action) changed, on `conn`."""
        self.writer.write(conn, b)

    def add_dead_letters(self, letters: Sequence[DeadLetter], at: datetime) -> None:
        with self.begin() as conn:
            self.writer._insert_dead_letters(conn, letters, at)

    # -- extracts --------------------------------------------------------------
    def upsert_persons(self, persons: Sequence[Person]) -> None:
        """Load or update extract lines by id. Facts that events have set are
        kept (`core.facts.extract_over`): re-importing an extract after a
        replay changes nothing the events built."""
        with self.begin() as conn:
            held = {p.person_id: p for p in self._persons_set_by_events(conn, [p.person_id for p in persons])}
            merged = [extract_over(held.get(p.person_id), p) for p in persons]
            bulk.upsert(conn, "persons", PERSON_COLUMNS, "person_id", [_person_tuple(p) for p in merged])
            _remember_protected(conn, merged)
        self.grew(persons=len(persons))

    @staticmethod
    def _persons_set_by_events(conn: Connection, person_ids: Sequence[str]) -> list[Person]:
        sql = codec.PERSON_SELECT + " WHERE versions IS NOT NULL AND {}"
        return [codec.person_of_raw(r) for r in rows_where(conn, sql, "person_id", person_ids)]

    def upsert_cases(self, cases: Sequence[Case]) -> None:
        """Update by id; an open eventfilter hold, the active-set flag and the case's
        tick date survive a re-import."""
        t = CASES
        with self.begin() as conn:
            ids = [c.case_id for c in cases]
            query = select(t.c.case_id, t.c.hold_event_ids, t.c.in_active_set, t.c.ticked_through)
            kept = {
                r.case_id: (r.hold_event_ids, bool(r.in_active_set), r.ticked_through)
                for r in rows_among(conn, query, t.c.case_id, ids)
            }
            out = []
            for c in cases:
                if c.case_id in kept:
                    held, active, ticked = kept[c.case_id]
                    held_ids = tuple(held) if held is not None else None
                    kept_case = replace(
                        c, hold_event_ids=held_ids, in_active_set=active, ticked_through=ticked
                    )
                    out.append(_case_tuple(kept_case))
                else:
                    out.append(_case_tuple(c))
            bulk.upsert(conn, "cases", CASE_COLUMNS, "case_id", out)
        self.grew(cases=len(cases))

    # -- runs ------------------------------------------------------------------
    def start_run(self, kind: str, source: str, at: datetime) -> int:
        t = RUNS
        with self.begin() as conn:
            run_id = conn.execute(
                t.insert().returning(t.c.run_id),
                {"kind": kind, "source": source, "started_at": at, "status": "running"},
            ).scalar_one()
        return int(run_id)

    def finish_run(self, run_id: int, at: datetime, status: str, counts: dict[str, Any]) -> None:
        t = RUNS
        with self.begin() as conn:
            conn.execute(
                update(t).where(t.c.run_id == run_id).values(finished_at=at, status=status, counts=counts)
            )

    # -- register files of a chain ------------------------------------------------------
    def extracts(self, source: str) -> list[Extract]:
        t = EXTRACTS
        with self.connect() as conn:
            rows = conn.execute(
                select(t).where(t.c.source == source).order_by(t.c.production_date)
            ).mappings()
            return [
                Extract(
                    r["source"],
                    r["name"],
                    r["production_date"],
                    r["previous_date"],
                    r["digest"],
                    r["complete"],
                )
                for r in rows
            ]

    def extract_read(self, extract: Extract, at: datetime) -> None:
        t = EXTRACTS
        with self.begin() as conn:
            key = (t.c.source == extract.source) & (t.c.production_date == extract.production)
            conn.execute(t.delete().where(key))
            conn.execute(
                t.insert(),
                {
                    "complete": extract.complete,
                    "source": extract.source,
                    "production_date": extract.production,
                    "previous_date": extract.previous,
                    "digest": extract.digest,
                    "name": extract.name[-500:],
                    "read_at": at,
                },
            )

    # -- reading for people ------------------------------------------------------
    def dead_letters(self) -> list[DeadLetterView]:
        t = DEAD_LETTERS
        with self.connect() as conn:
            rows = conn.execute(select(t).order_by(t.c.id)).mappings()
            return [
                DeadLetterView(r["source"], r["position"], r["raw"], r["error"], aware(r["created_at"]))
                for r in rows
            ]

    def protected(self) -> tuple[set[str], set[str]]:
        """Persons under name and address protection, and their addresses (for redacting raw text)."""
        t = PERSONS
        with self.connect() as conn:
            rows = conn.execute(select(t.c.person_id, t.c.address_id).where(t.c.protected_address.is_(True)))
            persons, addresses = set(), set()
            for person_id, address_id in rows:
                persons.add(person_id)
                if address_id is not None:
                    addresses.add(address_id)
            addresses.update(conn.execute(select(PROTECTED_ADDRESSES.c.address_id)).scalars())
            return persons, addresses

    def protected_among(self, candidates: Iterable[str]) -> set[str]:
        """Which of these strings are addresses a protected person lives or lived at since
        their protection began."""
        with self.connect() as conn:
            return {r[0] for r in rows_where(conn, PROTECTED_WHERE, "address_id", sorted(set(candidates)))}

    def active_cases_by_benefit(self) -> dict[str, int]:
        """Cases in the active set, by benefit: the payments a filter could pause."""
        c = CASES.c
        query = select(c.benefit, func.count()).where(c.in_active_set.is_(True)).group_by(c.benefit)
        with self.connect() as conn:
            return {str(benefit): int(n) for benefit, n in conn.execute(query)}

    def cases_without_beneficiary(self, shown: int) -> tuple[int, list[str]]:
        c, p = CASES.c, PERSONS.c
        orphan = ~exists().where(p.person_id == c.beneficiary_id)
        with self.connect() as conn:
            count = int(conn.execute(select(func.count()).select_from(CASES).where(orphan)).scalar_one())
            first = conn.execute(select(c.case_id).where(orphan).order_by(c.case_id).limit(shown)).scalars()
            return count, [str(x) for x in first]

    def dispose(self) -> None:
        self.statistics.close()
        self.engine.dispose()


__all__ = ["METADATA", "SqlStore", "make_engine", "redact_url"]
