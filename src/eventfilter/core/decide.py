"""The decision table: from the evaluations before and after a change to an
outcome with reasons (rules.md, "The principle").

The first row that applies decides the outcome; the reasons of later rows
that also apply are added after it, except "nothing changed", which only
stands alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from eventfilter.core import reasons as r
from eventfilter.core.evaluation import Evaluation, Missing, Status
from eventfilter.core.pack import BenefitSpec
from eventfilter.core.vocabulary import Outcome

SUSPEND, REVIEW, PASS = Outcome.SUSPEND, Outcome.REVIEW, Outcome.PASS


@dataclass(frozen=True, slots=True)
class Trigger:
    """What the events decided together were, as far as the table cares."""

    types: tuple[str, ...]  # distinct event types, in arrival order
    unknown_types: tuple[str, ...] = ()
    only_not_read: bool = False  # every event is of a type the pack never reads
    unknown_corrections: tuple[str, ...] = ()  # withdrawn event ids never seen


def decide(
    spec: BenefitSpec,
    before: Evaluation,
    after: Evaluation,
    trigger: Trigger,
    hide: r.HideAddress,
) -> tuple[str, list[r.Reason]]:
    rows: list[tuple[str, list[r.Reason]]] = []

    suspend_fired: list[r.Reason] = []
    review_fired: list[r.Reason] = []
    for check in after.checks:
        if check.status is not Status.FAILS:
            continue
        old = before.check(check.criterion)
        if old is not None and old.status is Status.FAILS:
            continue  # failed already: nothing new
        reason = r.criterion_reason(spec, old, check, hide, after)
        (suspend_fired if spec.consequence(check.criterion) == SUSPEND else review_fired).append(reason)
    if suspend_fired:
        rows.append((SUSPEND, suspend_fired))
    if review_fired:
        rows.append((REVIEW, review_fired))

    if before.eligible is True and after.eligible is None:
        rows.append((REVIEW, [r.missing_reason(spec, m) for m in _distinct(after)]))
    if before.eligible is False and after.eligible is not False:
        rows.append((REVIEW, [r.eligibility_changed(spec, before, after)]))
    if before.category != after.category:
        rows.append((REVIEW, [r.category_reason(spec, before, after)]))
    if trigger.unknown_types:
        rows.append((REVIEW, [r.unknown_type_reason(spec, trigger.unknown_types)]))
    if before.amount != after.amount:
        rows.append((PASS, [r.income_adjustment(spec, before, after)]))
    if trigger.unknown_corrections:
        rows.append((PASS, [r.unknown_correction(spec.name, trigger.unknown_corrections)]))
    if not rows:
        rows.append((PASS, [r.nothing_changed(spec, trigger.only_not_read, trigger.types)]))

    outcome = rows[0][0]
    seen: set[str] = set()
    out: list[r.Reason] = []
    for row_outcome, row_reasons in rows:
        for reason in row_reasons:
            if row_outcome == PASS and outcome != PASS and reason.code == "income_adjustment":
                continue  # "no caseworker needed" would contradict the outcome
            if reason.code not in seen:
                seen.add(reason.code)
                out.append(reason)
    return outcome, out


def _distinct(after: Evaluation) -> list[Missing]:
    seen: set[str] = set()
    out = []
    for m in after.missing:
        if m.code not in seen:
            seen.add(m.code)
            out.append(m)
    return out
