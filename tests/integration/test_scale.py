"""National scale, at small scale: the generator's mix, and a replay whose
decisions do not depend on how much it keeps in memory."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest
import structlog.testing

from eventfilter.adapters.jsonl import JsonlSource
from eventfilter.application import App
from eventfilter.bootstrap import bootstrap
from eventfilter.core.decision import Decision
from eventfilter.core.engine import Engine
from eventfilter.errors import Malformed
from eventfilter.formats import parse_event
from eventfilter.formats.lines import decision_line
from eventfilter.generate import NATIONAL, NATIONAL_PERSONS, SAMPLE, write_world
from eventfilter.logs import configure
from eventfilter.service.imports import import_cases, import_persons
from eventfilter.service.replay import Replayer
from eventfilter.service.world import RunWorld
from tests.helpers import ListSink, case, event, extract, fixed_clock, lines, move, person


def generated(tmp_path: Path, name: str, persons: int, days: int, profile: object, seed: int = 3) -> Path:
    out = tmp_path / name
    write_world(out, persons, seed=seed, days=days, profile=profile)  # type: ignore[arg-type]
    return out


def test_the_generator_is_deterministic_for_a_seed(tmp_path: Path) -> None:
    a = generated(tmp_path, "a", 800, 40, NATIONAL)
    b = generated(tmp_path, "b", 800, 40, NATIONAL)
    c = generated(tmp_path, "c", 800, 40, NATIONAL, seed=4)
    for name in ("persons.jsonl", "cases.jsonl", "events.jsonl"):
        assert (a / name).read_bytes() == (b / name).read_bytes()
    assert (a / "events.jsonl").read_bytes() != (c / "events.jsonl").read_bytes()


def test_the_national_mix_has_the_issues_proportions(tmp_path: Path) -> None:
    """A year of 0.2 % of Denmark: the shares the issue names, per person and year."""
    persons = round(NATIONAL_PERSONS * 0.002)
    out = generated(tmp_path, "n", persons, 365, NATIONAL)
    cases = Counter(json.loads(line)["benefit"] for line in (out / "cases.jsonl").read_text().splitlines())
    assert cases["boligstoette"] == pytest.approx(590_000 * 0.002, rel=0.15)
    assert cases["kontanthjaelp"] == pytest.approx(90_000 * 0.002, rel=0.2)
    assert cases["forsorjningsstod"] == pytest.approx(20_000 * 0.002, rel=0.35)

    types: Counter[str] = Counter()
    ids: Counter[str] = Counter()
    broken = 0
    raw = (out / "events.jsonl").read_text().splitlines()
    for line in raw:
        try:
            e, _ = parse_event(line)
        except Malformed:
            broken += 1
            continue
        types[e.type] += 1
        ids[e.event_id] += 1
    per_person = {t: n / persons for t, n in types.items()}
    assert per_person["address_change"] == pytest.approx(900_000 / NATIONAL_PERSONS, rel=0.15)
    assert per_person["birth"] == pytest.approx(60_000 / NATIONAL_PERSONS, rel=0.3)
    assert per_person["death"] == pytest.approx(55_000 / NATIONAL_PERSONS, rel=0.3)
    assert per_person["income_change"] == pytest.approx(18_000_000 / NATIONAL_PERSONS, rel=0.25)
    register = sum(n for t, n in types.items() if t not in ("income_change", "correction"))
    assert register / persons == pytest.approx(4_000_000 / NATIONAL_PERSONS, rel=0.15)
    assert 0.01 <= sum(n - 1 for n in ids.values()) / len(raw) <= 0.05  # duplicates (and conflicts)
    assert 0.01 <= types["correction"] / len(raw) <= 0.03
    assert 0.001 <= broken / len(raw) <= 0.009  # a few per mille break the contract


def app_on(tmp_path: Path, world: Path, name: str, **settings: int) -> App:
    app = bootstrap(f"sqlite:///{tmp_path}/{name}.db", clock=fixed_clock)
    app.settings = replace(app.settings, **settings)  # type: ignore[arg-type]
    for what in ("persons", "cases"):
        source = JsonlSource(str(world / f"{what}.jsonl"))
        if what == "persons":
            import_persons(app.store, source, source.name, app.clock)
        else:
            import_cases(app.store, app.pack, source, source.name, app.clock)
    return app


def replayed(app: App, world: Path) -> list[Decision]:
    sink = ListSink()
    source = JsonlSource(str(world / "events.jsonl"))
    Replayer(app.store, app.pack, app.settings, app.clock, sink).run(source, source.name)
    return sink.decisions


def gist(decisions: list[Decision]) -> list[tuple[object, ...]]:
    return sorted(
        (d.decision_id, d.case_id, d.outcome, tuple(r.code for r in d.reasons), d.hold, d.event_ids)
        for d in decisions
    )


def test_decisions_do_not_depend_on_batch_size_or_on_windows_kept_in_memory(tmp_path: Path) -> None:
    """One event per batch with every window kept in the store (persons
    dropped and loaded again, windows loaded back as events touch their
    cases) decides exactly as one batch holding everything."""
    world = generated(tmp_path, "w", 600, 120, SAMPLE, seed=11)
    frugal = replayed(app_on(tmp_path, world, "frugal", batch_size=1, windows_in_memory=0), world)
    lavish = replayed(app_on(tmp_path, world, "lavish", batch_size=10**6, windows_in_memory=10**6), world)
    assert len(frugal) > 1000
    assert {d.outcome for d in frugal} == {"suspend", "review", "pass"}
    assert gist(frugal) == gist(lavish)


def test_the_windows_left_open_are_decided_in_order_of_date_and_case_wherever_they_are_kept(
    tmp_path: Path,
) -> None:
    """At the end of input some open windows are in memory and some only in the
    store: they are decided in one order, by date and case, as if all were in memory."""
    world = generated(tmp_path, "w", 600, 120, SAMPLE, seed=11)
    # batches of 25 lines, 30 windows kept: at the end 11 windows (the latest) are in
    # memory and 148 in the store only; they are decided in rounds of 30
    few = replayed(app_on(tmp_path, world, "few", batch_size=25, windows_in_memory=30), world)
    many = replayed(app_on(tmp_path, world, "many", batch_size=25, windows_in_memory=10**6), world)
    assert len(many) > 1000
    assert [d.decision_id for d in few] == [d.decision_id for d in many]


def test_a_correction_that_names_a_partner_again_finds_them_after_they_were_dropped(tmp_path: Path) -> None:
    """P's divorce is withdrawn batches later: P names B as partner again. B,
    dropped from memory when nobody named them, must be loaded again, or B's
    income would look unknown."""
    app = bootstrap(f"sqlite:///{tmp_path}/c.db", clock=fixed_clock)
    app.settings = replace(app.settings, batch_size=2)  # both divorces in one batch, the correction later
    import_persons(
        app.store,
        extract(
            person("B", "1965-06-19", marital_status="married", partner_id="P", monthly_income=4000),
            person("P", "1954-10-01", marital_status="married", partner_id="B", monthly_income=0),
        ),
        "persons.jsonl",
        app.clock,
    )
    import_cases(app.store, app.pack, extract(case("KY-P", "kontanthjaelp", "P")), "cases.jsonl", app.clock)
    divorced = {"status": "divorced", "partner_id": None}
    events = [
        event("marital_status_change", "B", divorced, event_id="b-divorces"),
        event("marital_status_change", "P", divorced, event_id="p-divorces"),
        move("P", "ELSEWHERE", event_id="p-moves"),
        event("correction", "P", {"corrects_event_id": "p-divorces"}, event_id="withdrawn"),
    ]
    sink = ListSink()
    Replayer(app.store, app.pack, app.settings, app.clock, sink).run(lines(*events), "events.jsonl")
    [d] = [d for d in sink.decisions if d.case_id == "KY-P"]
    assert d.outcome == "pass", [r.code for r in d.reasons]
    assert d.after is not None and d.after.counted_income == 4000.0  # B's income, known


def test_decisions_do_not_depend_on_how_many_persons_a_run_keeps(tmp_path: Path) -> None:
    """A run that lets go of everything it holds after every batch (and loads
    it again as later batches read it) decides exactly as one that keeps all."""
    world = generated(tmp_path, "w", 600, 120, SAMPLE, seed=12)
    forgetful_app = app_on(tmp_path, world, "forgetful", batch_size=50, persons_in_memory=0)
    configure("info")
    try:
        with structlog.testing.capture_logs() as logs:
            forgetful = replayed(forgetful_app, world)
    finally:
        configure("warning")  # as the suite runs (conftest)
    let_go = [e for e in logs if e["event"].startswith("more persons in memory than persons_in_memory")]
    keeping = replayed(app_on(tmp_path, world, "keeping", batch_size=50, persons_in_memory=10**6), world)
    assert len(let_go) > 20  # after (nearly) every batch
    assert len(forgetful) > 1000
    assert {d.outcome for d in forgetful} == {"suspend", "review", "pass"}
    assert [decision_line(d) for d in forgetful] == [decision_line(d) for d in keeping]


@pytest.mark.parametrize(
    ("profile", "persons"), [(SAMPLE, 600), (NATIONAL, 2000)], ids=["sample", "national-mix"]
)
def test_windows_decided_on_the_facts_kept_from_their_batch_decide_as_if_evaluated_at_the_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, profile: object, persons: int
) -> None:
    """Replay keeps the facts after each open window from the end of the batch that
    grew it, and decides the windows left open at the end of input on them without
    loading their households. A run that evaluates every window again as it closes,
    its household loaded again, decides exactly alike: whatever changes a fact a
    case's rules read touches the case, and grows its window."""
    world = generated(tmp_path, "w", persons, 120, profile, seed=13)
    frugal = {"batch_size": 40, "windows_in_memory": 0, "persons_in_memory": 0}
    households: list[int] = []
    load_cases = RunWorld.load_cases

    def counted(world: RunWorld, case_ids: Sequence[str], skip_locked: bool = False) -> list[str]:
        households.append(len(case_ids))
        return load_cases(world, case_ids, skip_locked)

    monkeypatch.setattr(RunWorld, "load_cases", counted)
    kept = replayed(app_on(tmp_path, world, "kept", **frugal), world)
    assert households == []  # every window left open knew its after: no household loaded to close it
    monkeypatch.setattr(Engine, "settle_open", lambda engine: None)
    evaluated = replayed(app_on(tmp_path, world, "evaluated", **frugal), world)
    assert sum(households) > 50  # this run loaded them
    assert len(kept) > 1000
    assert {d.outcome for d in kept} == {"suspend", "review", "pass"}
    assert [decision_line(d) for d in kept] == [decision_line(d) for d in evaluated]
