"""Deciding the events that touch no case: the majority of a register feed.

In memory (no store): the world's cases and the persons they depend on, and
every event of the file about anyone else that is not a register change
(name, church, citizenship, … and income reports of unrelated persons).
"""

from __future__ import annotations

from benchmarks.workloads import World, rate, untouched_events


def test_route_untouched_events(benchmark, register_world: World) -> None:  # type: ignore[no-untyped-def]
    work = untouched_events(register_world)
    touched = benchmark.pedantic(work.route_all, rounds=3, iterations=1)
    assert touched == 0
    benchmark.extra_info["events"] = len(work.events)
    rate(benchmark, "events_per_second", len(work.events))
