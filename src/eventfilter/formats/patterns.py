"""The field patterns of the contract (contract.md §§ 1-3), written once: the
pydantic models anchor them with ^…$, the fast parser with \\Z."""

from __future__ import annotations

import re

PERSON_ID_MAX = 64  # a person's id (the store's columns are made to it)
PERSON_ID = rf"[0-9A-Za-z-]{{1,{PERSON_ID_MAX}}}"
MONTH = r"[0-9]{4}-(0[1-9]|1[0-2])"
COUNTRY = r"[A-Z]{2}"
# No control characters in any text eventfilter stores (PostgreSQL refuses NUL
# in text; a terminal would obey the others).
PLAIN = r"[^\x00-\x1f\x7f]*"
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
BOM = "\ufeff"

# The longest text the store keeps, per field (its columns are made to these):
# a longer value is refused where it is read, a dead letter naming the field,
# never a row the database refuses halfway through a run.
TEXT_MAX = 200  # ids, addresses, sources
TYPE_MAX = 100  # an event's type
MUNICIPALITY_MAX = 20  # a municipality code (DK: 3 digits, SE: 4)
BENEFIT_MAX = 50  # a rule pack's benefit: a routing key's part and a column
BENEFIT = rf"[A-Za-z0-9_-]{{1,{BENEFIT_MAX}}}"
CASEWORKER_ID_MAX = 100  # a caseworker's id, and who resolved, lifted or confirmed
RULE_PACK_MAX = 100  # a rule pack's name and version, as every decision records them
SOURCE_MAX = 500  # a file's name, as runs, dead letters and the register's extracts keep it


def fitted(text: str, longest: int = SOURCE_MAX) -> str:
    """`text`, or when longer its start and its end around an ellipsis (the same
    text is cut the same way): a name eventfilter keeps, not a value it reads."""
    if len(text) <= longest:
        return text
    head = (longest - 1) // 2
    return text[:head] + "…" + text[len(text) - (longest - 1 - head) :]
