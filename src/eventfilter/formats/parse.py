"""Parsing one line of the contract: a core value, or `Malformed` with one
plain sentence naming the field."""

from __future__ import annotations

import hashlib
import json
import math
from datetime import UTC
from functools import cache
from sys import intern
from typing import TYPE_CHECKING

import orjson
from pydantic import ValidationError

from eventfilter.core import events as ev
from eventfilter.core.facts import Case, Person
from eventfilter.errors import Malformed
from eventfilter.formats import fastparse
from eventfilter.formats.patterns import BOM, CONTROL, TEXT_MAX
from eventfilter.formats.sentences import describe, raw_text

if TYPE_CHECKING:
    from pydantic import TypeAdapter

    from eventfilter.formats.models import CaseIn, EventBase, ParsedEvent, PersonIn

# The pydantic models are imported where they are used: building them is a good
# part of a command's start-up, and most event lines never reach them (`fastparse`).
# The person and case lines of an import all take them: their adapters are
# looked up once (an import statement on every line cost 2 µs of 12.7).


@cache
def _person_adapter() -> TypeAdapter[PersonIn]:
    from eventfilter.formats.models import PERSON

    return PERSON


@cache
def _case_adapter() -> TypeAdapter[CaseIn]:
    from eventfilter.formats.models import CASE

    return CASE


def parse_event(raw: str | bytes) -> tuple[ev.Event, str]:
    """The event and its content hash (for telling duplicates from conflicts)."""
    fast = fastparse.parse(raw)  # the common lines, checked by hand (same answers)
    if fast is not None:
        return fast
    return parse_event_fully(raw)


def parse_event_fully(raw: str | bytes) -> tuple[ev.Event, str]:
    """`parse_event` through the pydantic models: every line can take this way."""
    from eventfilter.formats.models import EVENT

    strict_json(raw)
    try:
        parsed = EVENT.validate_json(raw)
    except ValidationError as exc:
        raise Malformed(describe(exc.errors(), skip_tag=True)) from None
    return to_event(parsed), content_hash(parsed)


def message_key(message_id: str | None) -> str | None:
    """A message's id as the store keeps it, a dedupe key like `event_id`: as it
    came when it is plain text of up to `TEXT_MAX` characters; else (AMQP allows
    255 bytes of anything: NUL, which PostgreSQL refuses, or a terminal's escape
    sequences) as its hash, so the same id is still the same key, never a row
    the database refuses nor a position that rewrites an operator's screen."""
    if message_id is None or (len(message_id) <= TEXT_MAX and not CONTROL.search(message_id)):
        return message_id
    digest = hashlib.blake2b(message_id.encode("utf-8", "surrogatepass"), digest_size=16)
    return "blake2b:" + digest.hexdigest()


def strict_json(raw: str | bytes) -> None:
    """Refuse what is not JSON by RFC 8259 before the models see it: invalid
    UTF-8 (the same sentence for events and extracts), a byte order mark inside
    a file, `NaN`, `Infinity` and numbers beyond a double (pydantic's parser
    would take them, and they crash later), nesting deeper than 1,024."""
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Malformed(
                f"The line is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at position {exc.start + 1})."
            ) from None
    else:
        text = raw
    if text.startswith(BOM):
        raise Malformed(
            "The line starts with a byte order mark (U+FEFF), which is accepted only at the start of a file."
        )
    try:
        orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        field = _unrepresentable_number(text)
        if field is not None:
            raise Malformed(field) from None
        why = exc.msg.split(":")[0]
        raise Malformed(f"The line is not valid JSON ({why} at column {exc.colno}).") from None


class _NotANumber:
    """Where a line holds `NaN`, `Infinity` or a number beyond a double."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _float_or_marker(text: str) -> float | _NotANumber:
    value = float(text)
    return value if math.isfinite(value) else _NotANumber(text)


def _int_or_marker(text: str) -> int | _NotANumber:
    """An integer written out in digits is beyond a double when its float is
    infinite (309 digits or more); checked first, as Python refuses to turn more
    than 4,300 digits into an int."""
    return int(text) if math.isfinite(float(text)) else _NotANumber(text)


def _unrepresentable_number(text: str) -> str | None:
    """The sentence for a line that would be JSON but for one number `NaN`,
    `Infinity` or beyond a double (`1e400`, or 400 digits), naming the field as a model's
    error would: None for a line that is not JSON for another reason. Only
    lines that already failed the strict parser come here."""
    try:
        doc = json.loads(
            text, parse_constant=_NotANumber, parse_float=_float_or_marker, parse_int=_int_or_marker
        )
    except (ValueError, RecursionError):
        return None
    found = _first_marker(doc, ()) if isinstance(doc, dict) else None  # else: not an object
    if found is None:
        return None
    path, marker = found
    shown = _short(marker.text)
    field = _short(raw_text(".".join(path)))  # control characters written as a dead letter keeps them
    if marker.text.lstrip("-") in ("NaN", "Infinity"):
        return f"Field '{field}' must be a number ({shown} is not a JSON number)."
    return f"Field '{field}' is a number beyond the range of a double ({shown})."


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:36] + "..."


def _first_marker(value: object, path: tuple[str, ...]) -> tuple[tuple[str, ...], _NotANumber] | None:
    stack: list[tuple[object, tuple[str, ...]]] = [(value, path)]
    while stack:
        item, at = stack.pop()
        if isinstance(item, _NotANumber):
            return at, item
        if isinstance(item, dict):
            stack.extend((v, (*at, str(k))) for k, v in reversed(item.items()))
        elif isinstance(item, list):
            stack.extend((v, (*at, str(i))) for i, v in reversed(list(enumerate(item))))
    return None


def content_hash(parsed: EventBase) -> str:
    """Identical events hash alike whatever the key order or unknown fields."""
    return hashlib.blake2b(parsed.model_dump_json().encode(), digest_size=16).hexdigest()


def to_event(p: ParsedEvent) -> ev.Event:
    from eventfilter.formats.models import (
        AddressChangeIn,
        BirthIn,
        CorrectionIn,
        IncomeChangeIn,
        MaritalChangeIn,
        ProtectedIn,
    )

    recorded = None
    if p.recorded_at is not None:
        at = p.recorded_at
        try:
            if at.utcoffset():  # another zone: the version stamps compare in UTC
                at = at.astimezone(UTC)
        except OverflowError:
            raise Malformed(f"Field 'recorded_at' ({at.isoformat()}) is out of range in UTC.") from None
        recorded = intern(at.replace(tzinfo=UTC).isoformat())  # shared by every stamp of that second
    data: ev.EventData
    if isinstance(p, AddressChangeIn):
        d = p.data
        data = ev.AddressData(d.address_id, d.municipality_code, d.country)
    elif isinstance(p, MaritalChangeIn):
        data = ev.MaritalData(p.data.status, p.data.partner_id)
    elif isinstance(p, BirthIn):
        b = p.data
        data = ev.BirthData(b.birth_date, tuple(b.parent_ids), b.address_id, b.municipality_code, b.country)
    elif isinstance(p, IncomeChangeIn):
        data = ev.IncomeData(intern(p.data.period), float(p.data.amount), p.data.source)
    elif isinstance(p, ProtectedIn):
        data = ev.ProtectedData(p.data.protected)
    elif isinstance(p, CorrectionIn):
        data = ev.CorrectionData(p.data.corrects_event_id)
    else:
        data = ev.NoData()
    return ev.Event(p.event_id, p.type, p.person_id, p.effective_date, recorded, data)


def parse_person(raw: str | bytes) -> Person:
    strict_json(raw)
    try:
        p = _person_adapter().validate_json(raw)
    except ValidationError as exc:
        raise Malformed(describe(exc.errors())) from None
    return Person(
        person_id=p.person_id,
        birth_date=p.birth_date,
        alive=p.alive,
        address_id=p.address_id,
        municipality_code=p.municipality_code,
        country=p.country,
        marital_status=p.marital_status,
        partner_id=p.partner_id,
        parent_ids=tuple(p.parent_ids),
        monthly_income=None if p.monthly_income is None else float(p.monthly_income),
        income_period=p.income_period,
        protected_address=p.protected_address,
    )


def parse_case(raw: str | bytes) -> Case:
    strict_json(raw)
    try:
        c = _case_adapter().validate_json(raw)
    except ValidationError as exc:
        raise Malformed(describe(exc.errors())) from None
    return Case(
        case_id=c.case_id,
        benefit=c.benefit,
        beneficiary_id=c.beneficiary_id,
        municipality_code=c.municipality_code,
        status=c.status,
        dwelling_address_id=c.dwelling_address_id,
        housing_cost=None if c.housing_cost is None else float(c.housing_cost),
    )
