"""Who and where a batch's events name, before they are decided: the persons,
the possible beneficiaries, dwellings and partners, and the addresses they put
people at, for the world (`service/world.py`) to load what the batch reads."""

from __future__ import annotations

from collections.abc import Iterable

from eventfilter.core.events import AddressData, BirthData, CorrectionData, Event, IncomeData, MaritalData
from eventfilter.core.facts import Effect, Group
from eventfilter.core.state import RegisterState


def corrected(events: Iterable[Event], known: dict[str, Effect]) -> list[str]:
    """The events these corrections withdraw, of those not in hand yet."""
    return sorted(
        {
            e.data.corrects_event_id
            for e in events
            if isinstance(e.data, CorrectionData) and e.data.corrects_event_id not in known
        }
    )


def named(events: Iterable[Event], withdrawn: dict[str, Effect]) -> set[str]:
    """Everyone these events name, and whom the facts a correction restores name."""
    ids: set[str] = set()
    for e in events:
        ids.add(e.person_id)
        ids.update(e.named_persons())
        if isinstance(e.data, CorrectionData):
            effect = withdrawn.get(e.data.corrects_event_id)
            for w in effect.writes if effect is not None else ():
                ids.add(w.person_id)
                ids.update(_restored_names(w.group, w.old_values))
    return ids


def _restored_names(group: Group, values: tuple[object, ...]) -> list[str]:
    if group is Group.MARITAL and len(values) > 1 and isinstance(values[1], str):
        return [values[1]]
    if group is Group.BIRTH and len(values) > 1 and isinstance(values[1], tuple):
        return [x for x in values[1] if isinstance(x, str)]
    return []


def candidates(
    events: Iterable[Event], state: RegisterState, withdrawn: dict[str, Effect]
) -> tuple[set[str], set[str], set[str]]:
    """Who might be a beneficiary, which addresses might be dwellings, and who
    might be named as a partner, before or after these events."""
    beneficiaries: set[str] = set()
    addresses: set[str] = set()
    partners: set[str] = set()
    known = state.persons

    def person(pid: str) -> None:
        beneficiaries.add(pid)
        partners.add(pid)
        p = known.get(pid)
        if p is not None:
            if p.partner_id:
                beneficiaries.add(p.partner_id)
            for x in p.parent_ids:
                if x:
                    beneficiaries.add(x)
            if p.address_id:
                addresses.add(p.address_id)

    for e in events:
        person(e.person_id)
        data = e.data
        if isinstance(data, IncomeData):  # most of a national batch: it names nobody else
            continue
        if isinstance(data, AddressData | BirthData) and data.address_id:
            addresses.add(data.address_id)
        if isinstance(data, MaritalData) and data.partner_id:
            beneficiaries.add(data.partner_id)
        if isinstance(data, BirthData):
            beneficiaries.update(data.parent_ids)
        if isinstance(data, CorrectionData):
            effect = withdrawn.get(data.corrects_event_id)
            for w in effect.writes if effect is not None else ():
                person(w.person_id)
                for values in (w.old_values, w.values):
                    if w.group is Group.ADDRESS and values and isinstance(values[0], str):
                        addresses.add(values[0])
                    elif w.group is Group.MARITAL and len(values) > 1 and isinstance(values[1], str):
                        beneficiaries.add(values[1])
                    elif w.group is Group.BIRTH and len(values) > 1 and isinstance(values[1], tuple):
                        beneficiaries.update(x for x in values[1] if isinstance(x, str))
    return beneficiaries, addresses, partners


def moving_to(events: Iterable[Event], withdrawn: dict[str, Effect]) -> set[str]:
    """The addresses these events (or the facts a correction restores) put people at."""
    found: set[str] = set()
    for e in events:
        data = e.data
        if isinstance(data, AddressData | BirthData) and data.address_id:
            found.add(data.address_id)
        elif isinstance(data, CorrectionData):
            effect = withdrawn.get(data.corrects_event_id)
            for w in effect.writes if effect is not None else ():
                if w.group is Group.ADDRESS and w.old_values and isinstance(w.old_values[0], str):
                    found.add(w.old_values[0])
    return found
