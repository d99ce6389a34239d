"""The in-memory unit of work: reads the tables as they are, writes at its end."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from itertools import islice, takewhile
from typing import TYPE_CHECKING

from eventfilter.core.facts import Case, Effect, Person
from eventfilter.core.vocabulary import ItemStatus
from eventfilter.core.window import Window
from eventfilter.ports import OutMessage
from eventfilter.records import (
    BatchChanges,
    OpenItem,
)

if TYPE_CHECKING:
    from eventfilter.adapters.memory.store import MemoryStore


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
        new: dict[str, Person] = {}  # only what is new, as the SQL store does: `have` may be a run's memory
        for c in cases:
            if c.beneficiary_id not in have and c.beneficiary_id in persons:
                new[c.beneficiary_id] = replace(persons[c.beneficiary_id])
        beneficiaries = [b for c in cases if (b := have.get(c.beneficiary_id) or new.get(c.beneficiary_id))]
        for b in beneficiaries:
            partner = b.partner_id
            if partner and partner not in have and partner not in new and partner in persons:
                new[partner] = replace(persons[partner])
        addresses = (
            {b.address_id for b in beneficiaries if b.address_id}
            | {c.dwelling_address_id for c in cases if c.dwelling_address_id}
            | set(moving_to)
        )
        if addresses:
            for p in persons.values():
                if p.address_id in addresses and p.person_id not in have and p.person_id not in new:
                    new[p.person_id] = replace(p)
        return list(new.values())

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
            if it.status == ItemStatus.OPEN and it.case_id in wanted and it.item_id not in self._claimed
        }

    def claim(self, item_id: int, by: str, action: str, note: str | None, at: datetime) -> bool:
        it = self.t.items.get(item_id)
        if it is None or it.status != ItemStatus.OPEN or item_id in self._claimed:
            return False

        def resolve() -> None:
            it.status, it.resolved_at, it.resolved_by, it.action, it.note = (
                ItemStatus.RESOLVED.value,
                at,
                by,
                action,
                note,
            )

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
        return list(islice(self.t.outbox.items(), limit))  # added in the order of their seq

    def delete_outbox(self, up_to: int) -> None:
        def delete() -> None:
            outbox = self.t.outbox
            for seq in list(takewhile(lambda k: k <= up_to, outbox)):  # in the order of their seq
                del outbox[seq]

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
