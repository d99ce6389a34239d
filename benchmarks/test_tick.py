"""`tick`: what time alone changes, over an imported world (no events replayed).

One day and one year of ticks over 1 % of the national world (59,000
persons, ~7,000 cases); the national register's figures, from the command
line, are in RESULTS.md.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from benchmarks.workloads import World, fresh_app
from eventfilter.service.ticks import Ticker


def _tick(benchmark, world: World, tmp_path: Path, through: date) -> None:  # type: ignore[no-untyped-def]
    def setup():  # type: ignore[no-untyped-def]
        app = fresh_app(world.template_db, tmp_path)
        return (Ticker(app.store, app.pack, app.settings, app.clock), through), {}

    def run(ticker: Ticker, day: date) -> int:
        return ticker.run(day).decided

    decided = benchmark.pedantic(run, setup=setup, rounds=2, iterations=1)
    benchmark.extra_info["decisions"] = decided


def test_tick_one_day(benchmark, national_1pct_world: World, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _tick(benchmark, national_1pct_world, tmp_path, date(2026, 1, 1))


def test_tick_one_year(benchmark, national_1pct_world: World, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _tick(benchmark, national_1pct_world, tmp_path, date(2026, 12, 31))
