"""The contract's formats (contract.md §§ 1-3): parse and validate one line.

Each parser returns a core value or raises `Malformed` with one plain
sentence naming the field. Unknown extra fields are ignored, at the top
level and in `data`.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, date, datetime
from sys import intern
from typing import Annotated, Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from eventfilter import fastparse
from eventfilter.core import events as ev
from eventfilter.core.decision import Decision
from eventfilter.core.facts import Case, Person
from eventfilter.core.reasons import NO_ACTIVE_CASE
from eventfilter.errors import Malformed

PersonId = Annotated[str, Field(pattern=r"^[0-9A-Za-z-]{1,64}$")]
Month = Annotated[str, Field(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")]
Country = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
# No control characters in any text eventfilter stores (PostgreSQL refuses NUL
# in text; a terminal would obey the others).
_PLAIN = r"^[^\x00-\x1f\x7f]*$"
NonEmpty = Annotated[str, Field(min_length=1, max_length=200, pattern=_PLAIN)]
Plain = Annotated[str, Field(max_length=200, pattern=_PLAIN)]
Amount = Annotated[float, Field(ge=0, allow_inf_nan=False)]
BOM = "\ufeff"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MaritalStatus = Literal["unmarried", "married", "registered_partnership", "separated", "divorced", "widowed"]


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True, frozen=True, allow_inf_nan=False)


# --- events ---------------------------------------------------------------
class AddressDataIn(_In):
    address_id: Plain | None
    municipality_code: Plain | None = None
    country: Country


class MaritalDataIn(_In):
    status: MaritalStatus
    partner_id: PersonId | None = None


class BirthDataIn(_In):
    birth_date: date
    parent_ids: list[PersonId] = []
    address_id: Plain | None = None
    municipality_code: Plain | None = None
    country: Country | None = None


class IncomeDataIn(_In):
    period: Month
    amount: Amount
    source: Plain | None = None


class ProtectedDataIn(_In):
    protected: bool


class CorrectionDataIn(_In):
    corrects_event_id: NonEmpty


class _EventIn(_In):
    event_id: NonEmpty
    person_id: PersonId
    effective_date: date
    recorded_at: datetime | None = None


class AddressChangeIn(_EventIn):
    type: Literal["address_change"]
    data: AddressDataIn


class MaritalChangeIn(_EventIn):
    type: Literal["marital_status_change"]
    data: MaritalDataIn


class BirthIn(_EventIn):
    type: Literal["birth"]
    data: BirthDataIn


class IncomeChangeIn(_EventIn):
    type: Literal["income_change"]
    data: IncomeDataIn


class ProtectedIn(_EventIn):
    type: Literal["protected_address"]
    data: ProtectedDataIn


class CorrectionIn(_EventIn):
    type: Literal["correction"]
    data: CorrectionDataIn


class OtherEventIn(_EventIn):
    """death, the types no rule reads, and types unknown to the pack."""

    type: NonEmpty
    data: dict[str, Any] = {}


ParsedEvent = (
    AddressChangeIn | MaritalChangeIn | BirthIn | IncomeChangeIn | ProtectedIn | CorrectionIn | OtherEventIn
)

_TYPED = {
    "address_change": AddressChangeIn,
    "marital_status_change": MaritalChangeIn,
    "birth": BirthIn,
    "income_change": IncomeChangeIn,
    "protected_address": ProtectedIn,
    "correction": CorrectionIn,
}


def _tag(value: Any) -> str:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return kind if isinstance(kind, str) and kind in _TYPED else "other"


EventIn = (
    Annotated[AddressChangeIn, Tag("address_change")]
    | Annotated[MaritalChangeIn, Tag("marital_status_change")]
    | Annotated[BirthIn, Tag("birth")]
    | Annotated[IncomeChangeIn, Tag("income_change")]
    | Annotated[ProtectedIn, Tag("protected_address")]
    | Annotated[CorrectionIn, Tag("correction")]
    | Annotated[OtherEventIn, Tag("other")]
)
_EVENT = TypeAdapter[Any](Annotated[EventIn, Discriminator(_tag)])


def parse_event(raw: str | bytes) -> tuple[ev.Event, str]:
    """The event and its content hash (for telling duplicates from conflicts)."""
    fast = fastparse.parse(raw)  # the common lines, checked by hand (same answers)
    if fast is not None:
        return fast
    return parse_event_fully(raw)


def parse_event_fully(raw: str | bytes) -> tuple[ev.Event, str]:
    """`parse_event` through the pydantic models: every line can take this way."""
    strict_json(raw)
    try:
        parsed = _EVENT.validate_json(raw)
    except ValidationError as exc:
        raise Malformed(describe(exc.errors(), skip_tag=True)) from None
    return to_event(parsed), content_hash(parsed)


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
        why = exc.msg.split(":")[0]
        raise Malformed(f"The line is not valid JSON ({why} at column {exc.colno}).") from None


def content_hash(parsed: _EventIn) -> str:
    """Identical events hash alike whatever the key order or unknown fields."""
    return hashlib.blake2b(parsed.model_dump_json().encode(), digest_size=16).hexdigest()


def to_event(p: ParsedEvent) -> ev.Event:
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


# --- extracts -------------------------------------------------------------
class PersonIn(_In):
    person_id: PersonId
    birth_date: date
    alive: bool = True
    address_id: Plain | None = None
    municipality_code: Plain | None = None
    country: Country
    marital_status: MaritalStatus = "unmarried"
    partner_id: PersonId | None = None
    parent_ids: list[PersonId] = []
    monthly_income: Amount | None = None
    income_period: Month | None = None
    protected_address: bool = False


class CaseIn(_In):
    case_id: NonEmpty
    benefit: NonEmpty
    beneficiary_id: PersonId
    municipality_code: NonEmpty
    status: Literal["active", "suspended"] = "active"
    dwelling_address_id: NonEmpty | None = None
    housing_cost: Amount | None = None


_PERSON = TypeAdapter(PersonIn)
_CASE = TypeAdapter(CaseIn)


def parse_person(raw: str | bytes) -> Person:
    strict_json(raw)
    try:
        p = _PERSON.validate_json(raw)
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
        c = _CASE.validate_json(raw)
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


# --- error sentences ------------------------------------------------------
_PHRASES = {
    "missing": "is missing",
    "string_type": "must be a string",
    "bool_type": "must be true or false",
    "float_type": "must be a number",
    "int_type": "must be a whole number",
    "dict_type": "must be an object",
    "model_type": "must be an object",
    "list_type": "must be a list",
    "date_type": "must be a date (YYYY-MM-DD)",
    "datetime_type": "must be a date and time (ISO 8601)",
    "greater_than_equal": "must not be negative",
    "string_too_short": "must not be empty",
    "string_too_long": "is too long",
    "literal_error": "has a value that is not allowed",
}


def describe(errors: list[ErrorDetails], skip_tag: bool = False) -> str:
    """One sentence for the first problem, naming the field."""
    e = errors[0]
    kind = e["type"]
    if kind == "json_invalid":
        return "The line is not valid JSON."
    loc = [str(x) for x in e["loc"]]
    if skip_tag and loc:
        loc = loc[1:]
    if kind in ("model_type", "model_attributes_type", "union_tag_invalid") and not loc:
        return "The line is not a JSON object."
    field = ".".join(loc) or "line"
    value = e.get("input")
    if kind in ("date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact"):
        phrase = f"is not a real date ({value!r})"
    elif kind in ("datetime_parsing", "datetime_from_date_parsing"):
        phrase = f"is not a real date and time ({value!r})"
    elif kind == "string_pattern_mismatch" and isinstance(value, str) and (bad := _CONTROL.search(value)):
        phrase = f"must not contain control characters (found U+{ord(bad.group()):04X})"
    elif kind == "string_pattern_mismatch":
        phrase = f"has the wrong form ({value!r})"
    elif kind == "literal_error":
        phrase = f"has a value that is not allowed ({value!r}): {e['msg'].removeprefix('Input should be ')}"
    elif kind == "greater_than_equal":
        phrase = f"must not be negative ({value!r})"
    else:
        phrase = _PHRASES.get(kind, e["msg"].lower())
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    return f"Field '{field}' {phrase}{more}."


def raw_text(raw: str | bytes) -> str:
    """A line as a dead letter keeps it: text, bytes that are not UTF-8 and
    control characters (NUL, escape sequences) written as `\\xNN`, so that it
    can be stored anywhere (PostgreSQL refuses NUL) and shown on a terminal."""
    text = raw.decode("utf-8", "backslashreplace") if isinstance(raw, bytes) else raw
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _encode(value: Any) -> str:
    return orjson.dumps(value).decode()


_QUOTE = json.JSONEncoder(ensure_ascii=False).encode
_NO_CASE_REASONS = _encode([NO_ACTIVE_CASE.to_dict()])


def decision_line(d: Decision) -> str:
    """The decision as one JSON line; the common "no active case" line is
    assembled from parts (it is most of what a replay writes)."""
    if d.case_id is None and d.reasons == (NO_ACTIVE_CASE,):
        event_ids = ",".join(_QUOTE(e) for e in d.event_ids)
        return (
            f'{{"decision_id":"{d.decision_id}","event_ids":[{event_ids}],'
            f'"person_id":{_QUOTE(d.person_id)},"case_id":null,"benefit":null,'
            f'"decision":"{d.outcome}","reasons":{_NO_CASE_REASONS},"before":null,"after":null,'
            f'"rule_pack":{_QUOTE(d.rule_pack)},'
            f'"effective_date":"{d.effective_date.isoformat()}","parameters":null,"hold":null}}'
        )
    return _encode(d.to_record())


def utc_stamp(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


def event_line(e: ev.Event) -> bytes:
    """An event as the contract's line (§ 3): what a snapshot's diff hands to the
    pipeline, and what the generator writes beside its register files."""
    record: dict[str, Any] = {
        "event_id": e.event_id,
        "type": e.type,
        "person_id": e.person_id,
        "effective_date": e.effective_date.isoformat(),
    }
    if e.recorded_at is not None:
        record["recorded_at"] = e.recorded_at
    record["data"] = _event_data(e.data)
    return orjson.dumps(record)


def _event_data(data: ev.EventData) -> dict[str, Any]:
    if isinstance(data, ev.AddressData):
        return {
            "address_id": data.address_id,
            "municipality_code": data.municipality_code,
            "country": data.country,
        }
    if isinstance(data, ev.MaritalData):
        return {"status": data.status, "partner_id": data.partner_id}
    if isinstance(data, ev.BirthData):
        return {
            "birth_date": data.birth_date.isoformat(),
            "parent_ids": list(data.parent_ids),
            "address_id": data.address_id,
            "municipality_code": data.municipality_code,
            "country": data.country,
        }
    if isinstance(data, ev.IncomeData):
        income: dict[str, Any] = {"period": data.period, "amount": data.amount}
        if data.source is not None:
            income["source"] = data.source
        return income
    if isinstance(data, ev.ProtectedData):
        return {"protected": data.protected}
    if isinstance(data, ev.CorrectionData):
        return {"corrects_event_id": data.corrects_event_id}
    return {}
