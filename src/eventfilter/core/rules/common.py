"""Definitions every benefit shares: the beneficiary, partner, children at home.

Rules read facts through `FactsView`, so the same rule runs on the
in-memory register state, a test fixture or a store-backed view.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal, Protocol

from eventfilter.core.evaluation import Check, Evaluation, Missing, Status
from eventfilter.core.facts import Case, Person
from eventfilter.core.pack import BenefitSpec, Params


class FactsView(Protocol):
    def get(self, person_id: str | None) -> Person | None: ...
    def residents(self, address_id: str | None) -> Iterable[str]: ...
    def children(self, parent_id: str) -> Iterable[str]: ...


Evaluate = Callable[[Case, FactsView, date, BenefitSpec], Evaluation]
ParamKind = Literal["number", "text", "words"]


@dataclass(frozen=True)
class Model:
    """A benefit's formulas: which criteria and parameters its pack entry must give."""

    name: str
    evaluate: Evaluate
    case_requires: frozenset[str]  # case fields this benefit cannot do without
    criteria: frozenset[str]
    parameters: dict[str, ParamKind]  # name -> "number", "text" or "words"
    # The age parameters the rules compare a person's age with: of anyone in the
    # household (a child comes of age), and of the beneficiary alone (an age band).
    # Crossing one changes what the rules read with time alone.
    member_ages: frozenset[str] = frozenset({"child_age_limit"})
    beneficiary_ages: frozenset[str] = frozenset()


COMMON_PARAMETERS: dict[str, ParamKind] = {"child_age_limit": "number"}

BENEFICIARY_INCOME = Missing("income_unknown", "the beneficiary's income")
PARTNER_INCOME = Missing("partner_income_unknown", "the partner's income")
MEMBER_INCOME = Missing("income_unknown", "the income of an adult in the household")
BIRTH_DATE = Missing("facts_unknown", "the beneficiary's birth date")
COUNTRY = Missing("facts_unknown", "the beneficiary's country of residence")


def beneficiary(case: Case, view: FactsView) -> Person:
    """The beneficiary; one the register does not know has unknown facts."""
    return view.get(case.beneficiary_id) or Person(case.beneficiary_id)


def partner(view: FactsView, b: Person) -> Person | None:
    """B's partner P, if alive (one the register lacks is alive, facts unknown)."""
    if b.partner_id is None:
        return None
    p = view.get(b.partner_id) or Person(b.partner_id)
    return p if p.alive else None


def _child_limit(p: Params) -> float:
    return p.num("child_age_limit")


def is_child(person: Person, on: date, params: Params) -> bool:
    """Under the child age limit; a person of unknown birth date counts as adult."""
    age = person.age_on(on)
    return age is not None and age < params.resolved(_child_limit)


def children_at_home(view: FactsView, b: Person, on: date, params: Params) -> list[Person]:
    """Alive children of B, under the limit, at B's (non-null) address."""
    if b.address_id is None:
        return []
    found = []
    for child_id in view.children(b.person_id):
        c = view.get(child_id)
        if c is not None and c.alive and c.address_id == b.address_id and is_child(c, on, params):
            found.append(c)
    return found


# Checks are values, never changed once made: those that read nothing but a
# status are made once and shared (every evaluation has several).
ALIVE = Check("deceased", Status.HOLDS, "alive")
DEAD = Check("deceased", Status.FAILS, "deceased")
_COUNTRY_UNKNOWN = Check("left_country", Status.UNKNOWN, None)
_MUNICIPALITY_UNKNOWN = Check("municipality_handover", Status.UNKNOWN, None)
_AMOUNT_UNKNOWN = Check("income_above_limit", Status.UNKNOWN, None)


def deceased(b: Person) -> Check:
    return ALIVE if b.alive else DEAD


def lives_in(b: Person, home_country: str) -> Check:
    if b.country is None:
        return _COUNTRY_UNKNOWN
    return Check("left_country", Status.HOLDS if b.country == home_country else Status.FAILS, b.country)


def same_municipality(b: Person, case: Case) -> Check:
    """Unknown when B has no municipality (abroad): leaving the country is its own criterion."""
    if b.municipality_code is None:
        return _MUNICIPALITY_UNKNOWN
    status = Status.HOLDS if b.municipality_code == case.municipality_code else Status.FAILS
    return Check("municipality_handover", status, b.municipality_code)


def at_dwelling(criterion: str, b: Person, case: Case) -> Check:
    """Any move, no fixed address included, fails."""
    ok = b.address_id is not None and b.address_id == case.dwelling_address_id
    return Check(criterion, Status.HOLDS if ok else Status.FAILS, b.address_id, address=True)


def amount_check(amount: float | None) -> Check:
    if amount is None:
        return _AMOUNT_UNKNOWN
    return Check("income_above_limit", Status.FAILS if amount <= 0 else Status.HOLDS, amount)


def total_income(people: Iterable[tuple[Person, Missing]]) -> tuple[float | None, list[Missing]]:
    """The sum of the incomes, or None with what is missing."""
    total = 0.0
    missing: list[Missing] = []
    for person, if_missing in people:
        if person.monthly_income is None:
            if if_missing not in missing:
                missing.append(if_missing)
        else:
            total += person.monthly_income
    return (None if missing else total), missing


def finish(
    spec: BenefitSpec,
    checks: list[Check],
    missing: list[Missing],
    *,
    amount: float | None,
    category: str | None,
    members: Iterable[str],
    counted_income: float | None,
    base: float | None,
) -> Evaluation:
    """Assemble the evaluation; `missing` is kept only where it leaves a
    suspend criterion unknown (that is what makes eligibility unknown)."""
    checks.append(amount_check(amount))
    # Eligibility is false as soon as a suspend criterion fails, unknown when
    # none fails but one lacks a fact; `needed` names the facts that are lacking.
    eligible: bool | None = True
    lacks_country = lacks_amount = False
    for c in checks:
        if c.criterion not in spec.suspend_criteria:
            continue
        if c.status is Status.FAILS:
            eligible = False
        elif c.status is Status.UNKNOWN:
            if eligible is True:
                eligible = None
            if c.criterion == "left_country":
                lacks_country = True
            else:
                lacks_amount = True
    needed = list(missing) if lacks_amount else []
    if lacks_country:
        needed.append(COUNTRY)
    return Evaluation(
        eligible=eligible,
        amount=amount,
        category=category,
        members=tuple(sorted(members)),
        checks=tuple(checks),
        missing=tuple(needed),
        counted_income=counted_income,
        base=base,
    )
