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


# Every event is parsed into these: each writes its own `__init__` (see
# core/evaluation.py: a dataclass's generated one runs as Python when compiled).
@dataclass(slots=True, init=False)
class AddressData:
    address_id: str | None
    municipality_code: str | None
    country: str

    def __init__(self, address_id: str | None, municipality_code: str | None, country: str) -> None:
        self.address_id = address_id
        self.municipality_code = municipality_code
        self.country = country


@dataclass(slots=True, init=False)
class MaritalData:
    status: str
    partner_id: str | None

    def __init__(self, status: str, partner_id: str | None) -> None:
        self.status = status
        self.partner_id = partner_id


@dataclass(slots=True, init=False)
class BirthData:
    birth_date: date
    parent_ids: tuple[str, ...]
    address_id: str | None
    municipality_code: str | None
    country: str | None

    def __init__(
        self,
        birth_date: date,
        parent_ids: tuple[str, ...],
        address_id: str | None,
        municipality_code: str | None,
        country: str | None,
    ) -> None:
        self.birth_date = birth_date
        self.parent_ids = parent_ids
        self.address_id = address_id
        self.municipality_code = municipality_code
        self.country = country


@dataclass(slots=True, init=False)
class IncomeData:
    period: str  # YYYY-MM
    amount: float
    source: str | None

    def __init__(self, period: str, amount: float, source: str | None = None) -> None:
        self.period = period
        self.amount = amount
        self.source = source


@dataclass(slots=True, init=False)
class ProtectedData:
    protected: bool

    def __init__(self, protected: bool) -> None:
        self.protected = protected


@dataclass(slots=True, init=False)
class CorrectionData:
    corrects_event_id: str

    def __init__(self, corrects_event_id: str) -> None:
        self.corrects_event_id = corrects_event_id


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


@dataclass(slots=True, init=False)
class Event:
    event_id: str
    type: str
    person_id: str
    effective_date: date
    recorded_at: str | None
    data: EventData

    def __init__(
        self,
        event_id: str,
        type: str,
        person_id: str,
        effective_date: date,
        recorded_at: str | None,
        data: EventData,
    ) -> None:
        self.event_id = event_id
        self.type = type
        self.person_id = person_id
        self.effective_date = effective_date
        self.recorded_at = recorded_at
        self.data = data

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
