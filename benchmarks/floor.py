"""The floor in Python: a trivial hand-written pipeline over an events file, beside
`json.loads` over the same file, in one run (RESULTS.md).

    .venv/bin/python -m benchmarks.floor WORLD_DIR [ROUNDS]

WORLD_DIR holds `events.jsonl` and `cases.jsonl` (`eventfilter generate --out`).
The pipeline reads each line with orjson, skips duplicate event ids, finds the
cases by beneficiary in a dict, decides in one line (suspend on a death, else
pass) and writes each decision as a JSON line. It keeps nothing durable and
explains nothing: it is what the loop itself costs, not a filter.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import orjson


def parse_only(events: Path) -> float:
    start = time.perf_counter()
    with events.open("rb") as f:
        for line in f:
            try:
                json.loads(line)
            except ValueError:
                continue  # a malformed line costs what it costs
    return time.perf_counter() - start


def trivial(events: Path, cases: dict[str, list[str]], out: Path) -> tuple[float, int]:
    start = time.perf_counter()
    seen: set[str] = set()
    decided = 0
    with events.open("rb") as f, out.open("wb") as sink:
        for line in f:
            try:
                e = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            if not isinstance(e, dict):
                continue
            event_id, person_id = str(e.get("event_id")), str(e.get("person_id"))
            if event_id in seen:
                continue
            seen.add(event_id)
            outcome = "suspend" if e.get("type") == "death" else "pass"
            for case in cases.get(person_id, ()):
                sink.write(orjson.dumps({"event_id": event_id, "case_id": case, "decision": outcome}))
                sink.write(b"\n")
                decided += 1
    return time.perf_counter() - start, decided


def main(argv: list[str]) -> None:
    world = Path(argv[0])
    rounds = int(argv[1]) if len(argv) > 1 else 2
    cases: dict[str, list[str]] = {}
    with (world / "cases.jsonl").open("rb") as f:
        for line in f:
            c = orjson.loads(line)
            cases.setdefault(c["beneficiary_id"], []).append(c["case_id"])
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(1, rounds + 1):
            base = parse_only(world / "events.jsonl")
            took, decided = trivial(world / "events.jsonl", cases, Path(tmp) / "decisions.jsonl")
            print(
                f"round {n}: json.loads {base:.2f} s, trivial pipeline {took:.2f} s "
                f"({took / base:.2f}x json.loads, {decided} decisions)"
            )


if __name__ == "__main__":
    main(sys.argv[1:])
