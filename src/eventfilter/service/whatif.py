"""What a new rule pack would have decided on history: the same events decided
under the pack in force and under the new one, side by side.

Each side is a replay on its own scratch store (never the production one);
this module keeps what a comparison needs of each decision (`Seen`) and
compares them by decision id: the same case and the same events give the
same id under either pack, so a decision present on both sides is the same
change decided twice, and one present on one side only is a date-triggered
decision the other pack has no reason for (a new rate's date).

The money: the sum, over the decisions on cases, of the monthly amount paid
after each decision (nothing after a suspend), per benefit and pack.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from eventfilter.core.decide import SUSPEND
from eventfilter.core.decision import Decision
from eventfilter.core.vocabulary import OUTCOMES

EXAMPLES = 3  # case ids shown per changed group


@dataclass(frozen=True, slots=True)
class Seen:
    """What the comparison keeps of one decision on a case."""

    decision_id: str
    case_id: str
    benefit: str
    outcome: str
    codes: tuple[str, ...]
    paid: float  # the monthly amount paid after it (0 after a suspend, or when unknown)

    @property
    def said(self) -> str:
        return f"{self.outcome} / {', '.join(self.codes)}"


def seen(decisions: Iterable[Decision]) -> list[Seen]:
    out = []
    for d in decisions:
        if d.case_id is None or d.benefit is None:
            continue
        amount = d.after.amount if d.after is not None else None
        paid = 0.0 if d.outcome == SUSPEND or amount is None else float(amount)
        out.append(
            Seen(d.decision_id, d.case_id, d.benefit, str(d.outcome), tuple(r.code for r in d.reasons), paid)
        )
    return out


@dataclass
class Change:
    old: str  # "outcome / reasons" under the pack in force ("—": no decision)
    new: str
    count: int = 0
    examples: list[str] = field(default_factory=list)
    paid_old: float = 0.0
    paid_new: float = 0.0


@dataclass
class WhatIf:
    old_pack: str
    new_pack: str
    outcomes: dict[str, dict[str, Counter[str]]] = field(default_factory=dict)  # benefit → side → outcome
    paid: dict[str, dict[str, float]] = field(default_factory=dict)  # benefit → side → sum
    changes: dict[tuple[str, str, str], Change] = field(default_factory=dict)  # (benefit, old, new)
    decisions: int = 0
    changed: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "old_pack": self.old_pack,
            "new_pack": self.new_pack,
            "decisions_compared": self.decisions,
            "decisions_changed": self.changed,
            "benefits": {
                b: {
                    "old": {k.value: sides["old"].get(k, 0) for k in OUTCOMES},
                    "new": {k.value: sides["new"].get(k, 0) for k in OUTCOMES},
                    "paid_after_old": round(self.paid[b]["old"], 2),
                    "paid_after_new": round(self.paid[b]["new"], 2),
                    "paid_difference": round(self.paid[b]["new"] - self.paid[b]["old"], 2),
                }
                for b, sides in sorted(self.outcomes.items())
            },
            "changes": [
                {
                    "benefit": b,
                    "old": c.old,
                    "new": c.new,
                    "cases": c.count,
                    "examples": c.examples,
                    "paid_difference": round(c.paid_new - c.paid_old, 2),
                }
                for (b, _, _), c in sorted(self.changes.items(), key=lambda kv: (-kv[1].count, kv[0]))
            ],
        }


def compare(old: Iterable[Seen], new: Iterable[Seen], old_pack: str, new_pack: str) -> WhatIf:
    result = WhatIf(old_pack, new_pack)
    counts: dict[str, dict[str, Counter[str]]] = defaultdict(lambda: {"old": Counter(), "new": Counter()})
    paid: dict[str, dict[str, float]] = defaultdict(lambda: {"old": 0.0, "new": 0.0})
    by_id: dict[str, list[Seen | None]] = {}
    for side, items in (("old", old), ("new", new)):
        for s in items:
            counts[s.benefit][side][s.outcome] += 1
            paid[s.benefit][side] += s.paid
            pair = by_id.setdefault(s.decision_id, [None, None])
            pair[0 if side == "old" else 1] = s
    result.outcomes, result.paid = dict(counts), dict(paid)
    for a, b in by_id.values():
        result.decisions += 1
        if a is not None and b is not None and (a.outcome, a.codes) == (b.outcome, b.codes):
            continue
        result.changed += 1
        some = a or b
        assert some is not None
        old_said, new_said = (a.said if a else "—"), (b.said if b else "—")
        key = (some.benefit, old_said, new_said)
        change = result.changes.get(key)
        if change is None:
            change = result.changes[key] = Change(old_said, new_said)
        change.count += 1
        change.paid_old += a.paid if a else 0.0
        change.paid_new += b.paid if b else 0.0
        if len(change.examples) < EXAMPLES and some.case_id not in change.examples:
            change.examples.append(some.case_id)
    return result
