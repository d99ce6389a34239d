"""Properties of replay that must hold for any input (hypothesis).

- replaying the same events again decides nothing, and a crash at any batch
  followed by a rerun decides exactly what one clean run decides;
- the order of the events decided together does not change their decision;
- a malformed line never changes any other decision.
"""

from __future__ import annotations

import contextlib
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventfilter.application import App
from eventfilter.bootstrap import bootstrap
from eventfilter.core.decision import Decision
from eventfilter.core.pack import RulePack
from eventfilter.service.imports import import_cases, import_persons
from eventfilter.service.replay import Replayer
from tests.helpers import (
    ListSink,
    World,
    case,
    event,
    extract,
    fixed_clock,
    income,
    lines,
    move,
    person,
    sql_store,
)

pytestmark = pytest.mark.slow

PERSONS = [
    person("B", "1985-01-01", address_id="D", marital_status="married", partner_id="P", monthly_income=2000),
    person("P", "1986-01-01", address_id="D", marital_status="married", partner_id="B", monthly_income=3000),
    person("K", "2015-01-01", address_id="D", parent_ids=["B", "P"]),
    person("L", "1990-01-01", address_id="D", monthly_income=5000),
    person("X", "1970-01-01", address_id="E"),
]
CASES = [case("KY", "kontanthjaelp", "B"), case("BS", "boligstoette", "B", dwelling_address_id="D")]
PEOPLE = ["B", "P", "K", "L", "X", "NEW"]
DATES = ["2026-03-01", "2026-03-02", "2026-03-03"]


@st.composite
def an_event(draw: Any, dates: list[str] = DATES, who: list[str] = PEOPLE) -> dict[str, Any]:
    kind = draw(
        st.sampled_from(["move", "income", "death", "name_change", "custody_change", "birth", "marry"])
    )
    pid = draw(st.sampled_from(who))
    day = draw(st.sampled_from(dates))
    hour = draw(st.integers(0, 23))
    top = {"effective_date": day, "recorded_at": f"{day}T{hour:02d}:00:00Z"}
    if kind == "move":
        return move(
            pid, draw(st.sampled_from(["D", "E", "F", None])), draw(st.sampled_from(["561", "510"])), **top
        )
    if kind == "income":
        return income(
            pid,
            draw(st.sampled_from([0, 1500, 9000, 20000])),
            period=f"2026-0{draw(st.integers(1, 3))}",
            **top,
        )
    if kind == "birth":
        data = {
            "birth_date": day,
            "parent_ids": ["B"],
            "address_id": "D",
            "municipality_code": "561",
            "country": "DK",
        }
        return event("birth", f"C{draw(st.integers(1, 9))}", data, **top)
    if kind == "marry":
        return event(
            "marital_status_change",
            pid,
            {"status": "married", "partner_id": draw(st.sampled_from([p for p in PEOPLE if p != pid]))},
            **top,
        )
    return event(kind if kind != "death" else "death", pid, {}, **top)


def unique_ids(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**e, "event_id": f"ev{n}"} for n, e in enumerate(events)]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated database with the world imported, copied for every example."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    app = bootstrap(f"sqlite:///{path}", clock=fixed_clock)
    import_persons(app.store, extract(*PERSONS), "persons.jsonl", app.clock)
    import_cases(app.store, app.pack, extract(*CASES), "cases.jsonl", app.clock)
    app.store.dispose()
    return path


class Fresh:
    def __init__(self, template: Path, tmp: Path) -> None:
        self.template, self.tmp, self.n = template, tmp, 0

    def app(self, batch_size: int = 2) -> App:
        self.n += 1
        path = self.tmp / f"db{self.n}.db"
        shutil.copy(self.template, path)
        app = bootstrap(f"sqlite:///{path}", clock=fixed_clock)
        app.settings = replace(app.settings, batch_size=batch_size)
        return app


@pytest.fixture
def fresh(template: Path, tmp_path: Path) -> Fresh:
    return Fresh(template, tmp_path)


def run(app: App, events: list[Any]) -> list[Decision]:
    sink = ListSink()
    Replayer(app.store, app.pack, app.settings, app.clock, sink).run(lines(*events), "events.jsonl")
    return sink.decisions


def gist(decisions: list[Decision]) -> list[tuple[Any, ...]]:
    return sorted((d.decision_id, d.outcome, tuple(r.code for r in d.reasons)) for d in decisions)


SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(events=st.lists(an_event(), min_size=1, max_size=12), batch=st.integers(1, 4))
def test_replay_equals_the_pure_engine_and_a_second_replay_decides_nothing(
    fresh: Fresh, pack: RulePack, events: list[dict[str, Any]], batch: int
) -> None:
    events = unique_ids(events)
    app = fresh.app(batch)
    assert gist(run(app, events)) == gist(World(pack, PERSONS, CASES).run(*events))
    assert run(app, events) == []


class Crash(Exception):
    pass


@SETTINGS
@given(events=st.lists(an_event(), min_size=2, max_size=12), batch=st.integers(1, 3), crash=st.integers(1, 6))
def test_a_crash_anywhere_and_a_rerun_decide_what_one_clean_run_decides(
    fresh: Fresh, pack: RulePack, events: list[dict[str, Any]], batch: int, crash: int
) -> None:
    events = unique_ids(events)
    app = fresh.app(batch)
    real, calls = app.store.write_changes, [0]  # type: ignore[attr-defined]

    def dying(conn: Any, changes: Any) -> None:
        calls[0] += 1
        if calls[0] == crash:
            raise Crash()
        real(conn, changes)

    app.store.write_changes = dying  # type: ignore[attr-defined]
    with contextlib.suppress(Crash):
        run(app, events)
    rerun = bootstrap(app.store.url, clock=fixed_clock)
    rerun.settings = app.settings
    run(rerun, events)
    stored = stored_case_decisions(rerun)
    clean = World(pack, PERSONS, CASES).run(*events)
    assert stored == sorted((d.decision_id, d.outcome) for d in clean if d.case_id is not None)


def stored_case_decisions(app: App) -> list[tuple[str, str]]:
    from sqlalchemy import select

    from eventfilter.adapters.sql.models import DECISIONS

    with sql_store(app).connect() as conn:
        return sorted(
            (r.decision_id, r.outcome)
            for r in conn.execute(select(DECISIONS.c.decision_id, DECISIONS.c.outcome))
        )


# Events about persons whose tie to the cases no event here can cut: the
# beneficiary, the spouse (both name each other), the child, the lodger's
# moves and income. These are what the register sends together.
@st.composite
def a_group(draw: Any) -> list[dict[str, Any]]:
    day = "2026-03-01"
    makers = [
        lambda: move(
            draw(st.sampled_from(["B", "P", "K"])), draw(st.sampled_from(["D", "E", None])), **_at(draw, day)
        ),
        lambda: income(
            draw(st.sampled_from(["B", "P", "L"])), draw(st.sampled_from([0, 4000, 13000])), **_at(draw, day)
        ),
        lambda: event("death", draw(st.sampled_from(["P", "L", "K"])), **_at(draw, day)),
        lambda: event(
            draw(st.sampled_from(["name_change", "custody_change"])),
            draw(st.sampled_from(["B", "P"])),
            **_at(draw, day),
        ),
        lambda: event(
            "birth",
            "C1",
            {"birth_date": day, "parent_ids": ["B"], "address_id": "D", "country": "DK"},
            **_at(draw, day),
        ),
    ]
    n = draw(st.integers(1, 6))
    return unique_ids([makers[draw(st.integers(0, len(makers) - 1))]() for _ in range(n)])


def _at(draw: Any, day: str) -> dict[str, Any]:
    return {"effective_date": day, "recorded_at": f"{day}T{draw(st.integers(0, 23)):02d}:00:00Z"}


def decided(decisions: list[Decision]) -> dict[str | None, tuple[Any, ...]]:
    return {
        d.case_id: (
            d.outcome,
            tuple(r.code for r in d.reasons),
            d.before and d.before.summary(),
            d.after and d.after.summary(),
        )
        for d in decisions
        if d.case_id is not None
    }


@settings(max_examples=150, deadline=None)
@given(group=a_group(), data=st.data())
def test_the_order_of_events_decided_together_does_not_change_the_decision(
    pack: RulePack, group: list[dict[str, Any]], data: Any
) -> None:
    shuffled = data.draw(st.permutations(group))
    assert decided(World(pack, PERSONS, CASES).run(*group)) == decided(
        World(pack, PERSONS, CASES).run(*shuffled)
    )


MALFORMED = [
    "not json at all",
    "{",
    "[]",
    '{"event_id": "ev0", "type": "death", "person_id": "B", "effective_date": "2026-02-30", "data": {}}',
    '{"event_id": "bad", "type": "income_change", "person_id": "B", "effective_date": "2026-03-01",'
    ' "data": {"period": "2026-02", "amount": -10}}',
    '{"event_id": "ev1", "type": "address_change", "person_id": "B", "effective_date": "2026-03-01",'
    ' "data": {"address_id": "Q", "municipality_code": "561"}}',
]


@SETTINGS
@given(
    events=st.lists(an_event(), min_size=1, max_size=10),
    bad=st.lists(st.tuples(st.sampled_from(MALFORMED), st.integers(0, 10)), min_size=1, max_size=4),
)
def test_a_malformed_line_never_changes_any_other_decision(
    fresh: Fresh, events: list[dict[str, Any]], bad: list[tuple[str, int]]
) -> None:
    events = unique_ids(events)
    noisy: list[Any] = list(events)
    for line, at in bad:
        noisy.insert(min(at, len(noisy)), line)
    clean = gist(run(fresh.app(), events))
    assert gist(run(fresh.app(), noisy)) == clean
