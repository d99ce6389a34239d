"""What changes with time alone: a person in a case's household crossing an
age the rules compare with (a child turning 18, the beneficiary turning 30),
or a parameter taking a new value on its `valid_from`.

Event decisions evaluate before and after on the same date, so they never
see these; a window's `before` may be the previous window's `after` only
when nothing of the kind lies between the two dates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from math import ceil

from eventfilter.core.facts import Case, Person
from eventfilter.core.pack import BenefitSpec, Params
from eventfilter.core.rules import MODELS
from eventfilter.core.state import RegisterState


def readers(case: Case, state: RegisterState) -> list[Person]:
    """Everyone whose age a case's rules may read: the beneficiary, the partner,
    and everyone at the beneficiary's address or the case's dwelling (each once,
    in that order)."""
    get = state.persons.get
    bid = case.beneficiary_id
    b = get(bid)
    ids: Iterable[str]
    if b is None:
        ids = state.residents(case.dwelling_address_id)
    else:
        ids = state.residents(b.address_id)
        if b.partner_id:
            ids = (b.partner_id, *ids)
        if b.address_id != case.dwelling_address_id:
            ids = (*ids, *state.residents(case.dwelling_address_id))
    out = [b] if b is not None else []
    seen = {bid}
    for pid in ids:
        if pid not in seen:
            seen.add(pid)
            p = get(pid)
            if p is not None:
                out.append(p)
    return out


def may_reach(born: date, years: int, first_year: int, last_year: int) -> bool:
    """Whether one born on `born` can reach `years` whole years in a period within these
    calendar years: one does so in the year of birth + years (born on 29 February, on
    1 March of it). A necessary condition, checked before any date or age is worked out."""
    return first_year <= born.year + years <= last_year


def crosses(person: Person, age: float, d0: date, d1: date) -> bool:
    """Whether the person is on different sides of `age` on the two dates."""
    a0, a1 = person.age_on(d0), person.age_on(d1)
    return a0 is not None and a1 is not None and (a0 >= age) != (a1 >= age)


@dataclass(frozen=True, slots=True)
class _Ages:
    """The ages one parameter set's rules compare with, each with the whole years a
    person must have to be on its far side, and those whole years as sets (one
    membership test tells whether a person can cross any of them in a year)."""

    member: tuple[tuple[float, int], ...]  # anyone in the household
    everyone: tuple[tuple[float, int], ...]  # the beneficiary: member ages and their own
    member_years: frozenset[int]
    everyone_years: frozenset[int]


_AGE_BUILDERS: dict[str, Callable[[Params], _Ages]] = {}


def _ages(model_name: str) -> Callable[[Params], _Ages]:
    """What `Params.resolved` makes once per parameter set for one model."""
    build = _AGE_BUILDERS.get(model_name)
    if build is None:
        model = MODELS[model_name]

        def build(params: Params) -> _Ages:
            member = tuple((a, ceil(a)) for a in (params.num(n) for n in model.member_ages))
            own = tuple((a, ceil(a)) for a in (params.num(n) for n in model.beneficiary_ages))
            return _Ages(
                member,
                member + own,
                frozenset(y for _, y in member),
                frozenset(y for _, y in member + own),
            )

        _AGE_BUILDERS[model_name] = build
    return build


def changes_with_time(case: Case, spec: BenefitSpec, state: RegisterState, d0: date, d1: date) -> bool:
    """Whether anything this case's rules read differs between two dates on the
    same facts (a parameter's value, an age crossed)."""
    if d0 == d1:
        return False
    p1 = spec.params_on(d1)
    if spec.params_on(d0).key != p1.key:
        return True
    ages = p1.resolved(_ages(spec.model))
    first, last = (d0.year, d1.year) if d0 < d1 else (d1.year, d0.year)
    for person in readers(case, state):
        born = person.birth_date
        if born is None:
            continue  # no age: never crosses
        own = person.person_id == case.beneficiary_id
        years = ages.everyone_years if own else ages.member_years
        # the whole years one can reach within these calendar years (see may_reach);
        # the two dates mostly fall in one year: one membership test
        lo = first - born.year
        if lo not in years and (first == last or years.isdisjoint(range(lo + 1, last - born.year + 1))):
            continue
        for age, whole in ages.everyone if own else ages.member:
            if may_reach(born, whole, first, last) and crosses(person, age, d0, d1):
                return True
    return False
