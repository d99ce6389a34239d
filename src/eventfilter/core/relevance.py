"""Which persons the active cases depend on.

A case's rules read its beneficiary, the partner (either side naming the
other), the children (who name the beneficiary as parent) and everyone
registered at a case's dwelling. Those persons must be in memory whenever
an event is decided; anyone else can stay in the store until an event
names them.
"""

from __future__ import annotations

from eventfilter.core.cases import CaseBook
from eventfilter.core.facts import Person
from eventfilter.core.state import RegisterState


def is_relevant(p: Person, book: CaseBook, state: RegisterState) -> bool:
    if book.is_beneficiary(p.person_id) or (p.partner_id is not None and book.is_beneficiary(p.partner_id)):
        return True
    if any(book.is_beneficiary(parent) for parent in p.parent_ids):
        return True
    if p.address_id is not None and book.is_dwelling(p.address_id):
        return True
    return any(book.is_beneficiary(c) for c in state.claimants(p.person_id))


def evict_irrelevant(state: RegisterState, book: CaseBook, candidates: set[str]) -> int:
    """Drop the candidates no case depends on (they must be stored already)."""
    dropped = 0
    for person_id in candidates:
        p = state.persons.get(person_id)
        if p is not None and not is_relevant(p, book, state):
            state.drop(person_id)
            dropped += 1
    return dropped
