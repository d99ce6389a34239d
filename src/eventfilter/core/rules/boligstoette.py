"""boligstoette — Danish housing benefit (lov om individuel boligstøtte).

Support belongs to the dwelling: the household is everyone alive registered
at the case's dwelling, and the beneficiary leaving it ends the support.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from eventfilter.core.evaluation import Evaluation, Missing, money
from eventfilter.core.facts import Case, Person
from eventfilter.core.pack import BenefitSpec, Params
from eventfilter.core.rules.common import (
    BENEFICIARY_INCOME,
    COMMON_PARAMETERS,
    MEMBER_INCOME,
    FactsView,
    Model,
    at_dwelling,
    beneficiary,
    deceased,
    finish,
    is_child,
    total_income,
)


@dataclass(frozen=True, slots=True)
class Support:
    """The parameters in force on one date, in the form the formula uses."""

    max_support: float
    taper_rate: float
    allowance: float
    allowance_per_child: float


def support(p: Params) -> Support:
    return Support(
        p.num("max_support"),
        p.num("taper_rate"),
        p.num("income_allowance"),
        p.num("income_allowance_per_child"),
    )


def evaluate(case: Case, view: FactsView, on: date, spec: BenefitSpec) -> Evaluation:
    p = spec.params_on(on)
    s = p.resolved(support)
    b = beneficiary(case, view)
    checks = [deceased(b), at_dwelling("left_dwelling", b, case)]

    adults: list[Person] = []
    children: list[Person] = []
    for person_id in view.residents(case.dwelling_address_id):
        person = view.get(person_id)
        if person is not None and person.alive:
            (children if is_child(person, on, p) else adults).append(person)

    earners: list[tuple[Person, Missing]] = [
        (a, BENEFICIARY_INCOME if a.person_id == b.person_id else MEMBER_INCOME) for a in adults
    ]
    income, missing = total_income(earners)
    allowance = s.allowance + s.allowance_per_child * len(children)
    amount = None
    if income is not None:
        over = max(0.0, income - allowance)
        amount = money(max(0.0, s.max_support - s.taper_rate * over))
    return finish(
        spec,
        checks,
        missing,
        amount=amount,
        category=f"{len(adults)}a{len(children)}c",
        members=[x.person_id for x in adults + children],
        counted_income=income,
        base=s.max_support,
    )


MODEL = Model(
    name="boligstoette",
    evaluate=evaluate,
    case_requires=frozenset({"dwelling_address_id"}),
    criteria=frozenset({"deceased", "left_dwelling", "income_above_limit"}),
    parameters={
        **COMMON_PARAMETERS,
        "max_support": "number",
        "taper_rate": "number",
        "income_allowance": "number",
        "income_allowance_per_child": "number",
    },
)
