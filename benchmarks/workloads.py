"""The work the benchmarks time. The test suite runs each at a tiny scale
(tests/integration/test_benchmark_workloads.py) so that none can rot."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from eventfilter.adapters.jsonl import JsonlSource
from eventfilter.application import App
from eventfilter.bootstrap import bootstrap
from eventfilter.core.cases import CaseBook
from eventfilter.core.decision import Decision
from eventfilter.core.engine import Engine
from eventfilter.core.events import Event, IncomeData
from eventfilter.core.pack import RulePack
from eventfilter.core.state import RegisterState
from eventfilter.generate import NATIONAL, REGISTER, Profile, write_world
from eventfilter.rulepack import load_pack
from eventfilter.service.imports import import_cases, import_persons
from eventfilter.service.replay import Replayer, Summary
from eventfilter.service.stream import NoMetrics
from tests.helpers import own_decisions_exchange

PROFILES: dict[str, Profile] = {"register": REGISTER, "national": NATIONAL}


@dataclass(frozen=True)
class World:
    dir: Path
    template_db: Path  # persons and cases imported, nothing replayed

    @property
    def events(self) -> Path:
        return self.dir / "events.jsonl"

    def event_count(self) -> int:
        with open(self.events, "rb") as f:
            return sum(1 for line in f if line.strip())


def import_extracts(app: App, folder: Path) -> tuple[int, int]:
    """Import a world's persons.jsonl and cases.jsonl: (persons, cases) read."""
    persons = import_persons(
        app.store, JsonlSource(str(folder / "persons.jsonl")), "persons.jsonl", app.clock
    )
    cases = import_cases(
        app.store, app.pack, JsonlSource(str(folder / "cases.jsonl")), "cases.jsonl", app.clock
    )
    return persons.read, cases.read


def make_world(root: Path, *, profile: str, persons: int, days: int, seed: int = 1) -> World:
    """Generate a world and import its extracts once (reused if present)."""
    out = root / f"{profile}-{persons}-{days}-{seed}"
    template = out / "template.db"
    if not template.exists():
        write_world(out, persons, seed=seed, days=days, profile=PROFILES[profile])
        app = bootstrap(f"sqlite:///{template}")
        import_extracts(app, out)
        app.store.dispose()
    return World(out, template)


def fresh_app(template: Path, work: Path) -> App:
    """A copy in `work` of an imported world's database (a world's `template_db`,
    the national benchmark's `base.db`), ready to replay into; the template is
    never written."""
    db = work / "replay.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    shutil.copy(template, db)
    return bootstrap(f"sqlite:///{db}")


class CountingSink:
    """Counts decision lines and builds each one, as the file sink would."""

    def __init__(self) -> None:
        from eventfilter.formats import decision_line

        self._line = decision_line
        self.lines = 0
        self.bytes = 0

    def write(self, decisions: Any) -> None:
        for d in decisions:
            self.bytes += len(self._line(d))
            self.lines += 1

    def flush(self) -> None:
        return None


def replay(app: App, events: Path) -> Summary:
    """Replay an events file as `eventfilter replay` does, each decision made into its line and counted."""
    source = JsonlSource(str(events))
    return Replayer(app.store, app.pack, app.settings, app.clock, CountingSink()).run(source, source.name)


def parse_only(world: World) -> int:
    """The baseline: read the file and json.loads every line."""
    n = 0
    with open(world.events, "rb") as f:
        for line in f:
            if line.strip():
                with contextlib.suppress(ValueError):
                    json.loads(line)
                n += 1
    return n


def parse_validate(world: World, full: bool = False) -> int:
    """Parse and validate every line as replay does (the hand-checked fast path,
    falling back to pydantic), or always through pydantic (`full`)."""
    from eventfilter.formats import Malformed, parse_event, parse_event_fully

    parse = parse_event_fully if full else parse_event
    n = 0
    with open(world.events, "rb") as f:
        for line in f:
            if line.strip():
                with contextlib.suppress(Malformed):
                    parse(line)
                n += 1
    return n


@dataclass
class Untouched:
    """The world's cases and the persons they depend on, in memory, and the
    events about everyone else (non-register types): the majority that
    replay must decide with the least work."""

    pack: RulePack
    state_of: Callable[[], RegisterState]
    book_of: Callable[[], CaseBook]
    events: list[Event]

    def route_all(self) -> int:
        engine = Engine(self.pack, self.state_of(), self.book_of())
        touched = 0
        for e in self.events:
            for d in engine.process(e):
                touched += d.case_id is not None
        return touched


def untouched_events(world: World) -> Untouched:
    from eventfilter.core.events import STATE_TYPES
    from eventfilter.core.relevance import is_relevant
    from eventfilter.formats import Malformed, parse_event, parse_person

    app = bootstrap(f"sqlite:///{world.template_db}")
    try:
        book = app.store.load_cases()
    finally:
        app.store.dispose()
    everyone = RegisterState(parse_person(raw) for _, raw in JsonlSource(str(world.dir / "persons.jsonl")))
    state = RegisterState(p for p in everyone.persons.values() if is_relevant(p, book, everyone))
    events = []
    with open(world.events, "rb") as f:
        for line in f:
            with contextlib.suppress(Malformed):
                event, _ = parse_event(line)
                if event.type not in STATE_TYPES and event.person_id not in state.persons:
                    events.append(event)
    persons = list(state.persons.values())
    cases = list(book.cases.values())
    return Untouched(app.pack, lambda: RegisterState(persons), lambda: CaseBook(cases), events)


def import_world(world: World, work: Path) -> tuple[int, int]:
    """Import the world's persons and cases into a new database: (persons, cases) read."""
    db = work / "import.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    app = bootstrap(f"sqlite:///{db}")
    try:
        return import_extracts(app, world.dir)
    finally:
        app.store.dispose()


# -- the core on its own ------------------------------------------------------------
BATCH = 10_000  # events between the drains a pipeline's batch makes


@dataclass
class CoreCase:
    """One touched case, decided again and again on fresh income reports."""

    engine: Engine
    person_id: str
    case_id: str
    day: date
    n: int = 0

    def _event(self) -> Event:
        return Event(
            event_id=f"bench-{self.n}",
            type="income_change",
            person_id=self.person_id,
            effective_date=self.day + timedelta(days=self.n % 2),  # alternate dates
            recorded_at=None,
            data=IncomeData("2026-02", float(1000 + (self.n % 7) * 700)),
        )

    def _next(self) -> Event:
        self.n += 1
        if self.n % BATCH == 0:  # what the pipeline drains after each batch (else they grow)
            self.engine.effects.clear()
            self.engine.new_effects.clear()
            self.engine.changed_windows.clear()
        return self._event()

    def decide_once(self) -> Decision:
        """A window closed by the case's next event, on another date (replay's common
        path): the new window's `before` is the closed one's `after`, one evaluation."""
        closed = self.engine.process(self._next())
        # the first event only opens a window; from then on each closes the one before
        return closed[0] if closed else self.decide_once()

    def decide_alone(self) -> Decision:
        """A window opened and closed on its own (end of input, the stream's settle
        time): its `before` cannot be the case's last `after`, so two evaluations."""
        self.engine.close_all()
        self.engine.process(self._next())
        return self.engine.close_all()[0]


def core_case(benefit: str, pack: RulePack | None = None) -> CoreCase:
    """A typical household for `benefit`: a couple with a child."""
    from eventfilter.core.facts import Case, Person

    pack = pack or load_pack()
    country, municipality = ("SE", "1480") if benefit == "forsorjningsstod" else ("DK", "561")
    people = [
        Person(
            "B",
            date(1984, 5, 1),
            address_id="A",
            municipality_code=municipality,
            country=country,
            marital_status="married",
            partner_id="P",
            monthly_income=0.0,
            income_period="2026-01",
        ),
        Person(
            "P",
            date(1985, 6, 1),
            address_id="A",
            municipality_code=municipality,
            country=country,
            marital_status="married",
            partner_id="B",
            monthly_income=2500.0,
            income_period="2026-01",
        ),
        Person(
            "K",
            date(2016, 1, 1),
            address_id="A",
            municipality_code=municipality,
            country=country,
            parent_ids=("B", "P"),
        ),
    ]
    case = Case(
        "C",
        benefit,
        "B",
        municipality,
        dwelling_address_id="A",
        housing_cost=5500.0 if benefit == "forsorjningsstod" else None,
    )
    engine = Engine(pack, RegisterState(people), CaseBook([case]))
    return CoreCase(engine, "B", "C", date(2026, 3, 1))


def rate(benchmark: Any, name: str, count: float, stat: str = "min") -> None:
    """Record `count` per second of the benchmark's `stat` time as `name`. Under
    --benchmark-disable the function ran once, untimed: nothing to record."""
    if benchmark.stats is not None:
        benchmark.extra_info[name] = round(count / benchmark.stats[stat])


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started


# -- the stream through RabbitMQ --------------------------------------------------------------
@dataclass
class StreamRun:
    events: int
    consumers: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


DRAIN_LIMIT = 900.0  # seconds a stream workload may take to drain before it counts as stuck
LOOK_EVERY = 0.05  # seconds between two counts of the decided events near the end of a drain
LOOK_AT_MOST = 1.0  # and at most this long between two counts before it


def next_look(decided: int, left: int, seconds: float) -> float:
    """Seconds until the next count of the decided events while a stream drains:
    a quarter of the time the rate so far leaves (`decided` in `seconds`, `left`
    to go), within LOOK_EVERY and LOOK_AT_MOST. Each count is a `count(*)` on
    the PostgreSQL the consumers use, on the same two cores: counted every 50 ms,
    a one-consumer drain's 134 counts took 0.41 s of the server's time, about
    3 % of what the consumer and the server had. The end is still seen within
    LOOK_EVERY of it unless the consumers speed up fourfold over their rate so
    far (the rate so far includes their first, slower batches: it is the lower)."""
    if decided <= 0 or seconds <= 0.0:
        return LOOK_EVERY
    return min(LOOK_AT_MOST, max(LOOK_EVERY, left / (decided / seconds) / 4))


class _Processed:
    """Counts the decided events while a stream drains, on one connection kept for
    the whole drain (a fresh connection for each look made PostgreSQL start a
    backend every 50 ms on the machine the consumers share)."""

    def __init__(self, db: str) -> None:
        from sqlalchemy import create_engine

        self.engine = create_engine(db, isolation_level="AUTOCOMMIT")  # each look sees what is committed
        self.conn = self.engine.connect()

    def __call__(self) -> int:
        from sqlalchemy import text

        return int(self.conn.execute(text("SELECT count(*) FROM processed_events")).scalar_one())

    def close(self) -> None:
        self.conn.close()
        self.engine.dispose()


def stream_throughput(
    world: World, db: str, amqp: str, queue: str, consumers: int, partitions: int = 4
) -> StreamRun:
    """Fill the partitions, then let `consumers` processes drain them; events/s
    from the first decided event to the last (start-up excluded)."""
    import signal
    import subprocess
    import sys

    from eventfilter.adapters.amqp import Topology, delete_topology, publish_events

    topology = Topology(queue=queue, partitions=partitions, decisions=f"{queue}.decisions")
    app = bootstrap(db)
    import_extracts(app, world.dir)
    app.store.dispose()
    lines = [raw for _, raw in JsonlSource(str(world.events))]
    publish_events(amqp, topology, lines)
    exe = Path(sys.executable).with_name("eventfilter")
    # the consumers publish to the run's own decisions exchange (removed with the
    # topology), not to the machine's `eventfilter.decisions`
    handle, name = tempfile.mkstemp(suffix=".toml")
    os.close(handle)
    settings = own_decisions_exchange(Path(name), topology.decisions)
    processed: _Processed | None = None
    procs = [
        subprocess.Popen(
            [
                str(exe),
                "--log-level",
                "warning",
                "--db",
                db,
                "consume",
                "--amqp",
                amqp,
                "--queue",
                queue,
                "--partitions",
                str(partitions),
                "--member",
                str(n),
                "--members",
                str(consumers),
                "--settle-seconds",
                "3600",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "EVENTFILTER_SETTINGS": str(settings)},
        )
        for n in range(consumers)
    ]
    spawned = time.perf_counter()
    try:
        processed = _Processed(db)
        target = len(lines) - _dead_or_duplicate(world)
        first = last = 0.0
        start_count = done = 0
        deadline = time.monotonic() + DRAIN_LIMIT
        while done < target:
            done = processed()
            now = time.perf_counter()
            if done and not first:
                first, start_count = now, done
            if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                raise RuntimeError(f"the consumers stopped or stalled at {done} of {target} events")
            time.sleep(next_look(done - start_count, target - done, now - first if first else 0.0))
        last = time.perf_counter()
    finally:
        if processed is not None:
            processed.close()
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(timeout=60)
        delete_topology(amqp, topology)
        settings.unlink()
    if start_count >= target:  # all decided before the first look: time it from the start
        return StreamRun(target, consumers, last - spawned, [])
    return StreamRun(target - start_count, consumers, last - first, [])


def _dead_or_duplicate(world: World) -> int:
    """Lines of the file that decide nothing (malformed, duplicate, conflicting)."""
    from eventfilter.formats import Malformed, parse_event

    seen: dict[str, str] = {}
    skipped = 0
    for _, raw in JsonlSource(str(world.events)):
        try:
            event, digest = parse_event(raw)
        except Malformed:
            skipped += 1
            continue
        if event.event_id in seen:
            skipped += 1
        else:
            seen[event.event_id] = digest
    return skipped


class _Latencies(NoMetrics):
    """The stream's metrics, keeping only each event's latency."""

    def __init__(self) -> None:
        self.samples: list[float] = []

    def latency(self, seconds: float) -> None:
        self.samples.append(seconds)


def stream_latency(world: World, db: str, amqp: str, queue: str, rate: float) -> StreamRun:
    """Publish at `rate` events/s from another process while one consumer runs
    here; each event's time from publication to the commit of its effects."""
    import subprocess
    import sys
    import threading

    from eventfilter.adapters.amqp import (
        PikaBroker,
        PikaPublisher,
        Topology,
        declare_topology,
        delete_topology,
    )
    from eventfilter.service import gc_tuning
    from eventfilter.service.consumer import Consumer, ConsumerSettings
    from eventfilter.service.outbox import OutboxPublisher
    from eventfilter.service.stream import StreamProcessor

    topology = Topology(queue=queue, partitions=1, decisions=f"{queue}.decisions")
    declare_topology(amqp, topology)
    app = bootstrap(db)
    import_extracts(app, world.dir)
    lines = [raw for _, raw in JsonlSource(str(world.events))]
    target = len(lines) - _dead_or_duplicate(world)
    metrics = _Latencies()
    settings = replace(app.settings, settle_seconds=3600)
    processor = StreamProcessor(app.store, app.pack, settings, app.clock, metrics)
    stop = threading.Event()
    consumer = Consumer(
        processor,
        lambda: PikaBroker(amqp, topology, prepare=processor.prepare),  # as `consume` does
        ConsumerSettings(max_wait=0.05),
        stop,
        publisher=OutboxPublisher(app.store, lambda: PikaPublisher(amqp, topology)),  # as `consume` does
    )

    def run() -> None:
        with gc_tuning.long_run():
            consumer.run()

    runner = threading.Thread(target=run)
    runner.start()
    feeder = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.feeder", amqp, queue, str(world.events), str(rate)],
        cwd=Path(__file__).resolve().parents[1],
    )
    started = time.perf_counter()
    processed: _Processed | None = None
    try:
        processed = _Processed(db)
        feeder.wait(timeout=3600)
        deadline = time.monotonic() + DRAIN_LIMIT
        while (done := processed()) < target:
            if time.monotonic() > deadline or not runner.is_alive():
                raise RuntimeError(f"the consumer stopped or stalled at {done} of {target} events")
            time.sleep(0.05)
    finally:
        if processed is not None:
            processed.close()
        stop.set()
        runner.join(timeout=60)
        app.store.dispose()
        delete_topology(amqp, topology)
    return StreamRun(target, 1, time.perf_counter() - started, metrics.samples)
