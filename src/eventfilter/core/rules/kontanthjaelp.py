"""kontanthjaelp — Danish cash assistance (aktivloven §§ 2, 5, 25; retssikkerhedsloven § 9).

The partner counts when B is married or in a registered partnership
(spouses' duty of support), wherever the partner lives. The rate depends on
the age band and on whether B provides for a child at home.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from eventfilter.core.evaluation import Evaluation, Missing, money
from eventfilter.core.facts import Case, Person
from eventfilter.core.pack import BenefitSpec, Params
from eventfilter.core.rules.common import (
    BENEFICIARY_INCOME,
    BIRTH_DATE,
    COMMON_PARAMETERS,
    PARTNER_INCOME,
    FactsView,
    Model,
    beneficiary,
    children_at_home,
    deceased,
    finish,
    lives_in,
    partner,
    same_municipality,
    total_income,
)


@dataclass(frozen=True, slots=True)
class Rates:
    """The parameters in force on one date, in the form the formula uses."""

    home_country: str
    partner_counts_when: frozenset[str]
    threshold: float
    rates: dict[str, float]  # by "30plus_provider" etc.


def rates(p: Params) -> Rates:
    return Rates(
        home_country=p.text("home_country"),
        partner_counts_when=frozenset(p.words("partner_counts_when")),
        threshold=p.num("age_band_threshold"),
        rates={
            f"{band}_{who}": p.num(f"rate_{band}_{who}")
            for band in ("30plus", "under30")
            for who in ("provider", "no_provider")
        },
    )


def evaluate(case: Case, view: FactsView, on: date, spec: BenefitSpec) -> Evaluation:
    p = spec.params_on(on)
    r = p.resolved(rates)
    b = beneficiary(case, view)
    checks = [deceased(b), lives_in(b, r.home_country), same_municipality(b, case)]

    partner_ = partner(view, b)
    counts = partner_ is not None and b.marital_status in r.partner_counts_when
    kids = children_at_home(view, b, on, p)
    provider = "provider" if kids else "no_provider"
    age = b.age_on(on)
    band = None if age is None else ("30plus" if age >= r.threshold else "under30")

    earners: list[tuple[Person, Missing]] = [(b, BENEFICIARY_INCOME)]
    members = [b.person_id]
    members.extend(k.person_id for k in kids)
    if counts and partner_ is not None:
        earners.append((partner_, PARTNER_INCOME))
        members.append(partner_.person_id)
    income, missing = total_income(earners)

    rate = None if band is None else r.rates[f"{band}_{provider}"]
    if rate is None:
        missing.append(BIRTH_DATE)
    amount = None if rate is None or income is None else money(max(0.0, rate - income))
    category = None if band is None else f"{band}_{provider}_{'couple' if counts else 'single'}"
    return finish(
        spec,
        checks,
        missing,
        amount=amount,
        category=category,
        members=members,
        counted_income=income,
        base=rate,
    )


MODEL = Model(
    name="kontanthjaelp",
    evaluate=evaluate,
    case_requires=frozenset(),
    criteria=frozenset({"deceased", "left_country", "municipality_handover", "income_above_limit"}),
    parameters={
        **COMMON_PARAMETERS,
        "home_country": "text",
        "partner_counts_when": "words",
        "age_band_threshold": "number",
        "rate_30plus_provider": "number",
        "rate_30plus_no_provider": "number",
        "rate_under30_provider": "number",
        "rate_under30_no_provider": "number",
    },
    beneficiary_ages=frozenset({"age_band_threshold"}),
)
