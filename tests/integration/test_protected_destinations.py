"""An address a protected person left stays hidden when someone else moves in
(rules.md: from the protection on, the address is redacted, even after a move).

The flat S left in an earlier run is known protected only to the store. B moves
in, and a later event of B decides that move in the same batch: the decision,
the review item and the audit must not show the address. Replay (a run's
world) and the stream (a world per batch) both."""

from __future__ import annotations

from dataclasses import replace

from eventfilter.application import App
from eventfilter.core.decision import Decision
from eventfilter.formats.lines import decision_line
from eventfilter.service import queries
from eventfilter.service.imports import import_cases, import_persons
from tests.helpers import case, extract, income, lines, move, person
from tests.integration.test_replay_store import app_for, replay

LATER = "2026-03-02"
B_MOVES_IN = [
    move("B", "SECRET-1", event_id="b1"),
    income("B", 100, event_id="b2", effective_date=LATER, recorded_at=f"{LATER}T06:00:00Z"),
]


def s_has_left(db_url: str) -> App:
    app = app_for(
        db_url,
        person("S", address_id="SECRET-1", protected_address=True),
        person("B", address_id="D"),
        cases=(case("H", "boligstoette", "B", dwelling_address_id="D"),),
        batch_size=10,
    )
    replay(app, lines(move("S", "SECRET-2", event_id="s1")))
    return app


def assert_hidden(app: App, decisions: list[Decision]) -> None:
    [moved] = [d for d in decisions if d.event_ids == ("b1",)]
    assert moved.outcome == "suspend"  # B left the dwelling: decided, and where to is hidden
    assert "***" in decision_line(moved)
    shown = [decision_line(d) for d in decisions]
    shown += [repr(i) for i in queries.review_list(app.review)]
    shown += [repr(a) for a in app.review.audit("H")]
    assert not [s for s in shown if "SECRET" in s]


def test_replay_hides_it(db_url: str) -> None:
    app = s_has_left(db_url)
    _, decisions = replay(app, lines(*B_MOVES_IN))
    assert_hidden(app, decisions)


def test_the_stream_hides_it(db_url: str) -> None:
    from eventfilter.adapters.memory_broker import MemoryBroker
    from eventfilter.service.stream import StreamProcessor
    from tests.integration.test_stream import Clock, send

    app = s_has_left(db_url)
    clock = Clock()
    app.clock = clock
    broker = MemoryBroker()
    send(broker, *B_MOVES_IN)
    processor = StreamProcessor(app.store, app.pack, app.settings, clock)
    decisions = processor.process(broker.fetch(10, 0)).decisions
    assert_hidden(app, decisions)


def test_a_window_left_open_to_the_end_of_input_hides_it_without_its_household(db_url: str) -> None:
    """B's move is the last event: its window waits for the end of input, is let
    go with everything else after the batch, and is decided there on the facts
    kept from the batch, its household not loaded again. Where B moved to (the
    flat S left, and the flat where protected R lives) is still hidden: the
    store is asked about the addresses the decision shows."""
    app = s_has_left(db_url)
    import_persons(
        app.store,
        extract(person("R", address_id="SECRET-3", protected_address=True), person("C", address_id="E")),
        "more.jsonl",
        app.clock,
    )
    import_cases(
        app.store,
        app.pack,
        extract(case("H2", "boligstoette", "C", dwelling_address_id="E")),
        "c.jsonl",
        app.clock,
    )
    app.settings = replace(app.settings, windows_in_memory=0, persons_in_memory=0)
    _, decisions = replay(
        app, lines(move("B", "SECRET-1", event_id="b1"), move("C", "SECRET-3", event_id="c1"))
    )
    for case_id in ("H", "H2"):
        [moved] = [d for d in decisions if d.case_id == case_id]
        assert moved.outcome == "suspend"  # left the dwelling
        assert "***" in decision_line(moved)
    shown = [decision_line(d) for d in decisions]
    shown += [repr(i) for i in queries.review_list(app.review)]
    shown += [repr(a) for c in ("H", "H2") for a in app.review.audit(c)]
    assert not [s for s in shown if "SECRET" in s]
