"""The SQL store (SQLite by default, PostgreSQL in production).

Hot paths use SQLAlchemy Core with executemany; each replay batch is one
transaction, so a run killed at any moment leaves the store as it was after
the last whole batch.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, delete, event, func, inspect, select, text, update
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError, SQLAlchemyError

from eventfilter.adapters.sql import bulk, codec
from eventfilter.adapters.sql.lease import Lease
from eventfilter.adapters.sql.models import (
    CASES,
    DEAD_LETTERS,
    DECISIONS,
    HOLDS,
    ITEMS,
    PERSONS,
    PROCESSED,
    PROTECTED_ADDRESSES,
    RUNS,
    WINDOWS,
    Base,
)
from eventfilter.core.cases import CaseBook
from eventfilter.core.decide import PASS
from eventfilter.core.engine import Window
from eventfilter.core.evaluation import Evaluation
from eventfilter.core.facts import Case, Effect, Person, extract_over
from eventfilter.core.state import RegisterState
from eventfilter.core.vocabulary import HoldChange
from eventfilter.errors import SchemaOutdated, StoreError
from eventfilter.records import (
    AuditEntry,
    BatchChanges,
    DeadLetter,
    DeadLetterView,
    OpenItem,
)

if TYPE_CHECKING:
    from eventfilter.adapters.sql.unit import SqlUnitOfWork

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
IN_CHUNK = 500  # ids per IN (...) lookup


# JSON columns through orjson (the standard module is several times slower).
JSON_CODEC: dict[str, Any] = {"json_serializer": bulk.encode, "json_deserializer": codec.stored_json}


def make_engine(url: str) -> Engine:
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": 30}, **JSON_CODEC)
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = create_engine(url, pool_pre_ping=True, **JSON_CODEC)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise StoreError(f"The database URL {redact_url(url)} is not usable: {exc}.") from None
    except ModuleNotFoundError as exc:
        raise StoreError(
            f"The database driver {exc.name} is not installed; install eventfilter[postgres] for PostgreSQL."
        ) from None
    return engine


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA cache_size=-65536")  # 64 MiB: replay updates rows all over the file
    cur.close()


def redact_url(url: str) -> str:
    """A URL fit for a message: without its password."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}@{host}"
    return url


def text_hash(raw: str) -> str:
    return hashlib.blake2b(raw.encode("utf-8", "replace"), digest_size=16).hexdigest()


def _chunks(items: Sequence[str], size: int = IN_CHUNK) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class SqlStore:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._known_sets: dict[str, Any] = {}  # parameter sets already stored
        self._rows: dict[str, float] = {}  # table -> rows at its last ANALYZE (PostgreSQL)
        self._grown: dict[str, int] = {}  # table -> rows added since
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
            raise StoreError(f"The database {redact_url(self.url)} failed: {_first_line(exc)}.") from None

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                yield conn
        except OperationalError as exc:
            raise StoreError(f"The database {redact_url(self.url)} failed: {_first_line(exc)}.") from None

    def _alembic(self, conn: Connection) -> Any:
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.attributes["connection"] = conn
        return cfg

    def revisions(self) -> tuple[str | None, str]:
        """(the database's schema revision or None, this release's)."""
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory

        with self.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
            head = ScriptDirectory.from_config(self._alembic(conn)).get_current_head()
        assert head is not None
        return current, head

    def upgrade(self, revision: str = "head") -> tuple[str | None, str]:
        from alembic import command

        before, head = self.revisions()
        with self.begin() as conn:
            command.upgrade(self._alembic(conn), revision)
        return before, head if revision == "head" else revision

    def ensure_schema(self, create: bool = True) -> None:
        """A fresh database gets the schema (when `create`, else it is refused);
        an older one must be upgraded on purpose."""
        database = self.engine.url.database
        sqlite_file = self.engine.dialect.name == "sqlite" and database and database != ":memory:"
        if not create and sqlite_file and not Path(str(database)).exists():
            raise StoreError(_missing(self.url))  # connecting would create an empty file
        try:
            with self.connect() as conn:
                tables = set(inspect(conn).get_table_names())
        except SQLAlchemyError as exc:
            raise StoreError(
                f"The database {redact_url(self.url)} cannot be opened: {_first_line(exc)}."
            ) from None
        if not tables:
            if not create:
                raise StoreError(_missing(self.url))
            self.upgrade()
            return
        current, head = self.revisions()
        if current != head:
            raise SchemaOutdated(
                f"The database schema is at revision {current or 'none'} and this release needs {head}; "
                "run `eventfilter db upgrade`."
            )

    # -- loading for the engine ----------------------------------------------
    def load_relevant(self, book: CaseBook) -> RegisterState:
        """The persons the active cases depend on (core.relevance): the database
        picks them out of the register in one scan, Python builds only those.

        `book` must hold the cases of the store's active set (it is what the
        query joins against, in the database)."""
        state = RegisterState()
        with self.begin() as conn:
            pg = conn.dialect.name == "postgresql"
            temp = "CREATE TEMP TABLE {} (id TEXT PRIMARY KEY)" + (" ON COMMIT DROP" if pg else "")
            for name in ("_ef_beneficiaries", "_ef_dwellings"):
                if not pg:
                    conn.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{name}")
                conn.exec_driver_sql(temp.format(name))
            insert = "INSERT INTO {} SELECT DISTINCT {} FROM cases WHERE in_active_set AND {} IS NOT NULL"
            conn.exec_driver_sql(insert.format("_ef_beneficiaries", "beneficiary_id", "beneficiary_id"))
            conn.exec_driver_sql(insert.format("_ef_dwellings", "dwelling_address_id", "dwelling_address_id"))
            if pg:
                # Temporary tables get no statistics by themselves, and `x IN (SELECT …)`
                # under OR is a hashed subplan only when the set fits in work_mem:
                # otherwise PostgreSQL rescans it for every person (hours, nationally).
                conn.exec_driver_sql("ANALYZE _ef_beneficiaries")
                conn.exec_driver_sql("ANALYZE _ef_dwellings")
                conn.exec_driver_sql("SET LOCAL work_mem = '256MB'")
            parents = (
                "EXISTS (SELECT 1 FROM json_array_elements_text(p.parent_ids) AS j(v)"
                " WHERE j.v IN (SELECT id FROM _ef_beneficiaries))"
                if pg
                else "EXISTS (SELECT 1 FROM json_each(p.parent_ids) AS j WHERE j.value IN _ef_beneficiaries)"
            )
            has_parents = "p.parent_ids::text != '[]'" if pg else "p.parent_ids != '[]'"
            where = (
                " WHERE p.person_id IN (SELECT id FROM _ef_beneficiaries)"
                " OR p.partner_id IN (SELECT id FROM _ef_beneficiaries)"
                " OR p.address_id IN (SELECT id FROM _ef_dwellings)"
                " OR p.person_id IN (SELECT b.partner_id FROM persons b"
                "  WHERE b.person_id IN (SELECT id FROM _ef_beneficiaries) AND b.partner_id IS NOT NULL)"
                f" OR (p.parent_ids IS NOT NULL AND {has_parents} AND {parents})"
            )
            cur = conn.exec_driver_sql(codec.PERSON_SELECT_AS_P + where)
            while rows := cur.fetchmany(10_000):
                for r in rows:
                    state.add(codec.person_of_raw(r))
            if not pg:
                for name in ("_ef_beneficiaries", "_ef_dwellings"):
                    conn.exec_driver_sql(f"DROP TABLE temp.{name}")
        return state

    def load_persons(self, person_ids: Sequence[str]) -> list[Person]:
        """These persons, those the store has."""
        found = []
        with self.connect() as conn:
            mark = "%s" if conn.dialect.name == "postgresql" else "?"
            for chunk in _chunks(person_ids):
                sql = f"{codec.PERSON_SELECT} WHERE person_id IN ({', '.join(mark for _ in chunk)})"
                found += [codec.person_of_raw(r) for r in conn.exec_driver_sql(sql, tuple(chunk))]
        return found

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
            mark = "%s" if conn.dialect.name == "postgresql" else "?"
            book = CaseBook()
            for chunk in _chunks(list(case_ids)):
                sql = f"{select_all} WHERE case_id IN ({', '.join(mark for _ in chunk)})"
                for r in conn.exec_driver_sql(sql, tuple(chunk)):
                    book.add(codec.case_of_raw(r))
            return book

    def load_case_persons(self, case: Case) -> list[Person]:
        """The persons one case's rules read: the beneficiary, the partner, and
        everyone at the beneficiary's address and at the case's dwelling
        (children at home live at the beneficiary's address)."""
        found = {p.person_id: p for p in self.load_persons([case.beneficiary_id])}
        b = found.get(case.beneficiary_id)
        if b is not None and b.partner_id:
            found.update((p.person_id, p) for p in self.load_persons([b.partner_id]))
        addresses = [a for a in {b.address_id if b else None, case.dwelling_address_id} if a]
        if addresses:
            with self.connect() as conn:
                mark = "%s" if conn.dialect.name == "postgresql" else "?"
                sql = f"{codec.PERSON_SELECT} WHERE address_id IN ({', '.join(mark for _ in addresses)})"
                for r in conn.exec_driver_sql(sql, tuple(addresses)):
                    p = codec.person_of_raw(r)
                    found.setdefault(p.person_id, p)
        return list(found.values())

    def load_windows(self, case_ids: Sequence[str] | None = None) -> list[Window]:
        """The open windows: all, or those of these cases."""
        t = WINDOWS
        with self.connect() as conn:
            if case_ids is None:
                return [Window.from_dict(r.body) for r in conn.execute(select(t.c.body))]
            found = []
            for chunk in _chunks(case_ids):
                rows = conn.execute(select(t.c.body).where(t.c.case_id.in_(chunk)))
                found += [Window.from_dict(r.body) for r in rows]
            return found

    def window_case_ids(self) -> list[str]:
        with self.connect() as conn:
            return list(conn.execute(select(WINDOWS.c.case_id)).scalars())

    def first_windows(self, limit: int) -> list[Window]:
        """The open windows that come first in decision order (date, then case)."""
        t = WINDOWS
        with self.connect() as conn:
            rows = conn.execute(select(t.c.body).order_by(t.c.effective_date, t.c.case_id).limit(limit))
            return [Window.from_dict(r.body) for r in rows]

    def load_open_items(self) -> dict[str, OpenItem]:
        t = ITEMS
        with self.connect() as conn:
            rows = conn.execute(select(t).where(t.c.status == "open")).mappings()
            return {
                r["case_id"]: OpenItem(
                    r["case_id"],
                    r["due_date"],
                    r["urgent_code"],
                    aware(r["opened_at"]),
                    r["item_id"],
                    changed=False,
                )
                for r in rows
            }

    def known_events(self, event_ids: Sequence[str]) -> dict[str, str]:
        """Of these ids, those already decided, with their content hash."""
        found: dict[str, str] = {}
        with self.connect() as conn:
            mark = "%s" if conn.dialect.name == "postgresql" else "?"
            for chunk in _chunks(event_ids):
                sql = (
                    "SELECT event_id, content_hash FROM processed_events"
                    f" WHERE event_id IN ({', '.join(mark for _ in chunk)})"
                )
                found.update((r[0], r[1]) for r in conn.exec_driver_sql(sql, tuple(chunk)))
        return found

    def event_persons(self, event_ids: Sequence[str]) -> dict[str, str]:
        """Of these ids, those already decided, with the person each was about."""
        found: dict[str, str] = {}
        t = PROCESSED
        with self.connect() as conn:
            for chunk in _chunks(event_ids):
                rows = conn.execute(select(t.c.event_id, t.c.person_id).where(t.c.event_id.in_(chunk)))
                found.update((r.event_id, r.person_id) for r in rows)
        return found

    def effects_of(self, event_ids: Sequence[str]) -> dict[str, Effect]:
        """Effects of these events, for those the filter has decided."""
        t = PROCESSED
        found: dict[str, Effect] = {}
        with self.connect() as conn:
            for chunk in _chunks(event_ids):
                rows = conn.execute(select(t.c.event_id, t.c.effects).where(t.c.event_id.in_(chunk)))
                found.update({r.event_id: codec.effect_of(r.event_id, r.effects) for r in rows})
        return found

    # -- writing ---------------------------------------------------------------
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

    def write_batch(self, b: BatchChanges) -> None:
        """One transaction: the batch happened entirely, or not at all."""
        with self.write_transaction() as conn:
            self.write_changes(conn, b)
        self.committed(b)

    def committed(self, b: BatchChanges) -> None:
        """After a batch's transaction: keep PostgreSQL's statistics up with what it added."""
        self.grew(
            processed_events=len(b.processed),
            decisions=len(b.decisions),
            persons=len(b.new_persons),
            windows=len(b.windows_open),
        )

    def grew(self, **added: int) -> None:
        """PostgreSQL plans each query by its tables' statistics. A table filled
        from empty in one run (a first import, a first replay) is planned as if
        it were still empty: a sequential scan per batch, quadratic in all
        (measured: a national case import crawled at 250 cases/s). So a table
        is analysed again whenever it has grown by half since the last time;
        autovacuum may be off, and is too slow for a bulk load anyway."""
        if self.engine.dialect.name != "postgresql":
            return
        due = []
        for table, n in added.items():
            if not n:
                continue
            if table not in self._rows:
                with self.connect() as conn:
                    rows = conn.execute(
                        text("SELECT reltuples FROM pg_class WHERE relname = :t"), {"t": table}
                    ).scalar()
                self._rows[table] = max(0.0, float(rows or 0))
            self._grown[table] = self._grown.get(table, 0) + n
            if self._grown[table] >= max(5_000, self._rows[table] / 2):
                due.append(table)
        for table in due:
            with self.begin() as conn:
                conn.exec_driver_sql(f"ANALYZE {table}")  # names from this module, never from input
            self._rows[table] += self._grown.pop(table)

    def write_changes(self, conn: Connection, b: BatchChanges) -> None:
        """Everything a batch (or a caseworker's action) changed, on `conn`."""
        assert b.at is not None
        bulk.upsert(conn, "persons", PERSON_COLUMNS, "person_id", [_person_tuple(p) for p in b.persons])
        bulk.update(
            conn, "persons", "person_id", PERSON_FACT_COLUMNS, [_person_facts(p) for p in b.person_facts]
        )
        bulk.insert_ignore(conn, "persons", PERSON_COLUMNS, [_person_tuple(p) for p in b.new_persons])
        _remember_protected(conn, b.persons, b.person_facts, b.new_persons, also=b.protected_addresses)
        bulk.upsert(conn, "cases", CASE_COLUMNS, "case_id", [_case_tuple(c) for c in b.cases])
        self._write_windows(conn, b)
        bulk.insert(
            conn,
            "processed_events",
            PROCESSED_COLUMNS,
            [
                (
                    p.event_id,
                    p.content_hash,
                    p.person_id,
                    p.type,
                    p.effective_date.isoformat(),
                    bulk.js(codec.effect_json(b.effects[p.event_id])) if p.event_id in b.effects else None,
                    b.run_id,
                    p.message_id,
                )
                for p in b.processed
            ],
        )
        self._write_items(conn, b.items)
        self._write_decisions(conn, b)
        self._insert_dead_letters(conn, b.dead_letters, b.at)
        self._append_audit(conn, b.audit)
        when = bulk.stamp(conn, b.at)
        bulk.insert(
            conn,
            "outbox",
            ("routing_key", "message_id", "body", "created_at"),
            [(m.routing_key, m.message_id, m.body.decode(), when) for m in b.outbox],
        )

    def _append_audit(self, conn: Connection, entries: Sequence[AuditEntry]) -> None:
        rows = [
            (
                bulk.stamp(conn, e.at),
                e.actor,
                e.action,
                e.case_id,
                e.item.item_id if e.item is not None else e.item_id,
                e.decision_id,
                e.message,
                bulk.js(e.details),
            )
            for e in entries
        ]
        bulk.insert(
            conn,
            "audit_log",
            ("at", "actor", "action", "case_id", "item_id", "decision_id", "message", "details"),
            rows,
        )

    def _write_windows(self, conn: Connection, b: BatchChanges) -> None:
        t = WINDOWS
        still_open = {w.case_id for w in b.windows_open}
        closed = [c for c in b.windows_closed if c not in still_open]
        for chunk in _chunks(closed):
            conn.execute(delete(t).where(t.c.case_id.in_(chunk)))
        rows = [
            (w.case_id, w.effective_date.isoformat(), w.opened_at, bulk.js(w.to_dict()))
            for w in b.windows_open
        ]
        bulk.upsert(conn, "windows", ("case_id", "effective_date", "opened_at", "body"), "case_id", rows)

    def _write_items(self, conn: Connection, items: Iterable[OpenItem]) -> None:
        t = ITEMS
        for item in items:
            if item.item_id is None:
                item.item_id = conn.execute(
                    t.insert().returning(t.c.item_id),
                    {
                        "case_id": item.case_id,
                        "status": "open",
                        "opened_at": item.opened_at,
                        "due_date": item.due_date,
                        "urgent_code": item.urgent_code,
                    },
                ).scalar_one()
            elif item.changed:
                conn.execute(
                    update(t)
                    .where(t.c.item_id == item.item_id)
                    .values(due_date=item.due_date, urgent_code=item.urgent_code)
                )
            item.changed = False

    def _write_decisions(self, conn: Connection, b: BatchChanges) -> None:
        if not b.decisions:
            return
        rows = []
        holds_placed: list[list[Any]] = []
        placed: dict[str | None, list[Any]] = {}  # case -> its hold placed in this batch
        param_sets: dict[str, tuple[Any, ...]] = {}
        for rec in b.decisions:
            d = rec.decision
            at = bulk.stamp(conn, rec.decided_at)
            # The full evaluations (checks, members) for what a caseworker reads;
            # a plain pass off the queue keeps the summary the contract shows.
            full = d.outcome != PASS or rec.item is not None
            rows.append(
                (
                    d.decision_id,
                    d.case_id,
                    d.benefit,
                    d.person_id,
                    d.outcome,
                    d.effective_date.isoformat(),
                    bulk.js(d.event_ids),
                    bulk.js([r.to_dict() for r in d.reasons]),
                    _evaluation(d.before, full),
                    _evaluation(d.after, full),
                    d.rule_pack,
                    d.parameter_set,
                    d.hold,
                    at,
                    b.run_id,
                    rec.item.item_id if rec.item is not None else None,
                )
            )
            if d.parameter_set is not None and d.parameter_set not in self._known_sets:
                param_sets[d.parameter_set] = (d.parameter_set, d.rule_pack, d.benefit, bulk.js(d.parameters))
            if d.hold == HoldChange.PLACE:
                # At most one open hold per case: a hold placed earlier in this
                # batch is this one's predecessor only if it was lifted since.
                placed[d.case_id] = [d.case_id, d.decision_id, bulk.js(d.event_ids), at, None, None, None]
                holds_placed.append(placed[d.case_id])
            elif d.hold == HoldChange.LIFT:
                reason = rec.hold_reason or (
                    f"a correction withdrew the event that caused the hold (decision {d.decision_id})"
                )
                row = placed.pop(d.case_id, None)
                if row is not None:  # placed in this very batch: stored already lifted
                    row[4:] = [at, rec.actor, reason]
                    continue
                h = HOLDS
                conn.execute(
                    update(h)
                    .where(h.c.case_id == d.case_id, h.c.lifted_at.is_(None))
                    .values(lifted_at=rec.decided_at, lifted_by=rec.actor, lift_reason=reason)
                )
        bulk.insert(conn, "decisions", DECISION_COLUMNS, rows)
        bulk.insert_ignore(
            conn,
            "parameter_sets",
            ("set_key", "rule_pack", "benefit", "parameters"),
            list(param_sets.values()),
        )
        self._known_sets.update(param_sets)
        bulk.insert(
            conn,
            "holds",
            ("case_id", "decision_id", "event_ids", "placed_at", "lifted_at", "lifted_by", "lift_reason"),
            [tuple(row) for row in holds_placed],
        )

    def _insert_dead_letters(self, conn: Connection, letters: Sequence[DeadLetter], at: datetime) -> None:
        when = bulk.stamp(conn, at)
        rows = [(d.source, d.position, d.raw, d.error, text_hash(d.raw), when) for d in letters]
        bulk.insert_ignore(
            conn, "dead_letters", ("source", "position", "raw", "error", "raw_hash", "created_at"), rows
        )

    def add_dead_letters(self, letters: Sequence[DeadLetter], at: datetime) -> None:
        with self.begin() as conn:
            self._insert_dead_letters(conn, letters, at)

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
        mark = "%s" if conn.dialect.name == "postgresql" else "?"
        found = []
        for chunk in _chunks(person_ids):
            sql = (
                f"{codec.PERSON_SELECT} WHERE versions IS NOT NULL"
                f" AND person_id IN ({', '.join(mark for _ in chunk)})"
            )
            found += [codec.person_of_raw(r) for r in conn.exec_driver_sql(sql, tuple(chunk))]
        return found

    def upsert_cases(self, cases: Sequence[Case]) -> None:
        """Update by id; an open eventfilter hold and the active-set flag survive a re-import."""
        t = CASES
        with self.begin() as conn:
            ids = [c.case_id for c in cases]
            kept: dict[str, tuple[Any, bool]] = {}
            for chunk in _chunks(ids):
                rows = conn.execute(
                    select(t.c.case_id, t.c.hold_event_ids, t.c.in_active_set).where(t.c.case_id.in_(chunk))
                )
                kept.update({r.case_id: (r.hold_event_ids, bool(r.in_active_set)) for r in rows})
            out = []
            for c in cases:
                if c.case_id in kept:
                    held, active = kept[c.case_id]
                    held_ids = tuple(held) if held is not None else None
                    out.append(_case_tuple(replace(c, hold_event_ids=held_ids, in_active_set=active)))
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
        t = PROTECTED_ADDRESSES
        found: set[str] = set()
        with self.connect() as conn:
            for chunk in _chunks(sorted(set(candidates))):
                found.update(conn.execute(select(t.c.address_id).where(t.c.address_id.in_(chunk))).scalars())
        return found

    def counts(self) -> dict[str, int]:
        with self.connect() as conn:
            return {
                "persons": conn.execute(select(func.count()).select_from(PERSONS)).scalar_one(),
                "cases": conn.execute(select(func.count()).select_from(CASES)).scalar_one(),
                "events": conn.execute(select(func.count()).select_from(PROCESSED)).scalar_one(),
                "decisions": conn.execute(select(func.count()).select_from(DECISIONS)).scalar_one(),
            }

    def active_cases_by_benefit(self) -> dict[str, int]:
        """Cases in the active set, by benefit: the payments a filter could pause."""
        c = CASES.c
        query = select(c.benefit, func.count()).where(c.in_active_set.is_(True)).group_by(c.benefit)
        with self.connect() as conn:
            return {str(benefit): int(n) for benefit, n in conn.execute(query)}

    def dispose(self) -> None:
        self.engine.dispose()


PERSON_COLUMNS = (
    "person_id",
    "birth_date",
    "alive",
    "address_id",
    "municipality_code",
    "country",
    "marital_status",
    "partner_id",
    "parent_ids",
    "monthly_income",
    "income_period",
    "protected_address",
    "versions",
)
CASE_COLUMNS = codec.CASE_COLUMNS
PROCESSED_COLUMNS = (
    "event_id",
    "content_hash",
    "person_id",
    "type",
    "effective_date",
    "effects",
    "run_id",
    "message_id",
)
DECISION_COLUMNS = (
    "decision_id",
    "case_id",
    "benefit",
    "person_id",
    "outcome",
    "effective_date",
    "event_ids",
    "reasons",
    "before",
    "after",
    "rule_pack",
    "parameter_set",
    "hold",
    "decided_at",
    "run_id",
    "review_item_id",
)


def _evaluation(ev: Evaluation | None, full: bool) -> str | None:
    if ev is None:
        return None
    return bulk.js(ev.to_dict() if full else ev.summary())


def _remember_protected(conn: Connection, *groups: Sequence[Person], also: Iterable[str] = ()) -> None:
    """Addresses that stay redacted for good: where protected persons live, and
    `also` where they lived meanwhile (a batch may see a person protected, then moving)."""
    addresses = {p.address_id for g in groups for p in g if p.protected_address and p.address_id}
    addresses.update(also)
    bulk.insert_ignore(conn, "protected_addresses", ("address_id",), [(a,) for a in sorted(addresses)])


PERSON_FACT_COLUMNS = ("alive", "monthly_income", "income_period", "protected_address", "versions")


def _person_facts(p: Person) -> tuple[Any, ...]:
    versions = p.versions()
    return (
        p.alive,
        p.monthly_income,
        p.income_period,
        p.protected_address,
        bulk.js({g: list(v) for g, v in versions.items()}) if versions else None,
        p.person_id,
    )


def _person_tuple(p: Person) -> tuple[Any, ...]:
    return (
        p.person_id,
        bulk.day(p.birth_date),
        p.alive,
        p.address_id,
        p.municipality_code,
        p.country,
        p.marital_status,
        p.partner_id,
        bulk.js(list(p.parent_ids)) if p.parent_ids else "[]",
        p.monthly_income,
        p.income_period,
        p.protected_address,
        bulk.js({g: list(v) for g, v in versions.items()}) if (versions := p.versions()) else None,
    )


def _case_tuple(c: Case) -> tuple[Any, ...]:
    return (
        c.case_id,
        c.benefit,
        c.beneficiary_id,
        c.municipality_code,
        c.status,
        c.dwelling_address_id,
        c.housing_cost,
        bulk.js(list(c.hold_event_ids)) if c.hold_event_ids is not None else None,
        c.in_active_set,
    )


def _missing(url: str) -> str:
    return (
        f"The database {redact_url(url)} does not exist or holds no eventfilter data; "
        "check --db (or EVENTFILTER_DB), or create it with `eventfilter db upgrade`."
    )


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0].rstrip(".") if text else type(exc).__name__


def aware(value: datetime) -> datetime:
    """SQLite keeps no time zone; every time eventfilter stores is UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


__all__ = ["Base", "SqlStore", "make_engine", "redact_url"]
