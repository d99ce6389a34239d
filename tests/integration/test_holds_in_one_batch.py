"""A hold placed and lifted within one batch (a death and its correction in
one file) is stored lifted; a correction of a correction leaves exactly one
open hold (trust issue, finding 2)."""

from __future__ import annotations

from typing import Any

import pytest

from eventfilter.application import App
from eventfilter.ports import Review
from eventfilter.service import queries
from tests.helpers import case, event, lines, person
from tests.integration.test_replay_store import app_for, replay

KY = "kontanthjaelp"


def death_and_corrections(depth: int) -> list[dict[str, Any]]:
    events = [event("death", "B", event_id="d1", effective_date="2026-03-01")]
    target = "d1"
    for n in range(1, depth + 1):
        events.append(
            event(
                "correction",
                "B",
                {"corrects_event_id": target},
                event_id=f"c{n}",
                effective_date=f"2026-03-0{n + 1}",
            )
        )
        target = f"c{n}"
    return events


@pytest.mark.parametrize("batch_size", [1, 100])
def test_a_death_corrected_in_the_same_file_leaves_no_hold(db_url: str, batch_size: int) -> None:
    app = app_for(db_url, person("B"), cases=(case("C", KY, "B"),), batch_size=batch_size)
    # a later event of the case closes the correction's window in the same batch
    later = event("name_change", "B", event_id="n1", effective_date="2026-03-09")
    _, decisions = replay(app, lines(*death_and_corrections(1), later))
    assert [(d.outcome, d.hold) for d in decisions] == [
        ("suspend", "place"),
        ("review", "lift"),
        ("pass", None),
    ]
    assert queries.holds(app.review) == []
    actions = [a.action for a in app_review(app).audit("C")]
    assert actions.count("hold_placed") == actions.count("hold_lifted") == 1


@pytest.mark.parametrize("batch_size", [1, 100])
def test_a_correction_of_a_correction_holds_the_case_once(db_url: str, batch_size: int) -> None:
    app = app_for(db_url, person("B"), cases=(case("C", KY, "B"),), batch_size=batch_size)
    _, decisions = replay(app, lines(*death_and_corrections(2)))
    assert [d.hold for d in decisions] == ["place", "lift", "place"]
    [hold] = queries.holds(app.review)
    assert hold.case_id == "C" and hold.decision_id == decisions[-1].decision_id


def app_review(app: App) -> Review:
    return app.review


def test_a_stream_batch_with_a_death_and_its_correction_leaves_no_hold(db_url: str) -> None:
    from eventfilter.adapters.memory_broker import MemoryBroker
    from eventfilter.service.stream import StreamProcessor
    from tests.integration.test_stream import Clock, send

    clock = Clock()
    app = app_for(db_url, person("B"), cases=(case("C", KY, "B"),))
    app.clock = clock
    broker = MemoryBroker()
    later = event("name_change", "B", event_id="n1", effective_date="2026-03-09")
    send(broker, *death_and_corrections(1), later)
    processor = StreamProcessor(app.store, app.pack, app.settings, clock)
    decisions = processor.process(broker.fetch(10, 0)).decisions
    assert [d.hold for d in decisions] == ["place", "lift"]
    assert queries.holds(app.review) == []


def test_the_audit_says_payment_resumes_where_a_correction_lifts_the_hold(db_url: str) -> None:
    """Trust issue, finding 17: it said "stays held" and then "hold lifted" for one correction."""
    from eventfilter.service.review_actions import ReviewService

    app = app_for(db_url, person("B"), cases=(case("C", KY, "B"),), batch_size=100)
    replay(app, lines(*death_and_corrections(1)))
    _, entries = ReviewService(app).case_history("C")
    from eventfilter.service import wording

    text = [line.text for line in wording.history_lines(entries, False)]
    decided = [t for t in text if t.endswith("[events c1]")]
    assert len(decided) == 1 and decided[0].startswith("Payment resumes")
    assert not any(t.startswith("Payment stays held") for t in text)
