"""Writing Navet notifications: the generator's sample files and the tests' own."""

from __future__ import annotations

from datetime import date
from xml.etree.ElementTree import Element, tostring

from eventfilter.adapters.navet.reader import (
    DECEASED,
    EMIGRATED,
    UNKNOWN_COUNTRY,
)
from eventfilter.core.facts import Person
from eventfilter.core.snapshots import CHILD, PARENT, PARTNER, Withdrawn

_CIVIL_CODE = {
    "unmarried": "OG",
    "married": "G",
    "divorced": "S",
    "widowed": "Ä",
    "registered_partnership": "RP",
}


REGISTERED_LONG_AGO = date(2000, 1, 1)  # for a person whose registration date is not known


def _ymd(day: date | None) -> str:
    return day.strftime("%Y%m%d") if day else ""


def _el(parent: Element, name: str, value: str | None = None) -> Element:
    e = Element(name)
    if value is not None:
        e.text = value
    parent.append(e)
    return e


def post_element(
    person: Person,
    registered: date | None = None,
    civil_since: date | None = None,
    left: date | None = None,
    withdrawn: tuple[Withdrawn, ...] = (),
) -> Element:
    """One `Folkbokforingspost` saying what the register holds for `person`."""
    post = Element("Folkbokforingspost")
    _el(post, "Sekretessmarkering", "J" if person.protected_address else "N")
    pp = _el(post, "Personpost")
    _el(_el(pp, "PersonId"), "PersonNr", person.person_id)
    if person.birth_date:
        _el(pp, "Fodelsedatum", _ymd(person.birth_date))
    if not person.alive:
        off = _el(pp, "Avregistrering")
        _el(off, "AvregistreringsorsakKod", DECEASED)
        _el(off, "Avregistreringsdatum", _ymd(left))
    elif person.country != "SE":
        off = _el(pp, "Avregistrering")
        _el(off, "AvregistreringsorsakKod", EMIGRATED)
        _el(off, "Avregistreringsdatum", _ymd(left))
        _el(off, "Land", person.country or UNKNOWN_COUNTRY)
    else:
        reg = _el(pp, "Folkbokforing")
        _el(reg, "Folkbokforingsdatum", _ymd(registered or REGISTERED_LONG_AGO))
        code = person.municipality_code or "0000"
        _el(reg, "LanKod", code[:2])
        _el(reg, "KommunKod", code[2:])
        if person.address_id:
            parts = person.address_id.split("-", 2)[1:]
            _el(reg, "Fastighetsbeteckning", parts[0])
            if len(parts) > 1:
                _el(reg, "Lagenhetsnummer", parts[1])
    if person.marital_status:
        civil = _el(pp, "Civilstand")
        _el(civil, "CivilstandKod", _CIVIL_CODE.get(person.marital_status, "OG"))
        if civil_since:
            _el(civil, "CivilstandDatum", _ymd(civil_since))
    relations = _relations_element(person, civil_since, withdrawn)
    if len(relations):
        pp.append(relations)
    return post


def _relations_element(person: Person, civil_since: date | None, withdrawn: tuple[Withdrawn, ...]) -> Element:
    relations = Element("Relationer")
    if person.partner_id:
        rel = _el(relations, "Relation")
        _el(rel, "RelationstypKod", "M")
        _el(_el(rel, "Id"), "PersonNr", person.partner_id)
        if civil_since:
            _el(rel, "Datum", _ymd(civil_since))
    for kind, parent in zip(("MO", "FA"), person.parent_ids, strict=False):
        rel = _el(relations, "Relation")
        _el(rel, "RelationstypKod", kind)
        _el(_el(rel, "Id"), "PersonNr", parent)
    for w in withdrawn:
        rel = _el(relations, "Relation")
        code = {PARTNER: "M", PARENT: "MO", CHILD: "B"}[w.kind]
        _el(rel, "RelationstypKod", code)
        _el(_el(rel, "Id"), "PersonNr", w.other)
        if w.since:
            _el(rel, "Datum", _ymd(w.since))
        _el(rel, "Status", "AN")
    return relations


def notification(posts: list[Element], sent: date | None = None) -> bytes:
    """A whole notification file, UTF-8."""
    root = Element("Navetavisering")
    if sent is not None:
        _el(root, "Aviseringsdatum", _ymd(sent))
    holder = _el(root, "Folkbokforingsposter")
    for post in posts:
        holder.append(post)
    body = bytes(tostring(root, encoding="utf-8", xml_declaration=False))
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body + b"\n"
