"""The store in memory: the `Store`, `Review` and `UnitOfWork` ports over
plain dictionaries (the store's twin of the in-memory broker).

For tests of the use cases without a database, and for runs that must
leave no trace (a what-if on history). A unit of work writes only at its
end, so one that fails leaves the store as it was. Values handed out are
copies: the engine changes what it is given.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from eventfilter.adapters.memory.sessions import MemorySessions
from eventfilter.adapters.memory.tables import (
    Tables,
    add_dead_letters,
    apply,
    end_of,
    in_force,
)
from eventfilter.adapters.memory.unit import MemoryUnitOfWork
from eventfilter.core.cases import CaseBook
from eventfilter.core.facts import Case, Person, extract_over
from eventfilter.core.vocabulary import ItemStatus
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
    ItemGist,
    ItemView,
)


class MemoryStore:
    """`Store` and `Review` in memory; `unit_of_work()` gives its `UnitOfWork`."""

    url = "memory:"

    def __init__(self) -> None:
        self.t = Tables()
        self._seq = itertools.count(1)
        self.sessions = MemorySessions()  # a new password or a deactivation ends them
        self._writer = threading.RLock()

    # -- units of work and the lease (one process: nothing to keep apart) ---------------------
    @contextmanager
    def unit_of_work(self) -> Iterator[MemoryUnitOfWork]:
        """One unit of work at a time, as SQLite's write transactions queue (the
        stream's outbox is published from a thread of its own)."""
        with self._writer:
            uow = MemoryUnitOfWork(self)
            yield uow
            for changes in uow.pending:
                self.write_changes(changes)
            for action in uow.actions:
                action()

    def write_changes(self, changes: BatchChanges) -> None:
        """One unit of work's value into the tables (at the unit of work's end)."""
        apply(self.t, changes, self._seq)

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
        add_dead_letters(self.t, letters, at)

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

    def outbox_waiting(self) -> int:
        return len(self.t.outbox)

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

    def cases_without_beneficiary(self, shown: int) -> tuple[int, list[str]]:
        orphans = sorted(c.case_id for c in self.t.cases.values() if c.beneficiary_id not in self.t.persons)
        return len(orphans), orphans[:shown]

    # -- the review port ------------------------------------------------------------------------
    def municipalities(self) -> list[str]:
        return sorted({c.municipality_code for c in self.t.cases.values()})

    def items(
        self,
        status: str = ItemStatus.OPEN.value,
        *,
        item_ids: Sequence[int] | None = None,
        case_id: str | None = None,
        municipalities: Sequence[str] | None = None,
        benefits: Sequence[str] | None = None,
    ) -> list[ItemView]:
        views = []
        gists: dict[int, ItemGist] = {}  # one pass over the log, not one per item
        for row in self.t.decisions:
            if row.view.item_id is not None:
                gists.setdefault(row.view.item_id, ItemGist()).add(row.view.outcome, row.view.reasons)
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
            gist = gists.get(it.item_id) or ItemGist()
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
                    gist.outcome,
                    tuple(gist.codes),
                    gist.decisions,
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
        end = end_of(as_of) if as_of is not None else None
        views = []
        held = sorted((h for h in self.t.holds if in_force(h, end)), key=lambda h: (h.placed_at, h.case_id))
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
