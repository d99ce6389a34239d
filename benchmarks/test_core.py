"""The pure core: how long it takes to decide one touched case.

A decision here is the whole per-case work: route the event, take the case's
`before`, apply the change, evaluate after, run the decision table and build
the explained decision. Two paths: a window closed by the case's next event
(replay's common path: the new window's `before` is the closed one's `after`,
after checking that time alone changes nothing between the two dates), and a
window opened and closed on its own (the end of input, the stream's settle
time: `before` is evaluated too).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from benchmarks.workloads import core_case, rate
from eventfilter.core.rules import MODELS
from eventfilter.core.ticks import crossings
from eventfilter.core.timing import changes_with_time


@pytest.mark.parametrize("benefit", ["kontanthjaelp", "boligstoette", "forsorjningsstod"])
def test_decide_a_touched_case(benchmark, benefit: str) -> None:  # type: ignore[no-untyped-def]
    case = core_case(benefit)
    decision = benchmark(case.decide_once)
    assert decision.case_id == "C"
    rate(benchmark, "decisions_per_second", 1, "mean")


@pytest.mark.parametrize("benefit", ["kontanthjaelp", "boligstoette", "forsorjningsstod"])
def test_decide_a_touched_case_whose_window_closes_alone(benchmark, benefit: str) -> None:  # type: ignore[no-untyped-def]
    case = core_case(benefit)
    decision = benchmark(case.decide_alone)
    assert decision.case_id == "C" and not case.engine.windows
    rate(benchmark, "decisions_per_second", 1, "mean")


@pytest.mark.parametrize("benefit", ["kontanthjaelp", "boligstoette", "forsorjningsstod"])
def test_evaluate_a_case_once(benchmark, benefit: str) -> None:  # type: ignore[no-untyped-def]
    case = core_case(benefit)
    engine = case.engine
    c = engine.book.cases["C"]
    spec = engine.pack.benefits[benefit]
    result = benchmark(MODELS[spec.model].evaluate, c, engine.state, case.day, spec)
    assert result.eligible is True


@pytest.mark.parametrize("benefit", ["kontanthjaelp", "boligstoette", "forsorjningsstod"])
def test_find_what_time_alone_changes_for_a_case(benchmark, benefit: str) -> None:  # type: ignore[no-untyped-def]
    """The date-triggered check made each time a case's window opens: a week with no
    birthday and no parameter change in it (what nearly every opening meets)."""
    case = core_case(benefit)
    engine = case.engine
    c = engine.book.cases["C"]
    spec = engine.pack.benefits[benefit]
    found = benchmark(crossings, c, spec, engine.state, case.day - timedelta(days=7), case.day)
    assert found == []


@pytest.mark.parametrize("benefit", ["kontanthjaelp", "boligstoette", "forsorjningsstod"])
def test_check_whether_time_alone_changes_a_case_between_two_windows(benchmark, benefit: str) -> None:  # type: ignore[no-untyped-def]
    """The check made before a window's `before` reuses the previous window's `after`:
    three days apart, with no birthday and no parameter change between them."""
    case = core_case(benefit)
    engine = case.engine
    c = engine.book.cases["C"]
    spec = engine.pack.benefits[benefit]
    changed = benchmark(changes_with_time, c, spec, engine.state, case.day - timedelta(days=3), case.day)
    assert changed is False
