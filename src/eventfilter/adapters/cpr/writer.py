"""Writing CPR change extracts: the generator's sample files and the tests' own extracts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from eventfilter.adapters.cpr.layout import (
    ABROAD,
    ABROAD_ADDRESS,
    ADDRESS,
    CIVIL,
    CIVIL_DEAD,
    DEAD,
    ENCODING,
    END,
    NAME_AND_ADDRESS,
    PARENTS,
    PERSON,
    PROTECTION,
    RESIDENT,
    START,
    WITH_PARTNER,
)
from eventfilter.core.facts import Person


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
