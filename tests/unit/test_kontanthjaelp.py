"""kontanthjaelp: every criterion, the category and the amount."""

from __future__ import annotations

from typing import Any

import pytest

from eventfilter.core.evaluation import Evaluation, Status
from eventfilter.core.pack import RulePack
from eventfilter.core.rules import MODELS
from eventfilter.core.state import RegisterState
from tests.helpers import case, on, person, to_case, to_person


def evaluate(pack: RulePack, persons: list[dict[str, Any]], **case_fields: object):  # type: ignore[no-untyped-def]
    state = RegisterState(to_person(p) for p in persons)
    c = to_case(case("KY", "kontanthjaelp", persons[0]["person_id"], **case_fields))
    spec = pack.benefits["kontanthjaelp"]
    return MODELS["kontanthjaelp"].evaluate(c, state, on(), spec)


def status(ev: Evaluation, criterion: str) -> Status:
    check = ev.check(criterion)
    assert check is not None
    return check.status


def test_a_single_adult_over_30_without_children_gets_the_lower_rate(pack: RulePack) -> None:
    ev = evaluate(pack, [person("B", "1975-01-01", monthly_income=0)])
    assert ev.category == "30plus_no_provider_single"
    assert ev.amount == 12800
    assert ev.eligible is True


def test_under_30_is_a_different_band_by_age_on_the_evaluation_date(pack: RulePack) -> None:
    # 29 on 2026-03-01 (turns 30 on 2026-03-02)
    ev = evaluate(pack, [person("B", "1996-03-02")])
    assert ev.category == "under30_no_provider_single"
    assert ev.amount == 7500
    assert evaluate(pack, [person("B", "1996-03-01")]).category == "30plus_no_provider_single"


def test_a_child_at_home_makes_a_provider(pack: RulePack) -> None:
    ev = evaluate(
        pack, [person("B", address_id="A"), person("C", "2015-01-01", address_id="A", parent_ids=["B"])]
    )
    assert ev.category == "30plus_provider_single"
    assert ev.amount == 17000
    assert ev.members == ("B", "C")


@pytest.mark.parametrize(
    ("child", "why"),
    [
        ({"address_id": "ELSEWHERE"}, "lives elsewhere"),
        ({"birth_date": "2008-02-28"}, "is 18"),
        ({"alive": False}, "has died"),
    ],
)
def test_a_child_does_not_count(pack: RulePack, child: dict[str, Any], why: str) -> None:
    kid = person("C", "2015-01-01", address_id="A", parent_ids=["B"]) | child
    ev = evaluate(pack, [person("B", address_id="A"), kid])
    assert ev.category == "30plus_no_provider_single", why


def test_without_fixed_address_no_child_is_at_home(pack: RulePack) -> None:
    ev = evaluate(
        pack, [person("B", address_id=None), person("C", "2015-01-01", address_id=None, parent_ids=["B"])]
    )
    assert ev.category == "30plus_no_provider_single"


def test_a_spouse_counts_wherever_they_live_and_their_income_is_deducted(pack: RulePack) -> None:
    ev = evaluate(
        pack,
        [
            person("B", marital_status="married", partner_id="P", address_id="A", monthly_income=1000),
            person("P", marital_status="married", partner_id="B", address_id="FAR", monthly_income=2000),
        ],
    )
    assert ev.category == "30plus_no_provider_couple"
    assert ev.counted_income == 3000
    assert ev.amount == 12800 - 3000


@pytest.mark.parametrize("status_", ["unmarried", "divorced", "separated", "widowed"])
def test_a_cohabitant_does_not_count(pack: RulePack, status_: str) -> None:
    ev = evaluate(
        pack,
        [
            person("B", marital_status=status_, partner_id="P", address_id="A"),
            person("P", partner_id="B", address_id="A", monthly_income=30000),
        ],
    )
    assert ev.category == "30plus_no_provider_single"
    assert ev.amount == 12800


def test_registered_partnership_counts_like_marriage(pack: RulePack) -> None:
    ev = evaluate(
        pack,
        [
            person("B", marital_status="registered_partnership", partner_id="P"),
            person("P", monthly_income=500),
        ],
    )
    assert ev.category.endswith("_couple")
    assert ev.amount == 12300


def test_a_dead_spouse_does_not_count(pack: RulePack) -> None:
    ev = evaluate(pack, [person("B", marital_status="married", partner_id="P"), person("P", alive=False)])
    assert ev.category == "30plus_no_provider_single"


def test_deceased_fails_when_the_beneficiary_has_died(pack: RulePack) -> None:
    assert status(evaluate(pack, [person("B")]), "deceased") is Status.HOLDS
    ev = evaluate(pack, [person("B", alive=False)])
    assert status(ev, "deceased") is Status.FAILS
    assert ev.eligible is False


def test_left_country_fails_abroad(pack: RulePack) -> None:
    ev = evaluate(pack, [person("B", country="DE", municipality_code=None)])
    assert status(ev, "left_country") is Status.FAILS
    assert ev.eligible is False


def test_municipality_handover_fails_in_another_municipality_without_touching_eligibility(
    pack: RulePack,
) -> None:
    ev = evaluate(pack, [person("B", municipality_code="510")])
    assert status(ev, "municipality_handover") is Status.FAILS
    assert ev.eligible is True  # a review criterion never makes the case ineligible


def test_municipality_handover_holds_without_fixed_address_in_the_municipality(pack: RulePack) -> None:
    ev = evaluate(pack, [person("B", address_id=None, municipality_code="561")])
    assert status(ev, "municipality_handover") is Status.HOLDS


def test_income_above_limit_fails_when_the_amount_reaches_zero(pack: RulePack) -> None:
    assert status(evaluate(pack, [person("B", monthly_income=12799)]), "income_above_limit") is Status.HOLDS
    ev = evaluate(pack, [person("B", monthly_income=12800)])
    assert ev.amount == 0
    assert status(ev, "income_above_limit") is Status.FAILS
    assert ev.eligible is False


def test_unknown_own_income_makes_eligibility_unknown(pack: RulePack) -> None:
    ev = evaluate(pack, [person("B", monthly_income=None)])
    assert ev.amount is None
    assert ev.eligible is None
    assert [m.code for m in ev.missing] == ["income_unknown"]


def test_unknown_income_of_a_counted_spouse_is_named_as_such(pack: RulePack) -> None:
    ev = evaluate(
        pack, [person("B", marital_status="married", partner_id="P"), person("P", monthly_income=None)]
    )
    assert ev.eligible is None
    assert [m.code for m in ev.missing] == ["partner_income_unknown"]


def test_a_spouse_the_register_does_not_know_has_unknown_income(pack: RulePack) -> None:
    ev = evaluate(pack, [person("B", marital_status="married", partner_id="NEW")])
    assert ev.eligible is None
    assert [m.code for m in ev.missing] == ["partner_income_unknown"]


def test_a_failed_suspend_criterion_outweighs_unknown_income(pack: RulePack) -> None:
    ev = evaluate(pack, [person("B", alive=False, monthly_income=None)])
    assert ev.eligible is False
