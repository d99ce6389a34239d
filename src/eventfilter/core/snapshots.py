"""Register snapshots into the events that explain them.

Real feeds send the whole person whenever something changed (the CPR change
extract's record 001 is always sent; Navet sends the whole `Personpost`).
The receiver must work out itself what changed, and that translation is
where false stops come from. `diff` compares the facts the register holds
for a person with a new snapshot of them and returns the contract events
that explain the difference, and nothing for facts that repeat what is known:

- address, municipality, country → `address_change`;
- marital status, partner → `marital_status_change`;
- alive → dead: `death`;
- the protection flag → `protected_address`;
- a person the register does not know, born recently, with parents → `birth`
  (one it does not know, born earlier, is first added with their birth date
  and parents: `Diff.first_seen`, as an extract line would add them);
- a register status the rules do not know (CPR 70 disappeared, 30
  annulled, …) → an event of that type, which the rule pack decides as
  unknown;
- a relation the source withdraws (Navet's corrected and annulled
  relations) → `correction` of the event that set it.

All events of one snapshot take one effective date, the latest date of the
facts that changed: they are one group, decided together (a snapshot
changing address and civil status at once is one change of the person; a
family's move arrives as one snapshot per person, all with the move's date).
Event ids are derived from the source and the facts with their own dates,
so a snapshot delivered again diffs to nothing or to the same ids
(duplicates, never decided twice).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from eventfilter.core import events as ev
from eventfilter.core.facts import GROUP_FIELDS, Group, Person

BIRTH_WINDOW = timedelta(days=92)  # a person first seen this soon after birth is a birth
CARRIED = frozenset({Group.ADDRESS, Group.MARITAL, Group.ALIVE, Group.PROTECTED})
PARTNER, PARENT, CHILD = "partner", "parent", "child"


@dataclass(frozen=True, slots=True)
class Withdrawn:
    """A relation the source says was registered in error (corrected or annulled):
    the event that set it is withdrawn."""

    kind: str  # PARTNER, PARENT (the snapshot's person's parent) or CHILD
    other: str  # the related person
    since: date | None = None  # the relation's date, when the source gives it


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A person as a register source sent them, whole, as of `effective_date`."""

    person: Person  # the facts, in the contract's person format
    source: str  # "cpr", "navet", …: part of every derived id
    effective_date: date  # when the snapshot took effect, for facts without a date of their own
    recorded_at: str | None = None  # when the source recorded it (ISO 8601, UTC)
    carried: frozenset[Group] = CARRIED  # the groups the snapshot speaks of
    withdrawn: tuple[Withdrawn, ...] = ()
    dates: Mapping[Group, date] = field(default_factory=dict)  # each group's own date, when the source says
    status: str | None = None  # a register status the rules do not know: an event of this type
    status_date: date | None = None
    # CPR and Navet register spouses and registered partners, not cohabiting partners:
    # a cohabitant the register holds stays unless the source says it registers them
    cohabitation_said: bool = False


@dataclass(frozen=True, slots=True)
class Diff:
    events: list[ev.Event]
    first_seen: Person | None = None  # to add to the register before the events (birth date, parents)


def event_id(source: str, *parts: object) -> str:
    """Stable: the same source and facts give the same id, whatever file or message brought them."""
    key = "|".join(str(p) for p in (source, *parts))
    return f"{source}-{hashlib.blake2b(key.encode(), digest_size=12).hexdigest()}"


def diff(held: Person | None, snap: Snapshot, others: Mapping[str, Person] | None = None) -> Diff:
    """The events that take `held` (None: unknown to the register) to `snap`.

    `others`: the register's persons a withdrawn relation names (a child whose
    birth the source withdraws from the parent's side)."""
    p, src = snap.person, snap.source
    pid = p.person_id
    found: list[tuple[date, str, ev.EventData, tuple[object, ...]]] = []
    first_seen: Person | None = None
    corrections: list[ev.Event] = []  # each about the person whose event it withdraws

    for w in snap.withdrawn:
        target = relation_event_id(src, held, w, others or {})
        if target is not None:
            about = w.other if w.kind == CHILD else pid
            corrections.append(
                ev.Event(
                    event_id(src, about, ev.CORRECTION, target),
                    ev.CORRECTION,
                    about,
                    snap.effective_date,
                    snap.recorded_at,
                    ev.CorrectionData(target),
                )
            )
    if held is None:
        if _is_birth(p, snap.effective_date):
            assert p.birth_date is not None
            found.append(
                (
                    p.birth_date,
                    ev.BIRTH,
                    ev.BirthData(p.birth_date, p.parent_ids, p.address_id, p.municipality_code, p.country),
                    (p.birth_date, p.parent_ids),
                )
            )
            held = Person(pid, birth_date=p.birth_date, parent_ids=p.parent_ids)
            held.address_id, held.municipality_code, held.country = (
                p.address_id,
                p.municipality_code,
                p.country,
            )
        else:
            first_seen = held = Person(pid, birth_date=p.birth_date, parent_ids=p.parent_ids)
    carried = snap.carried
    if Group.ADDRESS in carried and held.values(Group.ADDRESS) != p.values(Group.ADDRESS) and p.country:
        day = _date(snap, Group.ADDRESS)
        data = ev.AddressData(p.address_id, p.municipality_code, p.country)
        found.append((day, ev.ADDRESS_CHANGE, data, (p.address_id, p.municipality_code, p.country, day)))
    partner = p.partner_id
    if not snap.cohabitation_said and not (_spouse(p) or _spouse(held)):
        partner = held.partner_id  # a cohabitant, of whom the source says nothing
    if Group.MARITAL in carried and p.marital_status and _marital(held) != (p.marital_status, partner):
        day = _date(snap, Group.MARITAL)
        key = _marital_key(p.marital_status, partner, day)
        found.append((day, ev.MARITAL_STATUS_CHANGE, ev.MaritalData(p.marital_status, partner), key))
    if Group.PROTECTED in carried and held.protected_address != p.protected_address:
        day = _date(snap, Group.PROTECTED)
        found.append(
            (day, ev.PROTECTED_ADDRESS, ev.ProtectedData(p.protected_address), (p.protected_address, day))
        )
    if Group.ALIVE in carried and not p.alive and held.alive:
        day = _date(snap, Group.ALIVE)
        found.append((day, ev.DEATH, ev.NoData(), (day,)))
    if snap.status is not None:
        day = snap.status_date or snap.effective_date
        found.append((day, snap.status, ev.NoData(), (day,)))
    if not found:
        return Diff(corrections, first_seen)
    effective = max(day for day, *_ in found)
    events = [
        ev.Event(event_id(src, pid, kind, *key), kind, pid, effective, snap.recorded_at, data)
        for _, kind, data, key in found
    ]
    return Diff(corrections + events, first_seen)


def relation_event_id(
    source: str, held: Person | None, w: Withdrawn, others: Mapping[str, Person]
) -> str | None:
    """The id of the event that set a withdrawn relation, as `diff` made it when the
    relation was new (from what the register holds since); None when the register
    holds no such relation, or it did not come from this source's snapshots."""
    if held is None:
        return None
    if w.kind == PARTNER:
        if held.partner_id != w.other or held.marital_status is None or w.since is None:
            return None
        key = _marital_key(held.marital_status, w.other, w.since)
        return event_id(source, held.person_id, ev.MARITAL_STATUS_CHANGE, *key)
    child = held if w.kind == PARENT else others.get(w.other)
    parent = w.other if w.kind == PARENT else held.person_id
    if child is None or parent not in child.parent_ids or child.birth_date is None:
        return None
    return event_id(source, child.person_id, ev.BIRTH, child.birth_date, child.parent_ids)


SPOUSES = frozenset({"married", "registered_partnership"})


def _spouse(p: Person) -> bool:
    return p.marital_status in SPOUSES


def _marital(p: Person) -> tuple[str, str | None]:
    """Civil status as compared: not known is the contract's default, unmarried."""
    return (p.marital_status or "unmarried", p.partner_id)


def _marital_key(status: str, partner: str | None, since: date) -> tuple[object, ...]:
    return (status, partner or "-", since)


def _date(snap: Snapshot, group: Group) -> date:
    return snap.dates.get(group, snap.effective_date)


def _is_birth(p: Person, day: date) -> bool:
    return p.birth_date is not None and bool(p.parent_ids) and day - BIRTH_WINDOW <= p.birth_date <= day


def facts(person: Person, groups: frozenset[Group] = CARRIED) -> dict[str, object]:
    """The facts of these groups, by field name (for comparing a state with a snapshot)."""
    return {name: getattr(person, name) for g in groups for name in GROUP_FIELDS[g]}
