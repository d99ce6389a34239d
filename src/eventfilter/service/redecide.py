"""Deciding again on a caseworker's corrected facts, inside the resolution's
unit of work, through the same world and recording as every batch.

Only the persons the item's case reads may be corrected. The item's case is
decided against its last decision; every other active case that reads a
corrected person is decided against how it stood just before (the
correction is a change for it too) and gets the correction in its audit. An
item whose eligibility is still unknown on the corrected facts is not
closed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from eventfilter.core import routing
from eventfilter.core.decide import PASS
from eventfilter.core.decision import Decision
from eventfilter.core.engine import Engine
from eventfilter.core.evaluation import Evaluation
from eventfilter.core.facts import FIELD_GROUP, Value
from eventfilter.core.pack import RulePack
from eventfilter.errors import NotAllowed, UsageError
from eventfilter.plausibility import Horizon
from eventfilter.ports import UnitOfWork
from eventfilter.records import AuditEntry, BatchChanges, CaseView, Caseworker, DecisionView, OpenItem
from eventfilter.service import wording
from eventfilter.service.corrections import Correction, check_corrected
from eventfilter.service.pipeline import finish
from eventfilter.service.recording import Recording
from eventfilter.service.world import FreshWorld
from eventfilter.settings import Settings


@dataclass
class Redecided:
    decision: Decision
    also: list[Decision] = field(default_factory=list)  # other cases reading a corrected person
    new_item: OpenItem | None = None
    corrected: list[str] = field(default_factory=list)


def redecide(
    uow: UnitOfWork,
    pack: RulePack,
    settings: Settings,
    case: CaseView,
    item_id: int,
    last: DecisionView,
    cw: Caseworker,
    corrections: Sequence[Correction],
    changes: BatchChanges,
) -> Redecided:
    assert changes.at is not None
    at = changes.at
    if last.after is None or "checks" not in last.after:
        raise NotAllowed(f"Review item {item_id} has no full evaluation to decide against.")
    world = FreshWorld(pack, uow)
    world.load_cases([case.case_id])
    engine = world.engine
    state = engine.state
    reads = set(state.persons)
    for c in corrections:
        if c.person_id not in reads:
            raise UsageError(
                f"Person {c.person_id} is not one case {case.case_id} reads (its beneficiary, their "
                "partner and household); only their facts can be corrected from this item."
            )
    corrected = sorted({c.person_id for c in corrections})
    others = _cases_reading(world, corrected, corrections, case.case_id)
    today = at.date()
    cases = engine.book.cases
    before = {c: engine.evaluate(cases[c], pack.benefits[cases[c].benefit], today) for c in others}
    readers, notes = _correct(engine, case, item_id, cw, corrections, at)
    changes.audit.extend(notes)
    horizon = Horizon(today, settings.horizon_days)
    for pid in corrected:
        check_corrected(state.persons[pid], horizon)
    tag = f"redecide:{item_id}:{at.isoformat()}"
    decision = engine.redecide(case.case_id, Evaluation.from_dict(last.after), last.effective_date, tag)
    if decision.after is not None and decision.after.eligible is None:
        missing = ", ".join(sorted({m.code for m in decision.after.missing})) or "a fact is missing"
        raise NotAllowed(
            f"Review item {item_id} stays open: on the facts as they are now, eligibility is still "
            f"unknown ({missing}); correct it with --set PERSON.FIELD=VALUE, or release the item if the "
            "payment may go on."
        )
    touched = sorted(set().union(*readers.values())) if readers else []
    also = [engine.redecide(c, before[c], today, tag) for c in touched if c in before]
    if decision.outcome == PASS and engine.book.cases[case.case_id].hold_event_ids is not None:
        _keep_open(settings, case, decision, world.items, changes, at)  # nothing to look at, yet held
    how = Recording(
        settings.deadlines,
        outbox=True,
        actor=cw.caseworker_id,
        why=f"decided again by {cw.caseworker_id} on corrected facts",
    )
    finish(uow, world, [decision, *also], changes, how)
    corrected_facts = [f"{c.person_id}.{c.field}" for c in corrections]
    return Redecided(decision, also, world.items.get(case.case_id), corrected_facts)


def _cases_reading(
    world: FreshWorld, persons: Sequence[str], corrections: Sequence[Correction], besides: str
) -> list[str]:
    """Load the other active cases that read these persons (or the partner or
    dwelling a correction names), with what their rules read."""
    if not persons:
        return []
    state = world.engine.state
    named = [str(c.value) for c in corrections if c.field == "partner_id" and c.value]
    moved_to = [str(c.value) for c in corrections if c.field == "address_id" and c.value]
    for p in world.uow.persons(n for n in named if n not in state.persons):
        state.add(p)
    beneficiaries = set(persons) | set(named)
    addresses = set(moved_to)
    for pid in persons:
        p = state.persons[pid]
        beneficiaries.update(x for x in (p.partner_id, *p.parent_ids) if x)
        beneficiaries.update(state.claimants(pid))
        if p.address_id:
            addresses.add(p.address_id)
    ids = [c for c in world.uow.candidate_cases(beneficiaries, addresses, persons) if c != besides]
    return world.load(ids, moved_to)


def _correct(
    engine: Engine,
    case: CaseView,
    item_id: int,
    cw: Caseworker,
    corrections: Sequence[Correction],
    at: datetime,
) -> tuple[dict[str, set[str]], list[AuditEntry]]:
    """Make the corrections; each goes to the audit of the item's case and of every
    other case reading that person. Returns those other cases, and the entries."""
    book, state = engine.book, engine.state
    readers = {c.person_id: set(routing.touched(book, state, [c.person_id], [])) for c in corrections}
    stamp = (at.date().isoformat(), at.isoformat(), f"caseworker:{cw.caseworker_id}:{item_id}")
    notes: list[AuditEntry] = []
    for c in corrections:
        old = getattr(state.persons[c.person_id], c.field)
        state.correct(c.person_id, c.field, c.value, stamp)
        readers[c.person_id] |= set(routing.touched(book, state, [c.person_id], []))
        readers[c.person_id].discard(case.case_id)
        message = wording.fact_corrected(c.person_id, c.field, old, c.value, cw.caseworker_id)
        details = {
            "person_id": c.person_id,
            "field": c.field,
            "old": _plain(old),
            "new": _plain(c.value),
            "group": FIELD_GROUP[c.field].value,
        }
        notes.append(
            AuditEntry(
                at,
                cw.caseworker_id,
                "fact_corrected",
                message,
                case_id=case.case_id,
                item_id=item_id,
                details=details,
            )
        )
        for other in sorted(readers[c.person_id]):
            notes.append(
                AuditEntry(
                    at,
                    cw.caseworker_id,
                    "fact_corrected",
                    f"{message} (while resolving review item {item_id} of case {case.case_id})",
                    case_id=other,
                    details=details,
                )
            )
    return readers, notes


def _keep_open(
    settings: Settings,
    case: CaseView,
    decision: Decision,
    items: dict[str, OpenItem],
    changes: BatchChanges,
    at: datetime,
) -> None:
    """Nothing left to look at, yet the payment is still held: a new item keeps it
    in the queue (the decision lands on it when it is recorded)."""
    due, code = settings.deadlines.due(case.benefit, ["default"], at.date())
    items[case.case_id] = OpenItem(case.case_id, due, code, at)
    changes.audit.append(
        AuditEntry(
            at,
            "eventfilter",
            "item_opened",
            wording.item_opened(due, code),
            case_id=case.case_id,
            item=items[case.case_id],
            decision_id=decision.decision_id,
        )
    )


def _plain(value: Value) -> Any:
    return value.isoformat() if isinstance(value, date) else value
