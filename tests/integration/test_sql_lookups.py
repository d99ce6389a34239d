"""What a batch looks up before deciding, on SQLite and PostgreSQL: the
duplicate check and the cases an event may touch are one statement each (per
500 values of each list), not one per kind of lookup, and find what the
separate lookups found. On the stream each statement is a round trip in a
batch of a few dozen events."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import event

from eventfilter.bootstrap import bootstrap
from eventfilter.records import BatchChanges, ProcessedEvent
from eventfilter.service.imports import import_cases, import_persons
from tests.helpers import case, extract, person, sql_store


@pytest.fixture
def app(db_url: str) -> Iterator[Any]:
    if db_url.startswith("memory:"):
        pytest.skip("the in-memory store makes no statements")
    app = bootstrap(db_url)
    # A and B are married; A's case names her dwelling; C lives at D1 with no case of his own
    persons = [
        person("A", address_id="D1", marital_status="married", partner_id="B"),
        person("B", address_id="D1", marital_status="married", partner_id="A"),
        person("C", address_id="D2"),
        person("E", address_id="D3"),
    ]
    import_persons(app.store, extract(*persons), "persons.jsonl", app.clock)
    cases = [
        case("CA", "kontanthjaelp", "A", dwelling_address_id="D1"),
        case("CE", "kontanthjaelp", "E", dwelling_address_id="D3"),
    ]
    import_cases(app.store, app.pack, extract(*cases), "cases.jsonl", app.clock)
    changes = BatchChanges(at=app.clock())
    changes.processed += [
        ProcessedEvent("e1", "h1", "A", "moved", date(2026, 3, 1), "m1"),
        ProcessedEvent("e2", "h2", "B", "moved", date(2026, 3, 1), None),
    ]
    with app.store.unit_of_work() as uow:
        uow.write(changes)
    yield app
    app.store.dispose()


def _counted(app: Any, lookup: Any) -> tuple[Any, int]:
    """What `lookup(uow)` returns, and how many statements it made."""
    engine = sql_store(app).engine
    made: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        made.append(statement)

    with app.store.unit_of_work() as uow:
        event.listen(engine, "before_cursor_execute", count)
        try:
            found = lookup(uow)
        finally:
            event.remove(engine, "before_cursor_execute", count)
    return found, len(made)


def test_the_duplicate_check_is_one_statement(app: Any) -> None:
    found, statements = _counted(app, lambda uow: uow.seen(["e1", "e2", "e9"], ["m1", "m9"]))
    assert found == ({"e1": "h1", "e2": "h2"}, {"m1"})
    assert statements == 1
    found, statements = _counted(app, lambda uow: uow.seen(["e9"], []))
    assert found == ({}, set())
    assert statements == 1
    found, statements = _counted(app, lambda uow: uow.seen([f"x{i}" for i in range(501)] + ["e2"], ["m1"]))
    assert found == ({"e2": "h2"}, {"m1"})
    assert statements == 2  # 502 event ids: two chunks of at most 500


def test_the_cases_an_event_may_touch_are_one_statement(app: Any) -> None:
    def lookup(beneficiaries: list[str], addresses: list[str], partners: list[str]) -> Any:
        return lambda uow: uow.candidate_cases(beneficiaries, addresses, partners)

    # by beneficiary, by dwelling, and by the partner the beneficiary names
    for asked, expected in [
        ((["A"], [], []), ["CA"]),
        (([], ["D1"], []), ["CA"]),
        (([], [], ["B"]), ["CA"]),
        ((["E"], ["D1", "D2"], ["B", "C"]), ["CA", "CE"]),
        ((["C"], ["D2"], ["A"]), []),
    ]:
        found, statements = _counted(app, lookup(*asked))
        assert (found, statements) == (expected, 1), asked
    found, statements = _counted(app, lookup([], [], []))
    assert (found, statements) == ([], 0)
