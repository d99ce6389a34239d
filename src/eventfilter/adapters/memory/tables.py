"""The in-memory store's tables, and writing a unit of work's value into them."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from eventfilter.core.evaluation import Evaluation
from eventfilter.core.facts import Case, Effect, Person
from eventfilter.core.vocabulary import HoldChange, ItemStatus, Outcome
from eventfilter.ports import OutMessage
from eventfilter.records import (
    AuditView,
    BatchChanges,
    Caseworker,
    DeadLetter,
    DeadLetterView,
    DecisionView,
    Extract,
)


@dataclass
class Processed:
    content_hash: str
    person_id: str
    type: str
    effective_date: date
    effects: Effect | None
    message_id: str | None


@dataclass
class Item:
    item_id: int
    case_id: str
    opened_at: datetime
    due_date: date
    urgent_code: str
    status: str = ItemStatus.OPEN.value
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    action: str | None = None
    note: str | None = None


@dataclass
class Hold:
    case_id: str
    decision_id: str | None
    event_ids: tuple[str, ...]
    placed_at: datetime
    lifted_at: datetime | None = None
    lifted_by: str | None = None
    lift_reason: str | None = None
    confirmed_at: datetime | None = None
    confirmed_by: str | None = None


@dataclass
class DecisionRow:
    seq: int
    view: DecisionView
    case_id: str | None
    parameter_set: str | None


@dataclass
class Tables:
    persons: dict[str, Person] = field(default_factory=dict)
    cases: dict[str, Case] = field(default_factory=dict)
    processed: dict[str, Processed] = field(default_factory=dict)
    messages: set[str] = field(default_factory=set)
    windows: dict[str, dict[str, Any]] = field(default_factory=dict)
    items: dict[int, Item] = field(default_factory=dict)
    last_item_id: int = 0  # ids count up, as a database's do (a max over the items was one pass per item)
    decisions: list[DecisionRow] = field(default_factory=list)
    parameter_sets: dict[str, Any] = field(default_factory=dict)
    holds: list[Hold] = field(default_factory=list)
    audit: list[tuple[str | None, AuditView]] = field(default_factory=list)  # (case, entry)
    dead: dict[tuple[str, str, str], DeadLetterView] = field(default_factory=dict)
    outbox: dict[int, OutMessage] = field(default_factory=dict)  # by seq, in the order added
    last_outbox_seq: int = 0  # counts up (a max over the outbox was one pass per message added)
    protected: set[str] = field(default_factory=set)
    caseworkers: dict[str, Caseworker] = field(default_factory=dict)
    passwords: dict[str, str] = field(default_factory=dict)
    drafts: dict[tuple[str, int], tuple[str, datetime]] = field(default_factory=dict)
    runs: dict[int, dict[str, Any]] = field(default_factory=dict)
    extracts: dict[tuple[str, date], Extract] = field(default_factory=dict)
    ticked_through: date | None = None


def apply(t: Tables, b: BatchChanges, seq: Iterator[int]) -> None:
    """Write one unit of work's value into the tables."""
    assert b.at is not None
    for p in b.persons:
        t.persons[p.person_id] = replace(p)
    for p in b.person_facts:
        held = t.persons.get(p.person_id)
        if held is not None:
            t.persons[p.person_id] = replace(
                held,
                alive=p.alive,
                monthly_income=p.monthly_income,
                income_period=p.income_period,
                protected_address=p.protected_address,
                v_address=p.v_address,
                v_marital=p.v_marital,
                v_income=p.v_income,
                v_alive=p.v_alive,
                v_protected=p.v_protected,
                v_birth=p.v_birth,
            )
    for p in b.new_persons:
        t.persons.setdefault(p.person_id, replace(p))
    for group in (b.persons, b.person_facts, b.new_persons):
        t.protected.update(p.address_id for p in group if p.protected_address and p.address_id)
    t.protected.update(b.protected_addresses)
    for c in b.cases:
        t.cases[c.case_id] = replace(c)
    open_now = {w.case_id for w in b.windows_open}
    for case_id in b.windows_closed:
        if case_id not in open_now:
            t.windows.pop(case_id, None)
    for w in b.windows_open:
        t.windows[w.case_id] = w.to_dict()
    for pe in b.processed:
        t.processed[pe.event_id] = Processed(
            pe.content_hash,
            pe.person_id,
            pe.type,
            pe.effective_date,
            b.effects.get(pe.event_id),
            pe.message_id,
        )
        if pe.message_id is not None:
            t.messages.add(pe.message_id)
    for item in b.items:
        if item.item_id is None:
            t.last_item_id += 1
            item.item_id = t.last_item_id
            t.items[item.item_id] = Item(
                item.item_id, item.case_id, item.opened_at, item.due_date, item.urgent_code
            )
        else:
            held_item = t.items[item.item_id]
            held_item.due_date, held_item.urgent_code = item.due_date, item.urgent_code
        item.changed = False
    placed: dict[str, Hold] = {}
    for rec in b.decisions:
        d = rec.decision
        full = d.outcome != Outcome.PASS or rec.item is not None
        view = DecisionView(
            d.decision_id,
            d.outcome,
            tuple(r.to_dict() for r in d.reasons),
            evaluation_json(d.before, full),
            evaluation_json(d.after, full),
            d.event_ids,
            d.effective_date,
            rec.decided_at,
            d.hold,
            d.rule_pack,
            rec.item.item_id if rec.item is not None else None,
            seq=next(seq),
        )
        t.decisions.append(DecisionRow(view.seq, view, d.case_id, d.parameter_set))
        if d.parameter_set is not None:
            t.parameter_sets.setdefault(d.parameter_set, d.parameters)
        if d.hold == HoldChange.PLACE and d.case_id is not None:
            placed[d.case_id] = Hold(d.case_id, d.decision_id, d.event_ids, rec.decided_at)
            t.holds.append(placed[d.case_id])
        elif d.hold == HoldChange.LIFT and d.case_id is not None:
            reason = rec.hold_reason or (
                f"a correction withdrew the event that caused the hold (decision {d.decision_id})"
            )
            for h in t.holds:
                if h.case_id == d.case_id and h.lifted_at is None:
                    h.lifted_at, h.lifted_by, h.lift_reason = rec.decided_at, rec.actor, reason
    add_dead_letters(t, b.dead_letters, b.at)
    for e in b.audit:
        item_id = e.item.item_id if e.item is not None else e.item_id
        entry = AuditView(
            len(t.audit) + 1,
            e.at,
            e.actor,
            e.action,
            e.message,
            item_id,
            e.decision_id,
            dict(e.details) if e.details else None,
        )
        t.audit.append((e.case_id, entry))
    for m in b.outbox:
        t.last_outbox_seq += 1
        t.outbox[t.last_outbox_seq] = m
    if b.ticked_through is not None:
        t.ticked_through = b.ticked_through


def add_dead_letters(t: Tables, letters: Sequence[DeadLetter], at: datetime) -> None:
    for d in letters:
        key = (d.source, d.position, hashlib.blake2b(d.raw.encode(), digest_size=16).hexdigest())
        t.dead.setdefault(key, DeadLetterView(d.source, d.position, d.raw, d.error, at))


def evaluation_json(ev: Evaluation | None, full: bool) -> dict[str, Any] | None:
    if ev is None:
        return None
    return ev.to_dict() if full else ev.summary()


def end_of(day: date) -> datetime:
    if day == date.max:
        return datetime.max.replace(tzinfo=UTC)
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)


def in_force(h: Hold, end: datetime | None) -> bool:
    if end is None:
        return h.lifted_at is None
    return h.placed_at < end and (h.lifted_at is None or h.lifted_at >= end)
