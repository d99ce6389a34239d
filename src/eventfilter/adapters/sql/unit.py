"""The unit of work on SQL: everything read inside a batch's transaction, and
the one value it writes (the `UnitOfWork` port).

Several consumers may decide at once. Each batch locks the cases it touches
(in case id order, so two batches never wait on each other in a circle) and
reads their persons, windows and review items fresh under that lock, so a
family whose events arrive on different partitions still gets one decision.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, select

from eventfilter.adapters.sql import bulk, codec
from eventfilter.adapters.sql.bulk import id_chunks, lookup, one_of, rows_among, rows_where
from eventfilter.adapters.sql.codec import PERSONS_WHERE, PROTECTED_WHERE
from eventfilter.adapters.sql.connection import aware
from eventfilter.adapters.sql.models import (
    ITEMS,
    OUTBOX,
    PROCESSED,
    TICKS,
    WINDOWS,
)
from eventfilter.adapters.sql.review import SqlReview
from eventfilter.adapters.sql.store import SqlStore
from eventfilter.adapters.sql.writes import REGISTER
from eventfilter.core.facts import Case, Effect, Person
from eventfilter.core.vocabulary import ItemStatus
from eventfilter.core.window import Window
from eventfilter.ports import OutMessage
from eventfilter.records import BatchChanges, OpenItem

OUTBOX_LOCK = 7_401_001  # the advisory lock one publisher holds at a time (PostgreSQL)


def _lookups(conn: Connection, arms: Sequence[tuple[str, str, Sequence[Any]]]) -> list[Sequence[Any]]:
    """The rows of several lookups, each `template` with "`column` is one of
    `values`" in its `{}`, as one statement (per chunk of each): one round trip
    where there was one per lookup. Every template selects the same columns.
    On PostgreSQL each list is planned blind (`bulk.one_of`): a batch's ids,
    estimated one by one, cost more to plan than to run where the column has
    common values (a beneficiary, a dwelling), and made the planner read a
    young stream's `processed_events` whole rather than probe its indexes."""
    parts = [
        (template, column, list(id_chunks(conn, list(values)))) for template, column, values in arms if values
    ]
    rows: list[Sequence[Any]] = []
    for i in range(max((len(c) for _, _, c in parts), default=0)):
        selects: list[str] = []
        params: list[Any] = []
        for template, column, cut in parts:
            if i < len(cut):
                where, values = one_of(conn, column, cut[i], blind=True)
                selects.append(template.format(where))
                params.extend(values)
        rows += lookup(conn, " UNION ALL ".join(selects), tuple(params))
    return rows


def seen(
    conn: Connection, event_ids: Sequence[str], message_ids: Sequence[str]
) -> tuple[dict[str, str], set[str]]:
    """Event ids already decided (with their content hash) and message ids already taken.
    Planned blind (`_lookups`): with the ids estimated one by one, the planner read
    a young stream's whole table (its first ~55,000 events) rather than probe the
    two indexes, 3.4-3.6 against 1.6-1.8 ms a batch."""
    events: dict[str, str] = {}
    messages: set[str] = set()
    rows = _lookups(
        conn,
        [
            ("SELECT event_id, content_hash, 0 FROM processed_events WHERE {}", "event_id", event_ids),
            ("SELECT message_id, NULL, 1 FROM processed_events WHERE {}", "message_id", message_ids),
        ],
    )
    for key, digest, is_message in rows:
        if is_message:
            messages.add(key)
        else:
            events[key] = digest
    return events, messages


def event_persons(conn: Connection, event_ids: Sequence[str]) -> dict[str, str]:
    """Of these event ids, those already decided, with the person each was about."""
    sql = "SELECT event_id, person_id FROM processed_events WHERE {}"
    return {r[0]: r[1] for r in rows_where(conn, sql, "event_id", sorted(set(event_ids)))}


def _wanted(values: Iterable[str | None]) -> list[str]:
    """Each id once, in order, without the empty ones."""
    return sorted({v for v in values if v})


def persons(conn: Connection, ids: Iterable[str]) -> list[Person]:
    return [codec.person_of_raw(r) for r in rows_where(conn, PERSONS_WHERE, "person_id", _wanted(ids))]


ACTIVE_CASES = "SELECT case_id FROM cases WHERE in_active_set AND {}"


def candidate_cases(
    conn: Connection, beneficiaries: Iterable[str], addresses: Iterable[str], named_as_partner: Iterable[str]
) -> list[str]:
    """Active cases whose beneficiary is one of these persons, whose dwelling is one of
    these addresses, or whose beneficiary names one of `named_as_partner` as partner."""
    rows = _lookups(
        conn,
        [
            (ACTIVE_CASES, "beneficiary_id", _wanted(beneficiaries)),
            (ACTIVE_CASES, "dwelling_address_id", _wanted(addresses)),
            (
                "SELECT c.case_id FROM cases c JOIN persons p ON p.person_id = c.beneficiary_id"
                " WHERE c.in_active_set AND {}",
                "p.partner_id",
                _wanted(named_as_partner),
            ),
        ],
    )
    return sorted({r[0] for r in rows})


def lock_cases(conn: Connection, case_ids: Sequence[str], skip_locked: bool = False) -> list[Case]:
    """The cases, locked for this transaction, in case id order. (Plain SQL, as the other
    loading queries: a national run makes hundreds of thousands of these rows.)"""
    lock = ""
    if conn.dialect.name == "postgresql":
        lock = " FOR UPDATE SKIP LOCKED" if skip_locked else " FOR UPDATE"
    sql = f"SELECT {', '.join(codec.CASE_COLUMNS)} FROM cases WHERE {{}} ORDER BY case_id{lock}"
    return [codec.case_of_raw(r) for r in rows_where(conn, sql, "case_id", sorted(case_ids))]


def case_persons(
    conn: Connection, cases: Sequence[Case], have: Mapping[str, Person], moving_to: Iterable[str] = ()
) -> list[Person]:
    """What the cases' rules read, besides what is loaded already (`have`): the
    beneficiaries, their partners, and everyone at their addresses, at the
    cases' dwellings (children at home live at the beneficiary's address), and
    at the addresses the batch's events move people to (`moving_to`): a
    beneficiary who moves in the batch joins whoever lives there already."""
    # Only what is new is collected: `have` is a national run's whole memory, and
    # copying or scanning it for every batch cost more than the queries.
    if conn.dialect.name == "postgresql":
        return _case_persons_at_once(conn, cases, have, moving_to)
    new: dict[str, Person] = {}
    for p in persons(conn, [c.beneficiary_id for c in cases if c.beneficiary_id not in have]):
        new[p.person_id] = p
    beneficiaries = [b for c in cases if (b := have.get(c.beneficiary_id) or new.get(c.beneficiary_id))]
    partners = [b.partner_id for b in beneficiaries if b.partner_id]
    for p in persons(conn, [i for i in partners if i not in have and i not in new]):
        new[p.person_id] = p
    addresses = sorted(
        {b.address_id for b in beneficiaries if b.address_id}
        | {c.dwelling_address_id for c in cases if c.dwelling_address_id}
        | set(moving_to)
    )
    for r in rows_where(conn, PERSONS_WHERE, "address_id", addresses):
        if r[0] not in have and r[0] not in new:
            p = codec.person_of_raw(r)
            new[p.person_id] = p
    return list(new.values())


# PostgreSQL: `case_persons` in one statement. The beneficiaries not loaded yet
# are read first (`b`); their partners and their addresses join the lists the
# caller knows already, in the statement itself. Three round trips were one
# each, and a consumer waits for every one (and, at full throughput, for the
# interpreter's lock after it). Every part selects PERSON_SELECT's columns; a
# person found by two parts is the same row, kept once.
_CASE_PERSONS = " UNION ALL ".join(
    [
        f"WITH b AS ({codec.PERSONS_WHERE.format('person_id = ANY(%s::text[])')}) SELECT * FROM b",
        codec.PERSONS_WHERE.format(
            "person_id = ANY(%s::text[] || ARRAY(SELECT partner_id FROM b WHERE partner_id IS NOT NULL))"
        ),
        codec.PERSONS_WHERE.format(
            "address_id = ANY(%s::text[] || ARRAY(SELECT address_id FROM b WHERE address_id IS NOT NULL))"
        ),
    ]
)


def _case_persons_at_once(
    conn: Connection, cases: Sequence[Case], have: Mapping[str, Person], moving_to: Iterable[str]
) -> list[Person]:
    unloaded = _wanted(c.beneficiary_id for c in cases if c.beneficiary_id not in have)
    loaded = [b for c in cases if (b := have.get(c.beneficiary_id))]
    partners = _wanted(b.partner_id for b in loaded if b.partner_id not in have)
    addresses = _wanted(
        [b.address_id for b in loaded] + [c.dwelling_address_id for c in cases] + list(moving_to)
    )
    if not unloaded and not partners and not addresses:
        return []
    params = (bulk.text_array(unloaded), bulk.text_array(partners), bulk.text_array(addresses))
    new: dict[str, Person] = {}
    for r in lookup(conn, _CASE_PERSONS, params):
        if r[0] not in have and r[0] not in new:
            new[r[0]] = codec.person_of_raw(r)
    return list(new.values())


def protected_among(conn: Connection, addresses: Iterable[str]) -> set[str]:
    """Which of these addresses a protected person lives or lived at since their protection began."""
    return {r[0] for r in rows_where(conn, PROTECTED_WHERE, "address_id", sorted(set(addresses)))}


def windows(conn: Connection, case_ids: Sequence[str]) -> list[Window]:
    rows = rows_where(conn, "SELECT body FROM windows WHERE {}", "case_id", case_ids)
    return [Window.from_dict(codec.json_column(r[0])) for r in rows]


def due_windows(conn: Connection, opened_before: float, limit: int) -> list[str]:
    rows = conn.execute(
        select(WINDOWS.c.case_id)
        .where(WINDOWS.c.opened_at <= opened_before)
        .order_by(WINDOWS.c.opened_at)
        .limit(limit)
    )
    return [r.case_id for r in rows]


def all_windows(conn: Connection, limit: int) -> list[str]:
    return [
        r.case_id for r in conn.execute(select(WINDOWS.c.case_id).order_by(WINDOWS.c.opened_at).limit(limit))
    ]


def open_items(conn: Connection, case_ids: Sequence[str]) -> dict[str, OpenItem]:
    query = select(ITEMS).where(ITEMS.c.status == ItemStatus.OPEN.value)
    return {
        r.case_id: OpenItem(
            r.case_id, r.due_date, r.urgent_code, aware(r.opened_at), r.item_id, changed=False
        )
        for r in rows_among(conn, query, ITEMS.c.case_id, list(case_ids))
    }


def effects(conn: Connection, event_ids: Sequence[str]) -> dict[str, Effect]:
    query = select(PROCESSED.c.event_id, PROCESSED.c.effects)
    return {
        r.event_id: codec.effect_of(r.event_id, r.effects)
        for r in rows_among(conn, query, PROCESSED.c.event_id, list(event_ids))
    }


def claim_outbox(conn: Connection, limit: int) -> list[tuple[int, OutMessage]] | None:
    """The oldest unpublished messages, or None when another process is publishing."""
    if conn.dialect.name == "postgresql":
        got = conn.exec_driver_sql(f"SELECT pg_try_advisory_xact_lock({OUTBOX_LOCK})").scalar_one()
        if not got:
            return None
    o = OUTBOX.c
    columns = (o.seq, o.routing_key, o.message_id, o.body, o.error, o.queue, o.raw)
    rows = conn.execute(select(*columns).order_by(o.seq).limit(limit))
    return [
        (r.seq, OutMessage(r.routing_key, r.message_id, r.body.encode()))
        if r.error is None
        else (r.seq, OutMessage(r.routing_key, r.message_id, bytes(r.raw or b""), r.error, r.queue))
        for r in rows
    ]


def delete_outbox(conn: Connection, up_to: int) -> None:
    conn.execute(OUTBOX.delete().where(OUTBOX.c.seq <= up_to))


def first_windows(conn: Connection, limit: int) -> list[str]:
    rows = conn.execute(
        select(WINDOWS.c.case_id).order_by(WINDOWS.c.effective_date, WINDOWS.c.case_id).limit(limit)
    )
    return [r.case_id for r in rows]


class SqlUnitOfWork:
    """The `UnitOfWork` port on one SQL transaction (see `SqlStore.unit_of_work`)."""

    def __init__(self, store: SqlStore, conn: Connection) -> None:
        self.store = store
        self.conn = conn
        self.written: list[BatchChanges] = []

    def seen(self, event_ids: Sequence[str], message_ids: Sequence[str]) -> tuple[dict[str, str], set[str]]:
        return seen(self.conn, event_ids, message_ids)

    def event_owners(self, event_ids: Sequence[str]) -> dict[str, str]:
        return event_persons(self.conn, event_ids)

    def effects(self, event_ids: Sequence[str]) -> dict[str, Effect]:
        return effects(self.conn, event_ids)

    def persons(self, person_ids: Iterable[str]) -> list[Person]:
        return persons(self.conn, person_ids)

    def candidate_cases(
        self, beneficiaries: Iterable[str], addresses: Iterable[str], named_as_partner: Iterable[str]
    ) -> list[str]:
        return candidate_cases(self.conn, beneficiaries, addresses, named_as_partner)

    def lock_cases(self, case_ids: Sequence[str], skip_locked: bool = False) -> list[Case]:
        return lock_cases(self.conn, case_ids, skip_locked)

    def case_persons(
        self, cases: Sequence[Case], have: Mapping[str, Person], moving_to: Iterable[str] = ()
    ) -> list[Person]:
        return case_persons(self.conn, cases, have, moving_to)

    def protected_among(self, addresses: Iterable[str]) -> set[str]:
        return protected_among(self.conn, addresses)

    def windows(self, case_ids: Sequence[str]) -> list[Window]:
        return windows(self.conn, case_ids)

    def due_windows(self, opened_before: float, limit: int) -> list[str]:
        return due_windows(self.conn, opened_before, limit)

    def first_windows(self, limit: int) -> list[str]:
        return first_windows(self.conn, limit)

    def open_items(self, case_ids: Sequence[str]) -> dict[str, OpenItem]:
        return open_items(self.conn, case_ids)

    def claim(self, item_id: int, by: str, action: str, note: str | None, at: datetime) -> bool:
        return SqlReview.claim(self.conn, item_id, by, action, note, at)

    def lift_hold(self, case_id: str, at: datetime, by: str, reason: str) -> None:
        SqlReview.lift_hold(self.conn, case_id, at, by, reason)

    def confirm_hold(self, case_id: str, at: datetime, by: str) -> None:
        SqlReview.confirm_hold(self.conn, case_id, at, by)

    def claim_outbox(self, limit: int) -> list[tuple[int, OutMessage]] | None:
        return claim_outbox(self.conn, limit)

    def delete_outbox(self, up_to: int) -> None:
        delete_outbox(self.conn, up_to)

    def tick_origin(self) -> date | None:
        row = self.conn.execute(select(TICKS.c.through).where(TICKS.c.name == REGISTER)).first()
        return row[0] if row is not None else None

    def born_between(self, first: date, last: date) -> list[str]:
        sql = "SELECT person_id FROM persons WHERE alive AND birth_date BETWEEN {m} AND {m}"
        pg = self.conn.dialect.name == "postgresql"
        mark = "%s" if pg else "?"
        params: tuple[Any, ...] = (first, last) if pg else (first.isoformat(), last.isoformat())
        return sorted(r[0] for r in self.conn.exec_driver_sql(sql.format(m=mark), params))

    def benefit_cases(self, benefits: Sequence[str]) -> list[str]:
        if not benefits:
            return []
        return sorted(r[0] for r in rows_where(self.conn, ACTIVE_CASES, "benefit", benefits))

    def write(self, changes: BatchChanges) -> None:
        self.store.write_changes(self.conn, changes)
        self.written.append(changes)
