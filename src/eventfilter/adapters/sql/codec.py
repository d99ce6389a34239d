"""Core values to table rows and back."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from sys import intern
from typing import Any

import orjson

from eventfilter.core.facts import Case, Effect, Group, Person, Value, Write

PERSON_SELECT = (
    "SELECT person_id, birth_date, alive, address_id, municipality_code, country, marital_status,"
    " partner_id, parent_ids, monthly_income, income_period, protected_address, versions FROM persons"
)
# lookups by a list of ids (`bulk.rows_where` fills in the condition)
PERSONS_WHERE = PERSON_SELECT + " WHERE {}"
PROTECTED_WHERE = "SELECT address_id FROM protected_addresses WHERE {}"


PERSON_SELECT_AS_P = (
    "SELECT p.person_id, p.birth_date, p.alive, p.address_id, p.municipality_code, p.country,"
    " p.marital_status, p.partner_id, p.parent_ids, p.monthly_income, p.income_period,"
    " p.protected_address, p.versions FROM persons AS p"
)


def stored_json(text: str | bytes) -> Any:
    """JSON text from the store (orjson: a national replay loads millions of
    these, at a fifth of `json.loads`'s time)."""
    return orjson.loads(text)


def json_column(value: Any) -> Any:
    """JSON columns come back as text from SQLite and decoded from psycopg."""
    return stored_json(value) if isinstance(value, str) else value


def _day(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


# Loading a national register keeps 1.5 million persons in memory: every
# repeated value (ids named by others, addresses shared by a household,
# dates, codes, amounts) is held once.
_DAYS: dict[Any, date | None] = {None: None}
_AMOUNTS: dict[float, float] = {}


def _shared_day(value: Any) -> date | None:
    found = _DAYS.get(value)
    if found is None and value is not None:
        found = _DAYS[value] = _day(value)
    return found


def _shared(value: str | None) -> str | None:
    return intern(value) if value is not None else None


def _shared_amount(value: float | None) -> float | None:
    if value is None:
        return None
    return _AMOUNTS.setdefault(value, value) if len(_AMOUNTS) < 100_000 else value


def person_of_raw(r: Sequence[Any]) -> Person:
    """A person from a raw row of PERSON_SELECT (the hot loading path: a
    national register loads 1.5 million of these, so it is written flat)."""
    person_id, born, alive, address, municipality, country, marital, partner, parents = r[:9]
    income, period, protected, versions = r[9:13]
    if parents:
        if isinstance(parents, str):
            parents = () if parents == "[]" else stored_json(parents)
        parents = tuple([intern(x) for x in parents])
    day = _DAYS.get(born)
    if day is None and born is not None:
        day = _shared_day(born)
    if income is not None and len(_AMOUNTS) < 100_000:
        income = _AMOUNTS.setdefault(income, income)
    p = Person(
        intern(person_id),
        day,
        bool(alive),
        intern(address) if address is not None else None,
        intern(municipality) if municipality is not None else None,
        intern(country) if country is not None else None,
        intern(marital) if marital is not None else None,
        intern(partner) if partner is not None else None,
        parents or (),
        income,
        intern(period) if period is not None else None,
        bool(protected),
    )
    if versions:
        if isinstance(versions, str):
            versions = stored_json(versions)
        for group, parts in versions.items():
            p.set_version(GROUPS[group], version_of(parts))
    return p


GROUPS = {g.value: g for g in Group}


def version_of(parts: Sequence[str]) -> tuple[str, ...]:
    """A version stamp; its dates and times are shared, only the event id is its own."""
    n = len(parts)
    if n == 3:
        return (intern(parts[0]), intern(parts[1]), parts[2])
    if n == 4:
        return (intern(parts[0]), intern(parts[1]), intern(parts[2]), parts[3])
    return tuple(intern(x) for x in parts[:-1]) + tuple(parts[-1:])


def parent_ids_of_raw(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return () if value == "[]" else tuple(stored_json(value))
    return tuple(value or ())


def case_of_raw(r: Sequence[Any]) -> Case:
    """A case from a raw row in CASE_COLUMNS order."""
    case_id, benefit, beneficiary, municipality, status, dwelling, housing_cost, held, active, ticked = r
    if isinstance(held, str):
        held = stored_json(held)
    if isinstance(ticked, str):
        ticked = date.fromisoformat(ticked)
    return Case(
        case_id,
        intern(benefit),
        intern(beneficiary),
        intern(municipality),
        intern(status),
        intern(dwelling) if dwelling is not None else None,
        housing_cost,
        tuple(held) if held is not None else None,
        bool(active),
        ticked,
    )


CASE_COLUMNS = (
    "case_id",
    "benefit",
    "beneficiary_id",
    "municipality_code",
    "status",
    "dwelling_address_id",
    "housing_cost",
    "hold_event_ids",
    "in_active_set",
    "ticked_through",
)


def _encode(group: Group, values: Sequence[Value]) -> Sequence[Any]:
    """Values as JSON arrays take them (orjson writes tuples as arrays and dates as
    ISO text); a birth's missing parents are written as an empty list."""
    if group is Group.BIRTH:
        born, parents = values
        return [born.isoformat() if isinstance(born, date) else None, list(parents or ())]  # type: ignore[arg-type]
    return values


def _decode(group: Group, values: Sequence[Any]) -> tuple[Value, ...]:
    if group is Group.BIRTH:
        born, parents = values
        return (date.fromisoformat(born) if born else None, tuple(parents or ()))
    return tuple(values)


def effect_json(effect: Effect) -> list[Any]:
    """The writes as JSON arrays: their own tuples, no copies (orjson writes a
    group, a StrEnum, as its word; only a birth's values need encoding)."""
    out: list[Any] = []
    for w in effect.writes:
        group = w.group
        if group is Group.BIRTH:
            out.append(
                (
                    w.person_id,
                    group,
                    _encode(group, w.values),
                    w.version,
                    _encode(group, w.old_values),
                    w.old_version,
                )
            )
        else:
            out.append((w.person_id, group, w.values, w.version, w.old_values, w.old_version))
    return out


def effect_of(event_id: str, data: Sequence[Any] | None) -> Effect:
    writes = []
    for person_id, group_name, values, version, old_values, old_version in data or ():
        group = Group(group_name)
        writes.append(
            Write(
                person_id=person_id,
                group=group,
                values=_decode(group, values),
                version=tuple(version),
                old_values=_decode(group, old_values),
                old_version=tuple(old_version) if old_version is not None else None,
            )
        )
    return Effect(event_id, writes)
