"""Beskedfordeler (the Danish municipal message distributor) event envelopes:
`Haendelsesbesked` XML in the namespace `urn:oio:besked:kuvert:1.0`, over AMQP.

What eventfilter reads of an envelope (other elements are read past):

    Haendelsesbesked
      BeskedId/UUIDIdentifikator                  the message's own id: a message
                                                  delivered again is known by it
      Beskedkuvert/Filtreringsdata
        ObjektRegistrering/Registreringstidspunkt when the register recorded it
        RelateretObjekt/ObjektId                  the person: a personal number, or
                                                  `urn:oio:cpr-nr:<pnr>`
        GyldighedFra (anywhere in the envelope)   when the change took effect
      Beskeddata/CprPersonRecords                 the person's new facts: their
                                                  records in the CPR extract's layout
                                                  (001, 002, 004, 005, 012, 015), one
                                                  per line (`adapters.cpr`)

An envelope names the person and the kind of event, but only the payload
says what the person's facts are now. A message without one is a dead letter
with that reason: the register has to be asked, and eventfilter decides
nothing on a guess. A message that is not XML, declares entities, names no
person or names another person than its payload is a dead letter too.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import UTC, date, datetime
from xml.etree.ElementTree import Element

from eventfilter.adapters.cpr import SOURCE as CPR
from eventfilter.adapters.cpr import person_snapshot
from eventfilter.adapters.xmlsafe import XmlRefused, child, find, local, parse_bytes, text
from eventfilter.core.snapshots import Snapshot
from eventfilter.records import SnapshotRead

SOURCE = "beskedfordeler"
NAMESPACE = "urn:oio:besked:kuvert:1.0"
SAGDOK = "urn:oio:sagdok:3.0.0"
_CPR_URN = re.compile(r"^urn:oio:cpr-nr:", re.IGNORECASE)
_PNR = re.compile(r"^[0-9A-Za-z-]{1,10}$")


_PAYLOAD = re.compile(r"(<(?:\w+:)?Beskeddata\b[^>]*>).*?(</(?:\w+:)?Beskeddata>)", re.S)


class Refused(Exception):
    pass


def read_message(body: bytes, fallback_id: str | None = None) -> SnapshotRead:
    """The snapshot one envelope carries, or why it cannot be decided."""
    position = f"message {fallback_id}" if fallback_id else "message"
    try:
        root = parse_bytes(body)
    except XmlRefused as exc:
        return SnapshotRead(position, _shown(body), error=str(exc))
    besked_id = _besked_id(root)
    if besked_id is not None:
        position = f"message {besked_id}"
    try:
        snap = _read(root)
    except Refused as exc:
        return SnapshotRead(position, _shown(body), error=str(exc), message_id=besked_id)
    return SnapshotRead(position, _shown(body), snap, message_id=besked_id)


def _read(root: Element) -> Snapshot:
    if local(root.tag) != "Haendelsesbesked" or not root.tag.startswith("{" + NAMESPACE + "}"):
        raise Refused(f"The message is not a Haendelsesbesked in the namespace {NAMESPACE}.")
    kuvert = child(root, "Beskedkuvert")
    filters = find(root, "Beskedkuvert/Filtreringsdata") if kuvert is not None else None
    if filters is None:
        raise Refused("Field 'Beskedkuvert/Filtreringsdata' is missing.")
    person = _person(filters)
    valid = _descendant_text(root, "GyldighedFra")
    recorded = _descendant_text(filters, "Registreringstidspunkt")
    effective = _date(valid, "GyldighedFra") if valid else None
    recorded_at = _timestamp(recorded) if recorded else None
    if effective is None and recorded_at is not None:
        effective = datetime.fromisoformat(recorded_at).date()
    if effective is None:
        raise Refused(
            "Field 'GyldighedFra' (and 'Registreringstidspunkt') is missing: the change has no date."
        )
    payload = child(root, "Beskeddata")
    records = None
    if payload is not None:
        holder = next((e for e in payload.iter() if local(e.tag) == "CprPersonRecords"), None)
        records = holder.text if holder is not None else None
    if not records or not records.strip():
        raise Refused(
            f"The message names person {person} and a change, but carries no facts "
            "(Beskeddata holds no CprPersonRecords): nothing is decided on a guess; ask CPR for the person."
        )
    try:
        # the facts are CPR's: the same change by extract and by message has the same event ids
        snap = person_snapshot(records.strip("\n").splitlines(), effective, CPR, recorded_at)
    except ValueError as exc:
        raise Refused(str(exc)) from None
    if snap.person.person_id != person:
        raise Refused("Field 'RelateretObjekt/ObjektId' names another person than the records in Beskeddata.")
    return snap


def _besked_id(root: Element) -> str | None:
    holder = child(root, "BeskedId")
    if holder is None:
        return None
    value = text(holder, "UUIDIdentifikator") or text(holder)
    if value is None:
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def _person(filters: Element) -> str:
    for obj in (e for e in filters.iter() if local(e.tag) == "RelateretObjekt"):
        holder = child(obj, "ObjektId")
        if holder is None:
            continue
        value = next((e.text.strip() for e in holder.iter() if e.text and e.text.strip()), None)
        if value is None:
            continue
        value = _CPR_URN.sub("", value)
        if _PNR.match(value):
            return value
    raise Refused("Field 'RelateretObjekt/ObjektId' names no person (a personal number).")


def _descendant_text(e: Element, name: str) -> str | None:
    for d in e.iter():
        if local(d.tag) == name and d.text and d.text.strip():
            return d.text.strip()
    return None


def _date(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise Refused(f"Field {name!r} is not a date: {value[:40]!r}.") from None


def _timestamp(value: str) -> str:
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Refused(f"Field 'Registreringstidspunkt' is not a time: {value[:40]!r}.") from None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _shown(body: bytes) -> str:
    """The message as a dead letter keeps it: the payload (names, addresses) left out."""
    text_ = body.decode("utf-8", "replace")
    return re.sub(
        r"(<(?:\w+:)?Beskeddata\b[^>]*>).*?(</(?:\w+:)?Beskeddata>)", r"\1***\2", text_, flags=re.S
    )[:4000]


def routing(body: bytes) -> tuple[str, str, bytes]:
    """(person, message id, body) for publishing an envelope: routed by its person,
    identified by its BeskedId; one that names neither is routed by its hash (and the
    consumer dead-letters it)."""
    digest = hashlib.blake2b(body, digest_size=16).hexdigest()
    try:
        root = parse_bytes(body)
        filters = find(root, "Beskedkuvert/Filtreringsdata")
        person = _person(filters) if filters is not None else digest
    except (XmlRefused, Refused):
        return digest, digest, body
    return person, _besked_id(root) or digest, body


# -- writing (tests and the sample publisher) ---------------------------------------------------
def envelope(
    besked_id: str,
    person_id: str,
    valid_from: date,
    records: list[str] | None,
    recorded: datetime | None = None,
) -> bytes:
    """One `Haendelsesbesked` for a person's change, with the person's CPR records as payload."""
    at = (recorded or datetime.combine(valid_from, datetime.min.time(), UTC)).astimezone(UTC)
    payload = "<Beskeddata/>"
    if records is not None:
        lines = "\n".join(_xml_escape(r) for r in records)
        payload = f"<Beskeddata><CprPersonRecords>\n{lines}\n</CprPersonRecords></Beskeddata>"
    stamp = at.isoformat().replace("+00:00", "Z")
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<Haendelsesbesked xmlns="{NAMESPACE}" xmlns:sagdok="{SAGDOK}">'
        f"<BeskedId><sagdok:UUIDIdentifikator>{besked_id}</sagdok:UUIDIdentifikator></BeskedId>"
        "<BeskedVersion>1.0</BeskedVersion>"
        "<Beskedkuvert><Filtreringsdata>"
        "<BeskedtypeId><sagdok:URNIdentifikator>urn:oio:cpr:haendelse</sagdok:URNIdentifikator></BeskedtypeId>"
        f"<ObjektRegistrering><Registreringstidspunkt>{stamp}</Registreringstidspunkt>"
        "</ObjektRegistrering>"
        f"<RelateretObjekt><ObjektId><sagdok:URNIdentifikator>urn:oio:cpr-nr:{person_id}</sagdok:URNIdentifikator>"
        "</ObjektId><ObjektType>Person</ObjektType></RelateretObjekt>"
        f"<Gyldighed><GyldighedFra>{valid_from.isoformat()}</GyldighedFra></Gyldighed>"
        "</Filtreringsdata></Beskedkuvert>"
        f"{payload}</Haendelsesbesked>"
    ).encode()


def _xml_escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
