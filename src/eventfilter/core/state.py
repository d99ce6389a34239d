"""The register state: the persons the filter knows, with the indexes rules need.

`plan` works out which fact groups an event sets (an older event never
overwrites a newer fact; a correction restores what the withdrawn event
replaced, unless a later event has set it since); `apply` carries the plan
out and returns the `Effect` that a later correction needs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from eventfilter.core.events import CORRECTION, STATE_TYPES, CorrectionData, Event
from eventfilter.core.facts import FIELD_GROUP, GROUP_FIELDS, Effect, Group, Person, Value, Version, Write

_EMPTY: tuple[str, ...] = ()
_INDEXED = frozenset({Group.ADDRESS, Group.MARITAL, Group.BIRTH})  # groups holding indexed fields


class RegisterState:
    def __init__(self, persons: Iterable[Person] = ()) -> None:
        self.persons: dict[str, Person] = {}
        # Small groups (a household, a parent's children): tuples, a third of a set's size.
        self._residents: dict[str, tuple[str, ...]] = {}
        self._children: dict[str, tuple[str, ...]] = {}
        self._claimants: dict[str, tuple[str, ...]] = {}
        self.dirty: set[str] = set()
        self.reindexed: set[str] = set()  # dirty, with an indexed fact (address, partner, parents) changed
        self.created: set[str] = set()  # added on first sight (not loaded)
        # Every address a protected person was registered at since the last
        # commit: protected for good, though the person moves on in the batch.
        self.protected_addresses: set[str] = set()
        # Addresses known to be protected (loaded by the caller, plus the new ones):
        # rules.md: from the protection on, the address is redacted, even after a move.
        self.protected_places: set[str] = set()
        for person in persons:
            self.add(person)

    # -- reading -----------------------------------------------------------
    def get(self, person_id: str | None) -> Person | None:
        return self.persons.get(person_id) if person_id is not None else None

    def residents(self, address_id: str | None) -> Iterable[str]:
        """Persons registered at the address (never for `None`: no fixed address)."""
        if address_id is None:
            return _EMPTY
        return self._residents.get(address_id, _EMPTY)

    def is_protected_address(self, address_id: str | None) -> bool:
        """A protected person lives there, or lived there since their protection began."""
        if address_id is None:
            return False
        if address_id in self.protected_places:
            return True
        persons = self.persons
        for pid in self._residents.get(address_id, _EMPTY):
            person = persons.get(pid)
            if person is not None and person.protected_address:
                return True
        return False

    def children(self, parent_id: str) -> Iterable[str]:
        return self._children.get(parent_id, _EMPTY)

    def claimants(self, partner_id: str) -> Iterable[str]:
        """Persons whose partner_id names this person."""
        return self._claimants.get(partner_id, _EMPTY)

    def is_protected(self, person_id: str | None) -> bool:
        person = self.get(person_id)
        return person is not None and person.protected_address

    # -- loading -----------------------------------------------------------
    def add(self, person: Person) -> None:
        """Load or replace a person (from the store or an extract)."""
        old = self.persons.get(person.person_id)
        if old is not None:
            self._unindex(old)
        self.persons[person.person_id] = person
        self._index(person)

    def drop(self, person_id: str) -> None:
        """Forget a person (kept in the store); the indexes forget them too."""
        person = self.persons.pop(person_id, None)
        if person is not None:
            self._unindex(person)
        self.dirty.discard(person_id)
        self.reindexed.discard(person_id)
        self.created.discard(person_id)

    def ensure(self, person_id: str) -> Person:
        """The person, added with unknown facts on first sight."""
        person = self.persons.get(person_id)
        if person is None:
            person = Person(person_id)
            self.persons[person_id] = person
            self.dirty.add(person_id)
            self.created.add(person_id)
        return person

    # -- changing ----------------------------------------------------------
    def plan(self, event: Event, effects: Mapping[str, Effect]) -> list[Write]:
        """The writes `event` would make now, without making them.

        For a correction, `effects` must hold the effect of the event it
        withdraws (an absent entry means the filter never saw that event).
        """
        if event.type == CORRECTION:
            assert isinstance(event.data, CorrectionData)
            withdrawn = effects.get(event.data.corrects_event_id)
            return self._plan_withdrawal(withdrawn) if withdrawn is not None else []
        person = self.persons.get(event.person_id)
        writes = []
        for group, values, version in event.group_writes():
            held = person.effective_version(group) if person is not None else _oldest(group)
            if version > held:
                writes.append(Write(event.person_id, group, values, version))
        return writes

    def _plan_withdrawal(self, withdrawn: Effect) -> list[Write]:
        writes = []
        for w in withdrawn.writes:
            person = self.persons.get(w.person_id)
            if person is not None and (person.version(w.group) or ()) == w.version:
                writes.append(Write(w.person_id, w.group, w.old_values, _restored(w.old_version)))
        return writes

    def apply(self, event: Event, writes: list[Write]) -> Effect:
        """Make the planned writes; record what they replaced.

        A type the state holds no facts for (a name change) adds nobody: most of
        a national feed is such events about persons no case depends on."""
        if writes or event.type in STATE_TYPES:
            self.ensure(event.person_id)
        for named in event.named_persons():
            self.ensure(named)
        for w in writes:
            person = self.ensure(w.person_id)
            w.old_values = person.values(w.group)
            w.old_version = person.version(w.group)
            self._set(person, w.group, w.values, w.version)
        return Effect(event.event_id, writes)

    def correct(self, person_id: str, field: str, value: Value, version: Version) -> Write:
        """A caseworker's correction of one fact: the rest of its group stays.

        `version` is the correction's stamp (its time), so the corrected fact
        is newer than what the register sent before it.
        """
        group = FIELD_GROUP[field]
        person = self.ensure(person_id)
        values = tuple(value if name == field else getattr(person, name) for name in GROUP_FIELDS[group])
        write = Write(person_id, group, values, version, person.values(group), person.version(group))
        self._set(person, group, values, version)
        return write

    def _set(self, person: Person, group: Group, values: tuple[Value, ...], version: Version) -> None:
        indexed = group in _INDEXED
        if indexed:
            self._unindex(person)
        for name, value in zip(GROUP_FIELDS[group], values, strict=True):
            setattr(person, name, value)
        person.set_version(group, version or None)
        if indexed:
            self._index(person)
            self.reindexed.add(person.person_id)
        if person.protected_address and person.address_id is not None:
            self.protected_addresses.add(person.address_id)
            self.protected_places.add(person.address_id)
        self.dirty.add(person.person_id)

    # -- indexes -----------------------------------------------------------
    def _index(self, p: Person) -> None:
        if p.address_id is not None:
            _add(self._residents, p.address_id, p.person_id)
        for parent in p.parent_ids:
            _add(self._children, parent, p.person_id)
        if p.partner_id is not None:
            _add(self._claimants, p.partner_id, p.person_id)

    def _unindex(self, p: Person) -> None:
        if p.address_id is not None:
            _discard(self._residents, p.address_id, p.person_id)
        for parent in p.parent_ids:
            _discard(self._children, parent, p.person_id)
        if p.partner_id is not None:
            _discard(self._claimants, p.partner_id, p.person_id)


def _add(index: dict[str, tuple[str, ...]], key: str, member: str) -> None:
    members = index.get(key)
    if members is None:
        index[key] = (member,)
    elif member not in members:
        index[key] = (*members, member)


def _discard(index: dict[str, tuple[str, ...]], key: str, member: str) -> None:
    members = index.get(key)
    if members is not None and member in members:
        rest = tuple(m for m in members if m != member)
        if rest:
            index[key] = rest
        else:
            del index[key]


def _oldest(group: Group) -> Version:
    return ("",) if group is Group.INCOME else ()


def _restored(version: Version | None) -> Version:
    return version if version is not None else ()
