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


@dataclass(slots=True, init=False)
class Decision:
    """A decision; a value, never changed once made (plain, not frozen: it is
    made for every event, and frozen dataclasses are slow to build; its own
    `__init__`, as core/evaluation.py says why)."""

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
    parameters: Mapping[str, Any] | None
    parameter_set: str | None  # names `parameters` (same values, same key)
    hold: str | None  # PLACE, LIFT or None
    event_types: tuple[str, ...]  # the types of `event_ids` (not part of the record)

    def __init__(
        self,
        decision_id: str,
        event_ids: tuple[str, ...],
        person_id: str,
        case_id: str | None,
        benefit: str | None,
        outcome: str,
        reasons: tuple[Reason, ...],
        before: Evaluation | None,
        after: Evaluation | None,
        rule_pack: str,
        effective_date: date,
        parameters: Mapping[str, Any] | None = None,
        parameter_set: str | None = None,
        hold: str | None = None,
        event_types: tuple[str, ...] = (),
    ) -> None:
        self.decision_id = decision_id
        self.event_ids = event_ids
        self.person_id = person_id
        self.case_id = case_id
        self.benefit = benefit
        self.outcome = outcome
        self.reasons = reasons
        self.before = before
        self.after = after
        self.rule_pack = rule_pack
        self.effective_date = effective_date
        self.parameters = parameters
        self.parameter_set = parameter_set
        self.hold = hold
        self.event_types = event_types

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
