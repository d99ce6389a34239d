"""Loading data: `import persons|cases` and `replay`."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any, Protocol

import click

from eventfilter.adapters.cpr import CprExtract
from eventfilter.adapters.jsonl import STDIN, JsonlSink, JsonlSource
from eventfilter.adapters.navet import NavetFile
from eventfilter.application import App
from eventfilter.core.comparison import NaiveComparison
from eventfilter.entrypoints import reports
from eventfilter.entrypoints.cli.base import (
    _app,
    _parse_date,
    cli,
    db_option,
)
from eventfilter.entrypoints.exitcodes import ExitCode
from eventfilter.errors import UsageError
from eventfilter.formats.patterns import fitted
from eventfilter.records import SnapshotRead
from eventfilter.service import extracts, queries
from eventfilter.service.imports import ImportResult, import_cases, import_persons
from eventfilter.service.replay import DecisionSink, ObservedSink, Replayer
from eventfilter.service.ticks import Ticker


# -- import --------------------------------------------------------------------
@cli.group("import")
def import_group() -> None:
    """Load or update the register extract or the case extract."""


def _report_import(result: ImportResult, what: str, seconds: float) -> int:
    rate = f" ({result.read / seconds:,.0f} lines/s)" if seconds > 1 else ""
    click.echo(f"Imported {result.imported} {what} from {result.source} in {seconds:.1f} s{rate}.")
    for d in result.rejected:
        click.echo(f"  skipped {d.source}:{d.position}: {d.error}", err=True)
    if result.rejected_count > len(result.rejected):
        more = result.rejected_count - len(result.rejected)
        click.echo(f"  … and {more} more lines skipped (see: eventfilter deadletters)", err=True)
    if result.without_beneficiary:
        click.echo(_without_beneficiary(result), err=True)
    return ExitCode.DEAD_LETTERS if result.rejected_count else ExitCode.OK


def _without_beneficiary(result: ImportResult) -> str:
    n, shown = result.without_beneficiary, result.without_beneficiary_shown
    names = ", ".join(shown) + (", …" if n > len(shown) else "")
    cases = "case names a beneficiary" if n == 1 else "cases name a beneficiary"
    return (
        f"  warning: {n} {cases} the register does not hold ({names}); their events are decided "
        "without the beneficiary's facts until a register extract holding them is imported."
    )


progress_option = click.option(
    "--progress/--no-progress", default=None, help="Progress bar on stderr (default: when a terminal)."
)


def _import(ctx: click.Context, file: str, db: str | None, progress: bool | None, what: str) -> int:
    app = _app(ctx, db, create=True)
    source = JsonlSource(file)
    bar = Progress(source, sys.stderr.isatty() if progress is None else progress, what)
    started = time.perf_counter()

    def tick(result: ImportResult) -> None:
        bar(result.read)

    try:
        if what == "persons":
            result = import_persons(
                app.store, source, source.name, app.clock, tick, app.settings.horizon_days
            )
        else:
            result = import_cases(app.store, app.pack, source, source.name, app.clock, tick)
    finally:
        bar.done()
    return _report_import(result, what, time.perf_counter() - started)


@import_group.command("persons")
@click.argument("file")
@progress_option
@db_option
@click.pass_context
def import_persons_cmd(ctx: click.Context, file: str, progress: bool | None, db: str | None) -> int:
    """Load or update persons from a register extract (JSON Lines), in batches."""
    return _import(ctx, file, db, progress, "persons")


@import_group.command("cases")
@click.argument("file")
@progress_option
@db_option
@click.pass_context
def import_cases_cmd(ctx: click.Context, file: str, progress: bool | None, db: str | None) -> int:
    """Load or update cases from a case extract (JSON Lines), in batches."""
    return _import(ctx, file, db, progress, "cases")


# -- replay --------------------------------------------------------------------
class Measured(Protocol):
    """A source that says how much of it has been read."""

    @property
    def total_bytes(self) -> int | None: ...
    @property
    def bytes_read(self) -> int: ...


class Progress:
    """A one-line progress display on stderr: share of the file, lines/s, ETA."""

    def __init__(self, source: Measured, enabled: bool, what: str = "events") -> None:
        self.source = source
        self.what = what
        self.enabled = enabled and source.total_bytes is not None and source.total_bytes > 0
        self.started = time.perf_counter()
        self.shown = False

    def __call__(self, count: int) -> None:
        if not self.enabled:
            return
        total = self.source.total_bytes or 1
        done = self.source.bytes_read
        spent = time.perf_counter() - self.started
        rate = count / spent if spent > 0 else 0.0
        eta = spent * (total - done) / done if done else 0.0
        bar = "#" * int(30 * done / total)
        click.echo(
            f"\r[{bar:<30}] {100 * done / total:5.1f}%  {count:,} {self.what}"
            f"  {rate:,.0f}/s  ETA {eta:4.0f}s",
            err=True,
            nl=False,
        )
        self.shown = True

    def done(self) -> None:
        if self.shown:
            click.echo("", err=True)


FORMATS = ("jsonl", "cpr-extract", "navet")


@cli.command()
@click.argument("events", nargs=-1, required=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="jsonl",
    show_default=True,
    help="jsonl: the contract's event lines (one file, or '-'); cpr-extract: CPR change extracts "
    "(ISO-8859-1 fixed width, several files in one run, read in the order of their production dates); "
    "navet: Navet change notifications (XML).",
)
@click.option("--persons", help="Register extract to import first.")
@click.option("--cases", help="Case extract to import first.")
@click.option("--out", help="Append decisions here as JSON Lines ('-' for stdout).")
@click.option(
    "--progress/--no-progress", default=None, help="Progress bar on stderr (default: when a terminal)."
)
@click.option(
    "--compare-naive",
    is_flag=True,
    help="Also show, by benefit and reason, how many payments a stop-on-every-event filter would pause.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@db_option
@click.pass_context
def replay(
    ctx: click.Context,
    events: tuple[str, ...],
    fmt: str,
    persons: str | None,
    cases: str | None,
    out: str | None,
    progress: bool | None,
    compare_naive: bool,
    as_json: bool,
    db: str | None,
) -> int:
    """Decide every event of EVENTS ('-' for stdin) and record the outcome.

    With --format cpr-extract or navet, EVENTS are the register's own files:
    each person in them is compared with what the register holds, and what
    changed is decided (a file that repeats known facts decides nothing)."""
    if fmt == "jsonl" and len(events) != 1:
        raise UsageError("Replay of JSON Lines reads one file: give one, or '-' for stdin.")
    if fmt != "jsonl" and STDIN in events:
        raise UsageError(f"Replay of {fmt} reads files, not stdin.")
    app = _app(ctx, db, create=True)
    sources = _sources(fmt, events, app)  # fail early on a missing file
    with app.store.exclusive(f"replay {sources.name}"):
        return _replay(app, sources, persons, cases, out, progress, compare_naive, as_json)


def _sources(fmt: str, paths: tuple[str, ...], app: App) -> Sources:
    if fmt == "jsonl":
        return Sources([JsonlSource(paths[0])], fmt)
    if fmt == "cpr-extract":
        return Sources([CprExtract(p, app.settings.cpr_countries) for p in paths], fmt)
    return Sources([NavetFile(p) for p in paths], fmt)


class Sources:
    """What one replay reads: one file of event lines, or register files in order."""

    def __init__(self, files: list[Any], fmt: str) -> None:
        self.files, self.fmt = files, fmt
        self.name = files[0].name if len(files) == 1 else fitted(f"{len(files)} files ({files[0].name} …)")
        self.skipped: list[str] = []

    @property
    def total_bytes(self) -> int | None:
        sizes = [f.total_bytes for f in self.files]
        return None if None in sizes else sum(sizes)

    @property
    def bytes_read(self) -> int:
        return sum(f.bytes_read for f in self.files)

    def reads(self) -> Iterator[SnapshotRead]:
        for f in self.files:
            yield from f


def _import_before_replay(app: App, persons: str | None, cases: str | None) -> int:
    """`replay --persons --cases`: the extracts first; the lines they skipped."""
    rejected = 0
    for path, what in ((persons, "persons"), (cases, "cases")):
        if path is None:
            continue
        extract = JsonlSource(path)
        if what == "persons":
            result = import_persons(
                app.store, extract, extract.name, app.clock, horizon_days=app.settings.horizon_days
            )
        else:
            result = import_cases(app.store, app.pack, extract, extract.name, app.clock)
        rejected += result.rejected_count
        for d in result.rejected:
            click.echo(f"skipped {d.source}:{d.position}: {d.error}", err=True)
        if result.without_beneficiary:
            click.echo(_without_beneficiary(result).strip(), err=True)
    return rejected


def _replay(
    app: App,
    sources: Sources,
    persons: str | None,
    cases: str | None,
    out: str | None,
    progress: bool | None,
    compare_naive: bool,
    as_json: bool,
) -> int:
    rejected = _import_before_replay(app, persons, cases)

    file_sink = JsonlSink(out) if out else None
    sink: DecisionSink | None = file_sink
    comparison = None
    if compare_naive:
        comparison = NaiveComparison(app.store.active_cases_by_benefit())
        sink = ObservedSink(comparison.observe, file_sink)
    chain = None
    if sources.fmt == "cpr-extract":
        chain = extracts.plan(app.store, [f.header for f in sources.files])
        by_name = {f.header.name: f for f in sources.files}
        sources.files = [by_name[e.name] for e in chain.read]
        for e in chain.skipped:
            click.echo(f"{e.name}: the extract of {e.production} was read before; skipped.", err=True)
    bar = Progress(sources, sys.stderr.isatty() if progress is None else progress)
    try:
        replayer = Replayer(app.store, app.pack, app.settings, app.clock, sink, lambda s: bar(s.events_read))
        if sources.fmt == "jsonl":
            summary = replayer.run(sources.files[0], sources.name)
        else:
            summary = replayer.run_snapshots(sources.reads(), sources.name)
    finally:
        bar.done()
        if file_sink is not None:
            file_sink.close()
    for f in sources.files if chain is not None else []:
        app.store.extract_read(replace(f.header, complete=f.complete), app.clock())
        if not f.complete:
            click.echo(
                f"{f.name}: the file ends early (its end record is missing or its count is wrong); "
                "it is not marked read, so the next extract is refused until it is read whole.",
                err=True,
            )
    open_items = len(queries.review_list(app.review))
    to_stderr = out == "-"
    if as_json:
        report: dict[str, Any] = {**summary.as_dict(), "review_items_open": open_items}
        if comparison is not None:
            report["compare_naive"] = comparison.as_dict()
        click.echo(json.dumps(report), err=to_stderr)
    else:
        appended = file_sink.written if file_sink is not None else 0
        click.echo(reports.summary(summary, out if out != "-" else None, open_items, appended), err=to_stderr)
        if comparison is not None:
            click.echo("\n" + reports.naive_comparison(comparison), err=to_stderr)
    return ExitCode.DEAD_LETTERS if summary.dead_letters or rejected else ExitCode.OK


# -- tick -----------------------------------------------------------------------
@cli.command()
@click.option("--through", "through", required=True, metavar="YYYY-MM-DD", help="Decide up to this date.")
@click.option("--out", help="Append the decisions here as JSON Lines ('-' for stdout).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@db_option
@click.pass_context
def tick(ctx: click.Context, through: str, out: str | None, as_json: bool, db: str | None) -> int:
    """Decide what time alone changes (a child turning 18, the beneficiary turning 30, a
    parameter's new value on its valid_from), for every active case, up to --through."""
    day = _parse_date(through, "--through")
    app = _app(ctx, db)
    horizon = app.clock().date() + timedelta(days=app.settings.horizon_days)
    if day > horizon:
        raise UsageError(f"--through {day} is further ahead than the input horizon ({horizon}).")
    sink = JsonlSink(out) if out else None
    try:
        summary = Ticker(app.store, app.pack, app.settings, app.clock, sink).run(day)
    finally:
        if sink is not None:
            sink.close()
    if as_json:
        click.echo(json.dumps(summary.as_dict()), err=out == "-")
    else:
        click.echo(reports.tick_summary(summary), err=out == "-")
    return ExitCode.OK
