"""Register events as typed values, and which facts each one sets.

Parsing and validation of the wire format live outside the core; what
arrives here is already valid.

These values are never changed once made; they are plain (not frozen)
dataclasses because one is built for every event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from eventfilter.core.facts import Group, Value

ADDRESS_CHANGE = "address_change"
MARITAL_STATUS_CHANGE = "marital_status_change"
BIRTH = "birth"
DEATH = "death"
INCOME_CHANGE = "income_change"
PROTECTED_ADDRESS = "protected_address"
CORRECTION = "correction"

# The types whose facts the register state holds; every other type changes
# no fact (the rule pack says which of those it knows and never reads).
STATE_TYPES = frozenset(
    {ADDRESS_CHANGE, MARITAL_STATUS_CHANGE, BIRTH, DEATH, INCOME_CHANGE, PROTECTED_ADDRESS, CORRECTION}
)


@dataclass(slots=True)
class AddressData:
    address_id: str | None
    municipality_code: str | None
    country: str


@dataclass(slots=True)
class MaritalData:
    status: str
    partner_id: str | None


@dataclass(slots=True)
class BirthData:
    birth_date: date
    parent_ids: tuple[str, ...]
    address_id: str | None
    municipality_code: str | None
    country: str | None


@dataclass(slots=True)
class IncomeData:
    period: str  # YYYY-MM
    amount: float
    source: str | None = None


@dataclass(slots=True)
class ProtectedData:
    protected: bool


@dataclass(slots=True)
class CorrectionData:
    corrects_event_id: str


@dataclass(slots=True)
class NoData:
    """Data of a type the register state does not read (kept only as raw text)."""


EventData = AddressData | MaritalData | BirthData | IncomeData | ProtectedData | CorrectionData | NoData


_ISO: dict[date, str] = {}


def _iso(day: date) -> str:
    """The date as text, one string per date: version stamps of a national
    register hold millions of them."""
    text = _ISO.get(day)
    if text is None:
        text = _ISO[day] = day.isoformat()
    return text


@dataclass(slots=True)
class Event:
    event_id: str
    type: str
    person_id: str
    effective_date: date
    recorded_at: str | None
    data: EventData

    def stamp(self) -> tuple[str, ...]:
        return (_iso(self.effective_date), self.recorded_at or "", self.event_id)

    def named_persons(self) -> tuple[str, ...]:
        """Persons this event names besides its own (added on first sight)."""
        data = self.data
        if isinstance(data, MaritalData) and data.partner_id:
            return (data.partner_id,)
        if isinstance(data, BirthData):
            return data.parent_ids
        return ()

    def group_writes(self) -> list[tuple[Group, tuple[Value, ...], tuple[str, ...]]]:
        """The fact groups of `person_id` this event sets, with values and version.

        A correction sets nothing by itself; the state withdraws the event it names.
        """
        data = self.data
        stamp = self.stamp()
        if isinstance(data, AddressData):
            return [(Group.ADDRESS, (data.address_id, data.municipality_code, data.country), stamp)]
        if isinstance(data, MaritalData):
            return [(Group.MARITAL, (data.status, data.partner_id), stamp)]
        if isinstance(data, IncomeData):
            return [(Group.INCOME, (data.amount, data.period), (data.period, *stamp))]
        if isinstance(data, BirthData):
            return [
                (Group.BIRTH, (data.birth_date, data.parent_ids), stamp),
                (Group.ADDRESS, (data.address_id, data.municipality_code, data.country), stamp),
            ]
        if isinstance(data, ProtectedData):
            return [(Group.PROTECTED, (data.protected,), stamp)]
        if self.type == DEATH:
            return [(Group.ALIVE, (False,), stamp)]
        return []
