"""boligstoette — Danish housing benefit (lov om individuel boligstøtte).

Support belongs to the dwelling: the household is everyone alive registered
at the case's dwelling, and the beneficiary leaving it ends the support.

What a household that moves together inside the municipality gets is the
pack's choice (`joint_move_within_municipality`): `left_dwelling` (the
support ends, as for any move: the default pack) or `housing_changed` (the
household is assessed at its new address and a caseworker assesses the new
housing; the payment goes on). "Together": the beneficiary moved to another
address in the case's municipality and none of their partner and children
stayed behind at the dwelling.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from eventfilter.core.evaluation import Check, Evaluation, Missing, Status, money
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
    home = case.dwelling_address_id
    if p.text("joint_move_within_municipality") == HOUSING_CHANGED and moved_together(case, view, b):
        # the household is assessed where it lives now; the new housing by a caseworker
        checks = [
            deceased(b),
            at_dwelling(HOUSING_CHANGED, b, case),
            _STAYED,
        ]
        home = b.address_id
    else:
        checks = [
            deceased(b),
            at_dwelling("left_dwelling", b, case),
            _HOUSING_UNCHANGED,
        ]

    adults: list[Person] = []
    children: list[Person] = []
    for person_id in view.residents(home):
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


HOUSING_CHANGED = "housing_changed"
# the criterion a household's move does not decide holds (shared values, never changed)
_STAYED = Check("left_dwelling", Status.HOLDS, None)
_HOUSING_UNCHANGED = Check(HOUSING_CHANGED, Status.HOLDS, None)


def moved_together(case: Case, view: FactsView, b: Person) -> bool:
    """The beneficiary lives at another address in the case's municipality, and no
    partner or child of theirs is still registered at the dwelling."""
    if b.address_id is None or b.address_id == case.dwelling_address_id:
        return False
    if b.municipality_code != case.municipality_code:
        return False
    family = {b.partner_id, *view.children(b.person_id)} - {None}
    return not any(pid in family for pid in view.residents(case.dwelling_address_id))


MODEL = Model(
    name="boligstoette",
    evaluate=evaluate,
    case_requires=frozenset({"dwelling_address_id"}),
    criteria=frozenset({"deceased", "left_dwelling", "housing_changed", "income_above_limit"}),
    parameters={
        **COMMON_PARAMETERS,
        "joint_move_within_municipality": "text",
        "max_support": "number",
        "taper_rate": "number",
        "income_allowance": "number",
        "income_allowance_per_child": "number",
    },
)
