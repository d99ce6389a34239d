"""Decisions that time alone triggers: a person in a case's household reaching
an age the rules read (a child turning 18: `came_of_age`; the beneficiary
reaching an age band: `age_band_changed`), or a parameter taking a new value
on its `valid_from` (`parameters_changed`).

`crossings` lists, for one case, the dates in a period on which such a thing
happens, read from the pack (the model names the age parameters; their
values are the pack's on each date), never from code. The engine decides each
date as for an event: `before` evaluated on the day before, `after` on the
day, through the same decision table, with these reasons added.

A person whose birth date is unknown never triggers anything. A person born
on 29 February reaches an age on 1 March in a year without one (the age the
rules compute on 28 February is still the old one).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from eventfilter.core.evaluation import Evaluation
from eventfilter.core.facts import Case
from eventfilter.core.pack import AgeLimits, BenefitSpec
from eventfilter.core.reasons import Reason, Shown
from eventfilter.core.rules import MODELS
from eventfilter.core.state import RegisterState
from eventfilter.core.timing import may_reach, readers

TICK = "tick"  # the "event type" of a date-triggered decision
CAME_OF_AGE = "came_of_age"
AGE_BAND_CHANGED = "age_band_changed"
PARAMETERS_CHANGED = "parameters_changed"
ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Crossing:
    day: date
    kind: str  # CAME_OF_AGE, AGE_BAND_CHANGED, PARAMETERS_CHANGED
    subject: str  # the person, or the parameter
    rule: str  # the parameter compared with (an age limit), or the parameter itself
    before: Any  # the value compared the day before (an age, a parameter value)
    after: Any  # and on the day
    threshold: Any = None  # the age limit, for an age


def tick_id(case_id: str, day: date, kind: str) -> str:
    """The id of a date-triggered change: the case, the date and the kind (stable:
    ticking twice through the same date decides nothing twice)."""
    return f"tick:{case_id}:{day.isoformat()}:{kind}"


def reaches(born: date, age: int) -> date:
    """The first day on which a person born on `born` is `age` years old."""
    try:
        return born.replace(year=born.year + age)
    except ValueError:  # 29 February, in a year without one
        return date(born.year + age, 3, 1)


def crossings(
    case: Case, spec: BenefitSpec, state: RegisterState, after: date, through: date
) -> list[Crossing]:
    """What changes with time alone for this case in (after, through], in date order."""
    if through <= after:
        return []
    out: list[Crossing] = []
    for day in spec.change_dates(after, through):
        p0, p1 = spec.params_on(day - ONE_DAY).values(), spec.params_on(day).values()
        for name in sorted(n for n in p1 if p1[n] != p0.get(n)):
            out.append(Crossing(day, PARAMETERS_CHANGED, name, name, p0.get(name), p1[name]))
    ages = _age_limits(spec, after, through)
    if not ages:
        return out
    for person in readers(case, state):
        born = person.birth_date
        if born is None or not person.alive:
            continue
        for name, kind, own, limits in ages:
            if own and person.person_id != case.beneficiary_id:
                continue
            for limit in limits:
                age = int(limit)
                if not may_reach(born, age, after.year, through.year):
                    continue
                day = reaches(born, age)
                if after < day <= through and spec.params_on(day).num(name) == limit:
                    out.append(Crossing(day, kind, person.person_id, name, age - 1, age, limit))
    out.sort(key=lambda c: (c.day, c.kind, c.subject))
    return out


def _age_limits(spec: BenefitSpec, after: date, through: date) -> AgeLimits:
    """The age limits the model reads, each with the values it has in (after, through]
    (a limit may itself change): (parameter, kind, the beneficiary's own age only, values).
    The same for every period whose ends fall in the same two stretches between parameter
    changes: kept on the spec under those stretches, so it stays as small as the pack."""
    key = (spec.stretch(after + ONE_DAY), spec.stretch(through))
    found = spec.age_limits_memo.get(key)
    if found is None:
        first, last = spec.params_on(after + ONE_DAY), spec.params_on(through)
        model = MODELS[spec.model]
        found = tuple(
            (n, kind, own, tuple(sorted({first.num(n), last.num(n)})))
            for names, kind, own in (
                (model.member_ages, CAME_OF_AGE, False),
                (model.beneficiary_ages, AGE_BAND_CHANGED, True),
            )
            for n in sorted(names)
        )
        spec.age_limits_memo[key] = found
    return found


def crossing_reason(spec: BenefitSpec, c: Crossing, shown_person: str) -> Reason:
    """The reason a date-triggered decision gives: who or what, the rule, its
    legal reference and the values compared."""
    param = spec.parameters[c.rule]
    # the new value's own legal basis where the pack gives one, else the parameter's
    reference = (
        (param.at(c.day).reference or param.reference) if c.kind == PARAMETERS_CHANGED else param.reference
    )
    if c.kind == PARAMETERS_CHANGED:
        message = (
            f"Parameter {c.rule} takes a new value on {c.day.isoformat()}: {_plain(c.before)} → "
            f"{_plain(c.after)} ({reference})."
        )
    elif c.kind == AGE_BAND_CHANGED:
        message = (
            f"The beneficiary {shown_person} turns {_plain(c.after)} on {c.day.isoformat()}: from this age "
            f"({c.rule} = {_plain(c.threshold)}) another rate applies."
        )
    else:
        message = (
            f"{shown_person} turns {_plain(c.after)} on {c.day.isoformat()} and is no longer a child "
            f"({c.rule} = {_plain(c.threshold)})."
        )
    return Reason(c.kind, message, f"{spec.name}.{c.rule}", reference, _value(c.before), _value(c.after))


def aged_category(spec: BenefitSpec, before: Evaluation, after: Evaluation) -> Reason:
    """The category changed with time alone (a child came of age): nobody joined or left."""
    return Reason(
        "rate_category_changed",
        f"The rate category changed with age alone: {before.category} → {after.category}.",
        f"{spec.name}.category",
        spec.legal_ref,
        before.category,
        after.category,
    )


def _plain(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def _value(value: object) -> Shown:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return _plain(value)
