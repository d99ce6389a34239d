"""Importing the register and case extracts into a new SQLite database."""

from __future__ import annotations

from pathlib import Path

from benchmarks.workloads import World, import_world, rate


def test_import_persons_and_cases(benchmark, national_1pct_world: World, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    persons, cases = benchmark.pedantic(
        import_world, args=(national_1pct_world, tmp_path), rounds=2, iterations=1
    )
    assert persons > 50_000 and cases > 5_000
    benchmark.extra_info["persons"] = persons
    benchmark.extra_info["cases"] = cases
    rate(benchmark, "lines_per_second", persons + cases)
