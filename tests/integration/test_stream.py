"""The stream processor and consumer loop, with the in-memory broker, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from eventfilter.adapters.memory_broker import MemoryBroker
from eventfilter.application import App
from eventfilter.bootstrap import bootstrap
from eventfilter.core.pack import RulePack
from eventfilter.service import queries
from eventfilter.service.consumer import Consumer, ConsumerSettings
from eventfilter.service.imports import import_cases, import_persons
from eventfilter.service.stream import NoMetrics, StreamProcessor
from tests.helpers import World, case, event, extract, income, move, person
from tests.integration.conftest import real_database_only

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


PERSONS = [
    person("B", "1983-03-03", address_id="A", marital_status="married", partner_id="P"),
    person("P", "1984-04-04", address_id="A", marital_status="married", partner_id="B", monthly_income=2500),
    person("K", "2016-06-06", address_id="A", parent_ids=["B", "P"]),
    person("X", address_id="Z"),
]
CASES = [case("C", "kontanthjaelp", "B"), case("H", "boligstoette", "B", dwelling_address_id="A")]
FAMILY_MOVE = [
    move("B", "NEW", event_id="m1"),
    move("P", "NEW", event_id="m2"),
    move("K", "NEW", event_id="m3"),
]


def app_for(db_url: str, clock: Clock) -> App:
    app = bootstrap(db_url, clock=clock)
    import_persons(app.store, extract(*PERSONS), "persons.jsonl", app.clock)
    import_cases(app.store, app.pack, extract(*CASES), "cases.jsonl", app.clock)
    return app


def send(broker: MemoryBroker, *events: dict[str, Any] | str, ids: bool = True) -> None:
    for e in events:
        body = e if isinstance(e, str) else json.dumps(e)
        broker.send(body.encode(), e["event_id"] if ids and not isinstance(e, str) else None)


def drain(processor: StreamProcessor, broker: MemoryBroker, batch: int = 2) -> list[Any]:
    decisions = []
    while deliveries := broker.fetch(batch, 0):
        result = processor.process(deliveries)
        broker.ack(deliveries)
        decisions += result.decisions
    return decisions


def decided_events(app: App, *event_ids: str) -> list[str]:
    """Of these event ids, those the store has taken as decided."""
    with app.store.unit_of_work() as uow:
        return sorted(uow.seen(list(event_ids), [])[0])


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_a_family_arriving_message_by_message_is_decided_together_once_settled(
    db_url: str, clock: Clock
) -> None:
    app = app_for(db_url, clock)
    processor = StreamProcessor(app.store, app.pack, app.settings, app.clock)
    broker = MemoryBroker()
    send(broker, *FAMILY_MOVE)
    assert drain(processor, broker, batch=1) == []  # the windows are open, waiting
    assert processor.open_windows() == 2
    clock.advance(app.settings.settle_seconds - 1)
    assert processor.close_due() == []
    clock.advance(1)
    closed = {d.case_id: d for d in processor.close_due()}
    assert closed["C"].event_ids == ("m1", "m2", "m3") and closed["C"].outcome == "pass"
    assert closed["H"].outcome == "suspend"
    assert processor.open_windows() == 0


def test_the_stream_decides_like_replay(db_url: str, clock: Clock, pack: RulePack) -> None:
    app = app_for(db_url, clock)
    processor = StreamProcessor(app.store, app.pack, app.settings, app.clock)
    broker = MemoryBroker()
    events = [
        *FAMILY_MOVE,
        income("X", 100, event_id="u"),
        event("death", "P", event_id="d", effective_date="2026-03-05"),
    ]
    send(broker, *events)
    decisions = drain(processor, broker, batch=3) + _flush(processor)
    expected = World(pack, PERSONS, CASES).run(*events)
    assert sorted((d.decision_id, d.outcome) for d in decisions) == sorted(
        (d.decision_id, d.outcome) for d in expected
    )


def _flush(processor: StreamProcessor) -> list[Any]:
    out = []
    while batch := processor.close_due(everything=True):
        out += batch
    return out


def test_a_parent_joining_a_child_who_moved_in_an_earlier_batch_keeps_the_household(
    db_url: str, clock: Clock
) -> None:
    """The child moved first, in an earlier batch; when the parents follow, the
    mini-world must hold the child at the new address, or the family looks
    broken up (regression: a spurious household_changed)."""
    app = bootstrap(db_url, clock=clock)
    import_persons(app.store, extract(*PERSONS), "persons.jsonl", app.clock)
    fs = case(
        "F", "forsorjningsstod", "B", municipality_code="1480", dwelling_address_id="A", housing_cost=8200
    )
    import_cases(app.store, app.pack, extract(fs), "cases.jsonl", app.clock)
    processor = StreamProcessor(app.store, app.pack, app.settings, app.clock)
    broker = MemoryBroker()
    send(broker, move("K", "NEW", "1480", "SE", event_id="k"))
    decisions = drain(processor, broker, batch=1)
    send(  # the parents follow; the next day's event closes the family's window in the same batch
        broker,
        move("B", "NEW", "1480", "SE", event_id="b"),
        move("P", "NEW", "1480", "SE", event_id="p"),
        event("name_change", "B", event_id="n", effective_date="2026-03-03"),
    )
    decisions += drain(processor, broker, batch=3) + _flush(processor)
    [family, _] = [d for d in decisions if d.case_id == "F"]
    assert set(family.event_ids) == {"k", "b", "p"}
    assert family.before is not None and family.after is not None
    assert family.before.category == family.after.category == "couple_1c"
    codes = [r.code for r in family.reasons]
    assert "housing_changed" in codes and "household_changed" not in codes


def test_a_redelivery_after_a_crash_changes_nothing(db_url: str, clock: Clock) -> None:
    app = app_for(db_url, clock)
    processor = StreamProcessor(app.store, app.pack, app.settings, app.clock)
    broker = MemoryBroker()
    send(broker, event("death", "B", event_id="d"))
    deliveries = broker.fetch(10, 0)
    assert len(processor.process(deliveries).decisions) == 0  # committed, window open; then the process dies
    broker.crash()
    again = broker.fetch(10, 0)
    assert again[0].redelivered
    result = processor.process(again)
    assert result.duplicates == 1 and result.decided_events == 0
    broker.ack(again)
    assert len(_flush(processor)) == 2  # C and H, once each


def test_the_message_id_is_a_dedupe_key_too(db_url: str, clock: Clock) -> None:
    app = app_for(db_url, clock)
    processor = StreamProcessor(app.store, app.pack, app.settings, app.clock)
    broker = MemoryBroker()
    broker.send(json.dumps(income("X", 1, event_id="a")).encode(), "msg-1")
    broker.send(json.dumps(income("X", 2, event_id="b")).encode(), "msg-1")  # same message, resent
    drain(processor, broker)
    assert decided_events(app, "a", "b") == ["a"]


def test_malformed_messages_go_to_the_dead_letters_and_the_queue(db_url: str, clock: Clock) -> None:
    app = app_for(db_url, clock)
    processor = StreamProcessor(app.store, app.pack, app.settings, app.clock)
    broker = MemoryBroker()
    bad = income("X", 1, event_id="x1")
    send(
        broker, "not json", income("X", 5, event_id="x1"), bad | {"data": {"period": "2026-02", "amount": -3}}
    )
    broker.send(json.dumps(income("X", 9, event_id="x1")).encode(), "other")  # same id, other content
    drain(processor, broker, batch=4)
    assert len(queries.dead_letters(app.store)) == 3
    assert broker.dead == []  # committed with the batch, in the outbox: published after the commit
    processor.publish_outbox(broker)
    assert len(broker.dead) == 3
    assert [m.routing_key.split(".")[0] for m in broker.published] == ["decision"]  # x1's, and no dead letter
    assert b"not json" in [body for body, _ in broker.dead]
    assert all(reason for _, reason in broker.dead)
    assert processor.publish_outbox(broker) == 0  # published once


def test_messages_parsed_as_they_come_in_are_decided_as_in_the_batch(clock: Clock) -> None:
    """The broker parses each message as it comes in (`StreamProcessor.prepare`,
    on the connection's thread): the same decisions, dead letters with the same
    reasons, and the same duplicates as parsing in the batch, for good lines
    and bad (a future date is checked in the batch, against its day)."""
    far = (START + timedelta(days=400)).date().isoformat()
    lines: list[dict[str, Any] | str] = [
        *FAMILY_MOVE,
        "not json",
        json.dumps(income("X", 5, event_id="n1")).replace('"amount": 5', '"amount": NaN'),
        "\ufeff" + json.dumps(income("X", 7, event_id="bom")),
        income("X", -3, event_id="neg"),
        move("X", "Q", event_id="far", effective_date=far),
        income("X", 9, event_id="m1"),  # m1 again, with other content
        event("death", "P", event_id="d", effective_date="2026-03-05"),
    ]
    results = []
    for parse_early in (False, True):
        app = bootstrap("memory:", clock=clock)
        import_persons(app.store, extract(*PERSONS), "persons.jsonl", app.clock)
        import_cases(app.store, app.pack, extract(*CASES), "cases.jsonl", app.clock)
        processor = StreamProcessor(app.store, app.pack, app.settings, app.clock)
        broker = MemoryBroker(prepare=processor.prepare if parse_early else None)
        send(broker, *lines, ids=False)
        deliveries = broker.fetch(100, 0)
        assert all((d.read is not None) == parse_early for d in deliveries)
        result = processor.process(deliveries)
        decisions = [(d.decision_id, d.outcome) for d in result.decisions + _flush(processor)]
        dead = [(d.body, reason) for d, reason in result.dead]
        results.append((sorted(decisions), dead, result.duplicates))
    assert results[0] == results[1]
    decisions, dead, _ = results[1]
    assert decisions and len(dead) == 5  # all but the one a byte order mark opens (accepted)
    assert "Field 'data.amount' must be a number (NaN is not a JSON number)." in [r for _, r in dead]


def test_decisions_and_holds_reach_the_payment_system_in_order(db_url: str, clock: Clock) -> None:
    app = app_for(db_url, clock)
    processor = StreamProcessor(app.store, app.pack, app.settings, app.clock)
    broker = MemoryBroker()
    send(broker, event("death", "B", event_id="d"))
    drain(processor, broker)
    _flush(processor)
    assert processor.publish_outbox(broker) == 4  # two decisions, two holds
    keys = [m.routing_key for m in broker.published]
    assert sorted(keys) == sorted(
        [
            "decision.suspend.kontanthjaelp",
            "hold.placed.kontanthjaelp",
            "decision.suspend.boligstoette",
            "hold.placed.boligstoette",
        ]
    )
    assert keys.index("decision.suspend.kontanthjaelp") < keys.index("hold.placed.kontanthjaelp")
    assert processor.publish_outbox(broker) == 0  # published once
    hold = json.loads(
        next(m.body for m in broker.published if m.routing_key.startswith("hold.placed.kontant"))
    )
    assert hold["case_id"] == "C" and hold["reasons"] == ["deceased"]


def test_a_poison_message_is_isolated_and_the_rest_decided(
    db_url: str, clock: Clock, monkeypatch: Any
) -> None:
    app = app_for(db_url, clock)
    processor = StreamProcessor(app.store, app.pack, app.settings, app.clock)
    broker = MemoryBroker()
    send(
        broker,
        income("X", 1, event_id="ok1"),
        income("X", 2, event_id="poison"),
        income("X", 3, event_id="ok2"),
    )
    real = processor.process

    def process(deliveries: Any) -> Any:
        if any(b"poison" in d.body for d in deliveries):
            raise RuntimeError("a bug meets this message: SELECT … WHERE person_id = 'X' AND income = 2")
        return real(deliveries)

    monkeypatch.setattr(processor, "process", process)
    monkeypatch.delenv("EVENTFILTER_DEBUG", raising=False)
    stop = threading.Event()
    consumer = Consumer(processor, lambda: broker, ConsumerSettings(batch_size=3, max_wait=0), stop)
    consumer.step(broker)
    assert broker.acked == 3
    # the error's kind, never its text (it may hold SQL and personal data: trust issue, finding 15)
    assert [reason for _, reason in broker.dead] == [
        "could not be processed (RuntimeError; set EVENTFILTER_DEBUG=1 for the details)"
    ]
    assert decided_events(app, "ok1", "poison", "ok2") == ["ok1", "ok2"]


def test_the_consumer_rides_out_a_database_outage(db_url: str, clock: Clock, monkeypatch: Any) -> None:
    from eventfilter.errors import StoreError

    app = app_for(db_url, clock)
    processor = StreamProcessor(app.store, app.pack, app.settings, app.clock)
    broker = MemoryBroker()
    send(broker, income("X", 1, event_id="e1"))
    stop = threading.Event()
    real = processor.process
    calls: list[list[bool]] = []

    def flaky(deliveries: Any) -> Any:
        calls.append([d.redelivered for d in deliveries])
        if len(calls) == 1:
            raise StoreError("The database is down.")
        result = real(deliveries)
        stop.set()
        return result

    monkeypatch.setattr(processor, "process", flaky)
    stats = Consumer(processor, lambda: broker, ConsumerSettings(max_wait=0, backoff_start=0.01), stop).run()
    assert stats.outages == 1 and stats.messages == 1
    assert broker.acked == 1  # decided once, after the outage
    # The batch stayed in hand: not handed back to the broker, where every
    # return counts against the queue's delivery limit.
    assert calls == [[False], [False]]


def test_two_consumers_on_different_partitions_still_decide_the_family_once(
    db_url: str, clock: Clock
) -> None:
    real_database_only(db_url, "two consumers need a database they share")
    app = app_for(db_url, clock)
    partitions = [MemoryBroker("p0"), MemoryBroker("p1")]
    send(partitions[0], FAMILY_MOVE[0], FAMILY_MOVE[2])
    send(partitions[1], FAMILY_MOVE[1])
    processors = [
        StreamProcessor(bootstrap(db_url, clock=clock).store, app.pack, app.settings, app.clock)
        for _ in range(2)
    ]
    threads = [
        threading.Thread(target=drain, args=(p, b, 1)) for p, b in zip(processors, partitions, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    closed = {d.case_id: d for d in _flush(processors[0])}
    assert set(closed["C"].event_ids) == {"m1", "m2", "m3"} and closed["C"].outcome == "pass"
    assert closed["H"].outcome == "suspend"
    assert len(app.review.decisions(case_id="C")) == 1


def test_the_whole_sample_through_the_stream_equals_replay(tmp_path: Any) -> None:
    """One partition, so the stream sees the file's order: every decision must
    be the one replay makes (same cases, events, outcome and reasons)."""
    from pathlib import Path

    from eventfilter.adapters.jsonl import JsonlSink, JsonlSource
    from eventfilter.service.replay import Replayer

    samples = Path(__file__).resolve().parents[2] / "samples"
    worlds = []
    for name in ("stream", "replay"):
        app = bootstrap(f"sqlite:///{tmp_path}/{name}.db")
        import_persons(app.store, JsonlSource(str(samples / "persons.jsonl")), "persons.jsonl", app.clock)
        import_cases(
            app.store,
            app.pack,
            JsonlSource(str(samples / "cases.jsonl")),
            "cases.jsonl",
            app.clock,
        )
        worlds.append(app)
    stream_app, replay_app = worlds

    broker = MemoryBroker()
    for _, raw in JsonlSource(str(samples / "events.jsonl")):
        broker.send(raw)
    processor = StreamProcessor(stream_app.store, stream_app.pack, stream_app.settings, stream_app.clock)
    streamed = drain(processor, broker, batch=500) + _flush(processor)

    sink = JsonlSink(str(tmp_path / "replay.jsonl"))
    Replayer(replay_app.store, replay_app.pack, replay_app.settings, replay_app.clock, sink).run(
        JsonlSource(str(samples / "events.jsonl")), "events.jsonl"
    )
    sink.close()
    replayed = [json.loads(line) for line in (tmp_path / "replay.jsonl").read_text().splitlines()]

    def key(case_id: Any, outcome: str, codes: Any, events: Any) -> tuple[Any, ...]:
        return (case_id or "", outcome, tuple(codes), tuple(events))

    got = sorted(key(d.case_id, d.outcome, [r.code for r in d.reasons], d.event_ids) for d in streamed)
    want = sorted(
        key(d["case_id"], d["decision"], [r["code"] for r in d["reasons"]], d["event_ids"]) for d in replayed
    )
    assert len(got) == len(want) > 3000
    assert got == want


class _LockTimes(NoMetrics):
    """The stream's metrics, keeping only how long each batch took to lock its cases."""

    def __init__(self) -> None:
        self.times: list[float] = []

    def locked(self, seconds: float) -> None:
        self.times.append(seconds)


def test_the_time_a_batch_waits_for_another_consumers_case_lock_is_measured(
    pg_databases: Any, clock: Clock
) -> None:
    """Another consumer's batch holds case C; a batch with B's income waits for it,
    and the metric says how long (`eventfilter_case_lock_seconds`)."""
    import time

    import psycopg

    url = pg_databases()
    app = app_for(url, clock)
    metrics = _LockTimes()
    processor = StreamProcessor(app.store, app.pack, app.settings, app.clock, metrics)
    broker = MemoryBroker()
    send(broker, income("B", 900, event_id="i1"))

    def waiting(conn: Any) -> bool:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        ).fetchone()
        return bool(row and row[0])

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as other:
        other.execute("SELECT case_id FROM cases WHERE case_id = 'C' FOR UPDATE")
        consumer = threading.Thread(target=drain, args=(processor, broker, 1))
        consumer.start()
        deadline = time.monotonic() + 60
        while not waiting(other):
            assert time.monotonic() < deadline, "the batch never waited for the lock"
            time.sleep(0.01)
        seen_waiting = time.perf_counter()
        time.sleep(0.2)  # the other batch goes on for a while yet
        other.rollback()  # and ends: the lock is let go
        released = time.perf_counter()
    consumer.join(timeout=60)
    assert decided_events(app, "i1") == ["i1"]
    assert len(metrics.times) == 1 and metrics.times[0] >= released - seen_waiting >= 0.2
