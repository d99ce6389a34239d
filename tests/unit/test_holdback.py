"""Which of a stream batch's events wait for the next batch when another
consumer holds a case locked: those that may touch it, and every later one
sharing a person or a case with one held back, so that each person's and each
case's events keep their order."""

from __future__ import annotations

from typing import Any

from eventfilter.core.state import RegisterState
from eventfilter.ports import CaseKeys
from eventfilter.service.holdback import held_back
from tests.helpers import event, income, move, person, to_event, to_person

STATE = RegisterState(
    to_person(p)
    for p in (
        person("B", address_id="A", partner_id="P"),
        person("P", address_id="A", partner_id="B"),
        person("L", address_id="A"),  # a lodger at B's dwelling, in no family of theirs
        person("X", address_id="E"),
        person("Y", address_id="F", partner_id="W"),
        person("W", address_id="F", partner_id="Y"),
    )
)
CASES = [
    CaseKeys("C", "B", "A", "P"),  # B's, at their dwelling A
    CaseKeys("D", "Y", "F", "W"),  # Y's
]


def ids(*events: dict[str, Any], held: set[str], cases: list[CaseKeys] = CASES) -> set[str]:
    return held_back([to_event(e) for e in events], STATE, {}, cases, held)


def test_only_the_events_that_may_touch_a_held_case_wait() -> None:
    later = ids(
        income("B", 100, event_id="b"),  # the beneficiary
        income("P", 100, event_id="p"),  # the partner
        income("L", 100, event_id="l"),  # someone living at the case's dwelling
        income("Y", 100, event_id="y"),  # another family's case
        income("X", 100, event_id="x"),  # nobody's case
        held={"C"},
    )
    assert later == {"b", "p", "l"}


def test_nothing_waits_when_nothing_is_held() -> None:
    assert ids(income("B", 100, event_id="b"), held=set()) == set()


def test_a_persons_later_events_wait_with_their_first_even_where_they_touch_no_held_case() -> None:
    later = ids(
        event("marital_status_change", "X", {"status": "married", "partner_id": "B"}, event_id="m"),
        income("X", 100, event_id="x"),  # X's own income touches no case, but comes after
        income("Y", 100, event_id="y"),
        held={"C"},
    )
    assert later == {"m", "x"}
    # whoever an event held back does not name goes on
    assert ids(
        event("marital_status_change", "B", {"status": "divorced"}, event_id="d"),
        move("X", "G", event_id="x"),
        held={"C"},
    ) == {"d"}


def test_a_cases_later_events_wait_with_an_earlier_one_that_also_touched_a_held_case() -> None:
    # Y's partner W marries B: the event may touch B's case (held) and W's own family's
    # case D (not held). Y's later income touches only D, and waits behind it.
    later = ids(
        income("Y", 50, event_id="before"),  # came before: decided now, in order
        event("marital_status_change", "W", {"status": "married", "partner_id": "B"}, event_id="w"),
        income("Y", 100, event_id="after"),
        held={"C"},
    )
    assert later == {"w", "after"}


def test_a_case_found_by_its_beneficiarys_partner_is_held_for_the_partners_events() -> None:
    # the register's partner (P) lives elsewhere now: only the case's key says so
    cases = [CaseKeys("C", "B", "ELSEWHERE", "Q")]
    assert ids(income("Q", 100, event_id="q"), income("X", 1, event_id="x"), held={"C"}, cases=cases) == {"q"}
