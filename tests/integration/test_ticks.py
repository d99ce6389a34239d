"""`tick` on every store: what time alone changes, recorded like any decision;
replay, the stream and tick agree."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from eventfilter.adapters.memory_broker import MemoryBroker
from eventfilter.application import App
from eventfilter.bootstrap import bootstrap
from eventfilter.core.decision import Decision
from eventfilter.rulepack import default_pack_path, load_pack
from eventfilter.service import queries
from eventfilter.service.imports import import_cases, import_persons
from eventfilter.service.replay import Replayer
from eventfilter.service.stream import StreamProcessor
from eventfilter.service.ticks import Ticker
from tests.helpers import ListSink, case, event, extract, fixed_clock, lines, person

PERSONS = [
    person("B", "1996-03-20", address_id="A", monthly_income=0),  # turns 30 on 2026-03-20
    person("K", "2008-02-29", address_id="A", parent_ids=["B"], monthly_income=0),  # 18 on 2026-03-01
    person("R", "1980-01-01", address_id="Z", monthly_income=12500),  # over the limit after the new rate
    person("U", address_id="Y", monthly_income=0),
]
CASES = [
    case("C", "kontanthjaelp", "B"),
    case("H", "boligstoette", "B", dwelling_address_id="A"),
    case("R1", "kontanthjaelp", "R"),
    case("U1", "kontanthjaelp", "U"),
]


def pack_file(tmp_path: Path) -> Path:
    text = default_pack_path().read_text()
    old = "values = [{ valid_from = 2026-01-01, value = 12800 }]"
    path = tmp_path / "pack.toml"
    new = "values = [{ valid_from = 2026-01-01, value = 12800 }, { valid_from = 2026-02-15, value = 12000 }]"
    path.write_text(text.replace(old, new))
    return path


def app_for(db_url: str, tmp_path: Path) -> App:
    app = bootstrap(db_url, rules=pack_file(tmp_path), clock=fixed_clock)
    app.settings = replace(app.settings, batch_size=2)
    import_persons(app.store, extract(*PERSONS), "persons.jsonl", app.clock)
    import_cases(app.store, app.pack, extract(*CASES), "cases.jsonl", app.clock)
    return app


def tick(app: App, through: str) -> tuple[Any, list[Decision]]:
    sink = ListSink()
    summary = Ticker(app.store, app.pack, app.settings, app.clock, sink).run(date.fromisoformat(through))
    return summary, sink.decisions


def said(decisions: list[Decision]) -> list[tuple[Any, ...]]:
    return sorted(
        (d.decision_id, d.case_id, d.effective_date, d.outcome, tuple(r.code for r in d.reasons), d.hold)
        for d in decisions
    )


def test_tick_decides_each_date_once_and_records_it_like_any_decision(db_url: str, tmp_path: Path) -> None:
    app = app_for(db_url, tmp_path)
    summary, decisions = tick(app, "2026-03-31")
    by = {(d.case_id, d.effective_date.isoformat()): d for d in decisions}
    assert by[("C", "2026-03-01")].outcome == "review"  # K comes of age (29 February born)
    assert "came_of_age" in [r.code for r in by[("C", "2026-03-01")].reasons]
    assert [r.code for r in by[("C", "2026-03-20")].reasons][-1] == "age_band_changed"
    suspended = by[("R1", "2026-02-15")]
    assert suspended.outcome == "suspend" and suspended.hold == "place"
    assert [r.code for r in suspended.reasons] == ["income_above_limit", "parameters_changed"]
    assert ("U1", "2026-02-15") in by  # every case of the benefit whose rate changed
    assert summary.holds_placed == 1 and summary.decided == len(decisions)
    [hold] = queries.holds(app.review)
    assert hold.case_id == "R1"
    assert {i.case_id for i in queries.review_list(app.review)} >= {"C"}
    actions = [a.action for a in app.review.audit("R1")]
    assert "hold_placed" in actions
    # again through the same date, or an earlier one: nothing twice
    again, none = tick(app, "2026-03-31")
    assert none == [] and again.since == date(2026, 3, 31)
    assert tick(app, "2026-03-10")[1] == []
    # and on: only what is new
    _, later = tick(app, "2026-12-31")
    assert all(d.effective_date > date(2026, 3, 31) for d in later)


def test_ticking_day_by_day_equals_one_tick_through_the_end(db_url: str, tmp_path: Path) -> None:
    once = app_for("memory:", tmp_path)
    _, at_once = tick(once, "2026-04-30")
    daily = app_for(db_url, tmp_path)
    day_by_day: list[Decision] = []
    for month, last in ((1, 31), (2, 28), (3, 31), (4, 30)):
        for day in range(1, last + 1):
            day_by_day += tick(daily, f"2026-{month:02d}-{day:02d}")[1]
    assert said(day_by_day) == said(at_once)


EVENTS = [
    event("name_change", "B", event_id="n1", effective_date="2026-01-10"),
    event("name_change", "R", event_id="n2", effective_date="2026-01-20"),
    event("name_change", "B", event_id="n3", effective_date="2026-03-10"),
    event("name_change", "R", event_id="n4", effective_date="2026-04-01"),
]


def test_replay_stream_and_tick_agree(db_url: str, tmp_path: Path) -> None:
    # replay: the dates passed by later events are decided in their place in time
    replayed = app_for(db_url, tmp_path)
    sink = ListSink()
    Replayer(replayed.store, replayed.pack, replayed.settings, replayed.clock, sink).run(lines(*EVENTS), "e")
    by_replay = sink.decisions + tick(replayed, "2026-04-30")[1]
    in_place = [d for d in sink.decisions if d.event_ids[0].startswith("tick:")]
    assert {d.case_id for d in in_place} >= {"C", "R1"}
    # the stream
    streamed = app_for("memory:", tmp_path)
    processor = StreamProcessor(
        streamed.store, streamed.pack, streamed.settings, streamed.clock, daily_tick=False
    )
    broker = MemoryBroker()
    for e in EVENTS:
        broker.send(json.dumps(e).encode(), e["event_id"])
    by_stream: list[Decision] = []
    while deliveries := broker.fetch(1, 0):
        by_stream += processor.process(deliveries).decisions
        broker.ack(deliveries)
    by_stream += _flush(processor)
    by_stream += tick(streamed, "2026-04-30")[1]
    # tick alone, with the events decided after
    assert said(by_replay) == said(by_stream)
    ticked = tick(app_for("memory:", tmp_path), "2026-04-30")[1]
    ticks_only = [d for d in by_replay if d.event_ids[0].startswith("tick:")]
    assert said(ticks_only) == said(ticked)


def _flush(processor: StreamProcessor) -> list[Decision]:
    out: list[Decision] = []
    while batch := processor.close_due(everything=True):
        out += batch
    return out


def test_a_pack_change_applies_from_its_date_through_the_default_pack_too(tmp_path: Path) -> None:
    assert load_pack(pack_file(tmp_path)).benefits["kontanthjaelp"].change_dates(
        date(2026, 1, 1), date(2026, 12, 31)
    ) == [date(2026, 2, 15)]
