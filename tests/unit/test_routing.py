"""Which cases an event touches (rules.md, "Which cases an event touches")."""

from __future__ import annotations

from typing import Any

import pytest

from eventfilter.core import routing
from eventfilter.core.pack import RulePack
from tests.helpers import World, case, event, move, person, to_event

KY = "kontanthjaelp"


def touched(
    pack: RulePack, persons: list[dict[str, Any]], cases: list[dict[str, Any]], e: dict[str, Any]
) -> set[str | None]:
    return {d.case_id for d in World(pack, persons, cases).run(e)}


def test_the_beneficiary_themself(pack: RulePack) -> None:
    assert touched(pack, [person("B")], [case("C", KY, "B")], event("death", "B")) == {"C"}


def test_an_unrelated_person_touches_nothing(pack: RulePack) -> None:
    assert touched(pack, [person("B"), person("X")], [case("C", KY, "B")], event("death", "X")) == {None}


def test_the_partner_the_beneficiary_names(pack: RulePack) -> None:
    persons = [person("B", partner_id="P"), person("P")]
    assert touched(pack, persons, [case("C", KY, "B")], event("death", "P")) == {"C"}


def test_the_partner_who_names_the_beneficiary(pack: RulePack) -> None:
    persons = [person("B"), person("P", partner_id="B")]
    assert touched(pack, persons, [case("C", KY, "B")], event("death", "P")) == {"C"}


def test_a_new_partner_named_by_the_event(pack: RulePack) -> None:
    persons = [person("B"), person("P")]
    e = event("marital_status_change", "P", {"status": "married", "partner_id": "B"})
    assert touched(pack, persons, [case("C", KY, "B")], e) == {"C"}


def test_a_former_partner_after_a_divorce(pack: RulePack) -> None:
    persons = [person("B"), person("P", partner_id="B", marital_status="married")]
    e = event("marital_status_change", "P", {"status": "divorced", "partner_id": None})
    assert touched(pack, persons, [case("C", KY, "B")], e) == {"C"}


def test_a_child_touches_the_parents_case(pack: RulePack) -> None:
    persons = [person("B"), person("K", "2015-01-01", parent_ids=["B"])]
    assert touched(pack, persons, [case("C", KY, "B")], move("K", "X")) == {"C"}


def test_a_birth_touches_the_parents_case(pack: RulePack) -> None:
    e = event(
        "birth", "NEW", {"birth_date": "2026-03-01", "parent_ids": ["B"], "address_id": "A", "country": "DK"}
    )
    assert touched(pack, [person("B", address_id="A")], [case("C", KY, "B")], e) == {"C"}


def test_someone_moving_into_the_dwelling(pack: RulePack) -> None:
    persons = [person("B", address_id="D"), person("X", address_id="E")]
    cases = [case("H", "boligstoette", "B", dwelling_address_id="D")]
    assert touched(pack, persons, cases, move("X", "D")) == {"H"}


def test_someone_moving_out_of_the_dwelling(pack: RulePack) -> None:
    persons = [person("B", address_id="D"), person("X", address_id="D")]
    cases = [case("H", "boligstoette", "B", dwelling_address_id="D")]
    assert touched(pack, persons, cases, move("X", "E")) == {"H"}


def test_a_dwelling_does_not_route_to_cases_without_a_dwelling(pack: RulePack) -> None:
    persons = [person("B", address_id="D"), person("X", address_id="E")]
    assert touched(pack, persons, [case("C", KY, "B")], move("X", "D")) == {None}


def test_one_event_can_touch_several_cases(pack: RulePack) -> None:
    persons = [person("B", address_id="D", partner_id="P"), person("P", address_id="D")]
    cases = [case("C", KY, "B"), case("H", "boligstoette", "B", dwelling_address_id="D"), case("C2", KY, "P")]
    assert touched(pack, persons, cases, event("death", "P")) == {"C", "H", "C2"}


# -- the cases a batch's events may touch, before they are decided (replay loads
# the stored windows of these) ---------------------------------------------------
FAMILY = [
    person("B", address_id="D", partner_id="P"),
    person("P", address_id="D"),
    person("K", "2015-01-01", address_id="D", parent_ids=["B"]),
    person("X", address_id="E"),
    person("Q", address_id="F", partner_id="B"),
]
FAMILY_CASES = [
    case("C", KY, "B"),
    case("H", "boligstoette", "B", dwelling_address_id="D"),
    case("C2", KY, "P"),
    case("CX", KY, "X"),
]


@pytest.mark.parametrize(
    "e",
    [
        event("death", "P"),
        event("death", "Q"),  # names B as partner: B's cases
        move("K", "E"),
        move("X", "D"),  # into the dwelling
        event("income_change", "K", {"period": "2026-02", "amount": 100.0}),
        event("marital_status_change", "X", {"status": "married", "partner_id": "B"}),
        event(
            "birth",
            "NEW",
            {"birth_date": "2026-03-01", "parent_ids": ["X"], "address_id": "D", "country": "DK"},
        ),
        event("death", "NOBODY"),
    ],
    ids=lambda e: f"{e['type']}-{e['person_id']}",
)
def test_the_cases_an_event_may_touch_include_those_it_touches(pack: RulePack, e: dict[str, Any]) -> None:
    world = World(pack, FAMILY, FAMILY_CASES)
    may = routing.candidates(world.book, world.state, to_event(e), {})
    assert {d.case_id for d in world.run(e)} - {None} <= may


def test_a_batch_s_events_add_their_cases_to_one_set(pack: RulePack) -> None:
    world = World(pack, FAMILY, FAMILY_CASES)
    found: set[str] = {"EARLIER"}
    for e in (event("death", "K"), event("death", "X")):
        assert routing.candidates(world.book, world.state, to_event(e), {}, found) is found
    assert found == {"EARLIER", "C", "H", "CX"}  # K: a parent's case and the dwelling; X: their own
    assert routing.candidates(world.book, world.state, to_event(event("death", "NOBODY")), {}) == set()
