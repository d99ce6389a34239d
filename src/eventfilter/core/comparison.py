"""eventfilter against a stop-on-every-event filter, on the same decisions.

The filter the articles describe pauses a case's payment whenever a register
event touches the case: a family moving one floor up, a child's income
report, a name change. eventfilter decides the same touched cases and
suspends only where eligibility is lost, sends to review where a caseworker
must look while the money flows, and lets the rest pass.

A *payment* here is a case: one benefit paid to one household for the
period. Counts are of distinct cases (a case touched five times in a month
is one paused payment, not five), and beside them the number of stops
(decisions) a caseworker would have had to clear.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from eventfilter.core.decide import REVIEW, SUSPEND
from eventfilter.core.decision import Decision


@dataclass
class BenefitComparison:
    benefit: str
    cases: int = 0  # active cases of the benefit (payments that could be paused), when known
    naive_cases: set[str] = field(default_factory=set)
    naive_stops: int = 0
    suspended: set[str] = field(default_factory=set)
    reviewed: set[str] = field(default_factory=set)
    naive_by_type: dict[str, set[str]] = field(default_factory=dict)
    by_reason: dict[tuple[str, str], set[str]] = field(default_factory=dict)  # (outcome, code) -> cases

    @property
    def reviewed_only(self) -> set[str]:
        """Cases sent to review and never suspended in the run."""
        return self.reviewed - self.suspended

    @property
    def passed_only(self) -> int:
        """Touched cases that eventfilter neither suspended nor sent to review."""
        return len(self.naive_cases - self.suspended - self.reviewed)


class NaiveComparison:
    """Feed it every decision of a run; read the table at the end."""

    def __init__(self, active_cases: Mapping[str, int] | None = None) -> None:
        self.benefits: dict[str, BenefitComparison] = {}
        for benefit, n in (active_cases or {}).items():
            self._benefit(benefit).cases = n

    def _benefit(self, benefit: str) -> BenefitComparison:
        row = self.benefits.get(benefit)
        if row is None:
            row = self.benefits[benefit] = BenefitComparison(benefit)
        return row

    def observe(self, decisions: Iterable[Decision]) -> None:
        for d in decisions:
            if d.case_id is None or d.benefit is None or not d.event_types:
                continue  # no case touched, or not an event's decision
            row = self._benefit(d.benefit)
            case = d.case_id
            row.naive_cases.add(case)
            row.naive_stops += 1
            for t in set(d.event_types):
                row.naive_by_type.setdefault(t, set()).add(case)
            if d.outcome == SUSPEND:
                row.suspended.add(case)
            elif d.outcome == REVIEW:
                row.reviewed.add(case)
            else:
                continue
            for r in d.reasons:
                row.by_reason.setdefault((d.outcome, r.code), set()).add(case)

    def as_dict(self) -> dict[str, object]:
        """For machines: per benefit, the payments each filter stops."""
        out: dict[str, object] = {}
        for name in sorted(self.benefits):
            row = self.benefits[name]
            out[name] = {
                "active_cases": row.cases,
                "naive_paused": len(row.naive_cases),
                "naive_stops": row.naive_stops,
                "suspended": len(row.suspended),
                "reviewed": len(row.reviewed_only),
                "passed": row.passed_only,
                "naive_paused_by_event_type": _sizes(row.naive_by_type),
                "eventfilter_by_reason": {
                    f"{outcome}:{code}": n for (outcome, code), n in _sizes(row.by_reason).items()
                },
            }
        return out

    def totals(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for row in self.benefits.values():
            total["active_cases"] += row.cases
            total["naive_paused"] += len(row.naive_cases)
            total["naive_stops"] += row.naive_stops
            total["suspended"] += len(row.suspended)
            total["reviewed"] += len(row.reviewed_only)
            total["passed"] += row.passed_only
        return total


K = TypeVar("K")


def _sizes(groups: Mapping[K, set[str]]) -> dict[K, int]:
    return dict(sorted(((k, len(v)) for k, v in groups.items()), key=lambda kv: (-kv[1], str(kv[0]))))
