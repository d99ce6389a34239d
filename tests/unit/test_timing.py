"""What changes with time alone, and reusing a window's `after` as the next
window's `before` only when nothing of the kind lies between their dates."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from eventfilter.core import engine as engine_module
from eventfilter.core.pack import DatedValue, RulePack
from eventfilter.core.timing import changes_with_time, crosses
from tests.helpers import World, case, person, to_person
from tests.integration.test_properties import CASES, PERSONS, an_event, unique_ids


def test_an_age_is_crossed_between_two_dates_in_either_order() -> None:
    child = to_person(person("K", "2008-03-15"))
    assert crosses(child, 18, date(2026, 3, 1), date(2026, 3, 20))
    assert crosses(child, 18, date(2026, 3, 20), date(2026, 3, 1))
    assert not crosses(child, 18, date(2026, 3, 16), date(2026, 4, 1))
    assert not crosses(child, 30, date(2026, 1, 1), date(2026, 12, 1))


def test_a_child_coming_of_age_or_the_beneficiary_turning_30_changes_with_time(pack: RulePack) -> None:
    world = World(
        pack,
        [
            person("B", "1996-06-10", address_id="A"),
            person("K", "2008-05-01", address_id="A", parent_ids=["B"]),
        ],
        [case("C", "kontanthjaelp", "B")],
    )
    c, spec = world.book.cases["C"], pack.benefits["kontanthjaelp"]
    assert changes_with_time(c, spec, world.state, date(2026, 4, 1), date(2026, 5, 2))  # K turns 18
    assert changes_with_time(c, spec, world.state, date(2026, 6, 1), date(2026, 6, 11))  # B turns 30
    assert not changes_with_time(c, spec, world.state, date(2026, 5, 2), date(2026, 6, 1))


def test_a_new_parameter_value_changes_with_time(pack: RulePack) -> None:
    spec = pack.benefits["kontanthjaelp"]
    rate = spec.parameters["rate_30plus_no_provider"]
    later = replace(rate, values=(*rate.values, DatedValue(date(2026, 7, 1), 13_000.0)))
    changed = replace(spec, parameters={**spec.parameters, rate.name: later}, _cache={})
    world = World(pack, [person("B", "1980-01-01")], [case("C", "kontanthjaelp", "B")])
    c = world.book.cases["C"]
    assert changes_with_time(c, changed, world.state, date(2026, 6, 1), date(2026, 7, 1))
    assert not changes_with_time(c, changed, world.state, date(2026, 7, 1), date(2026, 8, 1))


def decided(pack: RulePack, events: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (d.decision_id, d.outcome, d.reasons, d.before, d.after)
        for d in World(pack, PERSONS, CASES).run(*events)
    ]


# dates years apart, so that children come of age and parameters could change between them
DATES = ["2026-03-01", "2026-06-01", "2027-01-02", "2031-05-01", "2034-02-01"]


@settings(max_examples=150, deadline=None)
@given(st.lists(an_event(dates=DATES), min_size=1, max_size=14))
def test_reusing_the_last_after_decides_exactly_as_evaluating_again(
    pack: RulePack, events: list[dict[str, Any]]
) -> None:
    events = unique_ids(events)
    reused = decided(pack, events)
    real = engine_module.changes_with_time
    engine_module.changes_with_time = lambda *_: True  # type: ignore[assignment]  # never reuse
    try:
        again = decided(pack, events)
    finally:
        engine_module.changes_with_time = real
    assert reused == again
