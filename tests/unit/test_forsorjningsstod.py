"""forsorjningsstod: the norm, the accepted housing cost, the partner at home."""

from __future__ import annotations

from typing import Any

from eventfilter.core.evaluation import Evaluation, Status
from eventfilter.core.pack import RulePack
from eventfilter.core.rules import MODELS
from eventfilter.core.state import RegisterState
from tests.helpers import case, on, person, to_case, to_person

SE = {"country": "SE", "municipality_code": "1480"}


def evaluate(pack: RulePack, persons: list[dict[str, Any]], housing_cost: float = 5500) -> Evaluation:
    state = RegisterState(to_person(p) for p in persons)
    c = to_case(
        case(
            "FS",
            "forsorjningsstod",
            persons[0]["person_id"],
            municipality_code="1480",
            dwelling_address_id="H",
            housing_cost=housing_cost,
        )
    )
    return MODELS["forsorjningsstod"].evaluate(c, state, on(), pack.benefits["forsorjningsstod"])


def test_single_norm_plus_housing_cost(pack: RulePack) -> None:
    ev = evaluate(pack, [person("B", address_id="H", **SE)])
    assert ev.category == "single_0c"
    assert ev.amount == 3600 + 5500


def test_a_partner_at_home_counts_married_or_not(pack: RulePack) -> None:
    ev = evaluate(
        pack,
        [
            person("B", address_id="H", partner_id="P", **SE),
            person("P", address_id="H", monthly_income=1000, **SE),
        ],
    )
    assert ev.category == "couple_0c"
    assert ev.amount == 6500 + 5500 - 1000


def test_a_partner_elsewhere_does_not_count(pack: RulePack) -> None:
    ev = evaluate(
        pack,
        [
            person("B", address_id="H", marital_status="married", partner_id="P", **SE),
            person("P", address_id="ELSEWHERE", monthly_income=None, **SE),
        ],
    )
    assert ev.category == "single_0c"
    assert ev.eligible is True


def test_each_child_at_home_adds_to_the_norm(pack: RulePack) -> None:
    ev = evaluate(
        pack,
        [
            person("B", address_id="H", **SE),
            person("C1", "2015-01-01", address_id="H", parent_ids=["B"], **SE),
            person("C2", "2018-01-01", address_id="H", parent_ids=["B"], **SE),
        ],
    )
    assert ev.category == "single_2c"
    assert ev.amount == 3600 + 2 * 2900 + 5500


def test_housing_changed_fails_at_another_address_and_the_amount_becomes_unknown(pack: RulePack) -> None:
    ev = evaluate(pack, [person("B", address_id="NEW", **SE)])
    assert ev.check("housing_changed").status is Status.FAILS  # type: ignore[union-attr]
    assert ev.amount is None
    assert ev.eligible is None
    assert [m.code for m in ev.missing] == ["housing_changed"]


def test_left_country_and_municipality_handover(pack: RulePack) -> None:
    abroad = evaluate(pack, [person("B", address_id="H", country="NO", municipality_code=None)])
    assert abroad.check("left_country").status is Status.FAILS  # type: ignore[union-attr]
    assert abroad.check("municipality_handover").status is Status.UNKNOWN  # type: ignore[union-attr]
    moved = evaluate(pack, [person("B", address_id="H", country="SE", municipality_code="1280")])
    assert moved.check("municipality_handover").status is Status.FAILS  # type: ignore[union-attr]
    assert moved.eligible is True


def test_income_above_limit(pack: RulePack) -> None:
    ev = evaluate(pack, [person("B", address_id="H", monthly_income=9100, **SE)])
    assert ev.amount == 0
    assert ev.eligible is False


def test_deceased(pack: RulePack) -> None:
    assert evaluate(pack, [person("B", address_id="H", alive=False, **SE)]).eligible is False
