"""Date-triggered decisions: what time alone changes, decided as for an event."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from eventfilter.core.decision import Decision
from eventfilter.core.pack import RulePack
from eventfilter.core.ticks import reaches, tick_id
from eventfilter.rulepack import default_pack_path, load_pack
from tests.helpers import World, case, event, person

START = date(2025, 12, 31)  # the default pack is in force from 2026-01-01
SE = {"municipality_code": "1480", "country": "SE"}


def world(pack: RulePack, persons: list[dict[str, Any]], cases: list[dict[str, Any]]) -> World:
    w = World(pack, persons, cases)
    w.engine.tick_origin = START
    return w


def tick(w: World, case_id: str, through: str) -> list[Decision]:
    return w.engine.tick(case_id, date.fromisoformat(through), remember=True)


def codes(d: Decision) -> list[str]:
    return [r.code for r in d.reasons]


def parent_and_child(child_born: str, **beneficiary: Any) -> list[dict[str, Any]]:
    return [
        person("B", "1985-01-01", address_id="A", monthly_income=0, **beneficiary),
        person("K", child_born, address_id="A", parent_ids=["B"], monthly_income=0),
    ]


# -- each trigger kind, each benefit -----------------------------------------------------------
def test_kontanthjaelp_a_child_turning_18_is_review_rate_category_changed_came_of_age(pack: RulePack) -> None:
    w = world(pack, parent_and_child("2008-05-10"), [case("C", "kontanthjaelp", "B")])
    assert tick(w, "C", "2026-05-09") == []  # the day before: nothing yet
    [d] = tick(w, "C", "2026-05-10")
    assert d.outcome == "review" and codes(d) == ["rate_category_changed", "came_of_age"]
    assert d.effective_date == date(2026, 5, 10)
    assert d.event_ids == (tick_id("C", date(2026, 5, 10), "came_of_age"),)
    came = d.reasons[-1]
    assert "K turns 18 on 2026-05-10" in came.message and (came.before, came.after) == (17, 18)
    assert came.rule == "kontanthjaelp.child_age_limit" and came.legal_ref
    assert d.before is not None and d.after is not None
    assert d.before.category != d.after.category


def test_kontanthjaelp_the_beneficiary_turning_30_is_age_band_changed(pack: RulePack) -> None:
    w = world(pack, [person("B", "1996-03-20", monthly_income=0)], [case("C", "kontanthjaelp", "B")])
    [d] = tick(w, "C", "2026-12-31")
    assert d.effective_date == date(2026, 3, 20)
    assert d.outcome == "review" and codes(d) == ["rate_category_changed", "age_band_changed"]
    assert d.before is not None and d.after is not None
    assert d.after.amount is not None and d.before.amount is not None and d.after.amount > d.before.amount


def test_boligstoette_a_child_turning_18_becomes_an_adult_of_the_household(pack: RulePack) -> None:
    cases = [case("H", "boligstoette", "B", dwelling_address_id="A")]
    w = world(pack, parent_and_child("2008-05-10"), cases)
    [d] = tick(w, "H", "2026-06-30")
    assert d.effective_date == date(2026, 5, 10) and "came_of_age" in codes(d)
    assert d.before is not None and d.after is not None and d.before.category != d.after.category


def test_forsorjningsstod_a_child_turning_18_no_longer_adds_to_the_norm(pack: RulePack) -> None:
    persons = [
        person("B", "1985-01-01", address_id="A", monthly_income=0, **SE),
        person("K", "2008-05-10", address_id="A", parent_ids=["B"], monthly_income=0, **SE),
    ]
    cases = [
        case(
            "F", "forsorjningsstod", "B", municipality_code="1480", dwelling_address_id="A", housing_cost=5000
        )
    ]
    [d] = tick(world(pack, persons, cases), "F", "2026-06-30")
    assert "came_of_age" in codes(d)
    assert d.before is not None and d.after is not None and d.after.amount != d.before.amount


def pack_with_new_rate(tmp_path: Path, new: int, on: str = "2026-07-01", reference: str = "") -> RulePack:
    text = default_pack_path().read_text()
    old = "values = [{ valid_from = 2026-01-01, value = 12800 }]"
    assert old in text
    path = tmp_path / "pack.toml"
    own = f', reference = "{reference}"' if reference else ""
    dated = f"{{ valid_from = {on}, value = {new}{own} }}"
    path.write_text(text.replace(old, f"values = [{{ valid_from = 2026-01-01, value = 12800 }}, {dated}]"))
    return load_pack(path)


def test_a_rate_change_that_pushes_a_household_over_the_limit_suspends(tmp_path: Path) -> None:
    pack = pack_with_new_rate(tmp_path, 12000)
    w = world(pack, [person("B", "1980-01-01", monthly_income=12500)], [case("C", "kontanthjaelp", "B")])
    [d] = tick(w, "C", "2026-12-31")
    assert d.effective_date == date(2026, 7, 1)
    assert d.outcome == "suspend" and codes(d) == ["income_above_limit", "parameters_changed"]
    assert d.hold == "place"
    changed = d.reasons[-1]
    assert (changed.before, changed.after) == (12800, 12000) and "rate_30plus_no_provider" in changed.message
    assert d.parameters is not None
    assert d.parameters["rate_30plus_no_provider"] == {"value": 12000, "valid_from": "2026-07-01"}


def test_a_value_with_its_own_legal_reference_is_decided_and_explained_with_it(tmp_path: Path) -> None:
    basis = "bekendtgørelse nr. 1234 af 2026-06-15"
    pack = pack_with_new_rate(tmp_path, 12000, reference=basis)
    w = world(pack, [person("B", "1980-01-01", monthly_income=12500)], [case("C", "kontanthjaelp", "B")])
    [d] = tick(w, "C", "2026-12-31")
    assert d.parameters is not None
    assert d.parameters["rate_30plus_no_provider"] == {
        "value": 12000,
        "valid_from": "2026-07-01",
        "reference": basis,
    }
    changed = d.reasons[-1]
    assert changed.code == "parameters_changed" and changed.legal_ref == basis and basis in changed.message
    # the first value has none of its own: the parameter's reference serves, and no key is recorded
    first = pack.benefits["kontanthjaelp"].params_on(date(2026, 1, 1)).as_record()
    assert "reference" not in first["rate_30plus_no_provider"]


def test_a_rate_change_that_changes_only_the_amount_passes(tmp_path: Path) -> None:
    pack = pack_with_new_rate(tmp_path, 13100)
    w = world(pack, [person("B", "1980-01-01", monthly_income=0)], [case("C", "kontanthjaelp", "B")])
    [d] = tick(w, "C", "2026-12-31")
    assert d.outcome == "pass" and codes(d) == ["income_adjustment", "parameters_changed"]


def test_a_parameter_that_no_case_reads_changes_nothing_of_other_benefits(tmp_path: Path) -> None:
    pack = pack_with_new_rate(tmp_path, 13100)
    w = world(pack, parent_and_child("2010-01-01"), [case("H", "boligstoette", "B", dwelling_address_id="A")])
    assert tick(w, "H", "2026-12-31") == []


# -- edges ------------------------------------------------------------------------------------
def test_a_leap_day_birth_comes_of_age_on_the_first_of_march() -> None:
    assert reaches(date(2008, 2, 29), 18) == date(2026, 3, 1)
    assert reaches(date(2008, 2, 29), 16) == date(2024, 2, 29)


def test_a_leap_day_child_is_decided_on_the_first_of_march(pack: RulePack) -> None:
    w = world(pack, parent_and_child("2008-02-29"), [case("C", "kontanthjaelp", "B")])
    assert tick(w, "C", "2026-02-28") == []
    [d] = tick(w, "C", "2026-03-01")
    assert d.effective_date == date(2026, 3, 1)


def test_a_birthday_on_new_years_day_and_one_a_year_later_are_both_found(pack: RulePack) -> None:
    # the period (2025-12-31, through] spans years: the birthday's year is checked
    # before its date is built, and neither end of the period may be dropped
    w = world(pack, parent_and_child("2008-01-01"), [case("C", "kontanthjaelp", "B")])
    [d] = tick(w, "C", "2026-01-01")
    assert d.effective_date == date(2026, 1, 1) and codes(d)[-1] == "came_of_age"
    w = world(pack, parent_and_child("2009-12-31"), [case("C", "kontanthjaelp", "B")])
    [d] = tick(w, "C", "2027-12-31")
    assert d.effective_date == date(2027, 12, 31) and codes(d)[-1] == "came_of_age"
    w = world(pack, parent_and_child("2010-01-01"), [case("C", "kontanthjaelp", "B")])
    assert tick(w, "C", "2027-12-31") == []  # turns 18 on 2028-01-01


def test_a_person_whose_birth_date_is_unknown_never_triggers(pack: RulePack) -> None:
    persons = [
        {**person("B", address_id="A", monthly_income=0), "birth_date": "1985-01-01"},
        {"person_id": "K", "birth_date": None, "address_id": "A", "parent_ids": ["B"], "country": "DK"},
    ]
    w = World(pack, [persons[0]], [case("C", "kontanthjaelp", "B")])
    from eventfilter.core.facts import Person

    w.state.add(Person("K", birth_date=None, address_id="A", parent_ids=("B",), country="DK"))
    w.engine.tick_origin = START
    assert tick(w, "C", "2027-12-31") == []


def test_ticking_twice_through_the_same_date_decides_nothing_twice(pack: RulePack) -> None:
    w = world(pack, parent_and_child("2008-05-10"), [case("C", "kontanthjaelp", "B")])
    assert len(tick(w, "C", "2026-06-01")) == 1
    assert tick(w, "C", "2026-06-01") == [] and tick(w, "C", "2026-05-20") == []


def test_an_event_after_the_date_decides_it_first_in_its_place_in_time(pack: RulePack) -> None:
    w = world(pack, parent_and_child("2008-05-10"), [case("C", "kontanthjaelp", "B")])
    decisions = w.run(
        event("name_change", "B", event_id="n1", effective_date="2026-05-01"),
        event("name_change", "B", event_id="n2", effective_date="2026-06-01"),
    )
    assert [(d.effective_date.isoformat(), d.event_ids) for d in decisions] == [
        ("2026-05-01", ("n1",)),
        ("2026-05-10", (tick_id("C", date(2026, 5, 10), "came_of_age"),)),
        ("2026-06-01", ("n2",)),
    ]
    assert tick(w, "C", "2026-06-01") == []  # the register-wide tick finds it decided


def test_without_a_tick_origin_the_engine_never_ticks(pack: RulePack) -> None:
    w = World(pack, parent_and_child("2008-05-10"), [case("C", "kontanthjaelp", "B")])
    decisions = w.run(event("name_change", "B", event_id="n2", effective_date="2026-06-01"))
    assert [d.event_ids for d in decisions] == [("n2",)]


# -- property: day by day is the same as at once -------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.dates(date(1990, 1, 1), date(2012, 12, 31)), min_size=1, max_size=3),
    st.integers(1, 400),
)
def test_property_ticking_day_by_day_gives_what_one_tick_through_the_end_gives(
    births: list[date], days: int
) -> None:
    pack = load_pack()
    persons = [person("B", "1996-06-15", address_id="A", monthly_income=0)]
    persons += [
        person(f"K{i}", born.isoformat(), address_id="A", parent_ids=["B"], monthly_income=0)
        for i, born in enumerate(births)
    ]
    cases = [case("C", "kontanthjaelp", "B"), case("H", "boligstoette", "B", dwelling_address_id="A")]
    end = START + timedelta(days=days)

    def run(step: int) -> list[tuple[Any, ...]]:
        w = world(pack, persons, cases)
        out: list[Decision] = []
        day = START
        while day < end:
            day = min(end, day + timedelta(days=step))
            for c in ("C", "H"):
                out.extend(w.engine.tick(c, day, remember=True))
        return sorted((d.decision_id, d.outcome, tuple(codes(d))) for d in out)

    assert run(1) == run(days) == run(7)


def test_an_age_limit_that_changes_during_the_period_is_met_at_the_value_in_force(tmp_path: Path) -> None:
    # child_age_limit 18 -> 17 from 2026-07-01: a child turning 17 on 2026-08-01 comes of age
    # then; one turning 17 on 2026-06-01 does not (the limit was still 18)
    text = default_pack_path().read_text()
    old = "values = [{ valid_from = 2026-01-01, value = 18 }]"
    assert old in text
    path = tmp_path / "pack.toml"
    new = "values = [{ valid_from = 2026-01-01, value = 18 }, { valid_from = 2026-07-01, value = 17 }]"
    path.write_text(text.replace(old, new, 1))
    pack = load_pack(path)
    for born, came in (("2009-08-01", True), ("2009-06-01", False)):
        w = world(pack, parent_and_child(born), [case("C", "kontanthjaelp", "B")])
        assert tick(w, "C", "2026-03-01") == []  # first a period inside one stretch
        found = tick(w, "C", "2026-12-31")  # then one across the change
        days = [d.effective_date for d in found if "came_of_age" in codes(d)]
        assert days == ([date(2026, 8, 1)] if came else []), (
            born,
            [(d.effective_date, codes(d)) for d in found],
        )
