"""The filter: events in, decisions out, in memory and without I/O.

For each event it works out the writes, routes the change to the cases it
touches, and gathers the events of a case that share an effective date in
one *window*: the window keeps the evaluation from before its first event and
is decided on the facts after its last. A case has at most one open window;
an event for the case with another effective date closes the open one first,
so every decision compares one clean before with one clean after. Replay
closes the remaining windows at the end of input; the stream closes each
`settle_seconds` after it opened.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from eventfilter.core import routing
from eventfilter.core.cases import CaseBook
from eventfilter.core.decide import PASS, Trigger, decide
from eventfilter.core.decision import Decision, decision_id
from eventfilter.core.evaluation import Evaluation, redacted
from eventfilter.core.events import CORRECTION, STATE_TYPES, CorrectionData, Event
from eventfilter.core.facts import Case, Effect
from eventfilter.core.pack import BenefitSpec, RulePack
from eventfilter.core.reasons import (
    NO_ACTIVE_CASE,
    REDACTED,
    HideAddress,
    Reason,
    hider,
    parameters_not_in_force,
    unknown_correction,
)
from eventfilter.core.rules import MODELS
from eventfilter.core.state import RegisterState
from eventfilter.core.ticks import ONE_DAY, TICK, Crossing, aged_category, crossing_reason, crossings, tick_id
from eventfilter.core.timing import changes_with_time
from eventfilter.core.window import Window
from eventfilter.errors import WindowNotLoaded


class Engine:
    """The filter over one register state and one case book: `process` each event,
    then close the windows (`close_all`, `close_due`); `tick` decides what time alone changes."""

    def __init__(
        self,
        pack: RulePack,
        state: RegisterState,
        book: CaseBook,
        windows: Iterable[Window] = (),
    ) -> None:
        self.pack = pack
        self.state = state
        self.book = book
        self.windows: dict[str, Window] = {w.case_id: w for w in windows}
        # Cases whose open window is kept in the store only (a national replay
        # holds one open window per case): the caller loads them before a
        # batch touches them.
        self.spilled: set[str] = set()
        # Effects of events a correction may name: this batch's, plus those the
        # caller loads from the store before the batch. Drained by the caller.
        self.effects: dict[str, Effect] = {}
        self.new_effects: list[Effect] = []
        self.changed_windows: set[str] = set()
        self._known_types = pack.not_read_types | STATE_TYPES
        # Date-triggered decisions (`ticks`): every case is ticked through this date
        # (the last `eventfilter tick`, or the day before the pack is in force); an
        # event dated later first decides what time alone changed in between, in its
        # place in time. None: no ticks (a caseworker's redecide).
        self.tick_origin: date | None = None

    # -- events ------------------------------------------------------------
    def process(self, event: Event, now: float = 0.0) -> list[Decision]:
        """Apply one valid, new event; return the decisions it closed."""
        writes = self.state.plan(event, self.effects)
        # the event's person, then whoever else its writes change (most change only
        # the event's own person: no dict made for them)
        others = [w.person_id for w in writes if w.person_id != event.person_id]
        affected = dict.fromkeys([event.person_id, *others]) if others else (event.person_id,)
        touched = routing.touched(self.book, self.state, affected, writes)

        closed: list[Decision] = []
        windows: list[Window] = []
        for case_id in sorted(touched):
            window = self.windows.get(case_id)
            if window is None and case_id in self.spilled:
                raise WindowNotLoaded(
                    f"The open window of case {case_id} was not loaded before event {event.event_id}."
                )
            reuse: tuple[date, Evaluation] | None = None
            if window is not None and window.effective_date != event.effective_date:
                decision, after = self._decide(window)
                closed.append(decision)
                reuse = (window.effective_date, after)
                window = None
            if window is None:
                if self.tick_origin is not None:
                    closed.extend(self.tick(case_id, event.effective_date, remember=True))
                window = self._open(touched[case_id], event, now, reuse)
            windows.append(window)

        effect = self.state.apply(event, writes)
        self.effects[event.event_id] = effect  # seen, even when it changed nothing
        if writes:
            self.new_effects.append(effect)

        withdrawn = self._withdrawn(event)
        for window in windows:
            window.after = None  # it grew: made again when its batch ends
            window.event_ids.append(event.event_id)
            if event.type not in window.types:
                window.types.append(event.type)
            if withdrawn is not None:
                (window.corrections if withdrawn[1] else window.unknown_corrections).append(withdrawn[0])
            self.changed_windows.add(window.case_id)
        if not touched:
            closed.append(self._no_case(event, withdrawn))
        return closed

    def _withdrawn(self, event: Event) -> tuple[str, bool] | None:
        """For a correction: the event it withdraws, and whether the filter knew it."""
        if event.type != CORRECTION:
            return None
        assert isinstance(event.data, CorrectionData)
        target = event.data.corrects_event_id
        return target, target in self.effects

    def _open(
        self, case: Case, event: Event, now: float, reuse: tuple[date, Evaluation] | None = None
    ) -> Window:
        """A new window for the case. Its `before` is the facts now, evaluated on the
        event's date: when the case's previous window closed just now, on the same
        facts, its `after` is that evaluation, unless something the rules read
        changes with time alone between the two dates (then it is made again)."""
        spec = self.pack.benefits[case.benefit]
        day = event.effective_date
        if reuse is not None and not changes_with_time(case, spec, self.state, reuse[0], day):
            before = reuse[1]
        else:
            before = self.evaluate(case, spec, day)
        window = Window(
            case_id=case.case_id,
            effective_date=event.effective_date,
            person_id=event.person_id,
            before=before,
            opened_at=now,
            protected=self.state.is_protected(case.beneficiary_id),
        )
        self.windows[case.case_id] = window
        return window

    def _no_case(self, event: Event, withdrawn: tuple[str, bool] | None) -> Decision:
        reasons: tuple[Reason, ...] = (NO_ACTIVE_CASE,)
        if withdrawn is not None and not withdrawn[1]:
            reasons = (NO_ACTIVE_CASE, unknown_correction(None, (withdrawn[0],)))
        return Decision(
            decision_id=decision_id(None, (event.event_id,)),
            event_ids=(event.event_id,),
            person_id=event.person_id,
            case_id=None,
            benefit=None,
            outcome=PASS,
            reasons=reasons,
            before=None,
            after=None,
            rule_pack=self.pack.label,
            effective_date=event.effective_date,
        )

    # -- deciding ----------------------------------------------------------
    def evaluate(self, case: Case, spec: BenefitSpec, on: date) -> Evaluation:
        return MODELS[spec.model].evaluate(case, self.state, on, spec)

    def redecide(self, case_id: str, before: Evaluation, on: date, tag: str) -> Decision:
        """Decide a case again, on the facts as they are now (after a caseworker
        corrected them), against its last decision's `after`.

        The hold is placed on a suspend, and lifted when the facts now show the
        case eligible: the caseworker's corrected facts decide.
        """
        case = self.book.cases[case_id]
        spec = self.pack.benefits[case.benefit]
        after = self.evaluate(case, spec, on)
        trigger = Trigger(types=("redecide",))
        hide = hider(self.state.is_protected_address, self.state.is_protected(case.beneficiary_id))
        outcome, reasons = decide(spec, before, after, trigger, hide)
        hold = self.book.settle_hold(case, outcome, (), lift=after.eligible is True)
        return self._on_case(
            case,
            spec,
            on,
            named_by=(tag,),
            event_ids=(),
            person_id=case.beneficiary_id,
            outcome=outcome,
            reasons=reasons,
            before=before,
            after=after,
            hide=hide,
            hold=hold,
        )

    def spill(self) -> None:
        """Forget the open windows (all of them kept in the store): they are
        loaded again when an event touches their case."""
        self.mark_spilled(self.windows)
        self.windows.clear()

    def forget_loaded(self) -> None:
        """Hold no persons, cases or windows any more (all of them kept in the
        store): the caller loads again what later events read. The tick origin stays."""
        self.state = RegisterState()
        self.book = CaseBook()
        self.windows = {}
        self.spilled = set()

    def mark_spilled(self, case_ids: Iterable[str]) -> None:
        cases = self.book.cases
        self.spilled.update(cases[c].case_id if c in cases else c for c in case_ids)  # one string per id

    def unspill(self, windows: Iterable[Window]) -> None:
        """Windows loaded from the store."""
        for w in windows:
            self.windows[w.case_id] = w
            self.spilled.discard(w.case_id)

    def settle_open(self) -> None:
        """Evaluate now the facts after each open window changed since the last call
        (replay, as a batch ends): the window is decided on them later, without its
        household in memory. They are the facts it would be decided on then: what
        changes a fact a case's rules read touches the case (routing), and an event
        that touches it grows its window (evaluated again) or closes it."""
        windows, cases, benefits = self.windows, self.book.cases, self.pack.benefits
        for case_id in self.changed_windows:
            window = windows.get(case_id)
            if window is not None and window.after is None:
                case = cases[case_id]
                window.after = self.evaluate(case, benefits[case.benefit], window.effective_date)
                window.after_protected = self.state.is_protected(case.beneficiary_id)

    def close_all(self) -> list[Decision]:
        """End of input: decide every open window (in memory)."""
        return self.close(list(self.windows))

    def close(self, case_ids: Iterable[str]) -> list[Decision]:
        """Decide the open windows of these cases (those in memory), in order of date and case."""
        windows = self.windows
        order = sorted(
            (windows[c] for c in case_ids if c in windows), key=lambda w: (w.effective_date, w.case_id)
        )
        return [self._close(w) for w in order]

    def close_due(self, now: float, settle_seconds: float) -> list[Decision]:
        """Stream: decide the windows opened `settle_seconds` ago or earlier."""
        due = [w for w in self.windows.values() if w.opened_at + settle_seconds <= now]
        due.sort(key=lambda w: (w.opened_at, w.case_id))
        return [self._close(w) for w in due]

    def _close(self, window: Window) -> Decision:
        return self._decide(window)[0]

    def _decide(self, window: Window) -> tuple[Decision, Evaluation]:
        """Close the window: its decision, and the evaluation after it."""
        del self.windows[window.case_id]
        self.changed_windows.add(window.case_id)
        case = self.book.cases[window.case_id]
        spec = self.pack.benefits[case.benefit]
        after = window.after
        if after is None:
            after = self.evaluate(case, spec, window.effective_date)
            protected = window.protected or self.state.is_protected(case.beneficiary_id)
        else:  # made when its last event's batch ended: the facts it read are those still
            protected = window.protected or window.after_protected
        types = tuple(window.types)
        trigger = Trigger.of(types, self._known_types, self.pack.not_read_types, window.unknown_corrections)
        hide = hider(self.state.is_protected_address, protected)
        outcome, reasons = decide(spec, window.before, after, trigger, hide)
        early = parameters_not_in_force(spec, window.effective_date)
        if early is not None:
            reasons.append(early)
        ids = tuple(window.event_ids)
        # a correction withdrew an event that placed the hold, and the payment is restored
        lifts = after.eligible is True and not set(window.corrections).isdisjoint(case.hold_event_ids or ())
        hold = self.book.settle_hold(case, outcome, ids, lift=lifts)
        decision = self._on_case(
            case,
            spec,
            window.effective_date,
            named_by=ids,
            event_ids=ids,
            person_id=window.person_id,
            outcome=outcome,
            reasons=reasons,
            before=window.before,
            after=after,
            hide=hide,
            hold=hold,
            event_types=types,
        )
        return decision, after

    # -- time alone --------------------------------------------------------------
    def tick(self, case_id: str, through: date, remember: bool = False) -> list[Decision]:
        """Decide each date after the case's last tick, up to `through`, on which a
        fact its rules read changes with time alone. `remember`: keep the case's own
        tick date (it runs ahead of everyone's: an event moved it on)."""
        origin = self.tick_origin
        assert origin is not None, "set tick_origin first"
        case = self.book.cases[case_id]
        start = max(case.ticked_through or origin, origin)
        if through <= start:
            return []
        spec = self.pack.benefits[case.benefit]
        found = crossings(case, spec, self.state, start, through)
        out = []
        i = 0
        while i < len(found):
            day = found[i].day
            group = [c for c in found[i:] if c.day == day]
            i += len(group)
            out.append(self._tick_decision(case, spec, day, group))
        if remember:
            case.ticked_through = through
            self.book.dirty.add(case_id)
        return out

    def _tick_decision(self, case: Case, spec: BenefitSpec, day: date, found: list[Crossing]) -> Decision:
        before = self.evaluate(case, spec, day - ONE_DAY)
        after = self.evaluate(case, spec, day)
        hide = hider(self.state.is_protected_address, self.state.is_protected(case.beneficiary_id))
        outcome, reasons = decide(spec, before, after, Trigger(types=(TICK,)), hide)
        # nobody joined or left: who counts changed with age alone, and so did the rate category
        reasons = [
            aged_category(spec, before, after) if x.code == "household_changed" else x for x in reasons
        ]
        reasons += [crossing_reason(spec, c, c.subject) for c in found]
        ids = tuple(tick_id(case.case_id, day, kind) for kind in sorted({c.kind for c in found}))
        hold = self.book.settle_hold(case, outcome, ids, lift=False)
        return self._on_case(
            case,
            spec,
            day,
            named_by=ids,
            event_ids=ids,
            person_id=case.beneficiary_id,
            outcome=outcome,
            reasons=reasons,
            before=before,
            after=after,
            hide=hide,
            hold=hold,
            event_types=(TICK,),
        )

    def _on_case(
        self,
        case: Case,
        spec: BenefitSpec,
        on: date,
        *,
        named_by: Iterable[str],
        event_ids: tuple[str, ...],
        person_id: str,
        outcome: str,
        reasons: Iterable[Reason],
        before: Evaluation,
        after: Evaluation,
        hide: HideAddress,
        hold: str | None,
        event_types: tuple[str, ...] = (),
    ) -> Decision:
        """A decision on a case, however it came about (a window, a tick, a redecide):
        its id from the case and `named_by`, the pack and the parameters in force on
        `on` recorded with it, every address that must stay hidden masked."""
        params = spec.params_on(on)
        return Decision(
            decision_id=decision_id(case.case_id, named_by),
            event_ids=event_ids,
            person_id=person_id,
            case_id=case.case_id,
            benefit=case.benefit,
            outcome=outcome,
            reasons=tuple(reasons),
            before=redacted(before, hide, REDACTED),
            after=redacted(after, hide, REDACTED),
            rule_pack=self.pack.label,
            effective_date=on,
            parameters=params.as_record(),
            parameter_set=params.key,
            hold=hold,
            event_types=event_types,
        )
