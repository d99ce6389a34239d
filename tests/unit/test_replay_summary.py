"""What a replay's summary counts from the decisions of its batches."""

from __future__ import annotations

from eventfilter.core.decision import LIFT, PLACE, Decision
from eventfilter.core.reasons import Reason
from eventfilter.core.vocabulary import Outcome
from eventfilter.service.replay import Summary
from tests.helpers import bare_decision

EARLY = Reason("parameters_not_in_force", "dated before the parameters", "kontanthjaelp.parameters", None)
OTHER = Reason("income_changed", "the income changed", "kontanthjaelp.income", None)


def decision(
    outcome: Outcome,
    case_id: str | None = "C1",
    hold: str | None = None,
    reasons: tuple[Reason, ...] = (OTHER,),
) -> Decision:
    return bare_decision(case_id, outcome, reasons, benefit="kontanthjaelp" if case_id else None, hold=hold)


def test_a_summary_counts_outcomes_holds_untouched_events_and_early_decisions_over_batches() -> None:
    summary = Summary("events.jsonl")
    summary.count(
        [
            decision(Outcome.SUSPEND, hold=PLACE),
            decision(Outcome.PASS, case_id=None),
            decision(Outcome.PASS, reasons=(OTHER, EARLY)),
        ]
    )
    summary.count(
        iter(
            [
                decision(Outcome.PASS, hold=LIFT),
                decision(Outcome.REVIEW, reasons=(EARLY,)),
                decision(Outcome.PASS, case_id=None, reasons=(EARLY,)),  # no case: not counted as early
            ]
        )
    )
    assert summary.outcomes == {Outcome.SUSPEND: 1, Outcome.PASS: 4, Outcome.REVIEW: 1}
    assert (summary.holds_placed, summary.holds_lifted) == (1, 1)
    assert summary.untouched == 2
    assert summary.not_in_force == 2


def test_a_summary_of_no_decisions_counts_nothing() -> None:
    summary = Summary("events.jsonl")
    summary.count([])
    assert not summary.outcomes
    counts = (summary.holds_placed, summary.holds_lifted, summary.untouched, summary.not_in_force)
    assert counts == (0, 0, 0, 0)
