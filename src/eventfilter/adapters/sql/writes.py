"""Writing a unit of work's value: everything a batch (or a caseworker's
action) changed, in bulk statements on the transaction's connection."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, update

from eventfilter.adapters.sql import bulk, codec
from eventfilter.adapters.sql.models import HOLDS, ITEMS
from eventfilter.core.decide import PASS
from eventfilter.core.evaluation import Evaluation
from eventfilter.core.facts import Case, Person
from eventfilter.core.vocabulary import HoldChange, ItemStatus
from eventfilter.records import AuditEntry, BatchChanges, DeadLetter, OpenItem


def text_hash(raw: str) -> str:
    return hashlib.blake2b(raw.encode("utf-8", "replace"), digest_size=16).hexdigest()


REGISTER = "register"  # the ticks row of the whole register


class Writer:
    """Remembers which parameter sets are stored already (each is stored once)."""

    def __init__(self) -> None:
        self.known_sets: dict[str, Any] = {}

    def write(self, conn: Connection, b: BatchChanges) -> None:
        """Everything a batch (or a caseworker's action) changed, on `conn`."""
        assert b.at is not None
        bulk.upsert(conn, "persons", PERSON_COLUMNS, "person_id", [_person_tuple(p) for p in b.persons])
        bulk.update(
            conn, "persons", "person_id", PERSON_FACT_COLUMNS, [_person_facts(p) for p in b.person_facts]
        )
        bulk.insert_ignore(conn, "persons", PERSON_COLUMNS, [_person_tuple(p) for p in b.new_persons])
        _remember_protected(conn, b.persons, b.person_facts, b.new_persons, also=b.protected_addresses)
        bulk.update(conn, "cases", "case_id", CASE_STATE_COLUMNS, [_case_state(c) for c in b.cases])
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
            ("routing_key", "message_id", "body", "created_at", "error", "queue", "raw"),
            [
                (m.routing_key, m.message_id, m.body.decode(), when, None, None, None)
                if not m.dead
                else (m.routing_key, m.message_id, "", when, m.error, m.queue, m.body)
                for m in b.outbox
            ],
        )
        if b.ticked_through is not None:
            bulk.upsert(
                conn, "ticks", ("name", "through"), "name", [(REGISTER, b.ticked_through.isoformat())]
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
        still_open = {w.case_id for w in b.windows_open}
        bulk.delete(conn, "windows", "case_id", [c for c in b.windows_closed if c not in still_open])
        rows = [
            (w.case_id, w.effective_date.isoformat(), w.opened_at, bulk.js(w.to_dict()))
            for w in b.windows_open
        ]
        bulk.upsert(conn, "windows", ("case_id", "effective_date", "opened_at", "body"), "case_id", rows)

    def _write_items(self, conn: Connection, items: Sequence[OpenItem]) -> None:
        """New review items in one statement (their ids come back in the order given),
        and the due dates and urgent reasons of the stored ones that changed in one more."""
        t = ITEMS
        new = [i for i in items if i.item_id is None]
        changed = [i for i in items if i.item_id is not None and i.changed]
        if new:
            ids = conn.execute(
                t.insert().returning(t.c.item_id, sort_by_parameter_order=True),
                [
                    {
                        "case_id": i.case_id,
                        "status": ItemStatus.OPEN.value,
                        "opened_at": i.opened_at,
                        "due_date": i.due_date,
                        "urgent_code": i.urgent_code,
                    }
                    for i in new
                ],
            ).scalars()
            for item, item_id in zip(new, ids, strict=True):
                item.item_id = item_id
        bulk.update(
            conn,
            "review_items",
            "item_id",
            ("due_date", "urgent_code"),
            [(bulk.day(i.due_date), i.urgent_code, i.item_id) for i in changed],
        )
        for item in (*new, *changed):
            item.changed = False

    def _write_decisions(self, conn: Connection, b: BatchChanges) -> None:
        if not b.decisions:
            return
        rows = []
        holds_placed: list[list[Any]] = []
        placed: dict[str | None, list[Any]] = {}  # case -> its hold placed in this batch
        param_sets: dict[str, tuple[Any, ...]] = {}
        stamps: dict[datetime, Any] = {}  # a batch's decisions share one or a few times
        for rec in b.decisions:
            d = rec.decision
            at = stamps.get(rec.decided_at)
            if at is None:
                at = stamps[rec.decided_at] = bulk.stamp(conn, rec.decided_at)
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
            if (
                d.parameter_set is not None
                and d.parameter_set not in param_sets
                and d.parameter_set not in self.known_sets
            ):
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
        self.known_sets.update(param_sets)
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
        bulk.js(versions) if versions else None,  # tuples are JSON arrays to orjson
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
        bulk.js(versions) if (versions := p.versions()) else None,
    )


# What a batch may change of a stored case: every column no index holds (the
# beneficiary, the dwelling and the municipality stay as imported).
CASE_STATE_COLUMNS = ("status", "housing_cost", "hold_event_ids", "in_active_set", "ticked_through")


def _case_state(c: Case) -> tuple[Any, ...]:
    return (
        c.status,
        c.housing_cost,
        bulk.js(list(c.hold_event_ids)) if c.hold_event_ids is not None else None,
        c.in_active_set,
        bulk.day(c.ticked_through),
        c.case_id,
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
        bulk.day(c.ticked_through),
    )
