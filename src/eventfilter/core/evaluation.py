"""The result of evaluating one benefit's rules on one set of facts.

Values, never changed once made (plain dataclasses: they are built twice per
decision, and frozen ones are several times slower to build). The values
made for every decision write their own `__init__` (`init=False`): compiled
with mypyc, a dataclass's generated `__init__` still runs as Python, about
four times as long as a written one (tests/unit/test_values.py holds each
`__init__` to its fields).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    HOLDS = "holds"
    FAILS = "fails"
    UNKNOWN = "unknown"


# A status by its stored word: a dict lookup, where `Status(word)` goes through
# the enum's metaclass (a tenth of loading a national run's stored windows)
STATUS_OF: dict[str, Status] = {s.value: s for s in Status}


@dataclass(slots=True, init=False)
class Check:
    """One criterion on one set of facts, with the value it compared."""

    criterion: str
    status: Status
    observed: str | float | None  # e.g. the country, the address, the amount
    address: bool  # `observed` is an address (redacted when protected)

    def __init__(
        self, criterion: str, status: Status, observed: str | float | None, address: bool = False
    ) -> None:
        self.criterion = criterion
        self.status = status
        self.observed = observed
        self.address = address


@dataclass(slots=True, init=False)
class Missing:
    """A fact the rules needed and did not have."""

    code: str  # income_unknown, partner_income_unknown, housing_changed, facts_unknown
    fact: str  # plain words: "the beneficiary's income"

    def __init__(self, code: str, fact: str) -> None:
        self.code = code
        self.fact = fact


@dataclass(slots=True, init=False)
class Evaluation:
    eligible: bool | None
    amount: float | None
    category: str | None
    members: tuple[str, ...]  # who counts in the household, sorted
    checks: tuple[Check, ...]
    missing: tuple[Missing, ...]
    counted_income: float | None
    base: float | None  # the rate or norm before income is deducted

    def __init__(
        self,
        eligible: bool | None,
        amount: float | None,
        category: str | None,
        members: tuple[str, ...],
        checks: tuple[Check, ...],
        missing: tuple[Missing, ...] = (),
        counted_income: float | None = None,
        base: float | None = None,
    ) -> None:
        self.eligible = eligible
        self.amount = amount
        self.category = category
        self.members = members
        self.checks = checks
        self.missing = missing
        self.counted_income = counted_income
        self.base = base

    def check(self, criterion: str) -> Check | None:
        for c in self.checks:
            if c.criterion == criterion:
                return c
        return None

    def summary(self) -> dict[str, Any]:
        return {"eligible": self.eligible, "amount": plain(self.amount), "category": self.category}

    def to_dict(self) -> dict[str, Any]:
        return {
            "eligible": self.eligible,
            "amount": self.amount,
            "category": self.category,
            "members": list(self.members),
            "checks": [[c.criterion, c.status.value, c.observed, c.address] for c in self.checks],
            "missing": [[m.code, m.fact] for m in self.missing],
            "counted_income": self.counted_income,
            "base": self.base,
        }

    @staticmethod
    def from_dict(d: dict[str, Any]) -> Evaluation:
        return Evaluation(
            eligible=d["eligible"],
            amount=d["amount"],
            category=d["category"],
            members=tuple(d["members"]),
            checks=tuple(
                Check(c[0], STATUS_OF[c[1]], c[2], bool(c[3]) if len(c) > 3 else False) for c in d["checks"]
            ),
            missing=tuple(Missing(c, f) for c, f in d["missing"]),
            counted_income=d.get("counted_income"),
            base=d.get("base"),
        )


def shown_addresses(ev: Evaluation) -> list[str]:
    """The addresses an evaluation shows: those `redacted` may mask."""
    return [str(c.observed) for c in ev.checks if c.address and c.observed is not None]


def redacted(ev: Evaluation, hide: Callable[[str | None], bool], mask: str) -> Evaluation:
    """The evaluation with every observed address that must stay hidden masked."""
    for c in ev.checks:  # a loop, not any(): this runs twice for every decision
        if c.address and c.observed is not None and hide(str(c.observed)):
            break
    else:
        return ev
    checks = tuple(
        Check(c.criterion, c.status, mask, True)
        if c.address and c.observed is not None and hide(str(c.observed))
        else c
        for c in ev.checks
    )
    return replace(ev, checks=checks)


def plain(value: Any) -> Any:
    """A whole float as an int (12800, not 12800.0), for people and JSON."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def money(value: float) -> float:
    """Amounts are kept to the øre/öre."""
    return round(value, 2)
