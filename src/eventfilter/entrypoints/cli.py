"""The command line (contract.md §5). Errors are one plain sentence on
stderr with the contract's exit status; never a traceback (unless
EVENTFILTER_DEBUG=1)."""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import click

from eventfilter import __version__
from eventfilter.adapters.holdscsv import holds_csv
from eventfilter.adapters.jsonl import JsonlSink, JsonlSource
from eventfilter.application import App
from eventfilter.bootstrap import bootstrap, upgrade_database
from eventfilter.core.comparison import NaiveComparison
from eventfilter.core.vocabulary import ACTIONS
from eventfilter.entrypoints import render
from eventfilter.entrypoints.exitcodes import ExitCode, exit_code_for
from eventfilter.errors import EventFilterError, NotFound, UsageError
from eventfilter.logs import configure
from eventfilter.records import Caseworker, DecisionView
from eventfilter.service import gc_tuning, queries, wording
from eventfilter.service.corrections import Correction
from eventfilter.service.imports import ImportResult, import_cases, import_persons
from eventfilter.service.replay import DecisionSink, ObservedSink, Replayer
from eventfilter.service.review_actions import ReviewService
from eventfilter.settings import Settings

DB_HELP = "Database URL (default: sqlite:///eventfilter.db; env EVENTFILTER_DB). PostgreSQL: postgresql+psycopg://..."


# Review items are numbered from 1; the database's integer column ends at 2**31 - 1.
ITEM_ID = click.IntRange(1, 2**31 - 1)


def db_option(f: Any) -> Any:
    """--db after the command; before it (or EVENTFILTER_DB) works too."""
    return click.option("--db", default=None, metavar="URL", help=DB_HELP)(f)


def json_option(f: Any) -> Any:
    return click.option("--json", "as_json", is_flag=True, help="Print a JSON array for machines.")(f)


def _app(ctx: click.Context, db: str | None, *, create: bool = False) -> App:
    """The application on the chosen database. Only the commands that load
    data (`import`, `replay`, `consume`) may create a new database: any other
    command on a database that does not exist (a typo in --db, a forgotten
    --db) is refused, so that an empty answer never looks like a real one."""
    opts = ctx.find_root().params
    return bootstrap(
        db or opts.get("db"), rules=opts.get("rules"), settings=opts.get("settings"), create=create
    )


def _print_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="eventfilter")
@click.option("--db", envvar="EVENTFILTER_DB", default=None, metavar="URL", help=DB_HELP)
@click.option(
    "--rules", type=click.Path(path_type=Path), envvar="EVENTFILTER_RULES", help="Rule pack (TOML)."
)
@click.option(
    "--settings", type=click.Path(path_type=Path), envvar="EVENTFILTER_SETTINGS", help="Settings (TOML)."
)
@click.option(
    "--log-level",
    envvar="EVENTFILTER_LOG_LEVEL",
    default=None,
    type=click.Choice(["debug", "info", "warning", "error"]),
    help="Structured logs on stderr (default: warning; info for consume).",
)
def cli(db: str | None, rules: Path | None, settings: Path | None, log_level: str | None) -> None:
    """eventfilter: stop a benefit payment only when eligibility is actually lost."""
    configure(log_level or "warning")


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
    return ExitCode.DEAD_LETTERS if result.rejected_count else ExitCode.OK


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
class Progress:
    """A one-line progress display on stderr: share of the file, lines/s, ETA."""

    def __init__(self, source: JsonlSource, enabled: bool, what: str = "events") -> None:
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


@cli.command()
@click.argument("events")
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
    events: str,
    persons: str | None,
    cases: str | None,
    out: str | None,
    progress: bool | None,
    compare_naive: bool,
    as_json: bool,
    db: str | None,
) -> int:
    """Decide every event of EVENTS ('-' for stdin) and record the outcome."""
    app = _app(ctx, db, create=True)
    source = JsonlSource(events)  # fail early on a missing file
    with app.store.exclusive(f"replay {source.name}"):
        return _replay(app, source, persons, cases, out, progress, compare_naive, as_json)


def _replay(
    app: App,
    source: JsonlSource,
    persons: str | None,
    cases: str | None,
    out: str | None,
    progress: bool | None,
    compare_naive: bool,
    as_json: bool,
) -> int:
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

    file_sink = JsonlSink(out) if out else None
    sink: DecisionSink | None = file_sink
    comparison = None
    if compare_naive:
        comparison = NaiveComparison(app.store.active_cases_by_benefit())
        sink = ObservedSink(comparison.observe, file_sink)
    bar = Progress(source, sys.stderr.isatty() if progress is None else progress)
    try:
        replayer = Replayer(app.store, app.pack, app.settings, app.clock, sink, lambda s: bar(s.events_read))
        summary = replayer.run(source, source.name)
    finally:
        bar.done()
        if file_sink is not None:
            file_sink.close()
    open_items = len(queries.review_list(app.review))
    to_stderr = out == "-"
    if as_json:
        report: dict[str, Any] = {**summary.as_dict(), "review_items_open": open_items}
        if comparison is not None:
            report["compare_naive"] = comparison.as_dict()
        click.echo(json.dumps(report), err=to_stderr)
    else:
        appended = file_sink.written if file_sink is not None else 0
        click.echo(render.summary(summary, out if out != "-" else None, open_items, appended), err=to_stderr)
        if comparison is not None:
            click.echo("\n" + render.naive_comparison(comparison), err=to_stderr)
    return ExitCode.DEAD_LETTERS if summary.dead_letters or rejected else ExitCode.OK


# -- people's views --------------------------------------------------------------
@cli.group()
def review() -> None:
    """The caseworker queue."""


def as_option(f: Any) -> Any:
    return click.option(
        "--as",
        "as_caseworker",
        metavar="CASEWORKER",
        envvar="EVENTFILTER_CASEWORKER",
        help="See only what this caseworker may see (their municipalities).",
    )(f)


@review.command("list")
@click.option(
    "--municipality", "municipalities", multiple=True, metavar="CODE", help="Only these municipalities."
)
@click.option("--benefit", "benefits", multiple=True, help="Only these benefits.")
@click.option(
    "--reason", "reasons", multiple=True, metavar="CODE", help="Only items with one of these reasons."
)
@click.option("--overdue", is_flag=True, help="Only items past their due date.")
@as_option
@json_option
@db_option
@click.pass_context
def review_list(
    ctx: click.Context,
    municipalities: tuple[str, ...],
    benefits: tuple[str, ...],
    reasons: tuple[str, ...],
    overdue: bool,
    as_caseworker: str | None,
    as_json: bool,
    db: str | None,
) -> int:
    """Open review items (suspend and review decisions), by due date."""
    app = _app(ctx, db)
    items = ReviewService(app).queue(
        as_caseworker=as_caseworker,
        municipalities=municipalities,
        benefits=benefits,
        reasons=reasons,
        overdue=overdue,
    )
    today = app.clock().date()
    if as_json:
        _print_json([i.to_dict(today) for i in items])
    else:
        click.echo(render.review_items(items, today))
    return ExitCode.OK


@review.command("show")
@click.argument("item", type=ITEM_ID)
@as_option
@json_option
@db_option
@click.pass_context
def review_show(
    ctx: click.Context, item: int, as_caseworker: str | None, as_json: bool, db: str | None
) -> int:
    """One review item: the case, the events, what changed, why, and its history."""
    app = _app(ctx, db)
    page = ReviewService(app).page(item, as_caseworker=as_caseworker)
    today = app.clock().date()
    if as_json:
        _print_json(page.to_dict(today))
    else:
        click.echo(render.review_page(page, app.pack, today))
    return ExitCode.OK


@review.command("resolve")
@click.argument("item", type=ITEM_ID)
@click.option("--action", required=True, type=click.Choice(ACTIONS))
@click.option(
    "--by", "by", required=True, metavar="CASEWORKER", help="Who resolves (a registered caseworker)."
)
@click.option("--note", default=None, help="Why, in a sentence (kept in the audit trail).")
@click.option(
    "--set",
    "corrections",
    multiple=True,
    metavar="PERSON.FIELD=VALUE",
    help="With redecide: a corrected fact, e.g. DK-0000042.monthly_income=5200 (repeatable).",
)
@db_option
@click.pass_context
def review_resolve(
    ctx: click.Context,
    item: int,
    action: str,
    by: str,
    note: str | None,
    corrections: tuple[str, ...],
    db: str | None,
) -> int:
    """Resolve a review item: release, confirm or redecide."""
    app = _app(ctx, db)
    fixes = [Correction.parse(c) for c in corrections]
    result = ReviewService(app).resolve(item, action, by, note, fixes)
    click.echo(f"Review item {item} {wording.resolved(action, result.hold_lifted)}.")
    if result.corrected:
        click.echo(f"  corrected: {', '.join(result.corrected)}")
    if result.decision is not None:
        d = result.decision
        click.echo(f"  new decision {d.decision_id}: {d.outcome} ({', '.join(r.code for r in d.reasons)})")
        if result.hold_lifted:
            click.echo("  the hold is lifted: payment resumes")
        if result.new_item is not None:
            click.echo(f"  new review item {result.new_item.item_id}, due {result.new_item.due_date}")
    for d in result.also:
        codes = ", ".join(r.code for r in d.reasons)
        click.echo(
            f"  also decided again, as it reads a corrected person: case {d.case_id}: {d.outcome} ({codes})"
        )
    return ExitCode.OK


@cli.command()
@click.argument("case_id")
@as_option
@json_option
@db_option
@click.pass_context
def audit(ctx: click.Context, case_id: str, as_caseworker: str | None, as_json: bool, db: str | None) -> int:
    """Why was this paid, why was this stopped: a case's history, in order."""
    app = _app(ctx, db)
    case, entries = ReviewService(app).case_history(case_id, as_caseworker=as_caseworker)
    if as_json:
        _print_json(
            [_audit_json(e, held) for e, held in wording.narrate(entries, case.status == "suspended")]
        )
    else:
        click.echo(render.audit_trail(case, entries, app.pack))
    return ExitCode.OK


def _audit_json(e: Any, held: bool) -> dict[str, Any]:
    if isinstance(e, DecisionView):
        return {
            "at": e.decided_at.isoformat(),
            "actor": "eventfilter",
            "action": "decision_made",
            "decision_id": e.decision_id,
            "decision": e.outcome,
            "reasons": list(e.reasons),
            "event_ids": list(e.event_ids),
            "before": e.before,
            "after": e.after,
            "message": wording.decision(e.outcome, e.reasons, e.event_ids, held, e.hold),
        }
    return {
        "at": e.at.isoformat(),
        "actor": e.actor,
        "action": e.action,
        "item_id": e.item_id,
        "decision_id": e.decision_id,
        "message": e.message,
        "details": e.details,
    }


@cli.command()
@click.option("--as-of", "as_of", default=None, metavar="YYYY-MM-DD", help="Held at the end of this day.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV for the payment run.")
@json_option
@db_option
@click.pass_context
def holds(ctx: click.Context, as_of: str | None, as_csv: bool, as_json: bool, db: str | None) -> int:
    """Cases whose payment is suspended now (or as of a date)."""
    day = _parse_date(as_of, "--as-of") if as_of else None
    app = _app(ctx, db)
    views = queries.holds(app.review, day)
    if as_csv:
        click.echo(holds_csv(views), nl=False)
    elif as_json:
        _print_json([h.to_dict() for h in views])
    else:
        click.echo(render.holds(views))
    return ExitCode.OK


# -- caseworkers ---------------------------------------------------------------------
@cli.group("caseworkers")
def caseworkers_group() -> None:
    """Caseworkers and the municipalities whose cases they may see and act on."""


@caseworkers_group.command("add")
@click.argument("caseworker_id")
@click.option("--name", required=True)
@click.option("--municipality", "municipalities", multiple=True, required=True, metavar="CODE")
@db_option
@click.pass_context
def caseworkers_add(
    ctx: click.Context, caseworker_id: str, name: str, municipalities: tuple[str, ...], db: str | None
) -> int:
    """Register a caseworker (or change their name and municipalities)."""
    app = _app(ctx, db)
    cw = Caseworker(caseworker_id, name, tuple(dict.fromkeys(municipalities)), True)
    app.review.save_caseworker(cw, app.clock())
    click.echo(
        f"Caseworker {caseworker_id} ({name}) may act in municipalities {', '.join(cw.municipalities)}."
    )
    return ExitCode.OK


@caseworkers_group.command("deactivate")
@click.argument("caseworker_id")
@db_option
@click.pass_context
def caseworkers_deactivate(ctx: click.Context, caseworker_id: str, db: str | None) -> int:
    """Withdraw a caseworker's rights (kept for the audit trail)."""
    app = _app(ctx, db)
    review_store = app.review
    cw = review_store.caseworker(caseworker_id)
    if cw is None:
        raise NotFound(f"There is no caseworker {caseworker_id!r}.")
    review_store.save_caseworker(replace(cw, active=False), app.clock())
    click.echo(f"Caseworker {caseworker_id} is no longer active.")
    return ExitCode.OK


@caseworkers_group.command("list")
@json_option
@db_option
@click.pass_context
def caseworkers_list(ctx: click.Context, as_json: bool, db: str | None) -> int:
    """The registered caseworkers."""
    app = _app(ctx, db)
    rows = app.review.caseworkers()
    if as_json:
        _print_json([c.to_dict() for c in rows])
    else:
        click.echo(render.caseworkers(rows))
    return ExitCode.OK


@caseworkers_group.command("password")
@click.argument("caseworker_id")
@click.option(
    "--password-stdin", "from_stdin", is_flag=True, help="Read the password from stdin (for scripts)."
)
@db_option
@click.pass_context
def caseworkers_password(ctx: click.Context, caseworker_id: str, from_stdin: bool, db: str | None) -> int:
    """Set a caseworker's password for signing in to the web review queue."""
    from eventfilter.web.passwords import hash_password

    app = _app(ctx, db)
    review_store = app.review
    if review_store.caseworker(caseworker_id) is None:
        raise NotFound(f"There is no caseworker {caseworker_id!r}; add them with `caseworkers add` first.")
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    review_store.set_password_hash(caseworker_id, hash_password(password))
    click.echo(f"Caseworker {caseworker_id} can now sign in to the web review queue.")
    return ExitCode.OK


@cli.command()
@click.option("--host", default=None, help="Address to listen on (settings [web] host, default 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Port (default 8080).")
@click.option(
    "--auth",
    type=click.Choice(["local", "header"]),
    default=None,
    help="local: caseworker id and password; header: behind an OIDC proxy that names the caseworker.",
)
@click.option(
    "--auth-header", default=None, help="With --auth header: the header (default X-Forwarded-Email)."
)
@click.option(
    "--trusted-proxy",
    "trusted_proxies",
    multiple=True,
    metavar="ADDRESS",
    help="With --auth header: the sign-in proxy's address, the only one whose header is believed "
    "(repeatable; default loopback only).",
)
@click.option("--idle-minutes", type=click.IntRange(1), default=None, help="Sign out after this long idle.")
@db_option
@click.pass_context
def serve(
    ctx: click.Context,
    host: str | None,
    port: int | None,
    auth: str | None,
    auth_header: str | None,
    trusted_proxies: tuple[str, ...],
    idle_minutes: int | None,
    db: str | None,
) -> int:
    """The review queue in the browser, for caseworkers (needs the extra eventfilter[web])."""
    try:
        from eventfilter.web import server
    except ImportError as exc:
        raise UsageError(
            f"The web review queue needs the web extra (pip install 'eventfilter[web]'): {exc}."
        ) from None

    app = _app(ctx, db)
    web = app.settings.web
    options = server.ServeOptions(
        host=host or web.host,
        port=port or web.port,
        auth=auth or web.auth,
        auth_header=auth_header or web.auth_header,
        idle_minutes=idle_minutes or web.idle_minutes,
        secure_cookies=web.secure_cookies,
        trusted_proxies=trusted_proxies or tuple(web.trusted_proxies),
    )
    server.check(options)
    sock = server.bind(options.host, options.port)  # a busy port is refused before anything is said
    click.echo(server.describe(options), err=True)
    server.serve(app, options, sock)
    return ExitCode.OK


@cli.command()
@json_option
@db_option
@click.pass_context
def deadletters(ctx: click.Context, as_json: bool, db: str | None) -> int:
    """Rejected input, with position and error."""
    app = _app(ctx, db)
    views = queries.dead_letters(app.store)
    if as_json:
        _print_json([d.to_dict() for d in views])
    else:
        click.echo(render.dead_letters(views))
    return ExitCode.OK


# -- the stream ------------------------------------------------------------------------
def _topology(settings: Settings, queue: str | None, partitions: int | None) -> Any:
    from eventfilter.adapters.amqp import Topology

    s = settings.stream
    return Topology(
        queue=queue or s.queue,
        partitions=partitions or s.partitions,
        delivery_limit=s.delivery_limit,
        decisions=s.decisions_exchange,
    )


def _amqp_url(settings: Settings, given: str | None) -> str:
    return given or settings.stream.amqp_url


amqp_option = click.option(
    "--amqp",
    "amqp",
    envvar="EVENTFILTER_AMQP",
    metavar="URL",
    help="RabbitMQ URL, amqp://user:password@host:5672/vhost (env EVENTFILTER_AMQP).",
)
queue_option = click.option(
    "--queue",
    default=None,
    metavar="NAME",
    help="The event exchange; its partition queues are NAME.0, NAME.1, … (default eventfilter.events).",
)
partitions_option = click.option(
    "--partitions",
    type=click.IntRange(1, 1024),
    default=None,
    help="Partition queues events are hashed over by person.",
)


@cli.command()
@amqp_option
@queue_option
@partitions_option
@click.option(
    "--member",
    type=click.IntRange(0),
    default=0,
    show_default=True,
    help="This consumer's number, 0 … members-1: it takes partitions n with n % members == member first.",
)
@click.option(
    "--members", type=click.IntRange(1), default=1, show_default=True, help="Consumers sharing the load."
)
@click.option(
    "--settle-seconds", type=click.FloatRange(0), default=None, help="How long a case's window stays open."
)
@click.option("--batch-size", type=click.IntRange(1), default=None, help="Messages decided per transaction.")
@click.option(
    "--metrics-port",
    type=click.IntRange(1, 65535),
    envvar="EVENTFILTER_METRICS_PORT",
    default=None,
    help="Serve Prometheus metrics on this port.",
)
@db_option
@click.pass_context
def consume(
    ctx: click.Context,
    amqp: str | None,
    queue: str | None,
    partitions: int | None,
    member: int,
    members: int,
    settle_seconds: float | None,
    batch_size: int | None,
    metrics_port: int | None,
    db: str | None,
) -> int:
    """Decide register events from RabbitMQ as they arrive, until SIGTERM."""
    import signal
    import threading

    from eventfilter.adapters.amqp import PikaBroker
    from eventfilter.adapters.metrics import PrometheusMetrics
    from eventfilter.service.consumer import Consumer, ConsumerSettings
    from eventfilter.service.stream import NoMetrics, StreamProcessor

    if member >= members:
        raise UsageError(f"--member {member} must be below --members {members}.")
    if ctx.find_root().params.get("log_level") is None:
        configure("info")  # one line per decision
    app = _app(ctx, db, create=True)
    s = app.settings.stream
    settings = replace(
        app.settings, settle_seconds=settle_seconds if settle_seconds is not None else s.settle_seconds
    )
    topology = _topology(app.settings, queue, partitions)
    url = _amqp_url(app.settings, amqp)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    metrics: Any = NoMetrics()
    if metrics_port is not None:
        metrics = PrometheusMetrics()
        metrics.serve(metrics_port)
    processor = StreamProcessor(app.store, app.pack, settings, app.clock, metrics, source=topology.queue)

    def connect() -> PikaBroker:
        return PikaBroker(
            url,
            topology,
            member=member,
            members=members,
            prefetch=s.prefetch,
            standby_after=s.standby_after if members > 1 else 0,
        )

    consumer = Consumer(
        processor,
        connect,
        ConsumerSettings(
            batch_size=batch_size or s.batch_size, max_wait=s.max_wait, close_every=s.close_every
        ),
        stop,
        on_lag=getattr(metrics, "queue_lag", None),
        on_windows=getattr(metrics, "open_windows", None),
    )
    with app.store.shared("consume events"), gc_tuning.long_run():
        consumer.run()
    return ExitCode.OK


@cli.command()
@click.argument("file")
@amqp_option
@queue_option
@partitions_option
@click.pass_context
def publish(
    ctx: click.Context, file: str, amqp: str | None, queue: str | None, partitions: int | None
) -> int:
    """Feed an event file into RabbitMQ, one message per line (demos and tests)."""
    from eventfilter.adapters.amqp import publish_events
    from eventfilter.settings import load_settings

    settings = load_settings(ctx.find_root().params.get("settings"))
    topology = _topology(settings, queue, partitions)
    source = JsonlSource(file)
    sent = publish_events(_amqp_url(settings, amqp), topology, (raw for _, raw in source))
    click.echo(f"Published {sent} events from {source.name} to {topology.events}.")
    return ExitCode.OK


@cli.group()
def windows() -> None:
    """Cases whose events wait to be decided together."""


@windows.command("close")
@click.option(
    "--all", "everything", is_flag=True, help="Close every open window now (before a payment run cut-off)."
)
@db_option
@click.pass_context
def windows_close(ctx: click.Context, everything: bool, db: str | None) -> int:
    """Decide the windows whose settle time has passed (or all of them)."""
    from eventfilter.service.stream import StreamProcessor

    app = _app(ctx, db)
    processor = StreamProcessor(app.store, app.pack, app.settings, app.clock)
    with app.store.shared("close windows"):
        before = processor.open_windows()
        made = processor.flush() if everything else len(processor.close_due(limit=1_000_000))
    click.echo(
        f"Closed {before - processor.open_windows()} of {before} open windows: {made} decisions "
        "(the consumer publishes them to the payment system)."
    )
    return ExitCode.OK


# -- rules and database -------------------------------------------------------------
@cli.group()
def rules() -> None:
    """The rule pack."""


@rules.command("show")
@click.option("--date", "on", default=None, metavar="YYYY-MM-DD", help="Evaluation date (default: today).")
@json_option
@click.pass_context
def rules_show(ctx: click.Context, on: str | None, as_json: bool) -> int:
    """The parameters in force on a date, with their legal references."""
    from eventfilter.rulepack import load_pack

    pack = load_pack(ctx.find_root().params.get("rules"))
    day = _parse_date(on, "--date") if on else date.today()
    if as_json:
        _print_json(
            {
                "rule_pack": pack.label,
                "date": day.isoformat(),
                "benefits": {
                    b.name: {
                        "title": b.title,
                        "legal_ref": b.legal_ref,
                        "criteria": {
                            c.name: {"consequence": c.consequence, "legal_ref": c.legal_ref}
                            for c in b.criteria.values()
                        },
                        "parameters": {
                            p.name: {
                                "value": render.plain_number(p.at(day).value),
                                "valid_from": p.at(day).valid_from,
                                "reference": p.reference,
                            }
                            for p in b.parameters.values()
                        },
                    }
                    for b in pack.benefits.values()
                },
            }
        )
    else:
        click.echo(render.rules(pack, day))
    return ExitCode.OK


@cli.group("db")
def db_group() -> None:
    """The database schema."""


@db_group.command("upgrade")
@db_option
@click.pass_context
def db_upgrade(ctx: click.Context, db: str | None) -> int:
    """Create the schema, or upgrade an existing database in place."""
    before, after = upgrade_database(db or ctx.find_root().params.get("db"))
    if before == after:
        click.echo(f"The database is at revision {after}, the newest; nothing to do.")
    else:
        click.echo(f"Upgraded the database from revision {before or 'none (empty)'} to {after}.")
    return ExitCode.OK


@cli.command()
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(path_type=Path),
    help="Folder to write the world into (refused if it holds a world already, unless --force).",
)
@click.option("--force", is_flag=True, help="Write over a world already in --out.")
@click.option(
    "--scale",
    type=click.Choice(["national"]),
    default=None,
    help="A whole country (Denmark: 5.9 million persons, 700,000 cases) at the national rates;"
    " with --fraction, a part of it.",
)
@click.option(
    "--fraction",
    type=click.FloatRange(0, 1, min_open=True),
    default=1.0,
    show_default=True,
    help="With --scale: this share of the country (0.01: a 1 % sample).",
)
@click.option(
    "--persons", type=click.IntRange(1), default=None, help="Persons in the register (default 2000)."
)
@click.option(
    "--days",
    type=click.IntRange(0),
    default=None,
    help="Days of events from --start (default 90; 365 with --scale).",
)
@click.option("--start", default="2026-01-01", show_default=True, metavar="YYYY-MM-DD")
@click.option("--seed", default=7, show_default=True)
@click.option(
    "--profile",
    type=click.Choice(["sample", "national", "register"]),
    default=None,
    help="sample (default): a busy small municipality; national: the national per-person rates"
    " (the default with --scale); register: national rates without income reports.",
)
def generate(
    out_dir: Path,
    force: bool,
    scale: str | None,
    fraction: float,
    persons: int | None,
    days: int | None,
    start: str,
    seed: int,
    profile: str | None,
) -> int:
    """Write a synthetic world: persons.jsonl, cases.jsonl, events.jsonl (streamed, any size)."""
    from eventfilter.generate import NATIONAL_PERSONS, PROFILES, write_world

    if scale is not None and persons is not None:
        raise UsageError("Give either --scale (with --fraction) or --persons, not both.")
    there = [n for n in ("persons.jsonl", "cases.jsonl", "events.jsonl") if (out_dir / n).exists()]
    if there and not force:
        raise UsageError(
            f"{out_dir}/ holds a world already ({', '.join(there)}); give another --out, or --force to "
            "write over it."
        )
    if scale is not None:
        persons, days, profile = round(NATIONAL_PERSONS * fraction), days or 365, profile or "national"
    tell = _progress_line(sys.stderr.isatty())
    counts = write_world(
        out_dir,
        persons or 2000,
        seed=seed,
        days=90 if days is None else days,
        start=_parse_date(start, "--start"),
        profile=PROFILES[profile or "sample"],
        progress=lambda what, n: tell(f"generate: {n:,} {what} written"),
    )
    tell(None)
    click.echo(f"Wrote {out_dir}/: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return ExitCode.OK


def _progress_line(tty: bool) -> Any:
    """Progress on one line of stderr (only on a terminal)."""

    def tell(text: str | None) -> None:
        if not tty:
            return
        if text is None:
            click.echo("\r\033[K", err=True, nl=False)
        else:
            click.echo(f"\r\033[K{text}", err=True, nl=False)

    return tell


def _parse_date(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{name} {value!r} is not a date that exists (YYYY-MM-DD).") from None


# -- entry point -------------------------------------------------------------------
def main(argv: list[str] | None = None) -> None:
    try:
        code = cli.main(args=argv, prog_name="eventfilter", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(ExitCode.FAILED)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except EventFilterError as exc:
        click.echo(_sentence(exc), err=True)
        sys.exit(exit_code_for(exc))
    except KeyboardInterrupt:
        click.echo("Interrupted; the database is consistent, and a rerun completes the work.", err=True)
        sys.exit(ExitCode.FAILED)
    except Exception as exc:  # the last guard: one sentence, not a traceback
        if os.environ.get("EVENTFILTER_DEBUG"):
            raise
        # The exception's text may hold SQL and its parameters (person ids,
        # addresses, incomes): only its kind is shown, the rest behind the switch.
        click.echo(
            f"eventfilter failed unexpectedly ({type(exc).__name__}); "
            "the database is consistent; set EVENTFILTER_DEBUG=1 for details.",
            err=True,
        )
        sys.exit(ExitCode.FAILED)
    sys.exit(code if isinstance(code, int) else ExitCode.OK)


def _sentence(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text if text.endswith((".", "?", "!")) else text + "."
