"""Who and where a batch's events name, before they are decided (what the world loads)."""

from __future__ import annotations

from eventfilter.core.state import RegisterState
from eventfilter.service.naming import candidates
from tests.helpers import event, move, person, to_event, to_person

STATE = RegisterState(
    to_person(p)
    for p in (
        person("B", address_id="D", partner_id="P"),
        person("P", address_id="D"),
        person("K", "2015-01-01", address_id="D", parent_ids=["B", "P"]),
        person("X", address_id="E"),
    )
)


def test_an_income_report_names_its_person_their_partner_parents_and_address() -> None:
    income = to_event(event("income_change", "K", {"period": "2026-02", "amount": 100.0}))
    assert candidates([income], STATE, {}) == ({"K", "B", "P"}, {"D"}, {"K"})
    married = to_event(event("income_change", "B", {"period": "2026-02", "amount": 100.0}))
    assert candidates([married], STATE, {}) == ({"B", "P"}, {"D"}, {"B"})


def test_a_person_the_register_does_not_know_names_only_themself() -> None:
    income = to_event(event("income_change", "NEW", {"period": "2026-02", "amount": 1.0}))
    assert candidates([income], STATE, {}) == ({"NEW"}, set(), {"NEW"})


def test_what_the_events_themselves_say_is_named_too() -> None:
    events = [
        to_event(move("X", "F")),  # the new address
        to_event(event("marital_status_change", "X", {"status": "married", "partner_id": "Y"})),
        to_event(
            event(
                "birth",
                "NEW",
                {"birth_date": "2026-03-01", "parent_ids": ["X", "Z"], "address_id": "G", "country": "DK"},
            )
        ),
    ]
    beneficiaries, addresses, partners = candidates(events, STATE, {})
    assert beneficiaries == {"X", "Y", "NEW", "Z"}
    assert addresses == {"E", "F", "G"}
    assert partners == {"X", "NEW"}
