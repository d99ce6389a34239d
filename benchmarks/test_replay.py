"""Replay of a generated world on SQLite, beside the parse-only baseline.

Each round replays the whole file into a fresh copy of the imported world.
events/s counts every line read (valid, duplicate or malformed).
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.workloads import World, fresh_app, parse_only, rate, replay


def _replay_benchmark(benchmark, world: World, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    lines = world.event_count()

    def setup():  # type: ignore[no-untyped-def]
        return (fresh_app(world.template_db, tmp_path), world.events), {}

    summary = benchmark.pedantic(replay, setup=setup, rounds=2, iterations=1)
    assert summary.events_read == lines
    benchmark.extra_info["events"] = lines
    rate(benchmark, "events_per_second", lines)
    benchmark.extra_info["untouched_share"] = round(summary.untouched / max(1, summary.decided), 3)


def test_parse_only_baseline_register(benchmark, register_world: World) -> None:  # type: ignore[no-untyped-def]
    n = benchmark.pedantic(parse_only, args=(register_world,), rounds=3, iterations=1)
    rate(benchmark, "events_per_second", n)


def test_replay_register_feed(benchmark, register_world: World, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _replay_benchmark(benchmark, register_world, tmp_path)


def test_parse_only_baseline_national(benchmark, national_world: World) -> None:  # type: ignore[no-untyped-def]
    n = benchmark.pedantic(parse_only, args=(national_world,), rounds=3, iterations=1)
    rate(benchmark, "events_per_second", n)


def test_replay_national_mix(benchmark, national_world: World, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _replay_benchmark(benchmark, national_world, tmp_path)


def test_parse_only_baseline_national_1pct(benchmark, national_1pct_world: World) -> None:  # type: ignore[no-untyped-def]
    n = benchmark.pedantic(parse_only, args=(national_1pct_world,), rounds=3, iterations=1)
    rate(benchmark, "events_per_second", n)


def test_replay_national_1pct_year(benchmark, national_1pct_world: World, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _replay_benchmark(benchmark, national_1pct_world, tmp_path)
