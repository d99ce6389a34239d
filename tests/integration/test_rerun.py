"""Rerunning the documented command (`replay EVENTS --persons P --cases C`)
changes nothing: the extracts never overwrite facts events have set (trust
issue, finding 1)."""

from __future__ import annotations

from typing import Any

from eventfilter.application import App
from eventfilter.service import queries
from eventfilter.service.imports import import_cases, import_persons
from tests.helpers import case, event, extract, income, lines, move, person
from tests.integration.test_replay_store import app_for, family_again, replay

KY = "kontanthjaelp"
PERSONS = (
    person("B", "1980-01-01", address_id="A", monthly_income=0, income_period="2026-01"),
    person("S", "1980-01-01", address_id="SECRET-1", monthly_income=0, income_period="2026-01"),
)
CASES = (case("C", KY, "B"), case("CS", KY, "S"))


def documented_run(app: App, events: list[dict[str, Any]]) -> list[Any]:
    """What `replay EVENTS --persons P --cases C` does: import both extracts, then replay."""
    import_persons(app.store, extract(*PERSONS), "persons.jsonl", app.clock)
    import_cases(app.store, app.pack, extract(*CASES), "cases.jsonl", app.clock)
    return replay(app, lines(*events))[1]


def register(app: App) -> dict[str, tuple[Any, ...]]:
    return {
        p.person_id: (p.address_id, p.alive, p.monthly_income, p.income_period, p.protected_address)
        for p in app.store.load_persons(["B", "S"])
    }


FIRST = [
    income("B", 2000, period="2026-03", event_id="i1"),
    event("protected_address", "S", {"protected": True}, event_id="p1"),
    move("S", "SECRET-2", event_id="m1"),
]


def test_a_rerun_of_the_documented_command_changes_nothing(db_url: str) -> None:
    app = app_for(db_url, *PERSONS, cases=CASES)
    documented_run(app, FIRST)
    state = register(app)
    holds, items = queries.holds(app.review), queries.review_list(app.review)
    again = family_again(app)
    assert documented_run(again, FIRST) == []
    assert register(again) == state
    assert state["B"][2:4] == (2000, "2026-03") and state["S"][4] is True
    assert queries.holds(again.review) == holds
    assert [i.case_id for i in queries.review_list(again.review)] == [i.case_id for i in items]


def test_an_older_income_report_after_a_rerun_changes_nothing(db_url: str) -> None:
    app = app_for(db_url, *PERSONS, cases=CASES)
    documented_run(app, FIRST)
    documented_run(family_again(app), FIRST)
    # February's report arrives after March's: an older period changes nothing,
    # whatever the extract said about January.
    later = documented_run(family_again(app), [income("B", 20000, period="2026-02", event_id="i0")])
    assert [(d.case_id, d.outcome) for d in later] == [("C", "pass")]
    assert queries.holds(app.review) == []
