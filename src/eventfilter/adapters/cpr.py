"""The CPR change extract: ISO-8859-1 fixed-width records, one snapshot per changed person.

A municipality's CPR subscription delivers a file a day. It opens with a
start record (000) and closes with an end record (999); between them, for
every person something changed for, the person record (001, always sent) and
the person's current records of the other types. The receiver replaces what
it held and works out itself what changed (`core.snapshots.diff`).

The fields eventfilter reads, by record type, as [from, to) character
positions counted from 0 (the public descriptions of the extract count from
1); every other record type, and every other field, is read past:

    000 start       3–26 sort key, 26–32 task number, 32–40 production date
                    (YYYYMMDD), 40–48 the previous extract's production date
                    (blank for a subscription's first file)
    001 person      3–13 personal number, 13–23 current personal number,
                    23–25 status, 25–37 status date (YYYYMMDDHHMM), 38 sex,
                    39–49 birth date (YYYY-MM-DD)
    002 address     3–13 pnr, 13–17 municipality code, 17–21 road code,
                    21–25 house number, 25–27 floor, 27–31 door,
                    31–35 building number, 69–81 moving-in date (YYYYMMDDHHMM)
    004 protection  3–13 pnr, 13–17 protection type (0001: name and address),
                    17–27 start date, 27–37 end date (YYYY-MM-DD, blank: none)
    005 abroad      3–13 pnr, 13–17 country code, 17–29 departure date (YYYYMMDDHHMM)
    012 civil status 3–13 pnr, 13 code, 14–24 spouse's pnr, 70–82 date (YYYYMMDDHHMM)
    015 parents     3–13 pnr, 13–23 mother's date, 24–34 mother's pnr,
                    79–89 father's date, 90–100 father's pnr
    999 end         3–11 number of records between the start and the end record

The codes the rules need:

- status 01 (resident, with an address), 03 (resident, road code 9900 and
  above: registered without fixed address in the municipality, and paid as
  any resident), 05/07 (resident in Greenland), 20 and 80 (abroad: the
  country from record 005), 90 (dead); 70 (disappeared), 30 (annulled),
  50 (deleted) and 60 (personal number changed) are register statuses the
  rules do not read: an event of that type, decided as unknown (review);
- civil status U unmarried, G married, F divorced, E widowed,
  P registered partnership, O dissolved partnership (divorced),
  L surviving partner (widowed), D dead (a death also arrives this way);
- protection type 0001 in force on the production date.

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

import hashlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import IO

from eventfilter.core.facts import Group, Person
from eventfilter.core.snapshots import CARRIED, Snapshot
from eventfilter.errors import InputError
from eventfilter.records import Extract, SnapshotRead

SOURCE = "cpr"
ENCODING = "iso-8859-1"
NO_FIXED_ADDRESS_ROAD = 9900  # road codes from here on: registered without fixed address
UNKNOWN_COUNTRY = "ZZ"  # abroad, the country not known (a code not in the table)

RESIDENT = {"01": "DK", "03": "DK", "05": "GL", "07": "GL"}
ABROAD = frozenset({"20", "80"})
DEAD = "90"
# statuses the rules do not read: an event of this type (decided as unknown)
OTHER_STATUS = {
    "70": "disappeared",
    "30": "cpr_number_annulled",
    "50": "cpr_number_deleted",
    "60": "cpr_number_changed",
}
CIVIL_STATUS = {
    "U": "unmarried",
    "G": "married",
    "F": "divorced",
    "E": "widowed",
    "P": "registered_partnership",
    "O": "divorced",
    "L": "widowed",
}
CIVIL_DEAD = "D"
WITH_PARTNER = frozenset({"G", "P"})
NAME_AND_ADDRESS = "0001"

START, PERSON, ADDRESS, PROTECTION, ABROAD_ADDRESS, CIVIL, PARENTS, END = (
    "000",
    "001",
    "002",
    "004",
    "005",
    "012",
    "015",
    "999",
)
# record types whose content is an address or a name: never shown in a dead letter
_PRIVATE = frozenset({ADDRESS, ABROAD_ADDRESS, "003", "008", "009"})
_PNR = re.compile(r"^[0-9A-Za-z-]{10}$")  # ten characters: a CPR number (the samples: DK-0000001)
_DIGITS = re.compile(r"^[0-9]+$")
_FOUR_DIGITS = re.compile(r"^[0-9]{4}$")


class Unreadable(ValueError):
    """A field of a record that cannot be read: the sentence names it."""


@dataclass
class _Rec:
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
class _Person:
    first: _Rec
    records: list[_Rec] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # lines that cannot be read at all

    def shown(self) -> str:
        lines = []
        for r in [self.first, *self.records]:
            lines.append(r.text[:13] + " …" if r.kind in _PRIVATE else r.text)
        return "\n".join(lines)


class CprExtract:
    """One CPR change extract file: its header at once, its persons as they are read."""

    def __init__(self, path: str, countries: Mapping[str, str] | None = None) -> None:
        self.path = path
        self.name = path
        self.countries = dict(countries or {})
        self.bytes_read = 0
        self.complete = False  # the end record was read and its count agreed
        try:
            self.total_bytes: int | None = Path(path).stat().st_size
            data = Path(path).read_bytes()
        except FileNotFoundError:
            raise InputError(f"The file {path} does not exist.") from None
        except OSError as exc:
            raise InputError(f"The file {path} cannot be read: {exc.strerror}.") from None
        self._digest = hashlib.sha256(data).hexdigest()
        first = data.split(b"\n", 1)[0].rstrip(b"\r").decode(ENCODING)
        if not first.startswith(START):
            raise InputError(
                f"The file {path} is not a CPR extract: its first line is not a start record (000)."
            )
        head = _Rec(1, first)
        try:
            production = head.day("production date", 32, 40)
            previous = head.day("previous production date", 40, 48, required=False)
        except Unreadable as exc:
            raise InputError(f"The file {path} is not a CPR extract: {exc}") from None
        assert production is not None
        self.header = Extract(SOURCE, path, production, previous, self._digest)

    def __iter__(self) -> Iterator[SnapshotRead]:
        try:
            stream: IO[bytes] = open(self.path, "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise InputError(f"The file {self.path} cannot be read: {exc.strerror}.") from None
        with stream:
            for read in self._read(stream):
                yield replace(read, file=self.name)

    def _read(self, stream: IO[bytes]) -> Iterator[SnapshotRead]:
        current: _Person | None = None
        count = 0
        for lineno, read in enumerate(stream, start=1):
            self.bytes_read += len(read)
            raw = read.rstrip(b"\r\n")
            if not raw.strip() or lineno == 1:
                continue
            text, problem = _decode(raw, lineno)
            rec = _Rec(lineno, text)
            if rec.kind == END:
                if current is not None:
                    yield self._snapshot(current)
                    current = None
                self.complete = self._end(rec, count)
                if not self.complete:
                    yield SnapshotRead(
                        str(lineno),
                        text,
                        error=f"Field 'record count' (record 999) says "
                        f"{rec.text[3:11].strip()!r}, but the file holds {count} records.",
                    )
                return
            count += 1
            if rec.kind == PERSON:
                if current is not None:
                    yield self._snapshot(current)
                current = _Person(rec)
                if problem:
                    current.problems.append(problem)
                continue
            if current is None:
                shown = text[:13] + " …" if rec.kind in _PRIVATE else text
                yield SnapshotRead(
                    str(lineno),
                    shown,
                    error=f"Record {rec.kind!r} comes before any person record (001).",
                )
                continue
            current.records.append(rec)
            if problem:
                current.problems.append(problem)
        if current is not None:
            yield SnapshotRead(
                str(current.first.line),
                current.shown(),
                error="The file ends without its end record (999), "
                "so this person's records may be cut short.",
            )

    def _end(self, rec: _Rec, count: int) -> bool:
        value = rec.field("record count", 3, 11)
        return bool(_DIGITS.match(value)) and int(value) == count

    def _snapshot(self, p: _Person) -> SnapshotRead:
        position = str(p.first.line)
        try:
            snap = _Parser(self.header.production, self.countries).parse(p)
        except Unreadable as exc:
            return SnapshotRead(position, p.shown(), error=str(exc))
        return SnapshotRead(position, p.shown(), snap)


def person_snapshot(
    lines: list[str], effective: date, source: str = SOURCE, recorded_at: str | None = None
) -> Snapshot:
    """One person's records (a message's payload) as a snapshot taking effect on
    `effective`; raises `ValueError` with one sentence naming the field."""
    records = [_Rec(n, line.rstrip("\r")) for n, line in enumerate(lines, start=1) if line.strip()]
    if not records or records[0].kind != PERSON:
        raise Unreadable("The records do not begin with a person record (001).")
    person = _Person(records[0], records[1:])
    for r in records:
        if any(ord(c) < 0x20 for c in r.text):
            raise Unreadable(f"Line {r.line} of the records holds control characters.")
    snap = _Parser(effective, {}).parse(person)
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


class _Parser:
    """One person's records into a snapshot, as of a production (or validity) date."""

    def __init__(self, production: date, countries: Mapping[str, str]) -> None:
        self.production = production
        self.countries = countries

    def parse(self, p: _Person) -> Snapshot:
        head = p.first
        if p.problems:
            raise Unreadable(p.problems[0])
        pid = head.pnr("personal number", 3, 13)
        assert pid is not None
        current = head.pnr("current personal number", 13, 23, required=False)
        status = head.need("status", 23, 25)
        status_date = head.day("status date", 25, 37, required=False)
        born = head.day("birth date", 39, 49)
        by_kind: dict[str, _Rec] = {}
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
        self, rec: _Rec | None, head: _Rec, status: str, person: Person, dates: dict[Group, date]
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
        self, rec: _Rec | None, person: Person, dates: dict[Group, date], status_date: date | None
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

    def _civil(self, rec: _Rec, person: Person, dates: dict[Group, date], carried: set[Group]) -> None:
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
        self, rec: _Rec | None, person: Person, dates: dict[Group, date], production: date
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


def _decode(raw: bytes, lineno: int) -> tuple[str, str | None]:
    """The line as ISO-8859-1 text, and what is wrong with its encoding, if anything:
    a line that is valid UTF-8 with non-ASCII characters was written in the wrong
    encoding (its fixed positions have shifted)."""
    text = raw.decode(ENCODING)
    if any(b >= 0x80 for b in raw):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            return text, None
        return (
            text,
            f"Line {lineno} is written in UTF-8, not ISO-8859-1 (its fields are out of place).",
        )
    if any(ord(c) < 0x20 for c in text):
        return text, f"Line {lineno} holds control characters."
    return text, None


# -- writing (the generator's sample files, the tests' own extracts) ----------------------------
@dataclass
class CprPerson:
    """What one person's records in an extract say."""

    person: Person
    status: str = "01"  # derived from the person when None: see `status_of`
    status_date: date | None = None
    moved: date | None = None  # the address's moving-in (or departure) date
    civil_since: date | None = None
    protected_since: date | None = None
    protection_ended: date | None = None  # a protection that ended: its record, with the end date


def status_of(person: Person) -> str:
    if not person.alive:
        return DEAD
    if person.country == "DK":
        return "03" if person.address_id is None else "01"
    if person.country == "GL":
        return "07" if person.address_id is None else "05"
    return "80"


_CIVIL_CODE = {
    "unmarried": "U",
    "married": "G",
    "divorced": "F",
    "widowed": "E",
    "registered_partnership": "P",
}


def _put(line: list[str], start: int, value: str) -> None:
    for i, ch in enumerate(value):
        line[start + i] = ch


def _record(kind: str, pnr: str, width: int, fields: list[tuple[int, str]]) -> str:
    line = [" "] * width
    _put(line, 0, kind)
    _put(line, 3, pnr.ljust(10)[:10])
    for start, value in fields:
        _put(line, start, value)
    return "".join(line).rstrip()


def _stamp(day: date | None) -> str:
    return day.strftime("%Y%m%d") + "0000" if day else ""


def person_records(c: CprPerson) -> list[str]:
    """The records of one person, as the extract sends them."""
    p = c.person
    pid = p.person_id
    born = p.birth_date.isoformat() if p.birth_date else ""
    status = c.status
    out = [_record(PERSON, pid, 49, [(23, status), (25, _stamp(c.status_date)), (38, "M"), (39, born)])]
    if status in RESIDENT:
        municipality = (p.municipality_code or "0").zfill(4)
        if p.address_id is None:
            road, house, floor, door = "9901", "", "", ""
        else:
            parts = p.address_id.split("-")
            road, house = parts[1], parts[2]
            floor, door = (parts[3], parts[4]) if len(parts) == 5 else ("", "")
        out.append(
            _record(
                ADDRESS,
                pid,
                81,
                [
                    (13, municipality),
                    (17, road),
                    (21, house.rjust(4)),
                    (25, floor),
                    (27, door),
                    (69, _stamp(c.moved)),
                ],
            )
        )
    elif status in ABROAD:
        out.append(
            _record(ABROAD_ADDRESS, pid, 29, [(13, (p.country or "").ljust(4)), (17, _stamp(c.moved))])
        )
    if p.protected_address:
        since = (c.protected_since or date(2000, 1, 1)).isoformat()
        out.append(_record(PROTECTION, pid, 37, [(13, NAME_AND_ADDRESS), (17, since)]))
    elif c.protection_ended is not None:
        fields = [(13, NAME_AND_ADDRESS), (17, "2000-01-01"), (27, c.protection_ended.isoformat())]
        out.append(_record(PROTECTION, pid, 37, fields))
    if status == DEAD:
        out.append(_record(CIVIL, pid, 82, [(13, CIVIL_DEAD), (70, _stamp(c.status_date))]))
    elif p.marital_status is not None:
        code = _CIVIL_CODE.get(p.marital_status, "U")
        partner = p.partner_id if code in WITH_PARTNER and p.partner_id else ""
        out.append(_record(CIVIL, pid, 82, [(13, code), (14, partner), (70, _stamp(c.civil_since))]))
    if p.parent_ids:
        mother = p.parent_ids[0]
        father = p.parent_ids[1] if len(p.parent_ids) > 1 else ""
        out.append(_record(PARENTS, pid, 100, [(24, mother), (90, father)]))
    return out


def extract_text(
    production: date, previous: date | None, persons: list[CprPerson], task: str = "000001"
) -> bytes:
    """A whole extract file, ISO-8859-1."""
    lines = [
        _record(
            START,
            "",
            48,
            [
                (26, task),
                (32, production.strftime("%Y%m%d")),
                (40, previous.strftime("%Y%m%d") if previous else ""),
            ],
        )
    ]
    body = [r for c in persons for r in person_records(c)]
    lines += body
    lines.append(f"{END}{len(body):08d}")
    return ("\n".join(lines) + "\n").encode(ENCODING)
