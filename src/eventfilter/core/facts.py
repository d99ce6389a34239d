"""Persons and cases as plain typed values.

A person's facts fall into *groups* that one register event sets together
(an address change sets address, municipality and country). Each group
carries the version stamp of the event that set it last, so that an older
event never overwrites a newer fact, whatever order events arrive in, and a
correction can tell whether a later event has set a fact since.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from enum import StrEnum

# A version stamp: (effective date, recorded_at, event_id) as ISO strings, or
# for income (period, effective date, recorded_at, event_id). Tuples compare
# element by element, so a later date wins and ties break deterministically.
# `None` is the register extract: older than any event.
Version = tuple[str, ...]


class Group(StrEnum):
    ADDRESS = "address"
    MARITAL = "marital"
    INCOME = "income"
    ALIVE = "alive"
    PROTECTED = "protected"
    BIRTH = "birth"


GROUP_FIELDS: dict[Group, tuple[str, ...]] = {
    Group.ADDRESS: ("address_id", "municipality_code", "country"),
    Group.MARITAL: ("marital_status", "partner_id"),
    Group.INCOME: ("monthly_income", "income_period"),
    Group.ALIVE: ("alive",),
    Group.PROTECTED: ("protected_address",),
    Group.BIRTH: ("birth_date", "parent_ids"),
}

FIELD_GROUP: dict[str, Group] = {name: group for group, names in GROUP_FIELDS.items() for name in names}
VERSION_SLOT: dict[Group, str] = {group: f"v_{group.value}" for group in Group}

MARITAL_STATUSES = frozenset(
    {"unmarried", "married", "registered_partnership", "separated", "divorced", "widowed"}
)

Value = str | float | bool | date | tuple[str, ...] | None


@dataclass(slots=True, init=False)
class Person:
    """One person of the register, as the filter knows them now (its own
    `__init__`: see core/evaluation.py; a national register loads millions)."""

    person_id: str
    birth_date: date | None
    alive: bool
    address_id: str | None
    municipality_code: str | None
    country: str | None
    marital_status: str | None
    partner_id: str | None
    parent_ids: tuple[str, ...]
    monthly_income: float | None
    income_period: str | None
    protected_address: bool
    # The version stamp of each fact group (None: as the extract said). One
    # slot per group rather than a dict: a national register holds 1.5
    # million of these in memory.
    v_address: Version | None
    v_marital: Version | None
    v_income: Version | None
    v_alive: Version | None
    v_protected: Version | None
    v_birth: Version | None

    def __init__(
        self,
        person_id: str,
        birth_date: date | None = None,
        alive: bool = True,
        address_id: str | None = None,
        municipality_code: str | None = None,
        country: str | None = None,
        marital_status: str | None = None,
        partner_id: str | None = None,
        parent_ids: tuple[str, ...] = (),
        monthly_income: float | None = None,
        income_period: str | None = None,
        protected_address: bool = False,
        v_address: Version | None = None,
        v_marital: Version | None = None,
        v_income: Version | None = None,
        v_alive: Version | None = None,
        v_protected: Version | None = None,
        v_birth: Version | None = None,
    ) -> None:
        self.person_id = person_id
        self.birth_date = birth_date
        self.alive = alive
        self.address_id = address_id
        self.municipality_code = municipality_code
        self.country = country
        self.marital_status = marital_status
        self.partner_id = partner_id
        self.parent_ids = parent_ids
        self.monthly_income = monthly_income
        self.income_period = income_period
        self.protected_address = protected_address
        self.v_address = v_address
        self.v_marital = v_marital
        self.v_income = v_income
        self.v_alive = v_alive
        self.v_protected = v_protected
        self.v_birth = v_birth

    def __copy__(self) -> Person:
        """A shallow copy (`copy.copy`): every field, in the order the fields stand.
        Written: compiled, the class's `__new__` runs the written `__init__`, which
        wants its arguments, so the default copy cannot work."""
        return Person(*[getattr(self, name) for name in PERSON_FIELDS])

    def values(self, group: Group) -> tuple[Value, ...]:
        return tuple(getattr(self, name) for name in GROUP_FIELDS[group])

    def version(self, group: Group) -> Version | None:
        version: Version | None = getattr(self, VERSION_SLOT[group])
        return version

    def set_version(self, group: Group, version: Version | None) -> None:
        setattr(self, VERSION_SLOT[group], version)

    def versions(self) -> dict[str, Version]:
        """The groups set by events, with their stamps."""
        return {g.value: v for g, slot in VERSION_SLOT.items() if (v := getattr(self, slot)) is not None}

    def set_versions(self, versions: dict[str, Version]) -> None:
        for group, version in versions.items():
            setattr(self, VERSION_SLOT[Group(group)], version)

    def effective_version(self, group: Group) -> Version:
        """The version to compare a new write against (the extract is oldest).

        Income is ordered by its period first: an extract holding income for
        2026-02 is newer than an event reporting 2026-01.
        """
        held = self.version(group)
        if held is not None:
            return held
        if group is Group.INCOME:
            return (self.income_period or "",)
        return ()

    def age_on(self, on: date) -> int | None:
        if self.birth_date is None:
            return None
        born = self.birth_date
        return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


PERSON_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Person))


@dataclass(slots=True, init=False)
class Case:
    """An active benefit case, as the payment system holds it (its own
    `__init__`: see core/evaluation.py)."""

    case_id: str
    benefit: str
    beneficiary_id: str
    municipality_code: str
    status: str  # "active" or "suspended"
    dwelling_address_id: str | None
    housing_cost: float | None
    # Events whose decision placed eventfilter's open hold on this case; None
    # when eventfilter holds nothing (the extract may still say "suspended").
    hold_event_ids: tuple[str, ...] | None
    in_active_set: bool
    # The last date through which what time alone changes (ages, new parameter
    # values) was decided for this case, when an event moved it on ahead of the
    # register-wide tick; None: the register-wide tick's date.
    ticked_through: date | None

    def __init__(
        self,
        case_id: str,
        benefit: str,
        beneficiary_id: str,
        municipality_code: str,
        status: str = "active",
        dwelling_address_id: str | None = None,
        housing_cost: float | None = None,
        hold_event_ids: tuple[str, ...] | None = None,
        in_active_set: bool = True,
        ticked_through: date | None = None,
    ) -> None:
        self.case_id = case_id
        self.benefit = benefit
        self.beneficiary_id = beneficiary_id
        self.municipality_code = municipality_code
        self.status = status
        self.dwelling_address_id = dwelling_address_id
        self.housing_cost = housing_cost
        self.hold_event_ids = hold_event_ids
        self.in_active_set = in_active_set
        self.ticked_through = ticked_through

    @property
    def suspended(self) -> bool:
        return self.status == "suspended"


@dataclass(slots=True, init=False)
class Write:
    """One fact group of one person set to new values by an event (made for
    every event: its own `__init__`, see core/evaluation.py)."""

    person_id: str
    group: Group
    values: tuple[Value, ...]
    version: Version
    old_values: tuple[Value, ...]
    old_version: Version | None

    def __init__(
        self,
        person_id: str,
        group: Group,
        values: tuple[Value, ...],
        version: Version,
        old_values: tuple[Value, ...] = (),
        old_version: Version | None = None,
    ) -> None:
        self.person_id = person_id
        self.group = group
        self.values = values
        self.version = version
        self.old_values = old_values
        self.old_version = old_version


@dataclass(slots=True, init=False)
class Effect:
    """What one event changed in the register state: enough to withdraw it
    (made for every event: its own `__init__`; no writes, an empty list)."""

    event_id: str
    writes: list[Write]

    def __init__(self, event_id: str, writes: list[Write] | None = None) -> None:
        self.event_id = event_id
        self.writes = [] if writes is None else writes


def extract_over(held: Person | None, extract: Person) -> Person:
    """What the register holds after an extract line about a person it may know.

    An extract is a snapshot without a date of its own: older than any event.
    A fact group that an event has set (it carries that event's version) keeps
    the event's values; only the groups no event has touched take the
    extract's. Income is ordered by its period: an extract reporting a newer
    period than the event that set the income wins. So importing the same
    extract again after a replay (a rerun of the documented command) changes
    nothing that the events built.
    """
    if held is None:
        return extract
    merged = Person(extract.person_id)
    for group in Group:
        version = held.version(group)
        keep = version is not None and extract.effective_version(group) <= held.effective_version(group)
        source = held if keep else extract
        for name in GROUP_FIELDS[group]:
            setattr(merged, name, getattr(source, name))
        merged.set_version(group, version if keep else None)
    return merged
