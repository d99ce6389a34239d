"""The large runs: a national world, its import, a national month, and how
the cost grows with the input. Too big for pytest-benchmark rounds; run it
by hand and paste its table into RESULTS.md.

    .venv/bin/python -m benchmarks.national --dir /tmp/nat
    .venv/bin/python -m benchmarks.national --dir /tmp/nat --pg postgresql+psycopg://postgres@127.0.0.1/ef_national

Each step runs the real CLI in a child process and records its wall time
and peak RSS (the child's own, from wait4). Every replay figure stands
beside the parse-only baseline (read the same file and `json.loads` each
line) measured in the same run. Steps whose output exists are reused.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

EXE = str(Path(sys.executable).with_name("eventfilter"))
PREFIXES = (10_000, 100_000, 1_000_000, 10_000_000)


@dataclass
class Step:
    name: str
    lines: int
    seconds: float
    peak_rss_mb: float
    baseline_seconds: float | None = None
    report: dict[str, object] | None = None

    @property
    def rate(self) -> float:
        return self.lines / self.seconds if self.seconds else 0.0


class Steps(list[Step]):
    """The steps so far, written out after each one (a long run may be stopped)."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path

    def append(self, step: Step) -> None:
        super().append(step)
        self.path.write_text(json.dumps([asdict(s) | {"rate": s.rate} for s in self], indent=1))
        print(table([step]), file=sys.stderr, flush=True)


def run(args: list[str], out: Path | None = None) -> tuple[float, float, str]:
    """Run the CLI; (wall seconds, peak RSS in MB, stdout)."""
    started = time.perf_counter()
    with open(out or os.devnull, "w") as sink:
        proc = subprocess.Popen([EXE, "--log-level", "warning", *args], stdout=subprocess.PIPE, stderr=sink)
        assert proc.stdout is not None
        stdout = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own peak, not the largest so far
        proc.returncode = code = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if code not in (0, 3):
        raise SystemExit(f"{' '.join(args)} failed with {code}")
    return seconds, usage.ru_maxrss / 1024, stdout.decode()


def parse_only(path: Path) -> tuple[int, float]:
    started = time.perf_counter()
    n = 0
    with open(path, "rb") as f:
        for line in f:
            if line.strip():
                with contextlib.suppress(ValueError):
                    json.loads(line)
                n += 1
    return n, time.perf_counter() - started


def month_of(year: Path, out: Path, month: str) -> None:
    """The events recorded in `month` (YYYY-MM): the year file is in time order."""
    stop = f'"recorded_at":"{month}'
    partial = out.with_suffix(".partial")
    with open(year, "rb") as src, open(partial, "wb") as dst:
        started = False
        for line in src:
            text = line.decode("utf-8", "replace")
            at = text.find('"recorded_at":"')
            if at >= 0:
                here = text[at : at + len(stop)]
                if here == stop:
                    started = True
                elif started and here > stop:
                    break
            dst.write(line)
    partial.rename(out)  # a run stopped halfway leaves no short file to be taken for whole


def prefix_of(year: Path, out: Path, n: int) -> None:
    partial = out.with_suffix(".partial")
    with open(year, "rb") as src, open(partial, "wb") as dst:
        for i, line in enumerate(src):
            if i >= n:
                break
            dst.write(line)
    partial.rename(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--month", default="2026-01")
    parser.add_argument("--prefixes", default=",".join(str(p) for p in PREFIXES))
    parser.add_argument("--pg", help="Also import and replay the month on this PostgreSQL database.")
    parser.add_argument("--skip-month", action="store_true", help="Only the prefixes (and PostgreSQL).")
    a = parser.parse_args()
    d: Path = a.dir
    d.mkdir(parents=True, exist_ok=True)
    steps = Steps(d / f"results-{int(time.time())}.json")
    world = d / "year"
    if not (world / "events.jsonl").exists():
        # a half-written world (no events file yet) is written again
        s, rss, _ = run(
            ["generate", "--scale", "national", "--seed", str(a.seed), "--out", str(world), "--force"]
        )
        steps.append(Step("generate the national year", _count(world / "events.jsonl"), s, rss))
    base = d / "base.db"
    if not base.exists():
        for what in ("persons", "cases"):
            s, rss, _ = run(["--db", f"sqlite:///{base}", "import", what, str(world / f"{what}.jsonl")])
            steps.append(Step(f"import {what} (SQLite)", _count(world / f"{what}.jsonl"), s, rss))
    month = d / f"month-{a.month}.jsonl"
    if not month.exists():
        month_of(world / "events.jsonl", month, a.month)
    if not a.skip_month:
        steps.append(replay(d, base, month, f"replay national month {a.month} (SQLite)", naive=True))
    for n in (int(x) for x in a.prefixes.split(",") if x):
        path = d / f"prefix-{n}.jsonl"
        if not path.exists():
            prefix_of(world / "events.jsonl", path, n)
        steps.append(replay(d, base, path, f"replay first {n:,} lines of the year (SQLite)"))
    if a.pg:
        for what in ("persons", "cases"):
            s, rss, _ = run(["--db", a.pg, "import", what, str(world / f"{what}.jsonl")])
            steps.append(Step(f"import {what} (PostgreSQL)", _count(world / f"{what}.jsonl"), s, rss))
        steps.append(replay(d, None, month, f"replay national month {a.month} (PostgreSQL)", pg=a.pg))
    print(table(steps))


def replay(
    d: Path, base: Path | None, events: Path, name: str, naive: bool = False, pg: str | None = None
) -> Step:
    lines, baseline = parse_only(events)
    if pg is None:
        assert base is not None
        db = d / "run.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        shutil.copy(base, db)
        url = f"sqlite:///{db}"
    else:
        url = pg
    args = ["--db", url, "replay", str(events), "--out", os.devnull, "--json", "--no-progress"]
    s, rss, out = run([*args, "--compare-naive"] if naive else args)
    report = json.loads(out)
    return Step(name, lines, s, rss, baseline, report)


def _count(path: Path) -> int:
    with open(path, "rb") as f:
        return sum(1 for _ in f)


def table(steps: list[Step]) -> str:
    rows = [
        "| step | lines | wall | lines/s (wall) | replay alone, events/s | peak RSS"
        " | parse-only baseline | wall ÷ baseline |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for s in steps:
        base = f"{s.baseline_seconds:.1f} s" if s.baseline_seconds else ""
        ratio = f"{s.seconds / s.baseline_seconds:.0f}×" if s.baseline_seconds else ""
        alone = f"{s.report['events_per_second']:,}" if s.report else ""
        rows.append(
            f"| {s.name} | {s.lines:,} | {s.seconds:.1f} s | {s.rate:,.0f} | {alone}"
            f" | {s.peak_rss_mb:,.0f} MB | {base} | {ratio} |"
        )
    for s in steps:
        if s.report and "compare_naive" in s.report:
            rows += ["", f"{s.name}: against a stop-on-every-event filter", "", naive_table(s.report)]
    return "\n".join(rows)


def naive_table(report: dict[str, object]) -> str:
    """The comparison as a Markdown table: payments (cases) per benefit and reason."""
    naive = report["compare_naive"]
    assert isinstance(naive, dict)
    rows = [
        "| benefit | active cases | paused by a stop-on-every-event filter | decisions it would stop"
        " | eventfilter suspends | eventfilter sends to review | let through |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, b in naive.items():
        rows.append(
            f"| {name} | {b['active_cases']:,} | {b['naive_paused']:,} | {b['naive_stops']:,}"
            f" | {b['suspended']:,} | {b['reviewed']:,} | {b['passed']:,} |"
        )
    rows += ["", "| benefit | eventfilter's reason | cases |", "|---|---|---|"]
    for name, b in naive.items():
        for reason, n in b["eventfilter_by_reason"].items():
            rows.append(f"| {name} | {reason.replace(':', ': ')} | {n:,} |")
    rows += ["", "| benefit | the naive filter's trigger (event type) | cases paused |", "|---|---|---|"]
    for name, b in naive.items():
        for kind, n in b["naive_paused_by_event_type"].items():
            rows.append(f"| {name} | {kind} | {n:,} |")
    return "\n".join(rows)


if __name__ == "__main__":
    main()
