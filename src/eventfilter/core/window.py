"""A case's open window: the events of one case and one effective date, kept
with the evaluation from before the first of them until they are decided.

Replay also keeps the evaluation after the last of them, made when the batch
that brought it ended (`Engine.settle_open`): most of a national run's
windows wait for the end of input in the store, and one that knows its
`after` is decided there without loading the household again."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from eventfilter.core.evaluation import Evaluation


@dataclass(slots=True, init=False)
class Window:
    """Events of one case and one effective date, waiting to be decided together
    (its own `__init__`: see core/evaluation.py; a list left out starts empty)."""

    case_id: str
    effective_date: date
    person_id: str
    before: Evaluation
    opened_at: float
    protected: bool
    event_ids: list[str]
    types: list[str]
    corrections: list[str]  # withdrawn events the filter knew
    unknown_corrections: list[str]
    after: Evaluation | None  # the facts after its last event, once its batch ended (replay)
    after_protected: bool  # whether the beneficiary was protected then

    def __init__(
        self,
        case_id: str,
        effective_date: date,
        person_id: str,
        before: Evaluation,
        opened_at: float,
        protected: bool = False,
        event_ids: list[str] | None = None,
        types: list[str] | None = None,
        corrections: list[str] | None = None,
        unknown_corrections: list[str] | None = None,
        after: Evaluation | None = None,
        after_protected: bool = False,
    ) -> None:
        self.case_id = case_id
        self.effective_date = effective_date
        self.person_id = person_id
        self.before = before
        self.opened_at = opened_at
        self.protected = protected
        self.event_ids = [] if event_ids is None else event_ids
        self.types = [] if types is None else types
        self.corrections = [] if corrections is None else corrections
        self.unknown_corrections = [] if unknown_corrections is None else unknown_corrections
        self.after = after
        self.after_protected = after_protected

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "case_id": self.case_id,
            "effective_date": self.effective_date.isoformat(),
            "person_id": self.person_id,
            "before": self.before.to_dict(),
            "opened_at": self.opened_at,
            "protected": self.protected,
            "event_ids": list(self.event_ids),  # copies: the window goes on growing
            "types": list(self.types),
            "corrections": list(self.corrections),
            "unknown_corrections": list(self.unknown_corrections),
        }
        if self.after is not None:  # the stream's windows never know it: their bodies stay as they were
            d["after"] = self.after.to_dict()
            d["after_protected"] = self.after_protected
        return d

    @staticmethod
    def from_dict(d: Mapping[str, Any]) -> Window:
        return Window(
            case_id=d["case_id"],
            effective_date=date.fromisoformat(d["effective_date"]),
            person_id=d["person_id"],
            before=Evaluation.from_dict(d["before"]),
            opened_at=float(d["opened_at"]),
            protected=bool(d["protected"]),
            event_ids=list(d["event_ids"]),
            types=list(d["types"]),
            corrections=list(d["corrections"]),
            unknown_corrections=list(d["unknown_corrections"]),
            after=Evaluation.from_dict(d["after"]) if d.get("after") is not None else None,
            after_protected=bool(d.get("after_protected", False)),
        )
