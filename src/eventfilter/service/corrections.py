"""A caseworker's corrected fact: `PERSON.FIELD=VALUE`, checked like an
extract line would be (a fact that cannot be true is refused with a
sentence naming the field)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date

from eventfilter.core.facts import MARITAL_STATUSES, Person, Value
from eventfilter.errors import Malformed, UsageError
from eventfilter.formats.patterns import CONTROL, COUNTRY, MUNICIPALITY_MAX, PERSON_ID, TEXT_MAX
from eventfilter.plausibility import Horizon, check_person

CORRECTABLE = (
    "monthly_income",
    "income_period",
    "address_id",
    "municipality_code",
    "country",
    "marital_status",
    "partner_id",
    "birth_date",
    "alive",
)
_PERSON_ID = re.compile(PERSON_ID + r"\Z")
_COUNTRY = re.compile(COUNTRY + r"\Z")


@dataclass(frozen=True)
class Correction:
    person_id: str
    field: str
    value: Value

    @staticmethod
    def parse(text: str) -> Correction:
        if "=" not in text or "." not in text.split("=", 1)[0]:
            raise UsageError(f"The correction {text!r} is not of the form PERSON.FIELD=VALUE.")
        target, raw = text.split("=", 1)
        person_id, name = target.rsplit(".", 1)
        if not _PERSON_ID.match(person_id):
            raise UsageError(f"The person id {person_id!r} has the wrong form.")
        if name not in CORRECTABLE:
            raise UsageError(
                f"The field {name!r} cannot be corrected; correctable: {', '.join(CORRECTABLE)}."
            )
        return Correction(person_id, name, _value(name, raw.strip()))


def _value(name: str, raw: str) -> Value:
    if raw.lower() in ("", "null", "none", "unknown"):
        if name in ("country", "marital_status", "alive"):
            raise UsageError(f"The field {name!r} cannot be set to unknown.")
        return None
    try:
        if name == "monthly_income":
            amount = float(raw)
            if not math.isfinite(amount) or amount < 0:
                raise UsageError(f"The field 'monthly_income' must be a number, not negative ({raw}).")
            return amount
        if name == "birth_date":
            return date.fromisoformat(raw)
        if name == "income_period":
            if not re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", raw):
                raise ValueError(raw)
            return raw
    except ValueError:
        raise UsageError(f"The field {name!r} has a value that does not exist ({raw!r}).") from None
    if name == "alive":
        if raw.lower() not in ("true", "false"):
            raise UsageError(f"The field 'alive' must be true or false, not {raw!r}.")
        return raw.lower() == "true"
    if name == "marital_status" and raw not in MARITAL_STATUSES:
        raise UsageError(f"The field 'marital_status' cannot be {raw!r}.")
    if name == "partner_id" and not _PERSON_ID.match(raw):
        raise UsageError(f"The field 'partner_id' has the wrong form ({raw!r}).")
    if name == "country" and not _COUNTRY.match(raw):
        raise UsageError(f"The field 'country' must be two capital letters, not {raw!r}.")
    if CONTROL.search(raw):
        raise UsageError(f"The field {name!r} must not hold control characters.")
    longest = MUNICIPALITY_MAX if name == "municipality_code" else TEXT_MAX
    if len(raw) > longest:
        raise UsageError(f"The field {name!r} is {len(raw)} characters long; at most {longest} are kept.")
    return raw


def check_corrected(person: Person, horizon: Horizon) -> None:
    """A corrected person must still be possible (not their own partner, not born tomorrow)."""
    try:
        check_person(person, horizon)
    except Malformed as exc:
        raise UsageError(f"The correction of {person.person_id} is refused: {exc}") from None
