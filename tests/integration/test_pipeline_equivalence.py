"""Replay and the stream run the same batch pipeline: on generated worlds they
make the same decisions, with the same ids, even when the stream meets a
day's events in another order and in batches of any size (issue 10)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from eventfilter.adapters.jsonl import JsonlSource
from eventfilter.adapters.memory_broker import MemoryBroker
from eventfilter.application import App
from eventfilter.bootstrap import bootstrap
from eventfilter.generate import SAMPLE, write_world
from eventfilter.service.imports import import_cases, import_persons
from eventfilter.service.replay import Replayer
from eventfilter.service.stream import StreamProcessor
from tests.helpers import ListSink, fixed_clock
from tests.integration.test_stream import drain

pytestmark = pytest.mark.slow


def world_app(folder: Path) -> App:
    app = bootstrap("memory:", clock=fixed_clock)
    import_persons(app.store, JsonlSource(str(folder / "persons.jsonl")), "persons.jsonl", app.clock)
    import_cases(app.store, app.pack, JsonlSource(str(folder / "cases.jsonl")), "cases.jsonl", app.clock)
    return app


def reorder_within_days(lines: list[bytes], rng: random.Random) -> list[bytes]:
    """The same lines, each day's events shuffled; corrections, the events they
    name and reused ids keep their places (their order is part of their meaning)."""
    parsed: list[dict[str, Any] | None] = []
    for raw in lines:
        try:
            value = json.loads(raw)
        except ValueError:
            value = None
        parsed.append(value if isinstance(value, dict) else None)
    ids = [p.get("event_id") if p else None for p in parsed]
    named = {
        p.get("data", {}).get("corrects_event_id") for p in parsed if p and p.get("type") == "correction"
    }
    movable = [
        i
        for i, p in enumerate(parsed)
        if p is not None
        and p.get("type") != "correction"
        and ids.count(ids[i]) == 1
        and ids[i] not in named
        and isinstance(p.get("effective_date"), str)
    ]
    out = list(lines)
    by_day: dict[str, list[int]] = {}
    for i in movable:
        by_day.setdefault(parsed[i]["effective_date"], []).append(i)  # type: ignore[index]
    for positions in by_day.values():
        shuffled = positions[:]
        rng.shuffle(shuffled)
        for to, frm in zip(positions, shuffled, strict=True):
            out[to] = lines[frm]
    return out


def gist(decisions: list[Any]) -> list[tuple[Any, ...]]:
    return sorted(
        (d.decision_id, d.case_id or "", d.outcome, tuple(r.code for r in d.reasons)) for d in decisions
    )


@pytest.mark.parametrize(("seed", "batch"), [(5, 7), (11, 50), (23, 500)])
def test_stream_and_replay_decide_alike_with_the_same_ids(tmp_path: Path, seed: int, batch: int) -> None:
    folder = tmp_path / "world"
    write_world(folder, 700, seed=seed, days=60, profile=SAMPLE)
    lines = [raw for _, raw in JsonlSource(str(folder / "events.jsonl"))]

    replay_app = world_app(folder)
    sink = ListSink()
    Replayer(replay_app.store, replay_app.pack, replay_app.settings, replay_app.clock, sink).run(
        enumerate(lines, start=1), "events.jsonl"
    )

    stream_app = world_app(folder)
    broker = MemoryBroker()
    for raw in reorder_within_days(lines, random.Random(seed)):
        broker.send(raw)
    processor = StreamProcessor(stream_app.store, stream_app.pack, stream_app.settings, stream_app.clock)
    streamed = drain(processor, broker, batch=batch)
    while more := processor.close_due(everything=True):
        streamed += more

    assert len(sink.decisions) > 300
    assert gist(streamed) == gist(sink.decisions)


def test_with_birthdays_and_a_rate_change_replay_stream_and_tick_agree(tmp_path: Path) -> None:
    """A generated world whose children come of age and whose beneficiaries turn 30
    while the events run, and a new rate inside the period (issue 12)."""
    from datetime import date

    from eventfilter.rulepack import default_pack_path
    from eventfilter.service.ticks import Ticker

    folder = tmp_path / "world"
    write_world(folder, 900, seed=31, days=120, profile=SAMPLE)
    lines = [raw for _, raw in JsonlSource(str(folder / "events.jsonl"))]
    old = "values = [{ valid_from = 2026-01-01, value = 12800 }]"
    pack = tmp_path / "pack.toml"
    first, then = "{ valid_from = 2026-01-01, value = 12800 }", "{ valid_from = 2026-03-01, value = 12300 }"
    pack.write_text(default_pack_path().read_text().replace(old, f"values = [{first}, {then}]"))
    end = date(2026, 4, 30)

    def app() -> App:
        a = bootstrap("memory:", rules=pack, clock=fixed_clock)
        import_persons(a.store, JsonlSource(str(folder / "persons.jsonl")), "persons.jsonl", a.clock)
        import_cases(a.store, a.pack, JsonlSource(str(folder / "cases.jsonl")), "cases.jsonl", a.clock)
        return a

    def tick(a: App) -> list[Any]:
        sink = ListSink()
        Ticker(a.store, a.pack, a.settings, a.clock, sink).run(end)
        return sink.decisions

    replayed = app()
    sink = ListSink()
    Replayer(replayed.store, replayed.pack, replayed.settings, replayed.clock, sink).run(
        enumerate(lines, start=1), "events.jsonl"
    )
    by_replay = sink.decisions + tick(replayed)

    streamed = app()
    broker = MemoryBroker()
    for raw in lines:
        broker.send(raw)
    processor = StreamProcessor(
        streamed.store, streamed.pack, streamed.settings, streamed.clock, daily_tick=False
    )
    by_stream = drain(processor, broker, batch=40)
    while more := processor.close_due(everything=True):
        by_stream += more
    by_stream += tick(streamed)

    assert gist(by_replay) == gist(by_stream)
    ticks = [d for d in by_replay if d.event_ids[0].startswith("tick:")]
    kinds = {r.code for d in ticks for r in d.reasons}
    assert {"parameters_changed", "came_of_age"} <= kinds, kinds
    # every date-triggered decision, however it came about, is one a tick alone makes
    alone = {d.decision_id for d in tick(app())}
    assert {d.decision_id for d in ticks} <= alone
