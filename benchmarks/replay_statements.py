"""Replay's SQL statements on SQLite, each timed: an events file replayed
in-process as `eventfilter replay` replays it (each decision made into its
line and counted, not written to a file) into a copy of an imported world's
database, and each statement's total time, calls and rows beside the run's
wall time.

    .venv/bin/python -m benchmarks.replay_statements DATABASE EVENTS

DATABASE is a SQLite file with the persons and cases imported, as
`benchmarks/national.py` leaves `base.db` and the pytest-benchmark worlds
leave `template.db`; it is copied to a temporary directory and never written.

What the table leaves out (RESULTS.md says where that time is): the commits,
and the rows of a SELECT, which SQLite reads as they are fetched, after the
statement's timer stopped; and all that Python does around the statements.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

from sqlalchemy import event

from benchmarks.stream_batches import Statements
from benchmarks.stream_phases import statement_started
from benchmarks.workloads import fresh_app, replay, timed
from eventfilter.adapters.sql.store import SqlStore
from eventfilter.logs import configure
from eventfilter.service.replay import Summary


def run(database: Path, events: Path) -> tuple[Summary, float, Statements]:
    """Replay `events` into a copy of `database`: the summary, the wall time and the statements."""
    statements = Statements()
    with tempfile.TemporaryDirectory() as tmp:
        app = fresh_app(database, Path(tmp))
        try:
            assert isinstance(app.store, SqlStore)
            event.listen(app.store.engine, "before_cursor_execute", statement_started)
            event.listen(app.store.engine, "after_cursor_execute", statements.after)
            summary, wall = timed(lambda: replay(app, events))
        finally:
            app.store.dispose()
    return summary, wall, statements


def table(wall: float, statements: Statements, top: int = 20) -> str:
    lines = [
        "| total | calls | mean | rows | statement |",
        "|---|---|---|---|---|",
    ]
    for text, times in statements.by_total(top):
        lines.append(
            f"| {sum(times):.2f} s | {len(times)} | {statistics.mean(times) * 1000:.2f} ms"
            f" | {statements.rows[text]:,} | `{text}` |"
        )
    spent = sum(sum(t) for t in statements.times.values())
    lines.append(f"\nstatements {spent:.1f} s of {wall:.1f} s wall ({spent / wall:.0%})")
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    configure("warning")
    summary, wall, statements = run(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"{summary.events_read:,} lines, {summary.decided:,} events decided, {wall:.1f} s")
    print(table(wall, statements))


if __name__ == "__main__":
    main()
