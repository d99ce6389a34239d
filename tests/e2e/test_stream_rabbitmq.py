"""The consumer as operators run it: real processes, RabbitMQ and PostgreSQL.

Each test declares its own exchanges and queues and its own databases, and
removes them afterwards.
"""

from __future__ import annotations

import collections
import json
import random
import signal
import socket
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pika
import pytest
from sqlalchemy import create_engine, text

from eventfilter.adapters.amqp import ERROR_HEADER, Topology, delete_topology
from tests.conftest import PG_HOST, PG_PORT, RABBIT_HOST
from tests.e2e.conftest import EXE, Cli
from tests.helpers import own_decisions_exchange
from tests.tcpproxy import TcpProxy

pytestmark = pytest.mark.slow

Decisions = collections.Counter[tuple[Any, ...]]


@pytest.fixture
def topology_factory(rabbitmq: str) -> Iterator[Callable[[int], Topology]]:
    made: list[Topology] = []

    def make(partitions: int) -> Topology:
        name = f"eftest.{uuid.uuid4().hex[:10]}"
        t = Topology(queue=f"{name}.events", partitions=partitions, decisions=f"{name}.decisions")
        made.append(t)
        return t

    yield make
    for t in made:
        delete_topology(rabbitmq, t)


class Stream:
    """A database, a topology, and consumer processes on them."""

    def __init__(
        self, cli: Cli, rabbitmq: str, db: str, topology: Topology, world: Path, name: str = "s"
    ) -> None:
        self.cli, self.rabbitmq, self.db, self.topology, self.world = cli, rabbitmq, db, topology, world
        self.name = name
        # where the consumers connect (a test's own proxy may stand in between)
        self.consumer_amqp, self.consumer_db = rabbitmq, db
        self.procs: list[subprocess.Popen[str]] = []
        self.settings = own_decisions_exchange(cli.cwd / f"{name}-settings.toml", topology.decisions)
        assert cli("--db", db, "import", "persons", str(world / "persons.jsonl")).returncode == 0
        assert cli("--db", db, "import", "cases", str(world / "cases.jsonl")).returncode == 0

    def args(self) -> list[str]:
        return ["--queue", self.topology.queue, "--partitions", str(self.topology.partitions)]

    def publish(self) -> None:
        events = str(self.world / "events.jsonl")
        settings = ("--settings", str(self.settings))
        r = self.cli(*settings, "publish", events, "--amqp", self.rabbitmq, *self.args())
        assert r.returncode == 0, r.stderr

    def start(
        self, member: int = 0, members: int = 1, metrics_port: int | None = None
    ) -> subprocess.Popen[str]:
        log = open(self.log(len(self.procs)), "w")  # noqa: SIM115 - lives with the process
        metrics = ["--metrics-port", str(metrics_port)] if metrics_port is not None else []
        proc = subprocess.Popen(
            [
                str(EXE),
                "--db",
                self.consumer_db,
                "consume",
                "--no-tick",  # compared with a replay, which ticks only the cases its events touch
                "--amqp",
                self.consumer_amqp,
                *self.args(),
                "--member",
                str(member),
                "--members",
                str(members),
                "--settle-seconds",
                "3600",
                "--batch-size",
                "300",
                *metrics,
            ],
            cwd=self.cli.cwd,
            env={
                **self.cli.env,
                "EVENTFILTER_DB": self.consumer_db,
                "EVENTFILTER_SETTINGS": str(self.settings),
            },
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.procs.append(proc)
        return proc

    def log(self, n: int) -> Path:
        return self.cli.cwd / f"{self.name}-consumer-{n}.log"

    def processed(self) -> int:
        return int(self.stored("SELECT count(*) FROM processed_events")[0])

    def lag(self) -> int:
        connection = pika.BlockingConnection(pika.URLParameters(self.rabbitmq))
        try:
            channel = connection.channel()
            return sum(
                channel.queue_declare(self.topology.partition(n), passive=True).method.message_count
                for n in range(self.topology.partitions)
            )
        finally:
            connection.close()

    def drained(self, expected: int, timeout: float = 600) -> None:
        """Wait until every event is decided and nothing waits in the queues."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.processed() >= expected and self.lag() == 0:
                return
            time.sleep(0.5)
        pytest.fail(f"the stream did not drain: {self.processed()} of {expected} decided, lag {self.lag()}")

    def stop(self) -> list[int]:
        codes = []
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
            codes.append(p.wait(timeout=60))
        return codes

    def decisions(self) -> Decisions:
        assert self.cli("--db", self.db, "windows", "close", "--all").returncode == 0
        engine = create_engine(self.db)
        try:
            with engine.connect() as conn:
                rows = conn.execute(text("SELECT case_id, outcome, reasons, event_ids FROM decisions")).all()
        finally:
            engine.dispose()
        return collections.Counter(
            (case, outcome, tuple(r["code"] for r in _json(reasons)), frozenset(_json(events)))
            for case, outcome, reasons, events in rows
        )

    def listen(self) -> str:
        """A queue of the test's own for the payment system's decisions (removed by `received`)."""
        self.payments = f"{self.topology.queue}.payments"
        connection = pika.BlockingConnection(pika.URLParameters(self.rabbitmq))
        try:
            channel = connection.channel()
            channel.exchange_declare(self.topology.decisions, "topic", durable=True)
            # gone ten minutes after its last use, should the test not get to remove it
            channel.queue_declare(self.payments, arguments={"x-expires": 600_000})
            channel.queue_bind(self.payments, self.topology.decisions, routing_key="decision.#")
        finally:
            connection.close()
        return self.payments

    def received(self) -> set[str]:
        """The message ids the payment system's queue got; the queue is removed."""
        got: set[str] = set()
        connection = pika.BlockingConnection(pika.URLParameters(self.rabbitmq))
        try:
            channel = connection.channel()
            while (message := channel.basic_get(self.payments, auto_ack=True))[0] is not None:
                got.add(message[1].message_id)
            channel.queue_delete(self.payments)
        finally:
            connection.close()
        return got

    def dead_received(self) -> set[str]:
        """The message ids the dead-letter queue got (each message at least once)."""
        got: set[str] = set()
        connection = pika.BlockingConnection(pika.URLParameters(self.rabbitmq))
        try:
            channel = connection.channel()
            while (message := channel.basic_get(self.topology.dead_queue, auto_ack=True))[0] is not None:
                assert message[1].headers[ERROR_HEADER]  # with the reason
                got.add(message[1].message_id)
        finally:
            connection.close()
        return got

    def dead_stored(self) -> set[str]:
        """The message ids of the dead letters in the store."""
        return {p.removeprefix("message ") for p in self.stored("SELECT position FROM dead_letters")}

    def stored(self, sql: str) -> list[Any]:
        """The first column of what `sql` finds in the stream's database."""
        engine = create_engine(self.db)
        try:
            with engine.connect() as conn:
                return [r[0] for r in conn.execute(text(sql))]
        finally:
            engine.dispose()

    def dead_letters(self) -> int:
        return len(json.loads(self.cli("--db", self.db, "deadletters", "--json").stdout))


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def replayed(cli: Cli, world: Path) -> tuple[Decisions, int, int]:
    """What one batch replay of the same file decides: decisions, events decided, dead letters."""
    db = f"sqlite:///{cli.cwd}/replay.db"
    r = cli(
        "--db",
        db,
        "replay",
        str(world / "events.jsonl"),
        "--persons",
        str(world / "persons.jsonl"),
        "--cases",
        str(world / "cases.jsonl"),
        "--json",
    )
    summary = json.loads(r.stdout)
    engine = create_engine(db)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT case_id, outcome, reasons, event_ids FROM decisions")).all()
    engine.dispose()
    decisions = collections.Counter(
        (case, outcome, tuple(x["code"] for x in _json(reasons)), frozenset(_json(events)))
        for case, outcome, reasons, events in rows
    )
    return decisions, summary["events_decided"], summary["dead_letters"]


def make_world(cli: Cli, name: str, *args: str) -> Path:
    r = cli("generate", "--out", name, *args)
    assert r.returncode == 0, r.stderr
    return cli.cwd / name


def test_kill_9_mid_stream_loses_nothing_and_decides_nothing_twice(
    cli: Cli, rabbitmq: str, pg_databases: Any, topology_factory: Any
) -> None:
    world = make_world(cli, "w", "--persons", "8000", "--days", "131", "--seed", "21")
    expected, decided, dead = replayed(cli, world)
    assert decided + dead > 20_000 and dead > 0
    stream = Stream(cli, rabbitmq, pg_databases(), topology_factory(1), world)
    stream.listen()
    stream.publish()
    rng = random.Random(3)
    kills = 0
    # kill each consumer once it has committed a random share more of the events
    for mark in sorted(rng.sample(range(decided // 10, decided * 9 // 10), 4)):
        proc = stream.start()

        def reached(mark: int = mark, proc: subprocess.Popen[str] = proc) -> bool:
            return stream.processed() >= mark or proc.poll() is not None

        _wait(reached, f"{mark} events decided")
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
    assert kills >= 3, "the stream finished before it could be killed three times"
    stream.start()
    stream.drained(decided)
    assert stream.stop()[-1] == 0
    assert stream.processed() == decided  # every valid event exactly once
    assert stream.dead_letters() == dead  # every malformed one a dead letter
    # killed mid-publication too: every decision reached the payment system all the same,
    # and every dead letter the dead-letter queue (both go out through the outbox)
    assert stream.stored("SELECT count(*) FROM outbox") == [0]
    assert stream.dead_received() == stream.dead_stored()
    published = set(stream.stored("SELECT decision_id FROM decisions"))
    assert published and published <= stream.received()
    assert stream.decisions() == expected  # and the same decisions as one batch replay


def test_two_consumers_decide_what_one_decides(
    cli: Cli, rabbitmq: str, pg_databases: Any, topology_factory: Any
) -> None:
    # One day's feed: every event of a case shares its effective date, so the
    # order in which two consumers meet a family's events cannot matter.
    world = make_world(
        cli, "day", "--persons", "12000", "--days", "1", "--start", "2026-03-10", "--seed", "5"
    )
    _, decided, _ = replayed(cli, world)
    one = Stream(cli, rabbitmq, pg_databases(), topology_factory(2), world, "one")
    one.publish()
    one.start()
    one.drained(decided)
    assert one.stop() == [0]
    two = Stream(cli, rabbitmq, pg_databases(), topology_factory(2), world, "two")
    two.publish()
    two.start(0, 2)
    two.start(1, 2)
    two.drained(decided)
    assert two.stop() == [0, 0]
    logs = [two.log(n).read_text() for n in (0, 1)]
    for log in logs:  # both did part of the work
        stopped = json.loads(log.strip().splitlines()[-1])
        assert stopped["event"] == "consumer stopped" and stopped["messages"] > 0
    assert two.decisions() == one.decisions()


def through(proxy: TcpProxy, url: str, host: str, port: int) -> str:
    """The same URL, through the test's own proxy."""
    assert f"{host}:{port}" in url
    return url.replace(f"{host}:{port}", proxy.address, 1)


def test_broker_and_database_outages_mid_stream_lose_nothing(
    cli: Cli, rabbitmq: str, pg_databases: Any, topology_factory: Any
) -> None:
    """The broker and the database go away under a running consumer and come
    back: a proxy this test owns is cut, never the machine's own servers."""
    world = make_world(cli, "w", "--persons", "4000", "--days", "131", "--seed", "8")
    expected, decided, dead = replayed(cli, world)
    stream = Stream(cli, rabbitmq, pg_databases(), topology_factory(1), world)
    broker = TcpProxy(RABBIT_HOST, 5672)
    database = TcpProxy(PG_HOST, PG_PORT)
    try:
        stream.consumer_amqp = through(broker, rabbitmq, RABBIT_HOST, 5672)
        stream.consumer_db = through(database, stream.db, PG_HOST, PG_PORT)
        stream.listen()
        stream.publish()
        log = stream.log(0)
        port = _free_port()
        with broker.down():  # the broker is down when the consumer starts
            stream.start(metrics_port=port)
            _wait(lambda: log.read_text().count("the broker is unavailable") >= 1, "the consumer to notice")
        _wait(lambda: stream.processed() > decided // 4, "the consumer to connect once the broker was back")
        with broker.down():  # and goes away mid-stream
            _wait(
                lambda: log.read_text().count("the broker is unavailable") >= 2, "the broker outage noticed"
            )
        _wait(lambda: stream.processed() > decided // 2, "decisions after the broker came back")
        with database.down():  # then the database does
            _wait(lambda: "the database is unavailable" in log.read_text(), "the database outage noticed")
        stream.drained(decided)
        # the operator sees the payment system's messages go out and none left waiting
        stored = len(stream.stored("SELECT decision_id FROM decisions"))

        def all_out() -> bool:
            m = _metrics(port)
            return m["eventfilter_outbox_published_total"] >= stored and m["eventfilter_outbox_waiting"] == 0

        _wait(all_out, "the metrics to show the outbox published")
        assert stream.stop() == [0]
    finally:
        broker.close()
        database.close()
    assert stream.processed() == decided  # nothing lost, nothing twice
    assert stream.dead_letters() == dead
    # every decision reached the payment system (at least once), every dead letter the
    # dead-letter queue, and nothing waits in the outbox
    assert stream.stored("SELECT count(*) FROM outbox") == [0]
    assert stream.dead_received() == stream.dead_stored()
    published = set(stream.stored("SELECT decision_id FROM decisions"))
    assert published and published <= stream.received()
    # A lost connection may hand back unacknowledged messages in another order,
    # so a case's events can be grouped into decisions differently; but every
    # (case, event) pair is decided exactly once, and the register ends the same.
    assert _pairs(stream.decisions()) == _pairs(expected)
    assert _register(stream.db) == _register(f"sqlite:///{cli.cwd}/replay.db")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _metrics(port: int) -> dict[str, float]:
    """The consumer's Prometheus metrics without labels, by name."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        text_ = r.read().decode()
    out: dict[str, float] = {}
    for line in text_.splitlines():
        if line and not line.startswith("#") and "{" not in line:
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


def _pairs(decisions: Decisions) -> collections.Counter[tuple[Any, str]]:
    pairs: collections.Counter[tuple[Any, str]] = collections.Counter()
    for (case, _, _, events), n in decisions.items():
        for e in events:
            pairs[(case, e)] += n
    return pairs


def _register(db: str) -> dict[str, tuple[Any, ...]]:
    engine = create_engine(db)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT person_id, birth_date, alive, address_id, municipality_code, country,"
                    " marital_status, partner_id, parent_ids, monthly_income, income_period,"
                    " protected_address FROM persons"
                )
            ).all()
    finally:
        engine.dispose()
    return {
        r[0]: (str(r[1]), bool(r[2]), *r[3:8], tuple(_json(r[8])), r[9], r[10], bool(r[11])) for r in rows
    }


def _wait(done: Callable[[], bool], what: str, timeout: float = 300) -> None:
    """Until `done()` (a condition, polled), with a generous limit for a busy machine."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if done():
                return
        except Exception:  # a log file not written yet, a server going away
            pass
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")
