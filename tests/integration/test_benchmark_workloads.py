"""The benchmarks' workloads at a tiny scale, so they cannot rot unnoticed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from benchmarks.workloads import (
    core_case,
    fresh_app,
    import_world,
    make_world,
    parse_only,
    parse_validate,
    replay,
    untouched_events,
)


@pytest.mark.parametrize("profile", ["register", "national"])
def test_replay_workload_runs_and_counts_every_line(tmp_path: Path, profile: str) -> None:
    world = make_world(tmp_path / "worlds", profile=profile, persons=1000, days=60, seed=3)
    lines = world.event_count()
    assert lines > 50
    assert parse_only(world) == lines
    summary = replay(fresh_app(world.template_db, tmp_path), world.events)
    assert summary.events_read == lines
    assert summary.decided + summary.duplicates + summary.dead_letters == lines


def test_parse_route_and_import_workloads_run_small(tmp_path: Path) -> None:
    world = make_world(tmp_path / "worlds", profile="register", persons=1500, days=60, seed=5)
    lines = world.event_count()
    assert parse_validate(world) == parse_validate(world, full=True) == lines
    work = untouched_events(world)
    assert len(work.events) > 20
    assert work.route_all() == 0  # none of them touches a case
    persons, cases = import_world(world, tmp_path)
    assert persons == len((world.dir / "persons.jsonl").read_text().splitlines())
    assert cases == len((world.dir / "cases.jsonl").read_text().splitlines())


@pytest.mark.parametrize("benefit", ["kontanthjaelp", "boligstoette", "forsorjningsstod"])
def test_core_workload_decides_the_case_every_time(benefit: str) -> None:
    case = core_case(benefit)
    outcomes = {case.decide_once().outcome for _ in range(6)}
    assert outcomes <= {"pass", "review"}
    assert all(case.decide_once().case_id == "C" for _ in range(4))


@pytest.mark.slow
def test_stream_workloads_run_small(tmp_path: Path, rabbitmq: str, pg_databases: Any) -> None:
    import uuid

    from benchmarks.workloads import stream_latency, stream_throughput

    world = make_world(tmp_path / "worlds", profile="national", persons=600, days=40, seed=4)
    run = stream_throughput(world, pg_databases(), rabbitmq, f"efbench.{uuid.uuid4().hex[:8]}", consumers=2)
    assert run.events > 0 and run.rate > 0
    latency = stream_latency(world, pg_databases(), rabbitmq, f"efbench.{uuid.uuid4().hex[:8]}", rate=2000)
    assert len(latency.latencies) > 0 and 0 < latency.percentile(50) < 60


@pytest.mark.slow
def test_the_stream_cycle_is_timed_phase_by_phase_and_left_as_it_was(tmp_path: Path, rabbitmq: str) -> None:
    from benchmarks.stream_phases import one_round
    from eventfilter.service.consumer import Consumer
    from tests.conftest import PG_HOST, PG_PORT, need_server

    need_server("PostgreSQL", PG_HOST, PG_PORT)  # the round makes its own database

    from eventfilter.service import outbox

    step, publish = Consumer.step, outbox.publish_round
    world = make_world(tmp_path / "worlds", profile="national", persons=600, days=40, seed=4)
    timings = one_round(world, 2000)
    assert len(timings.latencies) > 0 and sum(timings.sizes) >= len(timings.latencies)
    assert len(timings.phases["Consumer.step"]) == len(timings.cycles) > 0
    assert len(timings.phases["StreamProcessor.process"]) == len(timings.sizes)
    assert any("processed_events" in statement for statement in timings.statements)
    # the outbox's thread is timed apart from the consumer's cycle
    assert timings.phases["outbox.publish_round [publisher thread]"]
    assert "outbox.publish_round" not in timings.phases
    assert Consumer.step is step and outbox.publish_round is publish  # the timing is undone


def test_the_floor_decides_each_new_event_once_and_skips_what_it_cannot_read(tmp_path: Path) -> None:
    from benchmarks.floor import trivial

    events = tmp_path / "events.jsonl"
    events.write_text(
        '{"event_id": "e1", "type": "income_change", "person_id": "B"}\n'
        '{"event_id": "e1", "type": "income_change", "person_id": "B"}\n'  # a duplicate
        "not json\n"
        '{"event_id": "e2", "type": "death", "person_id": "B"}\n'
        '{"event_id": "e3", "type": "death", "person_id": "X"}\n',  # no case
        encoding="utf-8",
    )
    out = tmp_path / "decisions.jsonl"
    _, decided = trivial(events, {"B": ["C1", "C2"]}, out)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert decided == len(lines) == 4
    assert [(d["event_id"], d["case_id"], d["decision"]) for d in map(json.loads, lines)] == [
        ("e1", "C1", "pass"),
        ("e1", "C2", "pass"),
        ("e2", "C1", "suspend"),
        ("e2", "C2", "suspend"),
    ]


def test_a_draining_stream_is_counted_rarely_far_from_its_end_and_often_near_it() -> None:
    from benchmarks.workloads import LOOK_AT_MOST, LOOK_EVERY, next_look

    assert next_look(0, 40_000, 0.0) == LOOK_EVERY  # nothing decided yet: no rate to go by
    assert next_look(5_000, 35_000, 1.0) == LOOK_AT_MOST  # 7 s left at 5,000/s: capped
    assert next_look(30_000, 10_000, 6.0) == 0.5  # 2 s left: a quarter of it
    assert next_look(39_900, 100, 8.0) == LOOK_EVERY  # 20 ms left: as often as before
    # from the first decided event to the last at a steady rate, far fewer counts than every 50 ms
    total, rate, decided, clock, looks = 40_000, 5_000.0, 0, 0.0, 0
    while decided < total:
        clock += next_look(decided, total - decided, clock)
        decided = min(total, int(rate * clock))
        looks += 1
    assert looks < 40 < total / rate / LOOK_EVERY
    assert clock - total / rate <= LOOK_EVERY  # the end seen within a look of it


def test_replay_statements_times_every_write_of_a_replay(tmp_path: Path) -> None:
    from benchmarks.replay_statements import run, table

    world = make_world(tmp_path / "worlds", profile="national", persons=800, days=40, seed=4)
    before = world.template_db.read_bytes()
    summary, wall, statements = run(world.template_db, world.events)
    assert summary.events_read == world.event_count()
    inserted = sum(
        statements.rows[text] for text in statements.times if "INSERT INTO processed_events" in text
    )
    assert inserted == summary.decided  # one row for each event decided
    assert "INSERT INTO processed_events" in table(wall, statements)
    assert world.template_db.read_bytes() == before  # a copy was replayed into, never the world
