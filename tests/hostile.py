"""Hostile lines for property tests and the fuzz target: valid contract lines
with one field swapped for something nasty, and plain garbage."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from tests.helpers import event, income, move, person

NASTY_TEXT = [
    "",
    " ",
    "\u0000",
    "a\u0000b",
    "\u001b[31m",
    "\ufeff",
    "\ud7ff\ue000",
    "💶",
    "x" * 300,
    "9999-12-31",
    "0000-01-01",
    "2026-02-30",
    "2026-13",
    "9999-12",
    "9999-12-31T23:00:00-05:00",
    "0001-01-01T00:00:00+14:00",
    "DK-1",
    "NaN",
    "-",
]
NASTY_NUMBERS = [0, -1, -0.0, 1e308, 2**63, 2**64 + 1, 10**30, 1e-320, 0.1, 3]
RAW_NUMBERS = ["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1" * 400, "0x10", "01", "1.", ".5"]

_json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.sampled_from(NASTY_NUMBERS),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.sampled_from(NASTY_TEXT),
        st.text(max_size=8),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)

EVENT_BASES = [
    income("B", 1000, period="2026-02"),
    move("B", "A2"),
    event("death", "B"),
    event("marital_status_change", "B", {"status": "married", "partner_id": "P"}),
    event(
        "birth", "K", {"birth_date": "2026-03-01", "parent_ids": ["B"], "address_id": "A", "country": "DK"}
    ),
    event("protected_address", "B", {"protected": True}),
    event("correction", "B", {"corrects_event_id": "e1"}),
    event("custody_change", "B", {"note": "x"}),
]
PERSON_BASES = [person("B", address_id="A"), person("P", partner_id="B", marital_status="married")]


def _paths(value: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    return out


def _set(record: Any, path: tuple[str, ...], value: Any) -> Any:
    record = json.loads(json.dumps(record))
    target = record
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return record


@st.composite
def mutated(draw: Any, bases: list[dict[str, Any]]) -> bytes:
    """A valid line with one field (or the raw text) made hostile."""
    base = draw(st.sampled_from(bases))
    paths = _paths(base)
    how = draw(st.sampled_from(["value", "drop", "raw-number", "truncate", "bytes", "nest"]))
    if how == "value":
        return json.dumps(_set(base, draw(st.sampled_from(paths)), draw(_json_values))).encode()
    if how == "drop":
        record = json.loads(json.dumps(base))
        path = draw(st.sampled_from(paths))
        target = record
        for key in path[:-1]:
            target = target[key]
        target.pop(path[-1], None)
        return json.dumps(record).encode()
    if how == "raw-number":
        marker = "__NUMBER__"
        text = json.dumps(_set(base, draw(st.sampled_from(paths)), marker))
        return text.replace(f'"{marker}"', draw(st.sampled_from(RAW_NUMBERS))).encode()
    if how == "truncate":
        encoded = json.dumps(base).encode()
        return encoded[: draw(st.integers(0, len(encoded)))]
    if how == "nest":
        depth: int = draw(st.integers(500, 3000))
        return ("[" * depth + "]" * depth).encode()
    raw = bytearray(json.dumps(base).encode())
    for _ in range(draw(st.integers(1, 3))):
        raw[draw(st.integers(0, len(raw) - 1))] = draw(st.integers(0, 255))
    return bytes(raw)


hostile_events = st.one_of(mutated(EVENT_BASES), st.binary(max_size=200))
hostile_persons = st.one_of(mutated(PERSON_BASES), st.binary(max_size=200))
