"""What changes with time alone: a person in a case's household crossing an
age the rules compare with (a child turning 18, the beneficiary turning 30),
or a parameter taking a new value on its `valid_from`.

Event decisions evaluate before and after on the same date, so they never
see these; a window's `before` may be the previous window's `after` only
when nothing of the kind lies between the two dates.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from math import ceil

from eventfilter.core.facts import Case, Person
from eventfilter.core.pack import BenefitSpec
from eventfilter.core.rules import MODELS
from eventfilter.core.state import RegisterState


def readers(case: Case, state: RegisterState) -> Iterable[Person]:
    """Everyone whose age a case's rules may read: the beneficiary, the partner,
    and everyone at the beneficiary's address or the case's dwelling."""
    b = state.get(case.beneficiary_id)
    seen: set[str] = set()
    ids: list[str] = [case.beneficiary_id]
    if b is not None:
        if b.partner_id:
            ids.append(b.partner_id)
        ids.extend(state.residents(b.address_id))
    ids.extend(state.residents(case.dwelling_address_id))
    for pid in ids:
        if pid not in seen:
            seen.add(pid)
            p = state.get(pid)
            if p is not None:
                yield p


def may_reach(born: date, years: int, first_year: int, last_year: int) -> bool:
    """Whether one born on `born` can reach `years` whole years in a period within these
    calendar years: one does so in the year of birth + years (born on 29 February, on
    1 March of it). A necessary condition, checked before any date or age is worked out."""
    return first_year <= born.year + years <= last_year


def crosses(person: Person, age: float, d0: date, d1: date) -> bool:
    """Whether the person is on different sides of `age` on the two dates."""
    a0, a1 = person.age_on(d0), person.age_on(d1)
    return a0 is not None and a1 is not None and (a0 >= age) != (a1 >= age)


def changes_with_time(case: Case, spec: BenefitSpec, state: RegisterState, d0: date, d1: date) -> bool:
    """Whether anything this case's rules read differs between two dates on the
    same facts (a parameter's value, an age crossed)."""
    if d0 == d1:
        return False
    p0, p1 = spec.params_on(d0), spec.params_on(d1)
    if p0.key != p1.key:
        return True
    model = MODELS[spec.model]
    # each age with the whole years a person must have to be on its far side
    member = [(a, ceil(a)) for a in (p1.num(n) for n in model.member_ages)]
    own = [(a, ceil(a)) for a in (p1.num(n) for n in model.beneficiary_ages)]
    first, last = (d0.year, d1.year) if d0 < d1 else (d1.year, d0.year)
    for person in readers(case, state):
        born = person.birth_date
        if born is None:
            continue  # no age: never crosses
        ages = member + own if person.person_id == case.beneficiary_id else member
        for age, years in ages:
            if may_reach(born, years, first, last) and crosses(person, age, d0, d1):
                return True
    return False
