"""Navet change notifications (Skatteverket): XML, one whole `Personpost` per
person whenever any field the municipality ordered changed.

The elements eventfilter reads (namespaces ignored; every other element is
read past, and addresses in words, `Adresser`, are never read or shown):

    Navetavisering/Folkbokforingsposter/Folkbokforingspost
      Sekretessmarkering, SkyddadFolkbokforing   J: the address is protected
      Personpost
        PersonId/PersonNr                        the person
        Fodelsedatum                             YYYYMMDD
        Folkbokforing
          Folkbokforingsdatum                    YYYYMMDD: since when registered there
          LanKod, KommunKod                      county and municipality: "14" + "80" → "1480"
          Fastighetsbeteckning, Lagenhetsnummer  the dwelling (none: registered in the
                                                 municipality without a known dwelling)
        Avregistrering
          AvregistreringsorsakKod                AV deceased, UV emigrated; OB (missing),
                                                 AN (annulled), TA (technical), GN/GS (number
                                                 changed): register statuses the rules do not
                                                 read, an event of that type
          Avregistreringsdatum                   YYYYMMDD
          Land                                   ISO 3166 alpha-2, for UV (none: "ZZ")
        Civilstand/CivilstandKod                 OG unmarried, G married, S divorced,
                                                 Ä widowed, RP registered partnership,
                                                 SP divorced partner, EP surviving partner
        Civilstand/CivilstandDatum               YYYYMMDD
        Relationer/Relation
          RelationstypKod                        M spouse or partner, MO mother, FA father, B child
          Id/PersonNr, Datum                     the related person, the relation's date
          Status                                 RD corrected, AN annulled: the relation was
                                                 registered in error, and the event that set
                                                 it is withdrawn (a correction)
    Navetavisering/Aviseringsdatum               YYYYMMDD: when the notification was sent, the
                                                 date of a change without a date of its own
                                                 (the protection flag)

A post that cannot be read is a dead letter with its number and the field;
the posts before and after it are read. A file that stops being well-formed
XML is read up to that point, and the rest is one dead letter. A document
type declaration (entities) is refused before anything is expanded.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import IO
from xml.etree.ElementTree import Element, tostring

from eventfilter.adapters.files import open_input
from eventfilter.adapters.xmlsafe import XmlRefused, child, children, iter_elements, local, text
from eventfilter.core.facts import Group, Person
from eventfilter.core.snapshots import CARRIED, CHILD, PARENT, PARTNER, Snapshot, Withdrawn
from eventfilter.errors import InputError
from eventfilter.formats.patterns import fitted
from eventfilter.records import SnapshotRead

SOURCE = "navet"
UNKNOWN_COUNTRY = "ZZ"
CIVIL_STATUS = {
    "OG": "unmarried",
    "G": "married",
    "S": "divorced",
    "Ä": "widowed",
    "RP": "registered_partnership",
    "SP": "divorced",
    "EP": "widowed",
}
WITH_PARTNER = frozenset({"G", "RP"})
DECEASED, EMIGRATED = "AV", "UV"
OTHER_STATUS = {
    "OB": "disappeared",
    "AN": "personal_number_annulled",
    "TA": "technically_deregistered",
    "GN": "personal_number_changed",
    "GS": "personal_number_changed",
}
RELATION = {"M": PARTNER, "MO": PARENT, "FA": PARENT, "B": CHILD}
WITHDRAWN = frozenset({"RD", "AN"})
_PNR = re.compile(r"^[0-9A-Za-z-]{1,64}$")
_PRIVATE = frozenset({"Adresser", "Fastighetsbeteckning", "Lagenhetsnummer", "Namn"})


class Unreadable(Exception):
    pass


class NavetFile:
    """One Navet notification file: its posts as they are read."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.name = fitted(path)  # what runs, dead letters and the extracts' chain keep
        self.bytes_read = 0
        try:
            self.total_bytes: int | None = Path(path).stat().st_size
            with open(path, "rb") as f:
                head = f.read(4096)
        except FileNotFoundError:
            raise InputError(f"The file {path} does not exist.") from None
        except OSError as exc:
            raise InputError(f"The file {path} cannot be read: {exc.strerror}.") from None
        if b"<" not in head:
            raise InputError(f"The file {path} is not a Navet notification: it holds no XML.")

    def __iter__(self) -> Iterator[SnapshotRead]:
        with open_input(self.path) as stream:
            for read in self._read(_Counting(stream, self)):
                yield replace(read, file=self.name)

    def _read(self, stream: _Counting) -> Iterator[SnapshotRead]:
        n = 0
        sent: date | None = None  # the notification's date: for facts without a date of their own
        try:
            for e in iter_elements(stream, "Folkbokforingspost", "Aviseringsdatum"):
                if local(e.tag) == "Aviseringsdatum":
                    try:
                        sent = _day(e, None)
                    except Unreadable:
                        sent = None
                    continue
                n += 1
                yield read_post(e, f"post {n}", sent=sent)
        except XmlRefused as exc:
            yield SnapshotRead(f"post {n + 1}", "", error=str(exc))


class _Counting:
    """A stream that counts what is read (for the progress bar)."""

    def __init__(self, inner: IO[bytes], owner: NavetFile) -> None:
        self.inner, self.owner = inner, owner

    def read(self, size: int = -1) -> bytes:
        data = self.inner.read(size)
        self.owner.bytes_read += len(data)
        return data


def read_post(
    post: Element, position: str, message_id: str | None = None, sent: date | None = None
) -> SnapshotRead:
    shown = shown_text(post)
    try:
        snap = _snapshot(post, sent)
    except Unreadable as exc:
        return SnapshotRead(position, shown, error=str(exc), message_id=message_id)
    return SnapshotRead(position, shown, snap, message_id=message_id)


def shown_text(post: Element) -> str:
    """The post as a dead letter keeps it: without addresses, dwellings or names."""
    copy = _without_private(post)
    return tostring(copy, encoding="unicode")


def _without_private(e: Element) -> Element:
    out = Element(e.tag, dict(e.attrib))
    out.text = e.text
    for c in e:
        if local(c.tag) in _PRIVATE:
            hidden = Element(c.tag)
            hidden.text = "***"
            hidden.tail = c.tail
            out.append(hidden)
        else:
            kept = _without_private(c)
            kept.tail = c.tail
            out.append(kept)
    return out


def _day(e: Element | None, name: str | None, required: bool = False) -> date | None:
    value = text(e, name)
    if value is None:
        if required:
            raise Unreadable(f"Field {name!r} is missing.")
        return None
    try:
        return datetime.strptime(value, "%Y%m%d").date()
    except ValueError:
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise Unreadable(f"Field {name!r} is not a date: {value[:40]!r}.") from None


def _pnr(e: Element | None, what: str) -> str:
    value = text(e, "PersonNr") if e is not None else None
    if value is None or not _PNR.match(value):
        raise Unreadable(f"Field {what + '/PersonNr'!r} is missing or not a personal number.")
    return value


@dataclass
class _Facts:
    person: Person
    dates: dict[Group, date] = field(default_factory=dict)
    carried: set[Group] = field(default_factory=lambda: set(CARRIED))
    status: str | None = None
    status_date: date | None = None


def _snapshot(post: Element, sent: date | None = None) -> Snapshot:
    pp = child(post, "Personpost")
    if pp is None:
        raise Unreadable("Field 'Personpost' is missing.")
    pid = _pnr(child(pp, "PersonId"), "PersonId")
    f = _Facts(Person(pid, birth_date=_day(pp, "Fodelsedatum")))
    off = child(pp, "Avregistrering")
    if off is not None:
        _deregistration(off, f)
    else:
        _registration(pp, f.person, f.dates)
    civil = child(pp, "Civilstand")
    code = _civil(civil, f)
    withdrawn, partner, parents = _relations(child(pp, "Relationer"))
    if f.person.marital_status is not None:
        f.person.partner_id = partner if code in WITH_PARTNER else None
    f.person.parent_ids = tuple(parents)
    f.person.protected_address = any(
        text(post, name) == "J" for name in ("Sekretessmarkering", "SkyddadFolkbokforing")
    )
    effective = sent or max(f.dates.values(), default=None) or f.status_date or _required_date(None)
    return Snapshot(
        f.person,
        SOURCE,
        effective,
        carried=frozenset(f.carried),
        withdrawn=tuple(withdrawn),
        dates=f.dates,
        status=f.status,
        status_date=f.status_date,
    )


def _deregistration(off: Element, f: _Facts) -> None:
    reason = text(off, "AvregistreringsorsakKod")
    if reason is None:
        raise Unreadable("Field 'Avregistrering/AvregistreringsorsakKod' is missing.")
    left = _day(off, "Avregistreringsdatum")
    if reason == DECEASED:
        f.person.alive = False
        f.dates[Group.ALIVE] = _required_date(left)
        f.carried = {Group.ALIVE}
    elif reason == EMIGRATED:
        country = text(off, "Land") or UNKNOWN_COUNTRY
        if not re.match(r"^[A-Z]{2}$", country):
            raise Unreadable("Field 'Avregistrering/Land' is not an ISO 3166 alpha-2 country code.")
        f.person.country = country
        if left is not None:
            f.dates[Group.ADDRESS] = left
    elif reason in OTHER_STATUS:
        f.status, f.status_date, f.carried = OTHER_STATUS[reason], left, set()
    else:
        raise Unreadable(f"Field 'Avregistrering/AvregistreringsorsakKod' has an unknown code {reason!r}.")


def _civil(civil: Element | None, f: _Facts) -> str | None:
    if civil is None:
        f.carried.discard(Group.MARITAL)
        return None
    if Group.MARITAL not in f.carried:
        return None
    code = text(civil, "CivilstandKod")
    if code not in CIVIL_STATUS:
        raise Unreadable(f"Field 'Civilstand/CivilstandKod' has an unknown code {code!r}.")
    f.person.marital_status = CIVIL_STATUS[code]
    since = _day(civil, "CivilstandDatum")
    if since is not None:
        f.dates[Group.MARITAL] = since
    return code


def _relations(relations: Element | None) -> tuple[list[Withdrawn], str | None, list[str]]:
    withdrawn: list[Withdrawn] = []
    parents: list[str] = []
    partner: str | None = None
    for rel in children(relations, "Relation") if relations is not None else []:
        kind = RELATION.get(text(rel, "RelationstypKod") or "")
        if kind is None:
            continue  # guardians and others: the rules do not read them
        other = _pnr(child(rel, "Id"), "Relation/Id")
        if text(rel, "Status") in WITHDRAWN:
            withdrawn.append(Withdrawn(kind, other, _day(rel, "Datum")))
        elif kind == PARTNER:
            partner = other
        elif kind == PARENT:
            parents.append(other)
    return withdrawn, partner, parents


def _ascii_digits(text: str) -> bool:
    """0-9 only: `isdigit` alone also takes other scripts' digits (١٤)."""
    return text.isascii() and text.isdigit()


def _registration(pp: Element, person: Person, dates: dict[Group, date]) -> None:
    reg = child(pp, "Folkbokforing")
    if reg is None:
        raise Unreadable("Field 'Folkbokforing' is missing (and the person is not deregistered).")
    county, municipality = text(reg, "LanKod"), text(reg, "KommunKod")
    if county is None or municipality is None or not _ascii_digits(county + municipality):
        raise Unreadable("Field 'Folkbokforing/LanKod' or 'KommunKod' is missing or not a number.")
    code = county.zfill(2) + municipality.zfill(2)
    person.municipality_code, person.country = code, "SE"
    estate, flat = text(reg, "Fastighetsbeteckning"), text(reg, "Lagenhetsnummer")
    person.address_id = None if estate is None else "-".join(p for p in (code, estate, flat) if p)
    since = _day(reg, "Folkbokforingsdatum", required=True)
    assert since is not None
    dates[Group.ADDRESS] = since


def _required_date(day: date | None) -> date:
    if day is None:
        raise Unreadable("The post gives no date for its change (Folkbokforingsdatum, Avregistreringsdatum).")
    return day
