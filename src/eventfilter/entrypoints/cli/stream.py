"""The stream: `consume`, `publish`, `windows close`."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from eventfilter.adapters.jsonl import JsonlSource
from eventfilter.entrypoints.cli.base import (
    _app,
    cli,
    db_option,
)
from eventfilter.entrypoints.exitcodes import ExitCode
from eventfilter.errors import UsageError
from eventfilter.logs import configure
from eventfilter.ports import Delivery
from eventfilter.records import SnapshotRead
from eventfilter.service import gc_tuning
from eventfilter.settings import Settings


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
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "beskedfordeler"]),
    default="jsonl",
    show_default=True,
    help="jsonl: each message is one of the contract's event lines; beskedfordeler: each message is a "
    "Haendelsesbesked envelope carrying the person's CPR records, compared with what the register holds.",
)
@click.option(
    "--tick/--no-tick",
    "daily_tick",
    default=True,
    show_default=True,
    help="Once a day by the clock, decide what time alone changes through today (ages, new rates).",
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
    fmt: str,
    daily_tick: bool,
    db: str | None,
) -> int:
    """Decide register events from RabbitMQ as they arrive, until SIGTERM."""
    import signal
    import threading

    from eventfilter.adapters.amqp import PikaBroker, PikaPublisher
    from eventfilter.adapters.metrics import PrometheusMetrics
    from eventfilter.service.consumer import Consumer, ConsumerSettings
    from eventfilter.service.outbox import OutboxPublisher
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
    reader = None
    if fmt == "beskedfordeler":
        from eventfilter.adapters.beskedfordeler import read_message

        def reader(d: Delivery) -> SnapshotRead:
            return read_message(d.body, d.message_id)

    processor = StreamProcessor(
        app.store,
        app.pack,
        settings,
        app.clock,
        metrics,
        source=topology.queue,
        reader=reader,
        daily_tick=daily_tick,
    )

    def connect() -> PikaBroker:
        return PikaBroker(
            url,
            topology,
            member=member,
            members=members,
            prefetch=s.prefetch,
            standby_after=s.standby_after if members > 1 else 0,
            prepare=processor.prepare,
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
        # the payment system's messages go out on a thread and connection of their own
        publisher=OutboxPublisher(
            app.store,
            lambda: PikaPublisher(url, topology),
            on_published=getattr(metrics, "outbox_published", None),
            on_waiting=getattr(metrics, "outbox_waiting", None),
        ),
    )
    with app.store.shared("consume events"), gc_tuning.long_run():
        consumer.run()
    return ExitCode.OK


@cli.command()
@click.argument("files", nargs=-1, required=True)
@amqp_option
@queue_option
@partitions_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "beskedfordeler"]),
    default="jsonl",
    show_default=True,
    help="jsonl: one event line per message; beskedfordeler: each file one envelope.",
)
@click.pass_context
def publish(
    ctx: click.Context,
    files: tuple[str, ...],
    amqp: str | None,
    queue: str | None,
    partitions: int | None,
    fmt: str,
) -> int:
    """Feed an event file into RabbitMQ, one message per line (demos and tests); with
    --format beskedfordeler, each FILE is one Haendelsesbesked envelope."""
    from eventfilter.adapters.amqp import publish_events, publish_messages
    from eventfilter.settings import load_settings

    settings = load_settings(ctx.find_root().params.get("settings"))
    topology = _topology(settings, queue, partitions)
    url = _amqp_url(settings, amqp)
    if fmt == "jsonl":
        if len(files) != 1:
            raise UsageError("Publishing JSON Lines reads one file.")
        source = JsonlSource(files[0])
        sent = publish_events(url, topology, (raw for _, raw in source))
        click.echo(f"Published {sent} events from {source.name} to {topology.events}.")
        return ExitCode.OK
    from eventfilter.adapters.beskedfordeler import routing

    messages = [routing(_read_file(f)) for f in files]
    sent = publish_messages(url, topology, messages, content_type="application/xml")
    click.echo(f"Published {sent} envelopes to {topology.events}.")
    return ExitCode.OK


def _read_file(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise UsageError(f"The file {path} does not exist.") from None
    except OSError as exc:
        raise UsageError(f"The file {path} cannot be read: {exc.strerror}.") from None


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
