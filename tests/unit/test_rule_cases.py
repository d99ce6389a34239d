"""Runs the readable rule cases in tests/cases/ through the pure engine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from eventfilter.core.pack import RulePack
from tests.helpers import DAY, PERSON_DEFAULTS, World, codes

CASES = Path(__file__).resolve().parents[1] / "cases"


def scenarios() -> list[Any]:
    out = []
    for path in sorted(CASES.glob("*.json")):
        spec = json.loads(path.read_text())
        for i, s in enumerate(spec["scenarios"]):
            out.append(pytest.param(spec["change"], s, id=f"{path.stem}[{i}:{s['benefit']}]"))
    return out


def filled(s: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    persons = [{"birth_date": "1975-01-01", **PERSON_DEFAULTS, **p} for p in s["persons"]]
    cases = [{"status": "active", **c} for c in s["cases"]]
    events = []
    for n, e in enumerate(s["events"], start=1):
        day = e.get("effective_date", DAY)
        events.append(
            {"event_id": f"e{n}", "effective_date": day, "recorded_at": f"{day}T06:00:00Z", "data": {}, **e}
        )
    return persons, cases, events


@pytest.mark.parametrize(("change", "scenario"), scenarios())
def test_rule_case(pack: RulePack, change: str, scenario: dict[str, Any]) -> None:
    persons, cases, events = filled(scenario)
    decisions = World(pack, persons, cases).run(*events)
    for key, want in scenario["expect"].items():
        case_id = key.split("@")[0]
        found = [
            d for d in decisions if d.case_id == case_id and want.get("event", d.event_ids[0]) in d.event_ids
        ]
        assert len(found) == 1, f"{change}: {key}: {[(d.case_id, d.event_ids) for d in decisions]}"
        d = found[0]
        got = codes(d)
        assert d.outcome == want["decision"], f"{change}: {key}: {d.outcome} {got}"
        assert got[: len(want["reasons"])] == want["reasons"], f"{change}: {key}: {got}"
        if "hold" in want:
            assert d.hold == want["hold"]
