"""forsorjningsstod — Swedish financial assistance (socialtjänstlagen 4 kap. 1 §, riksnormen; 2 a kap.).

The partner counts when living at B's address, married or cohabiting. The
norm covers the household plus the housing cost accepted for the case's
dwelling; at any other address that cost is unknown until assessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from eventfilter.core.evaluation import Evaluation, Missing, Status, money
from eventfilter.core.facts import Case, Person
from eventfilter.core.pack import BenefitSpec, Params
from eventfilter.core.rules.common import (
    BENEFICIARY_INCOME,
    COMMON_PARAMETERS,
    PARTNER_INCOME,
    FactsView,
    Model,
    at_dwelling,
    beneficiary,
    children_at_home,
    deceased,
    finish,
    lives_in,
    partner,
    same_municipality,
    total_income,
)

HOUSING_COST = Missing("housing_changed", "the housing cost at the new address")


@dataclass(frozen=True, slots=True)
class Norm:
    """The parameters in force on one date, in the form the formula uses."""

    home_country: str
    single: float
    couple: float
    per_child: float


def norm_of(p: Params) -> Norm:
    return Norm(p.text("home_country"), p.num("norm_single"), p.num("norm_couple"), p.num("norm_per_child"))


def evaluate(case: Case, view: FactsView, on: date, spec: BenefitSpec) -> Evaluation:
    p = spec.params_on(on)
    n = p.resolved(norm_of)
    b = beneficiary(case, view)
    housing = at_dwelling("housing_changed", b, case)
    checks = [deceased(b), lives_in(b, n.home_country), same_municipality(b, case), housing]

    partner_ = partner(view, b)
    counts = partner_ is not None and b.address_id is not None and partner_.address_id == b.address_id
    kids = children_at_home(view, b, on, p)

    earners: list[tuple[Person, Missing]] = [(b, BENEFICIARY_INCOME)]
    members = [b.person_id, *(k.person_id for k in kids)]
    if counts and partner_ is not None:
        earners.append((partner_, PARTNER_INCOME))
        members.append(partner_.person_id)
    income, missing = total_income(earners)

    norm = (n.couple if counts else n.single) + n.per_child * len(kids)
    accepted = case.housing_cost if housing.status is Status.HOLDS else None
    if accepted is None:
        missing.append(HOUSING_COST)
    amount = None if income is None or accepted is None else money(max(0.0, norm + accepted - income))
    return finish(
        spec,
        checks,
        missing,
        amount=amount,
        category=f"{'couple' if counts else 'single'}_{len(kids)}c",
        members=members,
        counted_income=income,
        base=None if accepted is None else norm + accepted,
    )


MODEL = Model(
    name="forsorjningsstod",
    evaluate=evaluate,
    case_requires=frozenset({"dwelling_address_id", "housing_cost"}),
    criteria=frozenset(
        {"deceased", "left_country", "municipality_handover", "housing_changed", "income_above_limit"}
    ),
    parameters={
        **COMMON_PARAMETERS,
        "home_country": "text",
        "norm_single": "number",
        "norm_couple": "number",
        "norm_per_child": "number",
    },
)
