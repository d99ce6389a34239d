"""The payment run's file of held payments (CSV).

A cell that a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, a
tab or a carriage return first) is written with a leading apostrophe, so an
id or a note crafted as a formula is shown, never run.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from eventfilter.records import HoldView

HEADER = (
    "case_id",
    "benefit",
    "municipality_code",
    "status",
    "held_since",  # when eventfilter placed the hold (what `holds --as-of` goes by)
    "effective_date",  # when the register says the change took effect
    "held_by",
    "decision_id",
    "reasons",
)
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA) else value


def holds_csv(views: Sequence[HoldView]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(HEADER)
    for h in views:
        row = (
            h.case_id,
            h.benefit,
            h.municipality_code,
            h.status,
            h.placed_at.date().isoformat() if h.placed_at else "",
            h.effective_date.isoformat() if h.effective_date else "",
            h.source,
            h.decision_id or "",
            " ".join(h.reasons),
        )
        writer.writerow([cell(v) for v in row])
    return buf.getvalue()
