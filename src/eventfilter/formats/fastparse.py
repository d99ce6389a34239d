"""The common event lines, parsed without pydantic.

Nearly every line of a national feed is an income report, an address change,
a correction, a marriage or divorce, a birth, or a type no rule reads, in its
plainest form. For those this module checks
the contract by hand and builds the same event and the same content hash as
`parse.parse_event_fully` would. Anything it is not certain about (another type,
an unusual value, a field that breaks the contract) it leaves to
`parse.parse_event_fully`, which also words the error. The test suite holds the
two to the same answers line by line.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime
from sys import intern
from typing import Any

import orjson

from eventfilter.core import events as ev
from eventfilter.core.facts import MARITAL_STATUSES
from eventfilter.formats.patterns import COUNTRY, MONTH, MUNICIPALITY_MAX, PERSON_ID_MAX, TEXT_MAX, TYPE_MAX

# ASCII digits only: `\d` also takes other scripts' digits (٢٠٢٦), which int() reads
# and the contract refuses
_DAY = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})\Z")
_STAMP = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})Z\Z")
_MONTH = re.compile(MONTH + r"\Z")
_COUNTRY = re.compile(COUNTRY + r"\Z")
_TYPED = frozenset(
    {"address_change", "marital_status_change", "birth", "income_change", "protected_address", "correction"}
)
_DAYS: dict[str, date] = {}
_STAMPS: dict[str, str] = {}  # seen recorded_at -> the core's form (a feed repeats its seconds)
_MISSING = object()


def _plain(text: str) -> bool:
    """Text that JSON writes as it stands, whichever serializer (no quote,
    backslash or control character; anything unusual counts as not plain)."""
    return text.isprintable() and '"' not in text and "\\" not in text


def _person(text: str) -> bool:
    """patterns.PERSON_ID"""
    if not 0 < len(text) <= PERSON_ID_MAX or not text.isascii():
        return False
    rest = text.replace("-", "")
    return rest.isalnum() or rest == ""


def parse(raw: str | bytes) -> tuple[ev.Event, str] | None:
    """The event and its content hash, or None: let the full parser decide."""
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if type(obj) is not dict:
        return None
    event_id = obj.get("event_id")
    kind = obj.get("type")
    person_id = obj.get("person_id")
    if (
        type(event_id) is not str
        or not 0 < len(event_id) <= TEXT_MAX
        or not _plain(event_id)
        or type(kind) is not str
        or type(person_id) is not str
        or not _person(person_id)
    ):
        return None
    day_text = obj.get("effective_date")
    day = _day(day_text)
    if day is None:
        return None
    stamp = obj.get("recorded_at")
    if stamp is None:
        recorded = None
    elif type(stamp) is str:
        recorded = _STAMPS.get(stamp)
        if recorded is None:
            if not _stamp_ok(stamp):
                return None
            recorded = intern(stamp[:-1] + "+00:00")
            if len(_STAMPS) < 200_000:
                _STAMPS[stamp] = recorded
    else:
        return None
    data = obj.get("data", _MISSING)
    if kind == "income_change":
        parsed = _income(data)
    elif kind == "address_change":
        parsed = _address(data)
    elif kind == "correction":
        parsed = _correction(data)
    elif kind == "marital_status_change":
        parsed = _marital(data)
    elif kind == "birth":
        parsed = _birth(data)
    elif kind in _TYPED or not 0 < len(kind) <= TYPE_MAX or not _plain(kind):
        return None
    else:
        parsed = _other(data)
    if parsed is None:
        return None
    value, data_json = parsed
    canonical = (
        f'{{"event_id":"{event_id}","person_id":"{person_id}","effective_date":"{day_text}",'
        f'"recorded_at":{"null" if stamp is None else chr(34) + stamp + chr(34)},'
        f'"type":"{kind}","data":{data_json}}}'
    )
    digest = hashlib.blake2b(canonical.encode(), digest_size=16).hexdigest()
    return ev.Event(event_id, kind, person_id, day, recorded, value), digest


def _day(text: Any) -> date | None:
    if type(text) is not str:
        return None
    found = _DAYS.get(text)
    if found is not None:
        return found
    m = _DAY.match(text)
    if m is None:
        return None
    try:
        found = date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None
    if len(_DAYS) < 100_000:
        _DAYS[text] = found
    return found


def _stamp_ok(text: str) -> bool:
    m = _STAMP.match(text)
    if m is None:
        return False
    try:
        y, mo, d, h, mi, s = (int(x) for x in m.groups())
        datetime(y, mo, d, h, mi, s)
    except ValueError:
        return False
    return True


def _text(value: Any, longest: int = TEXT_MAX) -> str | None:
    """A JSON string of at most `longest` characters or null, as both serializers
    write it (plain text only)."""
    if value is None:
        return "null"
    if type(value) is str and len(value) <= longest and _plain(value):
        return f'"{value}"'
    return None


def _amount(value: Any) -> float | None:
    """An amount whose JSON form is the same from both serializers."""
    if type(value) is int:
        amount = float(value)
    elif type(value) is float:
        amount = value
    else:
        return None
    if not (amount == 0.0 or 1e-4 <= amount < 1e15):
        return None
    return amount


def _income(data: Any) -> tuple[ev.EventData, str] | None:
    if type(data) is not dict:
        return None
    period = data.get("period")
    amount = _amount(data.get("amount"))
    source = data.get("source")
    source_json = _text(source)
    if type(period) is not str or not _MONTH.match(period) or amount is None or source_json is None:
        return None
    return (
        ev.IncomeData(intern(period), amount, source),
        f'{{"period":"{period}","amount":{amount!r},"source":{source_json}}}',
    )


def _address(data: Any) -> tuple[ev.EventData, str] | None:
    if type(data) is not dict or "address_id" not in data:
        return None
    address, municipality, country = data["address_id"], data.get("municipality_code"), data.get("country")
    address_json, municipality_json = _text(address), _text(municipality, MUNICIPALITY_MAX)
    if address_json is None or municipality_json is None:
        return None
    if type(country) is not str or not _COUNTRY.match(country):
        return None
    return (
        ev.AddressData(address, municipality, country),
        f'{{"address_id":{address_json},"municipality_code":{municipality_json},"country":"{country}"}}',
    )


def _correction(data: Any) -> tuple[ev.EventData, str] | None:
    if type(data) is not dict:
        return None
    corrected = data.get("corrects_event_id")
    if type(corrected) is not str or not 0 < len(corrected) <= TEXT_MAX or not _plain(corrected):
        return None
    return ev.CorrectionData(corrected), f'{{"corrects_event_id":"{corrected}"}}'


def _partner(value: Any) -> str | None:
    """A person id or null as JSON, or None: not one."""
    if value is None:
        return "null"
    if type(value) is str and _person(value):
        return f'"{value}"'
    return None


def _marital(data: Any) -> tuple[ev.EventData, str] | None:
    if type(data) is not dict:
        return None
    status, partner = data.get("status"), data.get("partner_id")
    partner_json = _partner(partner)
    if type(status) is not str or status not in MARITAL_STATUSES or partner_json is None:
        return None
    return ev.MaritalData(status, partner), f'{{"status":"{status}","partner_id":{partner_json}}}'


def _birth(data: Any) -> tuple[ev.EventData, str] | None:
    if type(data) is not dict:
        return None
    born_text = data.get("birth_date")
    born = _day(born_text)
    parents = data.get("parent_ids", [])
    if born is None or type(parents) is not list or not all(type(p) is str and _person(p) for p in parents):
        return None
    address, municipality, country = (
        data.get("address_id"),
        data.get("municipality_code"),
        data.get("country"),
    )
    address_json, municipality_json = _text(address), _text(municipality, MUNICIPALITY_MAX)
    if address_json is None or municipality_json is None:
        return None
    if country is None:
        country_json = "null"
    elif type(country) is str and _COUNTRY.match(country):
        country_json = f'"{country}"'
    else:
        return None
    parents_json = ",".join(f'"{p}"' for p in parents)
    return (
        ev.BirthData(born, tuple(parents), address, municipality, country),
        f'{{"birth_date":"{born_text}","parent_ids":[{parents_json}],"address_id":{address_json},'
        f'"municipality_code":{municipality_json},"country":{country_json}}}',
    )


def _other(data: Any) -> tuple[ev.EventData, str] | None:
    """A type no fact depends on: its data is kept as it came (plain values only)."""
    if data is _MISSING:
        return ev.NoData(), "{}"
    if type(data) is not dict:
        return None
    parts = []
    for key, value in data.items():
        if not _plain(key):
            return None
        if value is True or value is False:
            text = "true" if value else "false"
        elif type(value) is int and -(2**53) < value < 2**53:
            text = str(value)
        else:
            found = _text(value)
            if found is None:
                return None
            text = found
        parts.append(f'"{key}":{text}')
    return ev.NoData(), "{" + ",".join(parts) + "}"
