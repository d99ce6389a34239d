"""The payment run's CSV never hands a spreadsheet a formula (trust issue, finding 16)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

from eventfilter.adapters.holdscsv import HEADER, holds_csv
from eventfilter.records import HoldView


def test_cells_that_would_be_formulas_are_written_as_text() -> None:
    hold = HoldView(
        case_id='=HYPERLINK("http://evil","x")',
        benefit="+cmd",
        municipality_code="-1",
        source="@sum",
        decision_id="d-1",
        event_ids=("e",),
        placed_at=datetime(2026, 3, 2, tzinfo=UTC),
        reasons=("deceased",),
        effective_date=date(2026, 2, 27),
    )
    [header, row] = list(csv.reader(io.StringIO(holds_csv([hold]))))
    assert tuple(header) == HEADER
    assert row[0].startswith("'=") and row[1] == "'+cmd" and row[2] == "'-1" and row[6] == "'@sum"
    assert row[4] == "2026-03-02" and row[5] == "2026-02-27"  # known since, and effective
