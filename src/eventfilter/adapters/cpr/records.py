"""One person's records in a CPR extract, read into a snapshot (the layout: `layout`).

The dwelling's id is the municipality, road code, house number, floor and
door (`101-0123-12B-2-tv`): every member of a household gets the same one.
A person one of whose records cannot be read is a dead letter whole, with
the line and the field: deciding on the records that could be read would
take a missing address record for a move. The person last in a file that
ends without its end record may be cut short: a dead letter too. Names and
addresses never reach a dead letter (`shown` keeps the record type and the
personal number of each record only).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from eventfilter.adapters.cpr.layout import (
    ABROAD,
    ABROAD_ADDRESS,
    ADDRESS,
    CIVIL,
    CIVIL_DEAD,
    CIVIL_STATUS,
    DEAD,
    NAME_AND_ADDRESS,
    NO_FIXED_ADDRESS_ROAD,
    OTHER_STATUS,
    PARENTS,
    PERSON,
    PRIVATE,
    PROTECTION,
    RESIDENT,
    SOURCE,
    UNKNOWN_COUNTRY,
    WITH_PARTNER,
)
from eventfilter.core.facts import Group, Person
from eventfilter.core.snapshots import CARRIED, Snapshot

_PNR = re.compile(r"^[0-9A-Za-z-]{10}$")  # ten characters: a CPR number (the samples: DK-0000001)
_DIGITS = re.compile(r"^[0-9]+$")
_FOUR_DIGITS = re.compile(r"^[0-9]{4}$")


class Unreadable(ValueError):
    """A field of a record that cannot be read: the sentence names it."""


@dataclass
class Record:
    line: int
    text: str

    @property
    def kind(self) -> str:
        return self.text[:3]

    def field(self, name: str, start: int, end: int) -> str:
        if len(self.text) < end and not self.text[start:end].strip():
            return ""
        return self.text[start:end].strip()

    def need(self, name: str, start: int, end: int) -> str:
        value = self.field(name, start, end)
        if not value:
            cut = len(self.text) < end
            why = "is cut short" if cut else "is blank"
            raise Unreadable(f"Field {name!r} ({self.where(start, end)}) {why}.")
        return value

    def day(self, name: str, start: int, end: int, required: bool = True) -> date | None:
        value = self.need(name, start, end) if required else self.field(name, start, end)
        if not value:
            return None
        try:
            if end - start == 10:  # YYYY-MM-DD
                return date.fromisoformat(value)
            if end - start == 8:  # YYYYMMDD
                return datetime.strptime(value, "%Y%m%d").date()
            return datetime.strptime(value, "%Y%m%d%H%M").date()  # YYYYMMDDHHMM
        except ValueError:
            raise Unreadable(f"Field {name!r} ({self.where(start, end)}) is not a date: {value!r}.") from None

    def pnr(self, name: str, start: int, end: int, required: bool = True) -> str | None:
        value = self.need(name, start, end) if required else self.field(name, start, end)
        if not value:
            return None
        if not _PNR.match(value):
            raise Unreadable(f"Field {name!r} ({self.where(start, end)}) is not a personal number.")
        return value

    def where(self, start: int, end: int) -> str:
        return f"record {self.kind} on line {self.line}, positions {start + 1}–{end}"


@dataclass
class PersonRecords:
    first: Record
    records: list[Record] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # lines that cannot be read at all

    def shown(self) -> str:
        lines = []
        for r in [self.first, *self.records]:
            lines.append(r.text[:13] + " …" if r.kind in PRIVATE else r.text)
        return "\n".join(lines)


def person_snapshot(
    lines: list[str], effective: date, source: str = SOURCE, recorded_at: str | None = None
) -> Snapshot:
    """One person's records (a message's payload) as a snapshot taking effect on
    `effective`; raises `ValueError` with one sentence naming the field."""
    records = [Record(n, line.rstrip("\r")) for n, line in enumerate(lines, start=1) if line.strip()]
    if not records or records[0].kind != PERSON:
        raise Unreadable("The records do not begin with a person record (001).")
    person = PersonRecords(records[0], records[1:])
    for r in records:
        if any(ord(c) < 0x20 for c in r.text):
            raise Unreadable(f"Line {r.line} of the records holds control characters.")
    snap = SnapshotParser(effective, {}).parse(person)
    return Snapshot(
        snap.person,
        source,
        snap.effective_date,
        recorded_at,
        snap.carried,
        snap.withdrawn,
        snap.dates,
        snap.status,
        snap.status_date,
    )


class SnapshotParser:
    """One person's records into a snapshot, as of a production (or validity) date."""

    def __init__(self, production: date, countries: Mapping[str, str]) -> None:
        self.production = production
        self.countries = countries

    def parse(self, p: PersonRecords) -> Snapshot:
        head = p.first
        if p.problems:
            raise Unreadable(p.problems[0])
        pid = head.pnr("personal number", 3, 13)
        assert pid is not None
        current = head.pnr("current personal number", 13, 23, required=False)
        status = head.need("status", 23, 25)
        status_date = head.day("status date", 25, 37, required=False)
        born = head.day("birth date", 39, 49)
        by_kind: dict[str, Record] = {}
        for r in p.records:
            other = r.pnr("personal number", 3, 13)
            if other != pid:
                raise Unreadable(
                    f"Field 'personal number' (record {r.kind} on line {r.line}) names another person "
                    f"than the person record on line {head.line}."
                )
            if r.kind in by_kind and r.kind in (ADDRESS, PROTECTION, ABROAD_ADDRESS, CIVIL, PARENTS):
                raise Unreadable(f"Record {r.kind} is sent twice for one person (again on line {r.line}).")
            by_kind[r.kind] = r
        production = self.production
        person = Person(pid, birth_date=born)
        dates: dict[Group, date] = {}
        carried = set(CARRIED)
        other_status: str | None = None
        if status in RESIDENT:
            self._address(by_kind.get(ADDRESS), head, status, person, dates)
        elif status in ABROAD:
            self._abroad(by_kind.get(ABROAD_ADDRESS), person, dates, status_date)
        elif status == DEAD:
            person.alive = False
            dates[Group.ALIVE] = status_date or production
            carried = {Group.ALIVE}
        elif status in OTHER_STATUS:
            other_status = OTHER_STATUS[status]
            carried = set()
        else:
            raise Unreadable(f"Field 'status' (record 001) has an unknown code {status!r}.")
        if current and current != pid and status != "60":
            raise Unreadable(
                "Field 'current personal number' (record 001) names another person, "
                "but the status is not 60 (personal number changed)."
            )
        civil = by_kind.get(CIVIL)
        if civil is None:
            carried.discard(Group.MARITAL)  # not sent: nothing said about it
        elif Group.MARITAL in carried or civil.field("civil status", 13, 14) == CIVIL_DEAD:
            self._civil(civil, person, dates, carried)
        if Group.PROTECTED in carried:
            self._protection(by_kind.get(PROTECTION), person, dates, production)
        parents = by_kind.get(PARENTS)
        if parents is not None:
            ids = [
                parents.pnr("mother's personal number", 24, 34, False),
                parents.pnr("father's personal number", 90, 100, False),
            ]
            person.parent_ids = tuple(i for i in ids if i)
        return Snapshot(
            person,
            SOURCE,
            production,
            carried=frozenset(carried),
            dates=dates,
            status=other_status,
            status_date=status_date if other_status else None,
        )

    def _address(
        self, rec: Record | None, head: Record, status: str, person: Person, dates: dict[Group, date]
    ) -> None:
        if rec is None:
            raise Unreadable(
                f"Field 'status' (record 001) is {status}, resident, "
                "but the person has no address record (002)."
            )
        municipality = rec.need("municipality code", 13, 17)
        road = rec.need("road code", 17, 21)
        for name, value in (("municipality code", municipality), ("road code", road)):
            if not _FOUR_DIGITS.match(value):
                raise Unreadable(
                    f"Field {name!r} (record 002 on line {rec.line}) is not four digits: "
                    f"{value!r} (the line may be cut short)."
                )
        code = str(int(municipality)).zfill(3)
        person.municipality_code = code
        person.country = RESIDENT[status]
        if int(road) >= NO_FIXED_ADDRESS_ROAD:
            person.address_id = None  # registered without fixed address in the municipality
        else:
            house = rec.need("house number", 21, 25)
            floor, door = rec.field("floor", 25, 27), rec.field("door", 27, 31)
            parts = [code, road, house.replace(" ", "")]
            if floor or door:
                parts += [floor, door]
            person.address_id = "-".join(parts)
        moved = rec.day("moving-in date", 69, 81, required=False)
        if moved is not None:
            dates[Group.ADDRESS] = moved

    def _abroad(
        self, rec: Record | None, person: Person, dates: dict[Group, date], status_date: date | None
    ) -> None:
        person.address_id = person.municipality_code = None
        person.country = UNKNOWN_COUNTRY
        if rec is not None:
            code = rec.need("country code", 13, 17)
            if re.match(r"^[A-Z]{2}$", code):
                person.country = code
            else:
                person.country = self.countries.get(code, UNKNOWN_COUNTRY)
            left = rec.day("departure date", 17, 29, required=False)
            if left is not None:
                dates[Group.ADDRESS] = left
        if Group.ADDRESS not in dates and status_date is not None:
            dates[Group.ADDRESS] = status_date

    def _civil(self, rec: Record, person: Person, dates: dict[Group, date], carried: set[Group]) -> None:
        code = rec.need("civil status", 13, 14)
        since = rec.day("civil status date", 70, 82, required=False)
        if code == CIVIL_DEAD:
            person.alive = False
            carried.discard(Group.MARITAL)
            carried.add(Group.ALIVE)
            dates.setdefault(Group.ALIVE, since or self.production)
            return
        status = CIVIL_STATUS.get(code)
        if status is None:
            raise Unreadable(
                f"Field 'civil status' (record 012 on line {rec.line}) has an unknown code {code!r}."
            )
        person.marital_status = status
        person.partner_id = (
            rec.pnr("spouse's personal number", 14, 24, required=False) if code in WITH_PARTNER else None
        )
        if since is not None:
            dates[Group.MARITAL] = since

    def _protection(
        self, rec: Record | None, person: Person, dates: dict[Group, date], production: date
    ) -> None:
        if rec is None:
            return
        kind = rec.need("protection type", 13, 17)
        start = rec.day("protection start date", 17, 27)
        end = rec.day("protection end date", 27, 37, required=False)
        assert start is not None
        if kind != NAME_AND_ADDRESS:
            return
        if start <= production and (end is None or end > production):
            person.protected_address = True
            dates[Group.PROTECTED] = start
        elif end is not None and end <= production:
            dates[Group.PROTECTED] = end
