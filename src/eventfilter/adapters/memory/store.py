"""The store in memory: the `Store`, `Review` and `UnitOfWork` ports over
plain dictionaries (the store's twin of the in-memory broker).

For tests of the use cases without a database, and for runs that must
leave no trace (a what-if on history). A unit of work writes only at its
end, so one that fails leaves the store as it was. Values handed out are
copies: the engine changes what it is given.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from eventfilter.adapters.memory.sessions import MemorySessions
from eventfilter.core.cases import CaseBook
from eventfilter.core.engine import Window
from eventfilter.core.evaluation import Evaluation
from eventfilter.core.facts import Case, Effect, Person, extract_over
from eventfilter.core.vocabulary import SEVERITY, HoldChange, Outcome
from eventfilter.ports import OutMessage
from eventfilter.records import (
    AuditView,
    BatchChanges,
    CaseView,
    Caseworker,
    DeadLetter,
    DeadLetterView,
    DecisionView,
    EventView,
    Extract,
    HoldView,
    ItemView,
    OpenItem,
)

QUIET_CODES = frozenset({"no_effect", "not_relevant", "income_adjustment", "no_active_case"})


@dataclass
class _Processed:
    content_hash: str
    person_id: str
    type: str
    effective_date: date
    effects: Effect | None
    message_id: str | None


@dataclass
class _Item:
    item_id: int
    case_id: str
    opened_at: datetime
    due_date: date
    urgent_code: str
    status: str = "open"
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    action: str | None = None
    note: str | None = None


@dataclass
class _Hold:
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
class _Decision:
    seq: int
    view: DecisionView
    case_id: str | None
    parameter_set: str | None


@dataclass
class _Tables:
    persons: dict[str, Person] = field(default_factory=dict)
    cases: dict[str, Case] = field(default_factory=dict)
    processed: dict[str, _Processed] = field(default_factory=dict)
    messages: set[str] = field(default_factory=set)
    windows: dict[str, dict[str, Any]] = field(default_factory=dict)
    items: dict[int, _Item] = field(default_factory=dict)
    decisions: list[_Decision] = field(default_factory=list)
    parameter_sets: dict[str, Any] = field(default_factory=dict)
    holds: list[_Hold] = field(default_factory=list)
    audit: list[tuple[str | None, AuditView]] = field(default_factory=list)  # (case, entry)
    dead: dict[tuple[str, str, str], DeadLetterView] = field(default_factory=dict)
    outbox: dict[int, OutMessage] = field(default_factory=dict)
    protected: set[str] = field(default_factory=set)
    caseworkers: dict[str, Caseworker] = field(default_factory=dict)
    passwords: dict[str, str] = field(default_factory=dict)
    drafts: dict[tuple[str, int], tuple[str, datetime]] = field(default_factory=dict)
    runs: dict[int, dict[str, Any]] = field(default_factory=dict)
    extracts: dict[tuple[str, date], Extract] = field(default_factory=dict)
    ticked_through: date | None = None


class MemoryStore:
    """`Store` and `Review` in memory; `unit_of_work()` gives its `UnitOfWork`."""

    url = "memory:"

    def __init__(self) -> None:
        self.t = _Tables()
        self._seq = itertools.count(1)
        self.sessions = MemorySessions()  # a new password or a deactivation ends them

    # -- units of work and the lease (one process: nothing to keep apart) ---------------------
    @contextmanager
    def unit_of_work(self) -> Iterator[MemoryUnitOfWork]:
        uow = MemoryUnitOfWork(self)
        yield uow
        for changes in uow.pending:
            self._apply(changes)
        for apply in uow.actions:
            apply()

    def exclusive(self, doing: str) -> AbstractContextManager[None]:
        return nullcontext()

    def shared(self, doing: str) -> AbstractContextManager[None]:
        return nullcontext()

    def committed(self, changes: BatchChanges) -> None:
        return None

    def dispose(self) -> None:
        return None

    # -- extracts and runs --------------------------------------------------------------------
    def upsert_persons(self, persons: Sequence[Person]) -> None:
        for p in persons:
            merged = extract_over(self.t.persons.get(p.person_id), p)
            self.t.persons[p.person_id] = replace(merged)
            if merged.protected_address and merged.address_id:
                self.t.protected.add(merged.address_id)

    def upsert_cases(self, cases: Sequence[Case]) -> None:
        for line in cases:
            held = self.t.cases.get(line.case_id)
            kept = (
                replace(
                    line,
                    hold_event_ids=held.hold_event_ids,
                    in_active_set=held.in_active_set,
                    ticked_through=held.ticked_through,
                )
                if held is not None
                else replace(line)
            )
            self.t.cases[line.case_id] = kept

    def add_dead_letters(self, letters: Sequence[DeadLetter], at: datetime) -> None:
        for d in letters:
            key = (d.source, d.position, hashlib.blake2b(d.raw.encode(), digest_size=16).hexdigest())
            self.t.dead.setdefault(key, DeadLetterView(d.source, d.position, d.raw, d.error, at))

    def start_run(self, kind: str, source: str, at: datetime) -> int:
        run_id = len(self.t.runs) + 1
        self.t.runs[run_id] = {"kind": kind, "source": source, "started_at": at, "status": "running"}
        return run_id

    def finish_run(self, run_id: int, at: datetime, status: str, counts: dict[str, Any]) -> None:
        self.t.runs[run_id].update(finished_at=at, status=status, counts=counts)

    def extracts(self, source: str) -> list[Extract]:
        return sorted((e for (s, _), e in self.t.extracts.items() if s == source), key=lambda e: e.production)

    def extract_read(self, extract: Extract, at: datetime) -> None:
        self.t.extracts[(extract.source, extract.production)] = extract

    # -- reading ------------------------------------------------------------------------------
    def load_cases(self, case_ids: Sequence[str] | None = None) -> CaseBook:
        ids = list(self.t.cases) if case_ids is None else [c for c in case_ids if c in self.t.cases]
        return CaseBook(replace(self.t.cases[c]) for c in ids)

    def load_persons(self, person_ids: Sequence[str]) -> list[Person]:
        return [replace(self.t.persons[p]) for p in person_ids if p in self.t.persons]

    def open_window_count(self) -> int:
        return len(self.t.windows)

    def dead_letters(self) -> list[DeadLetterView]:
        return list(self.t.dead.values())

    def protected(self) -> tuple[set[str], set[str]]:
        persons = {p.person_id for p in self.t.persons.values() if p.protected_address}
        addresses = {p.address_id for p in self.t.persons.values() if p.protected_address and p.address_id}
        return persons, addresses | self.t.protected

    def protected_among(self, candidates: Iterable[str]) -> set[str]:
        return set(candidates) & self.t.protected

    def active_cases_by_benefit(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for c in self.t.cases.values():
            if c.in_active_set:
                out[c.benefit] = out.get(c.benefit, 0) + 1
        return out

    # -- the review port ------------------------------------------------------------------------
    def municipalities(self) -> list[str]:
        return sorted({c.municipality_code for c in self.t.cases.values()})

    def items(
        self,
        status: str = "open",
        *,
        item_ids: Sequence[int] | None = None,
        case_id: str | None = None,
        municipalities: Sequence[str] | None = None,
        benefits: Sequence[str] | None = None,
    ) -> list[ItemView]:
        views = []
        for it in sorted(self.t.items.values(), key=lambda i: (i.due_date, i.item_id)):
            case = self.t.cases.get(it.case_id)
            if case is None or status not in ("all", it.status):
                continue
            if item_ids is not None and it.item_id not in item_ids:
                continue
            if case_id is not None and it.case_id != case_id:
                continue
            if municipalities and case.municipality_code not in municipalities:
                continue
            if benefits and case.benefit not in benefits:
                continue
            worst, n = Outcome.PASS.value, 0
            codes: list[str] = []
            for d in self.t.decisions:
                if d.view.item_id != it.item_id:
                    continue
                n += 1
                if SEVERITY[d.view.outcome] > SEVERITY[worst]:
                    worst = d.view.outcome
                codes += [r["code"] for r in d.view.reasons if r["code"] not in codes + list(QUIET_CODES)]
            views.append(
                ItemView(
                    it.item_id,
                    it.case_id,
                    case.benefit,
                    case.municipality_code,
                    it.status,
                    it.opened_at,
                    it.due_date,
                    it.urgent_code,
                    worst,
                    tuple(codes),
                    n,
                    case.hold_event_ids is not None,
                    it.resolved_at,
                    it.resolved_by,
                    it.action,
                    it.note,
                )
            )
        return views

    def item(self, item_id: int) -> ItemView | None:
        found = self.items("all", item_ids=[item_id])
        return found[0] if found else None

    def decisions(self, *, item_id: int | None = None, case_id: str | None = None) -> list[DecisionView]:
        if item_id is not None:
            return [d.view for d in self.t.decisions if d.view.item_id == item_id]
        return [d.view for d in self.t.decisions if d.case_id == case_id]

    def events(self, event_ids: Sequence[str]) -> dict[str, EventView]:
        out = {}
        for e in event_ids:
            p = self.t.processed.get(e)
            if p is not None:
                out[e] = EventView(e, p.type, p.person_id, p.effective_date)
        return out

    def case(self, case_id: str) -> CaseView | None:
        c = self.t.cases.get(case_id)
        if c is None:
            return None
        hold = next((h for h in reversed(self.t.holds) if h.case_id == case_id and h.lifted_at is None), None)
        return CaseView(
            c.case_id,
            c.benefit,
            c.beneficiary_id,
            c.municipality_code,
            c.status,
            c.dwelling_address_id,
            c.housing_cost,
            c.hold_event_ids is not None,
            hold.placed_at if hold else None,
            hold is not None and hold.confirmed_at is not None,
            c.in_active_set,
        )

    def holds(self, as_of: date | None = None) -> list[HoldView]:
        end = _end_of(as_of) if as_of is not None else None
        views = []
        held = sorted((h for h in self.t.holds if _in_force(h, end)), key=lambda h: (h.placed_at, h.case_id))
        decisions = {d.view.decision_id: d.view for d in self.t.decisions}
        for h in held:
            c = self.t.cases[h.case_id]
            d = decisions.get(h.decision_id or "")
            views.append(
                HoldView(
                    h.case_id,
                    c.benefit,
                    c.municipality_code,
                    "eventfilter",
                    h.decision_id,
                    h.event_ids,
                    h.placed_at,
                    tuple(r["code"] for r in d.reasons) if d else (),
                    h.confirmed_at is not None,
                    d.effective_date if d else None,
                )
            )
        for c in sorted(self.t.cases.values(), key=lambda c: c.case_id):
            if c.status == "suspended" and c.hold_event_ids is None:
                views.append(
                    HoldView(c.case_id, c.benefit, c.municipality_code, "case extract", None, (), None, ())
                )
        return views

    def audit(self, case_id: str) -> list[AuditView]:
        return [a for case, a in self.t.audit if case == case_id]

    def caseworker(self, caseworker_id: str) -> Caseworker | None:
        return self.t.caseworkers.get(caseworker_id)

    def caseworkers(self) -> list[Caseworker]:
        return [self.t.caseworkers[k] for k in sorted(self.t.caseworkers)]

    def save_caseworker(self, cw: Caseworker, at: datetime) -> None:
        self.t.caseworkers[cw.caseworker_id] = cw
        if not cw.active:
            self.sessions.revoke(cw.caseworker_id)

    def password_hash(self, caseworker_id: str) -> str | None:
        return self.t.passwords.get(caseworker_id)

    def set_password_hash(self, caseworker_id: str, hashed: str) -> bool:
        if caseworker_id not in self.t.caseworkers:
            return False
        self.t.passwords[caseworker_id] = hashed
        self.sessions.revoke(caseworker_id)
        return True

    def draft(self, caseworker_id: str, item_id: int) -> tuple[str, datetime] | None:
        return self.t.drafts.get((caseworker_id, item_id))

    def save_draft(self, caseworker_id: str, item_id: int, text: str, at: datetime) -> None:
        self.t.drafts[(caseworker_id, item_id)] = (text, at)

    def drop_draft(self, caseworker_id: str, item_id: int) -> None:
        self.t.drafts.pop((caseworker_id, item_id), None)

    # -- writing a unit of work's value -----------------------------------------------------------
    def _apply(self, b: BatchChanges) -> None:
        t = self.t
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
            t.processed[pe.event_id] = _Processed(
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
                item.item_id = max(t.items, default=0) + 1
                t.items[item.item_id] = _Item(
                    item.item_id, item.case_id, item.opened_at, item.due_date, item.urgent_code
                )
            else:
                held_item = t.items[item.item_id]
                held_item.due_date, held_item.urgent_code = item.due_date, item.urgent_code
            item.changed = False
        placed: dict[str, _Hold] = {}
        for rec in b.decisions:
            d = rec.decision
            full = d.outcome != Outcome.PASS or rec.item is not None
            view = DecisionView(
                d.decision_id,
                d.outcome,
                tuple(r.to_dict() for r in d.reasons),
                _evaluation(d.before, full),
                _evaluation(d.after, full),
                d.event_ids,
                d.effective_date,
                rec.decided_at,
                d.hold,
                d.rule_pack,
                rec.item.item_id if rec.item is not None else None,
                seq=next(self._seq),
            )
            t.decisions.append(_Decision(view.seq, view, d.case_id, d.parameter_set))
            if d.parameter_set is not None:
                t.parameter_sets.setdefault(d.parameter_set, d.parameters)
            if d.hold == HoldChange.PLACE and d.case_id is not None:
                placed[d.case_id] = _Hold(d.case_id, d.decision_id, d.event_ids, rec.decided_at)
                t.holds.append(placed[d.case_id])
            elif d.hold == HoldChange.LIFT and d.case_id is not None:
                reason = rec.hold_reason or (
                    f"a correction withdrew the event that caused the hold (decision {d.decision_id})"
                )
                for h in t.holds:
                    if h.case_id == d.case_id and h.lifted_at is None:
                        h.lifted_at, h.lifted_by, h.lift_reason = rec.decided_at, rec.actor, reason
        self.add_dead_letters(b.dead_letters, b.at)
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
            t.outbox[max(t.outbox, default=0) + 1] = m
        if b.ticked_through is not None:
            t.ticked_through = b.ticked_through


class MemoryUnitOfWork:
    """Reads from the store as it is; writes at the end of the unit of work."""

    def __init__(self, store: MemoryStore) -> None:
        self.store = store
        self.t = store.t
        self.pending: list[BatchChanges] = []
        self.actions: list[Callable[[], None]] = []  # what resolving an item changes, done at the end
        self._claimed: set[int] = set()

    def seen(self, event_ids: Sequence[str], message_ids: Sequence[str]) -> tuple[dict[str, str], set[str]]:
        known = {e: self.t.processed[e].content_hash for e in event_ids if e in self.t.processed}
        return known, {m for m in message_ids if m in self.t.messages}

    def event_owners(self, event_ids: Sequence[str]) -> dict[str, str]:
        return {e: self.t.processed[e].person_id for e in event_ids if e in self.t.processed}

    def effects(self, event_ids: Sequence[str]) -> dict[str, Effect]:
        out = {}
        for e in event_ids:
            p = self.t.processed.get(e)
            if p is not None:
                out[e] = p.effects if p.effects is not None else Effect(e)
        return out

    def persons(self, person_ids: Iterable[str]) -> list[Person]:
        return [replace(self.t.persons[p]) for p in sorted(set(person_ids)) if p in self.t.persons]

    def candidate_cases(
        self, beneficiaries: Iterable[str], addresses: Iterable[str], named_as_partner: Iterable[str]
    ) -> list[str]:
        b, a, n = set(beneficiaries), set(addresses), set(named_as_partner)
        found = set()
        for c in self.t.cases.values():
            if not c.in_active_set:
                continue
            partner = self.t.persons.get(c.beneficiary_id)
            if (
                c.beneficiary_id in b
                or (c.dwelling_address_id is not None and c.dwelling_address_id in a)
                or (partner is not None and partner.partner_id in n)
            ):
                found.add(c.case_id)
        return sorted(found)

    def lock_cases(self, case_ids: Sequence[str], skip_locked: bool = False) -> list[Case]:
        return [replace(self.t.cases[c]) for c in sorted(set(case_ids)) if c in self.t.cases]

    def case_persons(
        self, cases: Sequence[Case], have: Mapping[str, Person], moving_to: Iterable[str] = ()
    ) -> list[Person]:
        persons = self.t.persons
        known: dict[str, Person] = dict(have)
        for c in cases:
            if c.beneficiary_id not in known and c.beneficiary_id in persons:
                known[c.beneficiary_id] = replace(persons[c.beneficiary_id])
        beneficiaries = [known[c.beneficiary_id] for c in cases if c.beneficiary_id in known]
        for b in beneficiaries:
            if b.partner_id and b.partner_id not in known and b.partner_id in persons:
                known[b.partner_id] = replace(persons[b.partner_id])
        addresses = (
            {b.address_id for b in beneficiaries if b.address_id}
            | {c.dwelling_address_id for c in cases if c.dwelling_address_id}
            | set(moving_to)
        )
        if addresses:
            for p in persons.values():
                if p.address_id in addresses and p.person_id not in known:
                    known[p.person_id] = replace(p)
        return [p for pid, p in known.items() if pid not in have]

    def protected_among(self, addresses: Iterable[str]) -> set[str]:
        return set(addresses) & self.t.protected

    def windows(self, case_ids: Sequence[str]) -> list[Window]:
        return [Window.from_dict(self.t.windows[c]) for c in case_ids if c in self.t.windows]

    def due_windows(self, opened_before: float, limit: int) -> list[str]:
        due = sorted(
            (w["opened_at"], c) for c, w in self.t.windows.items() if w["opened_at"] <= opened_before
        )
        return [c for _, c in due[:limit]]

    def first_windows(self, limit: int) -> list[str]:
        first = sorted((w["effective_date"], c) for c, w in self.t.windows.items())
        return [c for _, c in first[:limit]]

    def open_items(self, case_ids: Sequence[str]) -> dict[str, OpenItem]:
        wanted = set(case_ids)
        return {
            it.case_id: OpenItem(
                it.case_id, it.due_date, it.urgent_code, it.opened_at, it.item_id, changed=False
            )
            for it in self.t.items.values()
            if it.status == "open" and it.case_id in wanted and it.item_id not in self._claimed
        }

    def claim(self, item_id: int, by: str, action: str, note: str | None, at: datetime) -> bool:
        it = self.t.items.get(item_id)
        if it is None or it.status != "open" or item_id in self._claimed:
            return False

        def resolve() -> None:
            it.status, it.resolved_at, it.resolved_by, it.action, it.note = "resolved", at, by, action, note

        self._claimed.add(item_id)
        self.actions.append(resolve)
        return True

    def lift_hold(self, case_id: str, at: datetime, by: str, reason: str) -> None:
        def lift() -> None:
            for h in self.t.holds:
                if h.case_id == case_id and h.lifted_at is None:
                    h.lifted_at, h.lifted_by, h.lift_reason = at, by, reason
            self.t.cases[case_id].hold_event_ids = None

        self.actions.append(lift)

    def confirm_hold(self, case_id: str, at: datetime, by: str) -> None:
        def confirm() -> None:
            for h in self.t.holds:
                if h.case_id == case_id and h.lifted_at is None:
                    h.confirmed_at, h.confirmed_by = at, by
            self.t.cases[case_id].in_active_set = False

        self.actions.append(confirm)

    def claim_outbox(self, limit: int) -> list[tuple[int, OutMessage]] | None:
        return sorted(self.t.outbox.items())[:limit]

    def delete_outbox(self, up_to: int) -> None:
        def delete() -> None:
            for k in [k for k in self.t.outbox if k <= up_to]:
                del self.t.outbox[k]

        self.actions.append(delete)

    def tick_origin(self) -> date | None:
        return self.t.ticked_through

    def born_between(self, first: date, last: date) -> list[str]:
        return sorted(
            p.person_id
            for p in self.t.persons.values()
            if p.alive and p.birth_date is not None and first <= p.birth_date <= last
        )

    def benefit_cases(self, benefits: Sequence[str]) -> list[str]:
        wanted = set(benefits)
        return sorted(c.case_id for c in self.t.cases.values() if c.in_active_set and c.benefit in wanted)

    def write(self, changes: BatchChanges) -> None:
        self.pending.append(changes)


def _evaluation(ev: Evaluation | None, full: bool) -> dict[str, Any] | None:
    if ev is None:
        return None
    return ev.to_dict() if full else ev.summary()


def _end_of(day: date) -> datetime:
    if day == date.max:
        return datetime.max.replace(tzinfo=UTC)
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)


def _in_force(h: _Hold, end: datetime | None) -> bool:
    if end is None:
        return h.lifted_at is None
    return h.placed_at < end and (h.lifted_at is None or h.lifted_at >= end)
