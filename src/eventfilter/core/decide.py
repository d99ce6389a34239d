"""The decision table: from the evaluations before and after a change to an
outcome with reasons (rules.md, "The principle").

The first row that applies decides the outcome; the reasons of later rows
that also apply are added after it, except "nothing changed", which only
stands alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from eventfilter.core import reasons as r
from eventfilter.core.evaluation import Evaluation, Missing, Status
from eventfilter.core.pack import BenefitSpec
from eventfilter.core.vocabulary import Outcome

SUSPEND, REVIEW, PASS = Outcome.SUSPEND, Outcome.REVIEW, Outcome.PASS
FAILS = Status.FAILS


@dataclass(slots=True, init=False)
class Trigger:
    """What the events decided together were, as far as the table cares (a value,
    never changed once made; plain, not frozen: one is made for every decision,
    and a frozen dataclass takes several times as long to build; its own
    `__init__`, as core/evaluation.py says why)."""

    types: tuple[str, ...]  # distinct event types, in arrival order
    unknown_types: tuple[str, ...]
    only_not_read: bool  # every event is of a type the pack never reads
    unknown_corrections: tuple[str, ...]  # withdrawn event ids never seen

    def __init__(
        self,
        types: tuple[str, ...],
        unknown_types: tuple[str, ...] = (),
        only_not_read: bool = False,
        unknown_corrections: tuple[str, ...] = (),
    ) -> None:
        self.types = types
        self.unknown_types = unknown_types
        self.only_not_read = only_not_read
        self.unknown_corrections = unknown_corrections

    @staticmethod
    def of(
        types: tuple[str, ...], known: AbstractSet[str], not_read: AbstractSet[str], unknown: Iterable[str]
    ) -> Trigger:
        """A window's trigger: its event types, which of them the pack does not know,
        whether the pack reads none of them, the unknown events it withdraws."""
        unknown_types: tuple[str, ...]
        if len(types) == 1:  # most windows: one event, or events of one type
            unknown_types = () if types[0] in known else types
            only_not_read = types[0] in not_read
        else:
            unknown_types = tuple(t for t in types if t not in known)
            only_not_read = all(t in not_read for t in types)
        return Trigger(types, unknown_types, only_not_read, tuple(unknown))


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
        if check.status is not FAILS:
            continue
        old = before.check(check.criterion)
        if old is not None and old.status is FAILS:
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
