"""A decision, the value the filter hands out, and its stable id."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from eventfilter.core.evaluation import Evaluation
from eventfilter.core.reasons import Reason
from eventfilter.core.vocabulary import HoldChange

PLACE, LIFT = HoldChange.PLACE, HoldChange.LIFT


@dataclass(slots=True)
class Decision:
    """A decision; a value, never changed once made (plain, not frozen: it is
    made for every event, and frozen dataclasses are slow to build)."""

    decision_id: str
    event_ids: tuple[str, ...]
    person_id: str
    case_id: str | None
    benefit: str | None
    outcome: str
    reasons: tuple[Reason, ...]
    before: Evaluation | None
    after: Evaluation | None
    rule_pack: str
    effective_date: date
    parameters: Mapping[str, Any] | None = None
    parameter_set: str | None = None  # names `parameters` (same values, same key)
    hold: str | None = None  # PLACE, LIFT or None
    event_types: tuple[str, ...] = ()  # the types of `event_ids` (not part of the record)

    def to_record(self) -> dict[str, Any]:
        """The decision as contract.md §4 lays it out (plus effective_date,
        parameters and hold, which the contract leaves room for)."""
        return {
            "decision_id": self.decision_id,
            "event_ids": list(self.event_ids),
            "person_id": self.person_id,
            "case_id": self.case_id,
            "benefit": self.benefit,
            "decision": self.outcome,
            "reasons": [reason.to_dict() for reason in self.reasons],
            "before": self.before.summary() if self.before is not None else None,
            "after": self.after.summary() if self.after is not None else None,
            "rule_pack": self.rule_pack,
            "effective_date": self.effective_date.isoformat(),
            "parameters": dict(self.parameters) if self.parameters is not None else None,
            "hold": self.hold,
        }


def decision_id(case_id: str | None, event_ids: Iterable[str]) -> str:
    """Stable: the same case and events always give the same id, in whatever
    order the events arrived (the stream may meet a family's events in
    another order than a file lists them)."""
    key = f"{case_id or '-'}|{'|'.join(sorted(event_ids))}"
    return "d-" + hashlib.blake2b(key.encode(), digest_size=10).hexdigest()
