"""What a batch of decisions leaves behind, for replay, the stream and a
caseworker's redecide alike: the decision log, the review items they land
on, the holds they place and lift, the audit trail in plain words and (for
the stream and a caseworker's actions) the outbox for the payment system.

One place, so that every way in records a decision the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from eventfilter.core.deadlines import DeadlinePolicy
from eventfilter.core.decision import LIFT, PLACE, Decision
from eventfilter.records import AuditEntry, BatchChanges, OpenItem, RecordedDecision
from eventfilter.service import wording
from eventfilter.service.messages import decision_message, hold_message
from eventfilter.service.review import attach


@dataclass(frozen=True)
class Recording:
    """How decisions are recorded: `outbox` (the stream publishes them),
    `actor` (who places or lifts a hold they carry) and `why` (the lift's
    reason, when not the register's correction)."""

    deadlines: DeadlinePolicy
    outbox: bool = False
    actor: str = "eventfilter"
    why: str | None = None


def record(
    decisions: Iterable[Decision],
    items: dict[str, OpenItem],
    at: datetime,
    how: Recording,
    changes: BatchChanges,
) -> None:
    """Add what `decisions` leave behind to `changes`; `items` are the open
    review items of their cases (updated in place)."""
    changed: dict[str, OpenItem] = {}
    for d in decisions:
        if how.outbox:
            changes.outbox.append(decision_message(d))
        if d.case_id is None or d.benefit is None:
            continue  # no case: written to the sink and the outbox, not stored
        known = items.get(d.case_id)
        item = attach(items, d, at, how.deadlines)
        changes.decisions.append(RecordedDecision(d, at, item, actor=how.actor, hold_reason=how.why))
        if d.hold in (PLACE, LIFT):
            _hold(d, at, how, changes)
        if item is not None and item.changed:
            changed[item.case_id] = item
            if known is None:
                changes.audit.append(
                    AuditEntry(
                        at,
                        "eventfilter",
                        "item_opened",
                        wording.item_opened(item.due_date, item.urgent_code),
                        case_id=d.case_id,
                        item=item,
                        decision_id=d.decision_id,
                    )
                )
    changes.items.extend(changed.values())


def _hold(d: Decision, at: datetime, how: Recording, changes: BatchChanges) -> None:
    assert d.case_id is not None and d.benefit is not None
    placed = d.hold == PLACE
    if placed:
        message = wording.hold_placed(d.reasons[0].message)
    elif how.why is not None:
        message = wording.hold_lifted_on_corrected_facts(how.actor)
    else:
        message = wording.hold_lifted_by_correction(d.decision_id)
    changes.audit.append(
        AuditEntry(
            at,
            how.actor,
            "hold_placed" if placed else "hold_lifted",
            message,
            case_id=d.case_id,
            decision_id=d.decision_id,
        )
    )
    if how.outbox:
        kind, suffix = ("placed", "hold") if placed else ("lifted", "lift")
        changes.outbox.append(
            hold_message(
                kind,
                d.case_id,
                d.benefit,
                d.decision_id,
                at,
                [r.code for r in d.reasons],
                f"{d.decision_id}:{suffix}",
                how.actor,
            )
        )
