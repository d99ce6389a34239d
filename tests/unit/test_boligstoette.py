"""boligstoette: the household is whoever lives at the dwelling."""

from __future__ import annotations

from typing import Any

from eventfilter.core.evaluation import Evaluation, Status
from eventfilter.core.pack import RulePack
from eventfilter.core.rules import MODELS
from eventfilter.core.state import RegisterState
from tests.helpers import case, on, person, to_case, to_person


def evaluate(pack: RulePack, persons: list[dict[str, Any]], dwelling: str = "D") -> Evaluation:
    state = RegisterState(to_person(p) for p in persons)
    c = to_case(case("BS", "boligstoette", persons[0]["person_id"], dwelling_address_id=dwelling))
    return MODELS["boligstoette"].evaluate(c, state, on(), pack.benefits["boligstoette"])


def test_full_support_under_the_allowance(pack: RulePack) -> None:
    ev = evaluate(pack, [person("B", address_id="D", monthly_income=14000)])
    assert ev.category == "1a0c"
    assert ev.amount == 3000
    assert ev.eligible is True


def test_support_tapers_with_household_income_above_the_allowance(pack: RulePack) -> None:
    ev = evaluate(
        pack,
        [person("B", address_id="D", monthly_income=10000), person("X", address_id="D", monthly_income=8000)],
    )
    assert ev.category == "2a0c"
    assert ev.counted_income == 18000
    assert ev.amount == 3000 - 0.25 * (18000 - 14000)


def test_children_raise_the_allowance_and_their_income_does_not_count(pack: RulePack) -> None:
    ev = evaluate(
        pack,
        [
            person("B", address_id="D", monthly_income=20000),
            person("C", "2016-01-01", address_id="D", monthly_income=5000),
        ],
    )
    assert ev.category == "1a1c"
    assert ev.amount == 3000 - 0.25 * (20000 - 17000)


def test_whoever_moves_in_counts_related_or_not(pack: RulePack) -> None:
    ev = evaluate(pack, [person("B", address_id="D"), person("LODGER", address_id="D", monthly_income=40000)])
    assert ev.category == "2a0c"
    assert ev.amount == 0
    assert ev.check("income_above_limit").status is Status.FAILS  # type: ignore[union-attr]


def test_left_dwelling_fails_on_any_move_and_on_no_fixed_address(pack: RulePack) -> None:
    assert evaluate(pack, [person("B", address_id="D")]).check("left_dwelling").status is Status.HOLDS  # type: ignore[union-attr]
    for address in ("SAME-TOWN", None):
        ev = evaluate(pack, [person("B", address_id=address)])
        assert ev.check("left_dwelling").status is Status.FAILS  # type: ignore[union-attr]
        assert ev.eligible is False


def test_deceased(pack: RulePack) -> None:
    ev = evaluate(pack, [person("B", address_id="D", alive=False)])
    assert ev.check("deceased").status is Status.FAILS  # type: ignore[union-attr]


def test_the_dead_are_not_in_the_household(pack: RulePack) -> None:
    ev = evaluate(
        pack, [person("B", address_id="D"), person("X", address_id="D", alive=False, monthly_income=None)]
    )
    assert ev.category == "1a0c"
    assert ev.eligible is True


def test_unknown_income_of_any_adult_in_the_household(pack: RulePack) -> None:
    ev = evaluate(pack, [person("B", address_id="D"), person("X", address_id="D", monthly_income=None)])
    assert ev.eligible is None
    assert [m.code for m in ev.missing] == ["income_unknown"]


def test_a_person_of_unknown_age_counts_as_an_adult(pack: RulePack) -> None:
    state = RegisterState([to_person(person("B", address_id="D"))])
    state.ensure("NEW").address_id = "D"
    state.add(state.persons["NEW"])  # re-index the address
    c = to_case(case("BS", "boligstoette", "B", dwelling_address_id="D"))
    ev = MODELS["boligstoette"].evaluate(c, state, on(), pack.benefits["boligstoette"])
    assert ev.category == "2a0c"
    assert ev.eligible is None  # and their income is unknown


# -- the example pack: a household moving together inside the municipality --------------------
def _example_pack() -> RulePack:
    from eventfilter.rulepack import default_config_dir, load_pack

    return load_pack(default_config_dir() / "rulepacks" / "household-moves-together.toml")


def _family_move(pack: RulePack, who: tuple[str, ...], municipality: str = "561") -> list[str]:
    from tests.helpers import World, case, move, person

    persons = [
        person("B", address_id="A", marital_status="married", partner_id="P", monthly_income=0),
        person("P", address_id="A", marital_status="married", partner_id="B", monthly_income=0),
        person("K", "2016-01-01", address_id="A", parent_ids=["B", "P"], monthly_income=0),
    ]
    w = World(pack, persons, [case("H", "boligstoette", "B", dwelling_address_id="A")])
    events = [move(pid, "NEW", municipality) for pid in who]
    [d] = [d for d in w.run(*events) if d.case_id == "H"]
    return [d.outcome, *(r.code for r in d.reasons)]


def test_the_default_pack_suspends_a_household_that_moves_together(pack: RulePack) -> None:
    assert _family_move(pack, ("B", "P", "K"))[:2] == ["suspend", "left_dwelling"]


def test_the_example_pack_reviews_a_household_that_moves_together_inside_the_municipality() -> None:
    assert _family_move(_example_pack(), ("B", "P", "K")) == ["review", "housing_changed"]


def test_the_example_pack_still_suspends_one_who_leaves_alone_or_leaves_the_municipality() -> None:
    assert _family_move(_example_pack(), ("B",))[:2] == ["suspend", "left_dwelling"]
    elsewhere = _family_move(_example_pack(), ("B", "P", "K"), municipality="101")
    assert elsewhere[:2] == ["suspend", "left_dwelling"]
