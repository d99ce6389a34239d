"""Parsing and validating events, beside the parse-only baseline of the same file.

`parse_event` is what replay and the stream use: a hand-checked fast path for
the common lines (income reports, moves, the plain register types) that falls
back to the pydantic models; `parse_event_fully` always takes the models.
"""

from __future__ import annotations

from benchmarks.workloads import World, parse_only, parse_validate, rate


def _rate(benchmark, n: int) -> None:  # type: ignore[no-untyped-def]
    benchmark.extra_info["events"] = n
    rate(benchmark, "events_per_second", n)


def test_json_loads_baseline(benchmark, national_world: World) -> None:  # type: ignore[no-untyped-def]
    _rate(benchmark, benchmark.pedantic(parse_only, args=(national_world,), rounds=3, iterations=1))


def test_parse_and_validate(benchmark, national_world: World) -> None:  # type: ignore[no-untyped-def]
    _rate(benchmark, benchmark.pedantic(parse_validate, args=(national_world,), rounds=3, iterations=1))


def test_parse_and_validate_through_pydantic_only(benchmark, national_world: World) -> None:  # type: ignore[no-untyped-def]
    n = benchmark.pedantic(parse_validate, args=(national_world, True), rounds=3, iterations=1)
    _rate(benchmark, n)
