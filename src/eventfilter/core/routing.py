"""Which cases a change touches (rules.md, "Which cases an event touches").

A change of person X touches every active case whose beneficiary B is X,
X's partner before or after (either side naming the other), a parent of X
before or after, and every dwelling-bound case whose dwelling is X's address
before or after (someone moving in or out).

This runs for every event, so it is written for speed: plain lookups, no
objects made for the common answer "none".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from eventfilter.core.cases import CaseBook
from eventfilter.core.events import AddressData, BirthData, CorrectionData, Event, MaritalData
from eventfilter.core.facts import Case, Effect, Group, Write
from eventfilter.core.state import RegisterState


def touched(
    book: CaseBook, state: RegisterState, person_ids: Iterable[str], writes: list[Write]
) -> dict[str, Case]:
    """The cases touched by `writes` (not yet applied) to these persons, by id."""
    found: dict[str, Case] = {}
    of_beneficiary = book.by_beneficiary.get
    at_dwelling = book.by_dwelling.get
    persons = state.persons
    for person_id in person_ids:
        p = persons.get(person_id)
        if p is not None:
            partner, parents, address = p.partner_id, p.parent_ids, p.address_id
        else:
            partner, parents, address = None, (), None
        new_partner, new_parents, new_address = partner, parents, address
        for w in writes:
            if w.person_id == person_id:
                if w.group is Group.ADDRESS:
                    new_address = w.values[0]  # type: ignore[assignment]
                elif w.group is Group.MARITAL:
                    new_partner = w.values[1]  # type: ignore[assignment]
                elif w.group is Group.BIRTH:
                    new_parents = w.values[1]  # type: ignore[assignment]
        candidates = [person_id, partner, new_partner, *parents, *state.claimants(person_id)]
        if new_parents is not parents:
            candidates.extend(new_parents)
        for b in candidates:
            cases = of_beneficiary(b)  # type: ignore[arg-type]
            if cases:
                for case in cases:
                    found[case.case_id] = case
        for a in (address, new_address):
            cases = at_dwelling(a)  # type: ignore[arg-type]
            if cases:
                for case in cases:
                    found[case.case_id] = case
    return found


def candidates(
    book: CaseBook,
    state: RegisterState,
    event: Event,
    effects: Mapping[str, Effect],
    found: set[str] | None = None,
) -> set[str]:
    """Every case `event` could touch, judged on the facts as they are now and on
    what the event itself says (its new address, partner or parents; for a
    correction, the facts it restores), added to `found` (a batch's events
    share one set) and returned.

    A superset of what `touched` finds when the event is processed after
    others: a relation that an earlier event of the same batch creates was
    created by an event about one of the same persons, whose own candidates
    already hold the case. Replay uses this to load the stored windows a
    batch needs before deciding it.
    """
    persons = [event.person_id, *event.named_persons()]
    beneficiaries: list[str | None] = []
    addresses: list[str | None] = []
    data = event.data
    if isinstance(data, AddressData):
        addresses.append(data.address_id)
    elif isinstance(data, BirthData):
        addresses.append(data.address_id)
        beneficiaries.extend(data.parent_ids)
    elif isinstance(data, MaritalData):
        beneficiaries.append(data.partner_id)
    elif isinstance(data, CorrectionData):
        withdrawn = effects.get(data.corrects_event_id)
        for w in withdrawn.writes if withdrawn is not None else ():
            persons.append(w.person_id)
            restored = w.old_values
            if w.group is Group.ADDRESS and restored:
                addresses.append(restored[0])  # type: ignore[arg-type]
            elif w.group is Group.MARITAL and restored:
                beneficiaries.append(restored[1])  # type: ignore[arg-type]
            elif w.group is Group.BIRTH and restored:
                beneficiaries.extend(restored[1] or ())  # type: ignore[arg-type]
    known = state.persons
    for person_id in persons:
        p = known.get(person_id)
        beneficiaries.append(person_id)
        beneficiaries.extend(state.claimants(person_id))
        if p is not None:
            beneficiaries.append(p.partner_id)
            beneficiaries.extend(p.parent_ids)
            addresses.append(p.address_id)
    if found is None:
        found = set()
    # plain loops: most persons and addresses have no case, and this runs for
    # every event of a batch whose cases' windows may be in the store
    for index, keys in ((book.by_beneficiary, beneficiaries), (book.by_dwelling, addresses)):
        for key in keys:
            cases = index.get(key) if key is not None else None
            if cases:
                for c in cases:
                    found.add(c.case_id)
    return found
