"""The active cases, indexed the way routing looks them up."""

from __future__ import annotations

from collections.abc import Iterable

from eventfilter.core.facts import Case
from eventfilter.core.vocabulary import HoldChange, Outcome

_NONE: tuple[Case, ...] = ()


class CaseBook:
    def __init__(self, cases: Iterable[Case] = ()) -> None:
        self.cases: dict[str, Case] = {}
        # Tuples, not lists: a national caseload indexes 700,000 cases twice.
        self.by_beneficiary: dict[str, tuple[Case, ...]] = {}
        self.by_dwelling: dict[str, tuple[Case, ...]] = {}
        self.dirty: set[str] = set()
        for case in cases:
            self.add(case)

    def add(self, case: Case) -> None:
        """Load or replace a case."""
        old = self.cases.get(case.case_id)
        if old is not None:
            self._unindex(old)
        self.cases[case.case_id] = case
        if case.in_active_set:
            b = case.beneficiary_id
            self.by_beneficiary[b] = (*self.by_beneficiary.get(b, _NONE), case)
            d = case.dwelling_address_id
            if d is not None:
                self.by_dwelling[d] = (*self.by_dwelling.get(d, _NONE), case)

    def get(self, case_id: str) -> Case | None:
        return self.cases.get(case_id)

    def of_beneficiary(self, person_id: str | None) -> Iterable[Case]:
        return self.by_beneficiary.get(person_id, _NONE) if person_id is not None else _NONE

    def at_dwelling(self, address_id: str | None) -> Iterable[Case]:
        return self.by_dwelling.get(address_id, _NONE) if address_id is not None else _NONE

    def is_beneficiary(self, person_id: str) -> bool:
        return person_id in self.by_beneficiary

    def is_dwelling(self, address_id: str) -> bool:
        return address_id in self.by_dwelling

    def beneficiaries(self) -> set[str]:
        return set(self.by_beneficiary)

    def dwellings(self) -> set[str]:
        return set(self.by_dwelling)

    def settle_hold(
        self, case: Case, outcome: str, held_by: tuple[str, ...], lift: bool
    ) -> HoldChange | None:
        """eventfilter's hold after a decision on the case: placed on a suspend when
        it holds none (`held_by` names what placed it), lifted when `lift` says the
        decision restores the payment and there is one. What changed, or None."""
        if outcome == Outcome.SUSPEND:
            if case.hold_event_ids is not None:
                return None
            case.hold_event_ids = held_by
            change = HoldChange.PLACE
        elif lift and case.hold_event_ids is not None:
            case.hold_event_ids = None
            change = HoldChange.LIFT
        else:
            return None
        self.dirty.add(case.case_id)
        return change

    def leave_active_set(self, case_id: str) -> None:
        case = self.cases[case_id]
        self._unindex(case)
        case.in_active_set = False
        self.dirty.add(case_id)

    def forget(self, case_id: str) -> None:
        """Hold the case no more (it is stored, and nothing this run decides reads it again)."""
        case = self.cases.pop(case_id, None)
        if case is not None:
            self._unindex(case)
            self.dirty.discard(case_id)

    def _unindex(self, case: Case) -> None:
        for index, key in (
            (self.by_beneficiary, case.beneficiary_id),
            (self.by_dwelling, case.dwelling_address_id),
        ):
            if key is None or key not in index:
                continue
            rest = tuple(c for c in index[key] if c.case_id != case.case_id)
            if rest:
                index[key] = rest
            else:
                del index[key]
