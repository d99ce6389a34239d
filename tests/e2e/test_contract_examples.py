"""The worked scenarios of shared/spec/examples, through the command line.

A copy of the scenarios lives in contract_examples/ so that the suite runs
on a clean clone; `make contract` runs the shared checker on the originals.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Cli

EXAMPLES = Path(__file__).parent / "contract_examples"


def codes(line: dict[str, Any]) -> set[str]:
    return {r["code"] for r in line["reasons"]}


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_contract_example(path: Path, tmp_path: Path, cli: Cli) -> None:
    s = json.loads(path.read_text())
    exp = s["expect"]
    (tmp_path / "persons.jsonl").write_text("".join(json.dumps(p) + "\n" for p in s["persons"]))
    (tmp_path / "cases.jsonl").write_text("".join(json.dumps(c) + "\n" for c in s["cases"]))
    (tmp_path / "events.jsonl").write_text(
        "".join((e if isinstance(e, str) else json.dumps(e)) + "\n" for e in s["events"])
    )
    r = cli(
        "replay",
        "events.jsonl",
        "--persons",
        "persons.jsonl",
        "--cases",
        "cases.jsonl",
        "--out",
        "decisions.jsonl",
    )
    assert r.returncode == exp.get("exit", 0), r.stderr
    shown = r.stdout + r.stderr
    raw = (tmp_path / "decisions.jsonl").read_text()
    shown += raw
    decisions = [json.loads(line) for line in raw.splitlines()]
    by_event: dict[str, list[dict[str, Any]]] = {}
    for d in decisions:
        for eid in d["event_ids"]:
            by_event.setdefault(eid, []).append(d)

    wanted_cases: dict[str, set[str | None]] = {}
    for want in exp["decisions"]:
        wanted_cases.setdefault(want["event_id"], set()).add(want["case_id"])
        [got] = [d for d in by_event.get(want["event_id"], []) if d["case_id"] == want["case_id"]]
        assert got["decision"] == want["decision"], got
        assert set(want["reasons"]) <= codes(got), got
        assert got["rule_pack"] == "default 2026.1"
    for eid, cases in wanted_cases.items():
        assert {d["case_id"] for d in by_event.get(eid, [])} == cases
    for eid, n in (exp.get("exact_count") or {}).items():
        assert len(by_event.get(eid, [])) == n

    all_cases = [c["case_id"] for c in s["cases"]]
    if "holds" in exp:
        r = cli("holds", "--json")
        held = {h["case_id"] for h in json.loads(r.stdout)}
        assert held == set(exp["holds"]) & set(all_cases)
        shown += r.stdout
    if "review" in exp:
        r = cli("review", "list", "--json")
        assert set(exp["review"]) <= {i["case_id"] for i in json.loads(r.stdout)}
        shown += r.stdout
    if "dead_letters" in exp:
        r = cli("deadletters", "--json")
        letters = json.loads(r.stdout)
        assert len(letters) == exp["dead_letters"]
        assert all({"position", "error", "raw"} <= set(d) for d in letters)
    for text in exp.get("absent_text") or []:
        assert text not in shown

    again = cli("replay", "events.jsonl", "--out", "again.jsonl")
    assert again.returncode in (0, 3)
    assert (tmp_path / "again.jsonl").read_text() == ""
