"""The caseworker's review queue: list, read, resolve.

A caseworker sees and acts only on cases of their municipalities; anything
else is refused and the attempt is recorded. Resolving is one transaction
that claims the item first, so of two caseworkers acting at once exactly
one wins and the other is told who did.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from eventfilter.application import App
from eventfilter.core.decision import LIFT, Decision
from eventfilter.core.vocabulary import ACTIONS, Action, ItemStatus
from eventfilter.errors import AccessDenied, Conflict, NotAllowed, NotFound, UsageError
from eventfilter.formats import typed_text
from eventfilter.ports import UnitOfWork
from eventfilter.records import (
    AuditEntry,
    AuditView,
    BatchChanges,
    CaseView,
    Caseworker,
    DecisionView,
    EventView,
    ItemView,
    OpenItem,
)
from eventfilter.service import wording
from eventfilter.service.corrections import Correction
from eventfilter.service.messages import hold_message
from eventfilter.service.redaction import Redactor
from eventfilter.service.redecide import redecide

MAX_ITEM_ID = 2**31 - 1  # review items are numbered from 1 in an integer column


@dataclass
class ItemPage:
    """Everything a caseworker needs to judge one review item."""

    item: ItemView
    case: CaseView
    decisions: list[DecisionView]
    events: dict[str, EventView]
    history: list[AuditView]
    reason_texts: dict[str, str]

    @property
    def actions(self) -> tuple[str, ...]:
        """What a caseworker may do with this item now (the CLI and the web offer
        exactly these; `resolve` refuses the rest)."""
        if self.item.status != ItemStatus.OPEN:
            return ()
        offered = [Action.RELEASE]
        if self.case.held:
            offered.append(Action.CONFIRM)
        last = self.decisions[-1] if self.decisions else None
        if last is not None and last.after is not None and "checks" in last.after:
            offered.append(Action.REDECIDE)
        return tuple(offered)

    @property
    def first_before(self) -> dict[str, Any] | None:
        return self.decisions[0].before if self.decisions else None

    @property
    def last_after(self) -> dict[str, Any] | None:
        return self.decisions[-1].after if self.decisions else None

    def to_dict(self, today: date) -> dict[str, Any]:
        return {
            "item": self.item.to_dict(today),
            "case": {
                "case_id": self.case.case_id,
                "benefit": self.case.benefit,
                "beneficiary_id": self.case.beneficiary_id,
                "municipality_code": self.case.municipality_code,
                "held": self.case.held,
                "held_since": self.case.held_since.isoformat() if self.case.held_since else None,
                "confirmed": self.case.confirmed,
                "in_active_set": self.case.in_active_set,
            },
            "events": [
                {
                    "event_id": e.event_id,
                    "type": e.type,
                    "person_id": e.person_id,
                    "effective_date": e.effective_date.isoformat(),
                }
                for e in self.events.values()
            ],
            "decisions": [d.to_dict() for d in self.decisions],
            "before": self.first_before,
            "after": self.last_after,
            "history": [
                {"at": h.at.isoformat(), "actor": h.actor, "action": h.action, "message": h.message}
                for h in self.history
            ],
        }


@dataclass
class Resolution:
    item_id: int
    action: str
    by: str
    decision: Decision | None = None
    new_item: OpenItem | None = None
    hold_lifted: bool = False
    corrected: list[str] = field(default_factory=list)
    also: list[Decision] = field(default_factory=list)  # other cases reading a corrected person


class ReviewService:
    def __init__(self, app: App) -> None:
        self.app = app
        self.review = app.review

    # -- who ---------------------------------------------------------------------------
    def caseworker(self, caseworker_id: str, *, doing: str) -> Caseworker:
        cw = self.review.caseworker(caseworker_id)
        if cw is None or not cw.active:
            why = "is not registered" if cw is None else "is no longer active"
            self._refused(caseworker_id, doing, f"caseworker {caseworker_id!r} {why}", None, None)
            raise AccessDenied(f"Caseworker {caseworker_id!r} {why}; ask an administrator to register them.")
        return cw

    def _refused(self, who: str, doing: str, why: str, case_id: str | None, item_id: int | None) -> None:
        at = self.app.clock()
        entry = AuditEntry(
            at,
            who,
            "access_refused",
            wording.access_refused(who, doing, why),
            case_id=case_id,
            item_id=item_id,
        )
        with self.app.store.unit_of_work() as uow:
            uow.write(BatchChanges(audit=[entry], at=at))

    def _may_see(self, cw: Caseworker | None, case: CaseView, doing: str, item_id: int | None) -> None:
        if cw is None or cw.may_see(case.municipality_code):
            return
        why = f"case {case.case_id} belongs to municipality {case.municipality_code}"
        self._refused(cw.caseworker_id, doing, why, case.case_id, item_id)
        raise AccessDenied(
            f"Caseworker {cw.caseworker_id} may not {doing}: case {case.case_id} belongs to municipality "
            f"{case.municipality_code}, outside {', '.join(cw.municipalities) or 'any municipality'}."
        )

    # -- reading -----------------------------------------------------------------------
    def queue(
        self,
        *,
        as_caseworker: str | None = None,
        municipalities: Sequence[str] = (),
        benefits: Sequence[str] = (),
        reasons: Sequence[str] = (),
        overdue: bool = False,
        search: str = "",
    ) -> list[ItemView]:
        self._known_filters(municipalities, benefits, reasons)
        allowed = list(municipalities)
        if as_caseworker is not None:
            cw = self.caseworker(as_caseworker, doing="list the review queue")
            mine = set(cw.municipalities)
            outside = sorted(set(allowed) - mine)
            if outside:
                raise UsageError(
                    f"Municipality {', '.join(outside)} is not one of {cw.caseworker_id}'s "
                    f"({', '.join(cw.municipalities) or 'none'})."
                )
            allowed = allowed or sorted(mine)
            if not allowed:
                return []
        items = self.review.items(
            ItemStatus.OPEN.value, municipalities=allowed or None, benefits=list(benefits) or None
        )
        today = self.app.clock().date()
        if reasons:
            wanted = set(reasons)
            items = [i for i in items if wanted & set(i.reasons)]
        if overdue:
            items = [i for i in items if i.overdue(today)]
        if search.strip():
            needle = search.strip().lower()
            items = [i for i in items if needle in i.case_id.lower() or needle == str(i.item_id)]
        return items

    def _known_filters(
        self, municipalities: Sequence[str], benefits: Sequence[str], reasons: Sequence[str]
    ) -> None:
        """A filter with a value that names nothing is a typo: say so, never answer "none"."""
        pack = self.app.pack
        for name in benefits:
            if name not in pack.benefits:
                raise UsageError(
                    f"There is no benefit {name!r}; the rule pack has {', '.join(pack.benefits)}."
                )
        for code in reasons:
            if code not in pack.reason_texts:
                raise UsageError(
                    f"There is no reason code {code!r}; see `eventfilter rules show` for the codes."
                )
        if municipalities:
            known = set(self.review.municipalities())
            unknown = sorted(set(municipalities) - known)
            if unknown:
                raise UsageError(f"No case belongs to municipality {', '.join(unknown)}.")

    def page(self, item_id: int, *, as_caseworker: str | None = None) -> ItemPage:
        cw = self.caseworker(as_caseworker, doing=f"read review item {item_id}") if as_caseworker else None
        item = self.review.item(item_id) if 0 < item_id <= MAX_ITEM_ID else None
        if item is None:
            raise NotFound(f"There is no review item {item_id}.")
        case = self.review.case(item.case_id)
        assert case is not None
        self._may_see(cw, case, f"read review item {item_id}", item_id)
        decisions = self.review.decisions(item_id=item_id)
        events = self.review.events([e for d in decisions for e in d.event_ids])
        history = [h for h in self.review.audit(case.case_id) if h.item_id in (None, item_id)]
        hide = Redactor.for_values(self.app.store, item, case, decisions, history)
        return ItemPage(
            hide.value(item),
            hide.value(case),
            hide.value(decisions),
            events,
            hide.value(history),
            self.app.pack.reason_texts,
        )

    def case_history(self, case_id: str, *, as_caseworker: str | None = None) -> tuple[CaseView, list[Any]]:
        """The case's decisions and audit entries, in time order."""
        cw = (
            self.caseworker(as_caseworker, doing=f"read the audit of case {case_id}")
            if as_caseworker
            else None
        )
        case = self.review.case(case_id)
        if case is None:
            raise NotFound(f"There is no case {case_id}.")
        self._may_see(cw, case, f"read the audit of case {case_id}", None)
        decisions = self.review.decisions(case_id=case_id)
        audit = self.review.audit(case_id)
        hide = Redactor.for_values(self.app.store, case, decisions, audit)
        return hide.value(case), in_order(hide.value(decisions), hide.value(audit))

    # -- acting ------------------------------------------------------------------------
    def resolve(
        self,
        item_id: int,
        action: str,
        by: str,
        note: str | None = None,
        corrections: Sequence[Correction] = (),
    ) -> Resolution:
        if action not in ACTIONS:
            raise UsageError(f"The action {action!r} does not exist; use release, confirm or redecide.")
        note = None if note is None else typed_text(note)  # kept, and shown on terminals and pages
        if corrections and action != Action.REDECIDE:
            raise UsageError("Facts can be corrected only with --action redecide.")
        cw = self.caseworker(by, doing=f"resolve review item {item_id}")
        item = self.review.item(item_id) if 0 < item_id <= MAX_ITEM_ID else None
        if item is None:
            raise NotFound(f"There is no review item {item_id}.")
        case = self.review.case(item.case_id)
        assert case is not None
        self._may_see(cw, case, f"resolve review item {item_id}", item_id)
        if item.status != ItemStatus.OPEN:
            raise NotAllowed(_already(item))
        if action == Action.CONFIRM and not case.held:
            raise NotAllowed(
                f"Review item {item_id} cannot be confirmed: the payment of case {case.case_id} is not held "
                "(use release to close the item, or redecide)."
            )
        at = self.app.clock()
        result = Resolution(item_id, action, cw.caseworker_id)
        changes = BatchChanges(at=at)
        store = self.app.store
        won = False
        with store.shared(f"resolve review item {item_id}"), store.unit_of_work() as uow:
            won = uow.claim(item_id, cw.caseworker_id, action, note, at)
            if won:
                self._carry_out(uow, case, item_id, action, cw, note, corrections, changes, result)
        if not won:
            winner = self.review.item(item_id)
            by = f" ({winner.action} by {winner.resolved_by})" if winner and winner.resolved_by else ""
            raise Conflict(
                f"Review item {item_id} was resolved by someone else a moment ago{by}; "
                "nothing you did was saved. Reload to see its state."
            )
        return result

    def _carry_out(
        self,
        uow: UnitOfWork,
        case: CaseView,
        item_id: int,
        action: str,
        cw: Caseworker,
        note: str | None,
        corrections: Sequence[Correction],
        changes: BatchChanges,
        result: Resolution,
    ) -> None:
        """The effects of a claimed resolution, in the claiming unit of work."""
        assert changes.at is not None
        at = changes.at
        tag = f"item-{item_id}"
        if action == Action.RELEASE and case.held:
            uow.lift_hold(case.case_id, at, cw.caseworker_id, note or "released by a caseworker")
            result.hold_lifted = True
            message = f"Hold lifted by {cw.caseworker_id}: payment resumes."
            changes.audit.append(self._entry(at, cw, "hold_lifted", case, item_id, message))
            changes.outbox.append(
                hold_message(
                    "lifted", case.case_id, case.benefit, None, at, [], f"{tag}:release", cw.caseworker_id
                )
            )
        elif action == Action.CONFIRM:
            uow.confirm_hold(case.case_id, at, cw.caseworker_id)
            message = "The stop stands; the case leaves the active set."
            changes.audit.append(self._entry(at, cw, "case_left_active_set", case, item_id, message))
            changes.outbox.append(
                hold_message(
                    "confirmed", case.case_id, case.benefit, None, at, [], f"{tag}:confirm", cw.caseworker_id
                )
            )
        elif action == Action.REDECIDE:
            last = self.review.decisions(item_id=item_id)[-1]
            done = redecide(
                uow, self.app.pack, self.app.settings, case, item_id, last, cw, corrections, changes
            )
            result.decision, result.also, result.new_item = done.decision, done.also, done.new_item
            result.corrected = done.corrected
            result.hold_lifted = done.decision.hold == LIFT
            changes = BatchChanges(at=at)  # the decisions are written; the resolution follows
        said = wording.item_resolved(action, cw.caseworker_id, note, result.hold_lifted)
        changes.audit.append(self._entry(at, cw, "item_resolved", case, item_id, said))
        uow.write(changes)

    @staticmethod
    def _entry(
        at: datetime,
        cw: Caseworker,
        action: str,
        case: CaseView,
        item_id: int,
        message: str,
        details: dict[str, Any] | None = None,
        decision_id: str | None = None,
    ) -> AuditEntry:
        return AuditEntry(
            at,
            cw.caseworker_id,
            action,
            message,
            case_id=case.case_id,
            item_id=item_id,
            decision_id=decision_id,
            details=details,
        )


def in_order(decisions: Sequence[DecisionView], audit: Sequence[AuditView]) -> list[DecisionView | AuditView]:
    """Decisions in the order they were made, each followed by what it caused
    (a hold, a review item); corrected facts come before the decision they led
    to, and a caseworker's other actions fall in by time."""
    position = {d.decision_id: n for n, d in enumerate(decisions)}
    keyed: list[tuple[tuple[Any, ...], DecisionView | AuditView]] = []
    for n, d in enumerate(decisions):
        keyed.append(((d.decided_at, n, 1, 0), d))
    for a in audit:
        if a.decision_id in position:
            key = (a.at, position[a.decision_id], 2, a.seq)
        elif a.action == "fact_corrected":
            key = (a.at, -1, 0, a.seq)
        else:
            key = (a.at, len(decisions), 3, a.seq)
        keyed.append((key, a))
    keyed.sort(key=lambda pair: pair[0])
    return [entry for _, entry in keyed]


def _already(item: ItemView) -> str:
    when = item.resolved_at.date().isoformat() if item.resolved_at else "earlier"
    return (
        f"Review item {item.item_id} is already resolved ({item.action} by {item.resolved_by} on {when}); "
        "nothing was changed."
    )
