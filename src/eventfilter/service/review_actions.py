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

from eventfilter.adapters.sql import stream as q
from eventfilter.adapters.sql.review import SqlReview
from eventfilter.bootstrap import App
from eventfilter.core import routing
from eventfilter.core.cases import CaseBook
from eventfilter.core.engine import LIFT, Decision, Engine
from eventfilter.core.evaluation import Evaluation
from eventfilter.core.facts import FIELD_GROUP, Value
from eventfilter.core.state import RegisterState
from eventfilter.core.vocabulary import ACTIONS, Action
from eventfilter.errors import AccessDenied, Conflict, NotAllowed, NotFound, UsageError
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
from eventfilter.service.messages import hold_message
from eventfilter.service.recording import Recording, record
from eventfilter.service.redaction import Redactor

MAX_ITEM_ID = 2**31 - 1  # review items are numbered from 1 in an integer column
CORRECTABLE = (
    "monthly_income",
    "income_period",
    "address_id",
    "municipality_code",
    "country",
    "marital_status",
    "partner_id",
    "birth_date",
    "alive",
)


@dataclass(frozen=True)
class Correction:
    """A caseworker's corrected fact: PERSON.FIELD=VALUE."""

    person_id: str
    field: str
    value: Value

    @staticmethod
    def parse(text: str) -> Correction:
        if "=" not in text or "." not in text.split("=", 1)[0]:
            raise UsageError(f"The correction {text!r} is not of the form PERSON.FIELD=VALUE.")
        target, raw = text.split("=", 1)
        person_id, name = target.rsplit(".", 1)
        if name not in CORRECTABLE:
            raise UsageError(
                f"The field {name!r} cannot be corrected; correctable: {', '.join(CORRECTABLE)}."
            )
        return Correction(person_id, name, _value(name, raw.strip()))


def _value(name: str, raw: str) -> Value:
    if raw.lower() in ("", "null", "none", "unknown"):
        if name in ("country", "marital_status", "alive"):
            raise UsageError(f"The field {name!r} cannot be set to unknown.")
        return None
    try:
        if name == "monthly_income":
            amount = float(raw)
            if amount < 0:
                raise UsageError(f"The field 'monthly_income' must not be negative ({raw}).")
            return amount
        if name == "birth_date":
            return date.fromisoformat(raw)
        if name == "income_period":
            date.fromisoformat(raw + "-01")
            return raw
    except ValueError:
        raise UsageError(f"The field {name!r} has a value that does not exist ({raw!r}).") from None
    if name == "alive":
        if raw.lower() not in ("true", "false"):
            raise UsageError(f"The field 'alive' must be true or false, not {raw!r}.")
        return raw.lower() == "true"
    if name == "marital_status" and raw not in (
        "unmarried",
        "married",
        "registered_partnership",
        "separated",
        "divorced",
        "widowed",
    ):
        raise UsageError(f"The field 'marital_status' cannot be {raw!r}.")
    return raw


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
        if self.item.status != "open":
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
        self.review = SqlReview(app.store)

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
        with self.app.store.write_transaction() as conn:
            self.app.store.write_changes(conn, BatchChanges(audit=[entry], at=at))

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
        items = self.review.items("open", municipalities=allowed or None, benefits=list(benefits) or None)
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
        if corrections and action != Action.REDECIDE:
            raise UsageError("Facts can be corrected only with --action redecide.")
        cw = self.caseworker(by, doing=f"resolve review item {item_id}")
        item = self.review.item(item_id) if 0 < item_id <= MAX_ITEM_ID else None
        if item is None:
            raise NotFound(f"There is no review item {item_id}.")
        case = self.review.case(item.case_id)
        assert case is not None
        self._may_see(cw, case, f"resolve review item {item_id}", item_id)
        if item.status != "open":
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
        with store.shared(f"resolve review item {item_id}"), store.write_transaction() as conn:
            won = SqlReview.claim(conn, item_id, cw.caseworker_id, action, note, at)
            if won:
                self._carry_out(conn, case, item_id, action, cw, note, corrections, changes, result)
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
        conn: Any,
        case: CaseView,
        item_id: int,
        action: str,
        cw: Caseworker,
        note: str | None,
        corrections: Sequence[Correction],
        changes: BatchChanges,
        result: Resolution,
    ) -> None:
        """The effects of a claimed resolution, on the claiming transaction."""
        assert changes.at is not None
        at = changes.at
        store = self.app.store
        tag = f"item-{item_id}"
        if action == Action.RELEASE and case.held:
            SqlReview.lift_hold(conn, case.case_id, at, cw.caseworker_id, note or "released by a caseworker")
            result.hold_lifted = True
            message = f"Hold lifted by {cw.caseworker_id}: payment resumes."
            changes.audit.append(self._entry(at, cw, "hold_lifted", case, item_id, message))
            changes.outbox.append(
                hold_message(
                    "lifted", case.case_id, case.benefit, None, at, [], f"{tag}:release", cw.caseworker_id
                )
            )
        elif action == Action.CONFIRM:
            SqlReview.confirm_hold(conn, case.case_id, at, cw.caseworker_id)
            message = "The stop stands; the case leaves the active set."
            changes.audit.append(self._entry(at, cw, "case_left_active_set", case, item_id, message))
            changes.outbox.append(
                hold_message(
                    "confirmed", case.case_id, case.benefit, None, at, [], f"{tag}:confirm", cw.caseworker_id
                )
            )
        elif action == Action.REDECIDE:
            self._redecide(conn, case, item_id, cw, corrections, changes, result)
        changes.audit.append(
            self._entry(
                at,
                cw,
                "item_resolved",
                case,
                item_id,
                wording.item_resolved(action, cw.caseworker_id, note, result.hold_lifted),
            )
        )
        store.write_changes(conn, changes)

    def _redecide(
        self,
        conn: Any,
        case: CaseView,
        item_id: int,
        cw: Caseworker,
        corrections: Sequence[Correction],
        changes: BatchChanges,
        result: Resolution,
    ) -> None:
        """Correct the facts, then decide again: the item's case against its
        last decision, and every other active case that reads a corrected
        person against how it stood just before (the correction is a change
        for them too, and is written to their audit)."""
        assert changes.at is not None
        at = changes.at
        decisions = self.review.decisions(item_id=item_id)
        last = decisions[-1]
        if last.after is None or "checks" not in last.after:
            raise NotAllowed(f"Review item {item_id} has no full evaluation to decide against.")
        store, pack = self.app.store, self.app.pack
        book = store.load_cases([case.case_id])
        state = RegisterState(store.load_case_persons(book.cases[case.case_id]))
        reads = set(state.persons)
        for c in corrections:
            if c.person_id not in reads:
                raise UsageError(
                    f"Person {c.person_id} is not one case {case.case_id} reads (its beneficiary, their "
                    "partner and household); only their facts can be corrected from this item."
                )
        corrected = sorted({c.person_id for c in corrections})
        named = [str(c.value) for c in corrections if c.field == "partner_id" and c.value]
        moved_to = [str(c.value) for c in corrections if c.field == "address_id" and c.value]
        for p in store.load_persons([n for n in named if n not in state.persons]):
            state.add(p)
        others = _cases_reading(conn, book, state, corrected, named, moved_to, case.case_id)
        engine = Engine(pack, state, book)
        today = at.date()
        before = {
            cid: engine.evaluate(book.cases[cid], pack.benefits[book.cases[cid].benefit], today)
            for cid in others
        }
        readers = self._correct(book, state, case, item_id, cw, corrections, changes, result)
        tag = f"redecide:{item_id}:{at.isoformat()}"
        decision = engine.redecide(case.case_id, Evaluation.from_dict(last.after), last.effective_date, tag)
        if decision.after is not None and decision.after.eligible is None:
            raise NotAllowed(
                f"Review item {item_id} stays open: on the facts as they are now, eligibility is still "
                f"unknown ({', '.join(_missing(decision.after)) or 'a fact is missing'}); correct it "
                "with --set PERSON.FIELD=VALUE, or release the item if the payment may go on."
            )
        touched_others = sorted(set().union(*readers.values())) if readers else []
        also = [engine.redecide(cid, before[cid], today, tag) for cid in touched_others if cid in before]
        items = q.open_items(conn, [d.case_id for d in also if d.case_id])
        how = Recording(
            self.app.settings.deadlines,
            outbox=True,
            actor=cw.caseworker_id,
            why=f"decided again by {cw.caseworker_id} on corrected facts",
        )
        record([decision, *also], items, at, how, changes)
        if items.get(case.case_id) is None and book.cases[case.case_id].hold_event_ids is not None:
            self._keep_open(case, decision, items, changes)  # the payment is still held
        result.decision = decision
        result.also = also
        result.new_item = items.get(case.case_id)
        result.hold_lifted = decision.hold == LIFT
        changes.persons = [state.persons[p] for p in state.dirty]
        changes.protected_addresses = set(state.protected_addresses)
        changes.cases = [book.cases[c] for c in book.dirty]

    def _correct(
        self,
        book: CaseBook,
        state: RegisterState,
        case: CaseView,
        item_id: int,
        cw: Caseworker,
        corrections: Sequence[Correction],
        changes: BatchChanges,
        result: Resolution,
    ) -> dict[str, set[str]]:
        """Make the corrections, each in the audit of the item's case and of
        every other case reading that person; returns those other cases."""
        assert changes.at is not None
        at = changes.at
        readers = {c.person_id: set(routing.touched(book, state, [c.person_id], [])) for c in corrections}
        stamp = (at.date().isoformat(), at.isoformat(), f"caseworker:{cw.caseworker_id}:{item_id}")
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
            changes.audit.append(self._entry(at, cw, "fact_corrected", case, item_id, message, details))
            for other in sorted(readers[c.person_id]):
                changes.audit.append(
                    AuditEntry(
                        at,
                        cw.caseworker_id,
                        "fact_corrected",
                        f"{message} (while resolving review item {item_id} of case {case.case_id})",
                        case_id=other,
                        details=details,
                    )
                )
            result.corrected.append(f"{c.person_id}.{c.field}")
        return readers

    def _keep_open(
        self, case: CaseView, decision: Decision, items: dict[str, OpenItem], changes: BatchChanges
    ) -> None:
        """Nothing left to look at, yet the payment is still held: a new item keeps it in the queue."""
        assert changes.at is not None
        at = changes.at
        due, code = self.app.settings.deadlines.due(case.benefit, ["default"], at.date())
        items[case.case_id] = OpenItem(case.case_id, due, code, at)
        changes.items.append(items[case.case_id])
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


def _cases_reading(
    conn: Any,
    book: CaseBook,
    state: RegisterState,
    persons: Sequence[str],
    named: Sequence[str],
    moved_to: Sequence[str],
    besides: str,
) -> list[str]:
    """The other active cases that read these persons (or the partner or
    dwelling a correction names), loaded into `book`, with what their rules
    read loaded into `state`."""
    if not persons:
        return []
    beneficiaries = set(persons) | set(named)
    addresses = set(moved_to)
    for pid in persons:
        p = state.persons[pid]
        beneficiaries.update(x for x in (p.partner_id, *p.parent_ids) if x)
        beneficiaries.update(state.claimants(pid))
        if p.address_id:
            addresses.add(p.address_id)
    ids = [c for c in q.candidate_cases(conn, beneficiaries, addresses, persons) if c != besides]
    cases = q.lock_cases(conn, ids)
    for c in cases:
        book.add(c)
    for p in q.case_persons(conn, cases, state.persons, moved_to):
        state.add(p)
    return [c.case_id for c in cases]


def _missing(after: Evaluation) -> list[str]:
    return sorted({m.code for m in after.missing})


def _plain(value: Value) -> Any:
    return value.isoformat() if isinstance(value, date) else value
