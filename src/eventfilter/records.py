"""Plain values that pass between the service and the stores."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from eventfilter.core.decision import Decision
from eventfilter.core.facts import Case, Effect, Person
from eventfilter.core.snapshots import Snapshot
from eventfilter.core.vocabulary import SEVERITY, ItemStatus, Outcome
from eventfilter.core.window import Window
from eventfilter.ports import OutMessage


@dataclass(frozen=True, slots=True)
class DeadLetter:
    source: str  # file name, "stdin", or the stream's queue
    position: str  # "line 7", or a stream sequence / message id
    raw: str
    error: str  # one sentence naming the field


@dataclass(slots=True)  # not frozen: one is made per event, and frozen ones build 2.5x slower
class ProcessedEvent:
    event_id: str
    content_hash: str
    person_id: str
    type: str
    effective_date: date
    message_id: str | None = None  # the stream's message id, a dedupe key too


@dataclass(slots=True)
class OpenItem:
    """The one open review item of a case, as the service tracks it."""

    case_id: str
    due_date: date
    urgent_code: str
    opened_at: datetime
    item_id: int | None = None  # None until stored
    changed: bool = True


@dataclass(slots=True)
class RecordedDecision:
    decision: Decision
    decided_at: datetime
    item: OpenItem | None = None
    actor: str = "eventfilter"  # who lifts or places a hold this decision carries
    hold_reason: str | None = None


@dataclass(slots=True)
class AuditEntry:
    """One appended line of the audit trail, in plain words."""

    at: datetime
    actor: str  # "eventfilter", a caseworker id, or "operator"
    action: str  # hold_placed, hold_lifted, item_opened, item_resolved, fact_corrected, access_refused, ...
    message: str
    case_id: str | None = None
    item: OpenItem | None = None  # when the item is new, its id is known only once stored
    item_id: int | None = None
    decision_id: str | None = None
    details: dict[str, Any] | None = None


@dataclass(slots=True)
class BatchChanges:
    """Everything one batch changes, written in one transaction."""

    persons: list[Person] = field(default_factory=list)
    # Stored persons whose changes left every indexed fact (address, partner,
    # parents) alone: an income report, a death. Written without touching indexes.
    person_facts: list[Person] = field(default_factory=list)
    new_persons: list[Person] = field(default_factory=list)  # first seen: written only if still absent
    protected_addresses: set[str] = field(default_factory=set)  # held by a protected person meanwhile
    # Stored cases whose state changed (a hold, the active set, ticked through):
    # written without touching indexes (who, where and which municipality stay).
    cases: list[Case] = field(default_factory=list)
    windows_open: list[Window] = field(default_factory=list)
    windows_closed: list[str] = field(default_factory=list)
    processed: list[ProcessedEvent] = field(default_factory=list)
    effects: dict[str, Effect] = field(default_factory=dict)
    decisions: list[RecordedDecision] = field(default_factory=list)
    items: list[OpenItem] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    audit: list[AuditEntry] = field(default_factory=list)
    outbox: list[OutMessage] = field(default_factory=list)
    ticked_through: date | None = None  # the whole register is ticked through this date now
    run_id: int | None = None
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class HoldView:
    case_id: str
    benefit: str
    municipality_code: str
    source: str  # "eventfilter" (a decision) or "case extract"
    decision_id: str | None
    event_ids: tuple[str, ...]
    placed_at: datetime | None  # when eventfilter placed the hold (it knew from then on)
    reasons: tuple[str, ...]
    confirmed: bool = False  # a caseworker confirmed the stop
    effective_date: date | None = None  # when eligibility was lost in the register (the decision's date)

    @property
    def status(self) -> str:
        return "confirmed" if self.confirmed else "held"

    def to_dict(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "benefit": self.benefit,
            "municipality_code": self.municipality_code,
            "status": self.status,
            "source": self.source,
            "decision_id": self.decision_id,
            "event_ids": list(self.event_ids),
            "placed_at": self.placed_at.isoformat() if self.placed_at else None,
            "effective_date": self.effective_date.isoformat() if self.effective_date else None,
            "reasons": list(self.reasons),
        }


# Reason codes an item's listing leaves out: they say nothing a caseworker acts on.
QUIET_CODES = frozenset({"no_effect", "not_relevant", "income_adjustment", "no_active_case"})


@dataclass(slots=True)
class ItemGist:
    """What a review item's decisions add up to in a listing (one fold for every
    store): the most severe outcome, the reason codes worth a caseworker's eye in
    the order first met, and how many decisions there were."""

    outcome: str = Outcome.PASS.value
    codes: list[str] = field(default_factory=list)
    decisions: int = 0

    def add(self, outcome: str, reasons: Iterable[Mapping[str, Any]]) -> None:
        """One more decision, taken in the order they were made."""
        self.decisions += 1
        if SEVERITY[outcome] > SEVERITY[self.outcome]:
            self.outcome = outcome
        for r in reasons:
            code = r["code"]
            if code not in self.codes and code not in QUIET_CODES:
                self.codes.append(code)


@dataclass(frozen=True, slots=True)
class ItemView:
    item_id: int
    case_id: str
    benefit: str
    municipality_code: str
    status: str
    opened_at: datetime
    due_date: date
    urgent_code: str
    outcome: str  # the most severe outcome among its decisions
    reasons: tuple[str, ...]
    decisions: int
    held: bool
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    action: str | None = None
    note: str | None = None

    def overdue(self, today: date) -> bool:
        return self.status == ItemStatus.OPEN and self.due_date < today

    def to_dict(self, today: date) -> dict[str, Any]:
        return {
            "item_id": self.item_id,
            "case_id": self.case_id,
            "benefit": self.benefit,
            "municipality_code": self.municipality_code,
            "status": self.status,
            "outcome": self.outcome,
            "reasons": list(self.reasons),
            "opened_at": self.opened_at.isoformat(),
            "due_date": self.due_date.isoformat(),
            "urgent_reason": self.urgent_code,
            "overdue": self.overdue(today),
            "decisions": self.decisions,
            "held": self.held,
            "resolved_at": self.resolved_at.isoformat() if self.resolved_at else None,
            "resolved_by": self.resolved_by,
            "action": self.action,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class DeadLetterView:
    source: str
    position: str
    raw: str
    error: str
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "position": f"{self.source}:{self.position}",
            "source": self.source,
            "line": self.position,
            "error": self.error,
            "raw": self.raw,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class Caseworker:
    caseworker_id: str
    name: str
    municipalities: tuple[str, ...]
    active: bool = True

    def may_see(self, municipality_code: str) -> bool:
        return self.active and municipality_code in self.municipalities

    def to_dict(self) -> dict[str, Any]:
        return {
            "caseworker_id": self.caseworker_id,
            "name": self.name,
            "municipalities": list(self.municipalities),
            "active": self.active,
        }


@dataclass(frozen=True, slots=True)
class CaseView:
    case_id: str
    benefit: str
    beneficiary_id: str
    municipality_code: str
    status: str
    dwelling_address_id: str | None
    housing_cost: float | None
    held: bool
    held_since: datetime | None
    confirmed: bool
    in_active_set: bool


@dataclass(frozen=True, slots=True)
class DecisionView:
    decision_id: str
    outcome: str
    reasons: tuple[dict[str, Any], ...]
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    event_ids: tuple[str, ...]
    effective_date: date
    decided_at: datetime
    hold: str | None
    rule_pack: str
    item_id: int | None
    seq: int = 0  # the order decisions were made in

    def to_dict(self) -> dict[str, Any]:
        return {
            "decision_id": self.decision_id,
            "decision": self.outcome,
            "reasons": list(self.reasons),
            "before": self.before,
            "after": self.after,
            "event_ids": list(self.event_ids),
            "effective_date": self.effective_date.isoformat(),
            "decided_at": self.decided_at.isoformat(),
            "hold": self.hold,
            "rule_pack": self.rule_pack,
            "item_id": self.item_id,
        }


@dataclass(frozen=True, slots=True)
class EventView:
    event_id: str
    type: str
    person_id: str
    effective_date: date


@dataclass(frozen=True, slots=True)
class AuditView:
    seq: int
    at: datetime
    actor: str
    action: str
    message: str
    item_id: int | None
    decision_id: str | None
    details: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class SnapshotRead:
    """One person as a register file or message sent them: a snapshot, or why it
    could not be read (then `error` is the dead letter's one sentence)."""

    position: str  # as a dead letter names it: "7" (the line of the person's first record), "post 3"
    shown: str  # the input as a dead letter keeps it (addresses already taken out)
    snapshot: Snapshot | None = None
    error: str | None = None
    message_id: str | None = None  # the source's own id of the message (BeskedId), to dedupe on
    file: str | None = None  # the file it came from, when a run reads several

    @property
    def where(self) -> str:
        """How a sentence names the position: "Line 7", "Post 3"."""
        return f"Line {self.position}" if self.position.isdigit() else self.position.capitalize()


@dataclass(frozen=True, slots=True)
class Extract:
    """A register file that comes in a chain: each names the one before it."""

    source: str  # "cpr"
    name: str  # the file, as the operator named it
    production: date
    previous: date | None  # None: the first file of a subscription
    digest: str  # of the whole file: the same date with other content is another file
    complete: bool = True  # read to its end record; False: cut short, to be read whole
