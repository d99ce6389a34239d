"""The register state: which facts an event sets, and withdrawing it again."""

from __future__ import annotations

from datetime import date
from typing import Any

from eventfilter.core.facts import Effect, Group
from eventfilter.core.state import RegisterState
from tests.helpers import event, income, move, person, to_event, to_person


def apply(state: RegisterState, e: dict[str, Any], effects: dict[str, Effect] | None = None) -> Effect:
    ev = to_event(e)
    return state.apply(ev, state.plan(ev, effects or {}))


def test_an_address_change_sets_address_municipality_and_country() -> None:
    s = RegisterState([to_person(person("X", address_id="A"))])
    apply(s, move("X", "B", "510"))
    x = s.persons["X"]
    assert (x.address_id, x.municipality_code, x.country) == ("B", "510", "DK")
    assert list(s.residents("B")) == ["X"]
    assert list(s.residents("A")) == []


def test_an_older_event_never_overwrites_a_newer_fact() -> None:
    s = RegisterState([to_person(person("X", address_id="A"))])
    apply(s, move("X", "NEW", effective_date="2026-04-01"))
    apply(s, move("X", "OLD", effective_date="2026-03-01"))
    assert s.persons["X"].address_id == "NEW"


def test_the_order_of_same_day_events_does_not_change_the_state() -> None:
    a = move("X", "P", event_id="a", recorded_at="2026-03-01T06:00:00Z")
    b = move("X", "Q", event_id="b", recorded_at="2026-03-01T09:00:00Z")
    one = RegisterState([to_person(person("X"))])
    two = RegisterState([to_person(person("X"))])
    apply(one, a), apply(one, b)
    apply(two, b), apply(two, a)
    assert one.persons["X"].address_id == two.persons["X"].address_id == "Q"


def test_income_for_an_older_period_changes_nothing() -> None:
    s = RegisterState([to_person(person("X", monthly_income=100, income_period="2026-02"))])
    apply(s, income("X", 999, period="2026-01"))
    assert s.persons["X"].monthly_income == 100
    apply(s, income("X", 500, period="2026-02"))
    assert s.persons["X"].monthly_income == 500


def test_a_person_named_for_the_first_time_is_added_with_unknown_facts() -> None:
    s = RegisterState([to_person(person("B"))])
    apply(s, event("marital_status_change", "B", {"status": "married", "partner_id": "NEW"}))
    new = s.persons["NEW"]
    assert new.alive is True
    assert (new.monthly_income, new.address_id, new.birth_date) == (None, None, None)
    assert "NEW" in s.dirty


def test_a_birth_creates_the_child_with_parents_and_address() -> None:
    s = RegisterState([to_person(person("M", address_id="A"))])
    apply(
        s,
        event(
            "birth",
            "K",
            {
                "birth_date": "2026-03-01",
                "parent_ids": ["M"],
                "address_id": "A",
                "municipality_code": "561",
                "country": "DK",
            },
        ),
    )
    k = s.persons["K"]
    assert (k.birth_date, k.parent_ids, k.address_id) == (date(2026, 3, 1), ("M",), "A")
    assert set(s.children("M")) == {"K"}


def test_a_correction_restores_what_the_withdrawn_event_replaced() -> None:
    s = RegisterState([to_person(person("X", address_id="A"))])
    wrong = move("X", "B", event_id="w")
    effect = apply(s, wrong)
    apply(s, event("correction", "X", {"corrects_event_id": "w"}), {"w": effect})
    x = s.persons["X"]
    assert x.address_id == "A"
    assert x.version(Group.ADDRESS) is None  # back to the extract's fact


def test_a_correction_leaves_a_fact_that_a_later_event_has_set_since() -> None:
    s = RegisterState([to_person(person("X", address_id="A"))])
    effect = apply(s, move("X", "B", event_id="w", effective_date="2026-03-01"))
    apply(s, move("X", "C", effective_date="2026-03-05"))
    apply(s, event("correction", "X", {"corrects_event_id": "w"}), {"w": effect})
    assert s.persons["X"].address_id == "C"


def test_a_correction_of_a_death() -> None:
    s = RegisterState([to_person(person("X"))])
    effect = apply(s, event("death", "X", event_id="d"))
    assert s.persons["X"].alive is False
    apply(s, event("correction", "X", {"corrects_event_id": "d"}), {"d": effect})
    assert s.persons["X"].alive is True


def test_withdrawing_a_correction_puts_the_withdrawn_event_back() -> None:
    s = RegisterState([to_person(person("X", address_id="A"))])
    moved = apply(s, move("X", "B", event_id="m"))
    fix = apply(s, event("correction", "X", {"corrects_event_id": "m"}, event_id="c1"), {"m": moved})
    assert s.persons["X"].address_id == "A"
    apply(s, event("correction", "X", {"corrects_event_id": "c1"}), {"c1": fix})
    assert s.persons["X"].address_id == "B"


def test_a_correction_of_an_event_never_seen_changes_nothing() -> None:
    s = RegisterState([to_person(person("X", address_id="A"))])
    effect = apply(s, event("correction", "X", {"corrects_event_id": "never"}))
    assert effect.writes == []
    assert s.persons["X"].address_id == "A"


def test_types_without_facts_change_nothing() -> None:
    s = RegisterState([to_person(person("X", address_id="A"))])
    for kind in ("name_change", "church_membership_change", "custody_change"):
        assert apply(s, event(kind, "X", {"anything": 1})).writes == []


def test_partner_claims_are_indexed() -> None:
    s = RegisterState([to_person(person("B")), to_person(person("P", partner_id="B"))])
    assert set(s.claimants("B")) == {"P"}
    apply(s, event("marital_status_change", "P", {"status": "divorced", "partner_id": None}))
    assert set(s.claimants("B")) == set()
