"""An extract line over a person the register already knows (trust issue, finding 1)."""

from __future__ import annotations

from typing import Any

from eventfilter.core.facts import extract_over
from eventfilter.core.state import RegisterState
from tests.helpers import event, income, move, person, to_event, to_person


def after_events(*events: dict[str, Any]) -> RegisterState:
    state = RegisterState([to_person(person("X", address_id="A", monthly_income=1000))])
    for e in events:
        ev = to_event(e)
        state.apply(ev, state.plan(ev, {}))
    return state


def test_a_new_person_is_taken_as_the_extract_says() -> None:
    line = to_person(person("X", address_id="A"))
    assert extract_over(None, line) is line


def test_facts_no_event_set_are_updated_by_id() -> None:
    held = to_person(person("X", address_id="A"))
    merged = extract_over(held, to_person(person("X", address_id="B")))
    assert merged.address_id == "B" and merged.versions() == {}


def test_facts_events_set_survive_the_same_extract_imported_again() -> None:
    state = after_events(
        move("X", "NEW", "510"),
        income("X", 9000, period="2026-02"),
        event("protected_address", "X", {"protected": True}),
        event("death", "X"),
    )
    held = state.persons["X"]
    merged = extract_over(held, to_person(person("X", address_id="A", monthly_income=1000)))
    assert (merged.address_id, merged.municipality_code) == ("NEW", "510")
    assert (merged.monthly_income, merged.income_period) == (9000, "2026-02")
    assert merged.protected_address is True
    assert merged.alive is False
    assert merged.versions() == held.versions()


def test_an_extract_reporting_a_newer_income_period_wins_over_an_older_event() -> None:
    held = after_events(income("X", 9000, period="2026-02")).persons["X"]
    merged = extract_over(held, to_person(person("X", monthly_income=500, income_period="2026-05")))
    assert (merged.monthly_income, merged.income_period) == (500, "2026-05")
    assert merged.v_income is None  # the extract's period orders it from now on


def test_an_extract_reporting_the_same_income_period_does_not_undo_the_event() -> None:
    held = after_events(income("X", 9000, period="2026-02")).persons["X"]
    merged = extract_over(held, to_person(person("X", monthly_income=500, income_period="2026-02")))
    assert merged.monthly_income == 9000
