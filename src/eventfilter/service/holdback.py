"""Which of a stream batch's events wait for a later batch, rather than the
whole batch waiting for another consumer.

Several consumers decide at once, and each batch locks the cases its events
may touch until it commits. Where another consumer's batch holds one of them,
the events that may touch it are held back: left unacknowledged and decided
in the consumer's next batch, with the events that came after them. So a
batch decides what it can now, and no event is decided on a case it has not
locked.

Order is kept: an event is held back with every earlier one it shares a
person or a case with, so each person's events, and each case's, are still
decided in the order they came. Pure: the batch's events, what the world
holds, and what each case is found by (`CaseKeys`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from eventfilter.core.events import Event
from eventfilter.core.facts import Effect
from eventfilter.core.state import RegisterState
from eventfilter.ports import CaseKeys
from eventfilter.service.naming import candidates, named


def held_back(
    events: Sequence[Event],
    state: RegisterState,
    withdrawn: dict[str, Effect],
    cases: Iterable[CaseKeys],
    held: set[str],
) -> set[str]:
    """The ids of the events to decide later: each that may touch a case in
    `held` (another consumer holds it locked), and each later one that shares a
    person or a case with an event held back. `cases`: every case the batch's
    events may touch, held or not, by what `candidate_cases` finds it."""
    by_beneficiary: dict[str, list[str]] = {}
    by_dwelling: dict[str, list[str]] = {}
    by_partner: dict[str, list[str]] = {}
    for k in cases:
        by_beneficiary.setdefault(k.beneficiary_id, []).append(k.case_id)
        if k.dwelling_address_id:
            by_dwelling.setdefault(k.dwelling_address_id, []).append(k.case_id)
        if k.partner_id:
            by_partner.setdefault(k.partner_id, []).append(k.case_id)
    blocked_cases = set(held)
    blocked_persons: set[str] = set()
    later: set[str] = set()
    for e in events:
        beneficiaries, addresses, partners = candidates((e,), state, withdrawn)
        touched = {c for b in beneficiaries for c in by_beneficiary.get(b, ())}
        touched.update(c for a in addresses for c in by_dwelling.get(a, ()))
        touched.update(c for p in partners for c in by_partner.get(p, ()))
        persons = named((e,), withdrawn)
        if touched.isdisjoint(blocked_cases) and persons.isdisjoint(blocked_persons):
            continue
        later.add(e.event_id)
        blocked_cases |= touched
        blocked_persons |= persons
    return later
