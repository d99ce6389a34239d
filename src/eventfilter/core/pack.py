"""The rule pack as the core sees it: dated parameters with legal references.

Built and validated by `eventfilter.rulepack` from config/; the core only
reads it. Values are looked up for an evaluation date, never for "today".
"""

from __future__ import annotations

import hashlib
import json
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Literal, TypeVar

from eventfilter.core.evaluation import plain
from eventfilter.core.vocabulary import Outcome

# What a failing criterion does, as a rule pack spells it: an `Outcome` but `pass`
Consequence = Literal["suspend", "review"]
ParamValue = float | str | tuple[str, ...]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class DatedValue:
    valid_from: date
    value: ParamValue
    reference: str | None = None  # this value's own legal reference, where the pack gives one


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    values: tuple[DatedValue, ...]  # sorted by valid_from, at least one
    reference: str
    description: str = ""

    def at(self, on: date) -> DatedValue:
        """The value in force on `on`; before the first date, the first value
        (the decision records which value and valid_from it used)."""
        starts = [v.valid_from for v in self.values]
        return self.values[max(0, bisect_right(starts, on) - 1)]


@dataclass(frozen=True, slots=True)
class CriterionSpec:
    name: str
    consequence: Consequence
    legal_ref: str
    description: str = ""


class Params:
    """Parameter values in force on one date, as plain attributes for rules."""

    __slots__ = ("_memo", "_record", "_used", "_values", "key")

    def __init__(self, values: dict[str, DatedValue]) -> None:
        self._values = values
        self._memo: dict[object, object] = {}
        self._used = {name: plain(v.value) for name, v in values.items()}
        # What a decision records of each parameter: the value, the date it took
        # effect, and its own legal reference where the pack gives one per value.
        self._record: dict[str, dict[str, ParamValue]] = {
            name: {"value": self._used[name], "valid_from": v.valid_from.isoformat()}
            | ({"reference": v.reference} if v.reference else {})
            for name, v in values.items()
        }
        # Names the set, so a store keeps each set once.
        canonical = json.dumps(self._record, sort_keys=True, separators=(",", ":"))
        self.key = hashlib.blake2b(canonical.encode(), digest_size=12).hexdigest()

    def num(self, name: str) -> float:
        value = self._values[name].value
        assert isinstance(value, float | int), f"parameter {name} is not a number"
        return float(value)

    def text(self, name: str) -> str:
        return str(self._values[name].value)

    def words(self, name: str) -> tuple[str, ...]:
        value = self._values[name].value
        return value if isinstance(value, tuple) else (str(value),)

    def as_record(self) -> dict[str, dict[str, ParamValue]]:
        """Per parameter: its value, its valid_from and (where given) the value's reference."""
        return self._record

    def values(self) -> dict[str, ParamValue]:
        """Per parameter: its value alone."""
        return self._used

    def resolved(self, build: Callable[[Params], T]) -> T:
        """What `build` makes of these values, made once (a rule's own compact form)."""
        found = self._memo.get(build)
        if found is None:
            found = self._memo[build] = build(self)
        return found  # type: ignore[return-value]


# the age limits a model reads over a period: (parameter, kind, the beneficiary's own age only, values)
AgeLimits = tuple[tuple[str, str, bool, tuple[float, ...]], ...]


@dataclass(frozen=True)
class BenefitSpec:
    name: str
    model: str
    title: str
    legal_ref: str
    currency: str
    criteria: dict[str, CriterionSpec]
    parameters: dict[str, Parameter]
    _cache: dict[date, Params] = field(default_factory=dict, compare=False, repr=False)
    # ticks' age limits by the stretches between parameter changes their period's ends
    # fall in (`ticks._age_limits`); at most (changes + 1) squared entries; not an
    # argument, so that `replace` with other parameters starts it empty
    age_limits_memo: dict[tuple[int, int], AgeLimits] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )
    suspend_criteria: frozenset[str] = field(init=False, compare=False)
    _changes: tuple[date, ...] = field(init=False, compare=False, repr=False)
    # the first date on which every parameter of the benefit has a value in force
    # (asked for every decision: made once)
    in_force_from: date = field(init=False, compare=False)

    def __post_init__(self) -> None:
        suspend = frozenset(n for n, c in self.criteria.items() if c.consequence == Outcome.SUSPEND.value)
        object.__setattr__(self, "suspend_criteria", suspend)
        changes = sorted({v.valid_from for p in self.parameters.values() for v in p.values[1:]})
        object.__setattr__(self, "_changes", tuple(changes))
        starts = (p.values[0].valid_from for p in self.parameters.values())
        object.__setattr__(self, "in_force_from", max(starts, default=date.min))

    def params_on(self, on: date) -> Params:
        cached = self._cache.get(on)
        if cached is None:
            cached = Params({name: p.at(on) for name, p in self.parameters.items()})
            self._cache[on] = cached
        return cached

    def consequence(self, criterion: str) -> Consequence:
        return self.criteria[criterion].consequence

    def stretch(self, on: date) -> int:
        """Which stretch between parameter changes a date falls in: dates with the same
        number have the same parameter values."""
        return bisect_right(self._changes, on)

    def change_dates(self, after: date, through: date) -> list[date]:
        """The dates in (after, through] on which a parameter takes a new value."""
        changes = self._changes
        return list(changes[bisect_right(changes, after) : bisect_right(changes, through)])


@dataclass(frozen=True)
class RulePack:
    name: str
    version: str
    benefits: dict[str, BenefitSpec]
    not_read_types: frozenset[str]
    reason_texts: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}"

    @property
    def in_force_from(self) -> date:
        """The first date on which every benefit's parameters are in force."""
        return max(b.in_force_from for b in self.benefits.values())

    def knows_type(self, event_type: str, state_types: frozenset[str]) -> bool:
        return event_type in state_types or event_type in self.not_read_types
