"""Which review item a decision lands on, and when that item is due.

A case with an open `suspend` or `review` decision has exactly one open
item; it gathers every later decision on the case, whatever its outcome,
until a caseworker resolves it. The most urgent reason sets the due date.
"""

from __future__ import annotations

from datetime import datetime

from eventfilter.core.deadlines import DeadlinePolicy
from eventfilter.core.decide import PASS
from eventfilter.core.decision import Decision
from eventfilter.records import OpenItem


def attach(
    items: dict[str, OpenItem], decision: Decision, at: datetime, policy: DeadlinePolicy
) -> OpenItem | None:
    if decision.case_id is None or decision.benefit is None:
        return None
    item = items.get(decision.case_id)
    if decision.outcome == PASS:
        return item
    due, code = policy.due(decision.benefit, [r.code for r in decision.reasons], at.date())
    if item is None:
        item = OpenItem(decision.case_id, due, code, at)
        items[decision.case_id] = item
    elif due < item.due_date:
        item.due_date, item.urgent_code, item.changed = due, code, True
    return item
