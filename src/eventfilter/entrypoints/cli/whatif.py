"""`eventfilter whatif`: a new rule pack tried on history before it goes live."""

from __future__ import annotations

import csv
import json
import multiprocessing
import os
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import click

from eventfilter.adapters.jsonl import STDIN, JsonlSource
from eventfilter.bootstrap import bootstrap, scratch_copy
from eventfilter.core.decision import Decision
from eventfilter.entrypoints import reports
from eventfilter.entrypoints.cli.base import cli
from eventfilter.entrypoints.cli.data import Progress
from eventfilter.entrypoints.exitcodes import ExitCode
from eventfilter.errors import UsageError
from eventfilter.logs import configure
from eventfilter.service.imports import import_cases, import_persons
from eventfilter.service.replay import ObservedSink, Replayer
from eventfilter.service.whatif import Seen, compare, seen


@cli.command()
@click.argument("events")
@click.option(
    "--rules",
    "new_rules",
    required=True,
    type=click.Path(path_type=Path),
    help="The new rule pack (TOML) to try against the one in force.",
)
@click.option("--persons", help="Register extract to start from (instead of --db).")
@click.option("--cases", help="Case extract to start from (instead of --db).")
@click.option(
    "--db", default=None, metavar="URL", help="A SQLite database to start from (copied, never written)."
)
@click.option("--json", "as_json", is_flag=True, help="The comparison as JSON.")
@click.option("--csv", "as_csv", is_flag=True, help="The changed groups as CSV.")
@click.option(
    "--progress/--no-progress", default=None, help="Progress bar on stderr (default: when a terminal)."
)
@click.option(
    "--parallel/--sequential",
    default=None,
    help="Decide the two sides at once, the new pack's in a second process "
    "(default: when this machine gives the process two CPUs or more).",
)
@click.pass_context
def whatif(
    ctx: click.Context,
    events: str,
    new_rules: Path,
    persons: str | None,
    cases: str | None,
    db: str | None,
    as_json: bool,
    as_csv: bool,
    progress: bool | None,
    parallel: bool | None,
) -> int:
    """Decide EVENTS under the pack in force and under --rules, side by side, on scratch
    stores: the counts per benefit, the cases decided differently, and the money."""
    if as_json and as_csv:
        raise UsageError("Give --json or --csv, not both.")
    if events == STDIN:
        raise UsageError("A what-if reads the events twice: give a file, not stdin.")
    if (persons is None) != (cases is None):
        raise UsageError("Give both --persons and --cases, or neither (then --db).")
    if persons is None and db is None and ctx.find_root().params.get("db") is None:
        raise UsageError("Give --persons and --cases, or --db: the register to start from.")
    opts = ctx.find_root().params
    old = bootstrap("memory:", rules=opts.get("rules"), settings=opts.get("settings"))
    new = bootstrap(
        "memory:", rules=new_rules, settings=opts.get("settings")
    )  # the pack loads, or is refused
    JsonlSource(events)  # fail early on a missing file
    shown = sys.stderr.isatty() if progress is None else progress
    with tempfile.TemporaryDirectory(prefix="eventfilter-whatif-") as tmp:
        base = Path(tmp) / "base.db"
        origin = str(db or opts.get("db"))
        if persons is not None and cases is not None:
            start = bootstrap(f"sqlite:///{base}", rules=opts.get("rules"))
            import_persons(start.store, JsonlSource(persons), persons, start.clock)
            import_cases(start.store, start.pack, JsonlSource(cases), cases, start.clock)
            start.store.dispose()
            origin = f"sqlite:///{base}"
        at_once = _cpus() >= 2 if parallel is None else parallel
        level = opts.get("log_level") or "warning"
        sides = _sides(
            Path(tmp),
            origin,
            opts.get("rules"),
            new_rules,
            opts.get("settings"),
            events,
            shown,
            at_once,
            level,
        )
    result = compare(sides["old"], sides["new"], old.pack.label, new.pack.label)
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    elif as_csv:
        _csv(result.as_dict())
    else:
        click.echo(reports.whatif(result))
    return ExitCode.OK


def _csv(report: dict[str, Any]) -> None:
    out = csv.writer(sys.stdout)
    out.writerow(["benefit", "old", "new", "cases", "paid_difference", "examples"])
    for c in report["changes"]:
        out.writerow(
            [c["benefit"], c["old"], c["new"], c["cases"], c["paid_difference"], " ".join(c["examples"])]
        )


def _cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _sides(
    tmp: Path,
    origin: str,
    old_rules: Path | None,
    new_rules: Path,
    settings: Path | None,
    events: str,
    shown: bool,
    at_once: bool,
    log_level: str,
) -> dict[str, list[Seen]]:
    """Both sides; `at_once`: the new pack's in a second process while this one
    decides the old pack's (they share nothing but the file they read; the bar
    follows the old side)."""
    if not at_once:
        return {
            "old": _side(tmp / "old.db", origin, old_rules, settings, events, shown, "old"),
            "new": _side(tmp / "new.db", origin, new_rules, settings, events, shown, "new"),
        }
    spawn = multiprocessing.get_context("spawn")  # a fresh interpreter: no engine or lock carried over
    with ProcessPoolExecutor(
        max_workers=1, mp_context=spawn, initializer=configure, initargs=(log_level,)
    ) as pool:
        other = pool.submit(_side, tmp / "new.db", origin, new_rules, settings, events, False, "new")
        old = _side(tmp / "old.db", origin, old_rules, settings, events, shown, "old and new")
        return {"old": old, "new": other.result()}


def _side(
    path: Path, origin: str, rules: Path | None, settings: Path | None, events: str, shown: bool, name: str
) -> list[Seen]:
    """One side: the events replayed on a private copy of the register, under one pack."""
    app = bootstrap(scratch_copy(origin, path), rules=rules, settings=settings, create=False)
    kept: list[Seen] = []
    source = JsonlSource(events)
    bar = Progress(source, shown, f"events ({name} pack)")

    def keep(decisions: list[Decision]) -> None:
        kept.extend(seen(decisions))

    try:
        replayer = Replayer(app.store, app.pack, app.settings, app.clock, ObservedSink(keep))
        replayer.on_batch = lambda s: bar(s.events_read)
        replayer.run(source, source.name)
    finally:
        bar.done()
        app.store.dispose()
    return kept
