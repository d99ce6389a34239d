"""What changes with time alone, and reusing a window's `after` as the next
window's `before` only when nothing of the kind lies between their dates."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from eventfilter.core import engine as engine_module
from eventfilter.core.facts import Case
from eventfilter.core.pack import BenefitSpec, DatedValue, RulePack
from eventfilter.core.rules import MODELS
from eventfilter.core.state import RegisterState
from eventfilter.core.timing import changes_with_time, crosses, readers
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
    with mock.patch.object(engine_module, "changes_with_time", lambda *_: True):  # never reuse
        again = decided(pack, events)
    assert reused == again


def _crosses_any(c: Case, spec: BenefitSpec, state: RegisterState, d0: date, d1: date) -> bool:
    """The plain rule, person by person and age by age, with no shortcut."""
    p = spec.params_on(d1)
    model = MODELS[spec.model]
    for who in readers(c, state):
        names = set(model.member_ages) | (
            set(model.beneficiary_ages) if who.person_id == c.beneficiary_id else set()
        )
        if any(crosses(who, p.num(n), d0, d1) for n in names):
            return True
    return False


@settings(max_examples=300, deadline=None)
@given(
    st.dates(date(1994, 1, 1), date(2012, 12, 31)),
    st.dates(date(1994, 1, 1), date(2012, 12, 31)),
    st.dates(date(2025, 12, 1), date(2030, 12, 31)),
    st.integers(-800, 800),
)
def test_property_the_year_shortcut_finds_exactly_the_crossings_the_plain_rule_finds(
    pack: RulePack, b_born: date, k_born: date, d0: date, days: int
) -> None:
    # birthdays on 1 January, 31 December and 29 February included: hypothesis seeks the edges
    world = World(
        pack,
        [
            person("B", b_born.isoformat(), address_id="A"),
            person("K", k_born.isoformat(), address_id="A", parent_ids=["B"]),
        ],
        [case("C", "kontanthjaelp", "B")],
    )
    c, spec = world.book.cases["C"], pack.benefits["kontanthjaelp"]
    d1 = d0 + timedelta(days=days)
    assert changes_with_time(c, spec, world.state, d0, d1) == (
        d0 != d1 and _crosses_any(c, spec, world.state, d0, d1)
    )


def test_a_child_turning_18_on_new_years_day_or_eve_changes_with_time_in_either_order(pack: RulePack) -> None:
    for born, d0, d1, changes in (
        ("2008-01-01", date(2025, 12, 31), date(2026, 1, 1), True),
        ("2008-12-31", date(2026, 12, 30), date(2026, 12, 31), True),
        ("2009-01-01", date(2026, 12, 30), date(2026, 12, 31), False),
        ("2007-12-31", date(2025, 12, 31), date(2026, 1, 1), False),  # turned 18 the day before
    ):
        world = World(
            pack,
            [person("B", "1980-06-01", address_id="A"), person("K", born, address_id="A", parent_ids=["B"])],
            [case("C", "kontanthjaelp", "B")],
        )
        c, spec = world.book.cases["C"], pack.benefits["kontanthjaelp"]
        assert changes_with_time(c, spec, world.state, d0, d1) is changes, born
        assert changes_with_time(c, spec, world.state, d1, d0) is changes, born


def test_readers_are_the_beneficiary_the_partner_and_both_addresses_people_once(pack: RulePack) -> None:
    world = World(
        pack,
        [
            person("B", address_id="A", partner_id="P", marital_status="married"),
            person("P", address_id="X", partner_id="B", marital_status="married"),  # lives elsewhere
            person("K", "2015-01-01", address_id="A", parent_ids=["B"]),
            person("D", address_id="D1"),  # at the case's dwelling, not at B's address
        ],
        [case("C", "boligstoette", "B", dwelling_address_id="D1", housing_cost=4000)],
    )
    c = world.book.cases["C"]
    assert [p.person_id for p in readers(c, world.state)] == ["B", "P", "K", "D"]
    # B living at the dwelling: its residents are read once
    at_home = replace(c, dwelling_address_id="A")
    assert [p.person_id for p in readers(at_home, world.state)] == ["B", "P", "K"]
    # a beneficiary the register does not know: the dwelling's residents still count
    unknown = replace(c, beneficiary_id="nobody")
    assert [p.person_id for p in readers(unknown, world.state)] == ["D"]
