"""What a batch looks up before deciding, on SQLite and PostgreSQL: the
duplicate check and the cases an event may touch are one statement each (per
500 values of each list on SQLite, 10,000 on PostgreSQL), not one per kind of
lookup, and find what the separate lookups found. On the stream each
statement is a round trip in a batch of a few dozen events.

On PostgreSQL a list of ids is one array parameter (`= ANY(%s)`), never a
list of placeholders: psycopg parses a statement of more than 50 parameters
anew on every run. And the lookups are never prepared, so each is planned for
its own ids."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import event

from eventfilter.adapters.sql.bulk import UNPREPARED
from eventfilter.bootstrap import bootstrap
from eventfilter.records import BatchChanges, ProcessedEvent
from eventfilter.service.imports import import_cases, import_persons
from tests.helpers import case, extract, person, sql_store
from tests.integration.conftest import _empty_postgres


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


def _made(app: Any, lookup: Any) -> tuple[Any, list[tuple[str, Any]]]:
    """What `lookup(uow)` returns, and the statements it made with their parameters."""
    engine = sql_store(app).engine
    made: list[tuple[str, Any]] = []

    def count(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        made.append((statement, parameters))

    with app.store.unit_of_work() as uow:
        event.listen(engine, "before_cursor_execute", count)
        try:
            found = lookup(uow)
        finally:
            event.remove(engine, "before_cursor_execute", count)
    return found, made


def _counted(app: Any, lookup: Any) -> tuple[Any, int]:
    """What `lookup(uow)` returns, and how many statements it made."""
    found, made = _made(app, lookup)
    return found, len(made)


def _postgres(app: Any) -> bool:
    return bool(sql_store(app).engine.dialect.name == "postgresql")


def _planned(url: str, fill: list[str], lookup: Any) -> tuple[Any, str]:
    """On a fresh PostgreSQL database filled by the statements `fill`: what
    `lookup(uow)` returns, and PostgreSQL's plan of the one statement it made."""
    _empty_postgres(url)
    app = bootstrap(url)
    try:
        with sql_store(app).engine.begin() as conn:
            for sql in fill:
                conn.exec_driver_sql(sql)
        found, made = _made(app, lookup)
        ((statement, parameters),) = made
        with sql_store(app).engine.connect() as conn:
            explained = conn.exec_driver_sql(f"EXPLAIN {statement}", parameters, execution_options=UNPREPARED)
            plan = "\n".join(r[0] for r in explained)
    finally:
        app.store.dispose()
    return found, plan


def test_the_duplicate_check_is_one_statement(app: Any) -> None:
    found, statements = _counted(app, lambda uow: uow.seen(["e1", "e2", "e9"], ["m1", "m9"]))
    assert found == ({"e1": "h1", "e2": "h2"}, {"m1"})
    assert statements == 1
    found, statements = _counted(app, lambda uow: uow.seen(["e9"], []))
    assert found == ({}, set())
    assert statements == 1
    found, statements = _counted(app, lambda uow: uow.seen([f"x{i}" for i in range(501)] + ["e2"], ["m1"]))
    assert found == ({"e2": "h2"}, {"m1"})
    # 502 event ids: on SQLite two chunks of at most 500, on PostgreSQL one array
    assert statements == (1 if _postgres(app) else 2)


def test_a_list_of_ids_is_one_parameter_on_postgresql(app: Any) -> None:
    ids = [f"x{i}" for i in range(400)] + ["e1"]  # more than psycopg caches (50), one SQLite chunk
    found, made = _made(app, lambda uow: uow.seen(ids, ["m1", "m2"]))
    assert found == ({"e1": "h1"}, {"m1"})
    ((statement, parameters),) = made
    if _postgres(app):
        assert statement.count("= ANY(ARRAY(SELECT unnest(%s::text[])))") == 2 and "IN (" not in statement
        assert len(parameters) == 2
    else:
        assert statement.count("?") == len(ids) + 2 and "ANY" not in statement


@pytest.mark.postgres
def test_a_young_streams_duplicate_check_goes_through_the_indexes(pg_database: str) -> None:
    """PostgreSQL, 40,000 decided events not analysed yet (a stream's first hours):
    a batch's 500 event ids and 500 message ids are looked up through the key and
    the message id's index, not by reading the table (3.4-3.6 against 1.6-1.8 ms
    a batch), and the ids found are those decided."""
    event_ids = [f"e{i}" for i in range(39800, 40300)]  # the last 200 decided, 300 new
    message_ids = [f"m{i}" for i in range(39900, 40400)]
    found, plan = _planned(
        pg_database,
        [
            "INSERT INTO processed_events (event_id, content_hash, person_id, type, effective_date,"
            " message_id) SELECT 'e' || i, 'h' || i, 'P' || i, 'moved', DATE '2026-03-01', 'm' || i"
            " FROM generate_series(0, 39999) i"
        ],
        lambda uow: uow.seen(event_ids, message_ids),
    )
    assert "Seq Scan" not in plan and "ix_processed_events_message_id" in plan, plan
    assert found == ({f"e{i}": f"h{i}" for i in range(39800, 40000)}, {f"m{i}" for i in range(39900, 40000)})


HOSTILE_IDS = ['a"b', "c\\d", "x,y", "{z}", "NULL", " sp ", "ø-ü", "'q'", '\\"', ""]


def test_ids_of_any_text_are_found_as_they_are(app: Any) -> None:
    """Quotes, backslashes, commas, braces, the word NULL, spaces: on PostgreSQL each
    id goes inside one array's text, and each is found as itself."""
    changes = BatchChanges(at=app.clock())
    changes.processed += [
        ProcessedEvent(f"{i}{x}", f"h{i}", "A", "moved", date(2026, 3, 1), f"m{x}")
        for i, x in enumerate(HOSTILE_IDS)
    ]
    with app.store.unit_of_work() as uow:
        uow.write(changes)
    asked = [f"{i}{x}" for i, x in enumerate(HOSTILE_IDS)] + ['0a"', "1c\\", "NUL"]
    with app.store.unit_of_work() as uow:
        events, messages = uow.seen(asked, [f"m{x}" for x in HOSTILE_IDS] + ["m", "mNUL"])
    assert events == {f"{i}{x}": f"h{i}" for i, x in enumerate(HOSTILE_IDS)}
    assert messages == {f"m{x}" for x in HOSTILE_IDS}


def test_a_list_longer_than_one_array_is_cut(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from eventfilter.adapters.sql import bulk

    monkeypatch.setattr(bulk, "ARRAY_CHUNK", 3)
    monkeypatch.setattr(bulk, "IN_CHUNK", 3)
    found, statements = _counted(app, lambda uow: uow.seen(["x1", "e1", "x2", "x3", "e2", "x4", "x5"], []))
    assert found == ({"e1": "h1", "e2": "h2"}, set())
    assert statements == 3


def test_the_lookups_are_never_prepared_on_postgresql(app: Any) -> None:
    """psycopg prepares a statement run five times, and PostgreSQL may then plan it
    once for any array; the lookups are planned for their own ids every time."""
    if not _postgres(app):
        pytest.skip("PostgreSQL's prepared statements")
    with app.store.unit_of_work() as uow:
        for i in range(8):
            assert uow.seen([f"x{i}", "e1"], ["m1"]) == ({"e1": "h1"}, {"m1"})
            assert uow.candidate_cases(["A"], ["D3"], ["B"]) == ["CA", "CE"]
            assert [p.person_id for p in uow.persons(["A", "C"])] == ["A", "C"]
        prepared = uow.conn.exec_driver_sql("SELECT statement FROM pg_prepared_statements").scalars().all()
    assert [s for s in prepared if s.lstrip().upper().startswith("SELECT")] == []


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
    # on PostgreSQL each list of ids an array the planner does not look into
    found, made = _made(app, lookup(["E"], ["D1", "D2"], ["B", "C"]))
    ((statement, parameters),) = made
    if _postgres(app):
        assert statement.count("= ANY(ARRAY(SELECT unnest(%s::text[])))") == 3
        assert "ANY(%s" not in statement and len(parameters) == 3


@pytest.mark.postgres
def test_a_municipalitys_register_is_searched_through_its_indexes(pg_database: str) -> None:
    """PostgreSQL, a register of 30,000 persons and 3,000 cases, the ids of a stream
    batch: who names one of 500 persons as partner is found through the index,
    not by hashing the whole register (4.8 of the statement's 6.6 ms before), and
    the cases found are those the data says."""
    partners = [f"P{i}" for i in range(1, 30000, 60)]  # 500 persons, each named by P(i - 1)
    beneficiaries = [f"P{i}" for i in range(10, 30000, 60)]  # each with a case
    addresses = [f"D{i}" for i in range(5, 10000, 20)]
    found, plan = _planned(
        pg_database,
        [
            # person i lives at dwelling i // 3, names i + 1 as partner when i is even;
            # every tenth person has a case on their dwelling
            "INSERT INTO persons (person_id, alive, address_id, partner_id, parent_ids,"
            " protected_address) SELECT 'P' || i, true, 'D' || (i / 3),"
            " CASE WHEN mod(i, 2) = 0 THEN 'P' || (i + 1) END, '[]', false"
            " FROM generate_series(0, 29999) i",
            "INSERT INTO cases (case_id, benefit, beneficiary_id, municipality_code, status,"
            " dwelling_address_id, in_active_set) SELECT 'C' || i, 'kontanthjaelp', 'P' || i,"
            " '101', 'active', 'D' || (i / 3), true FROM generate_series(0, 29999, 10) i",
            "ANALYZE persons",
            "ANALYZE cases",
        ],
        lambda uow: uow.candidate_cases(beneficiaries, addresses, partners),
    )
    assert "Seq Scan on persons" not in plan and "ix_persons_partner_id" in plan, plan
    expected = {f"C{i - 1}" for i in range(1, 30000, 60) if (i - 1) % 10 == 0}
    expected |= {f"C{i}" for i in range(10, 30000, 60)}
    expected |= {f"C{i}" for i in range(0, 30000, 10) if (i // 3) % 20 == 5}
    assert found == sorted(expected) and len(found) > 100


def test_an_array_of_ids_is_read_once_per_statement_on_postgresql(app: Any) -> None:
    """The array's text is turned into an array once, when the statement is
    planned, for the lookups written with SQLAlchemy as for the others: typed
    `::VARCHAR`, it was turned again for every row tested (`::cstring` in the
    plan), 25 ms for a stream batch's 800 case ids against 283 review items."""
    if not _postgres(app):
        pytest.skip("PostgreSQL's plans")
    from sqlalchemy import select

    from eventfilter.adapters.sql.bulk import UNPREPARED, among, one_of
    from eventfilter.adapters.sql.models import ITEMS, PROCESSED

    with app.store.unit_of_work() as uow:
        conn = uow.conn
        open_items = among(conn, ITEMS.c.case_id, ["CA", "CE"])
        queries = [
            select(ITEMS.c.item_id).where(ITEMS.c.status == "open", open_items),
            select(PROCESSED.c.effects).where(among(conn, PROCESSED.c.event_id, ["e1", "e2"])),
        ]
        plans = []
        for query in queries:
            compiled = query.compile(dialect=conn.dialect)
            explain = f"EXPLAIN VERBOSE {compiled}"
            plan = conn.exec_driver_sql(explain, compiled.params, execution_options=UNPREPARED)
            plans.append(plan.scalars().all())
        where, params = one_of(conn, "event_id", ["e1", "e2"])
        sql = f"EXPLAIN VERBOSE SELECT event_id FROM processed_events WHERE {where}"
        plans.append(conn.exec_driver_sql(sql, params, execution_options=UNPREPARED).scalars().all())
    for plan in plans:
        text = "\n".join(plan)
        assert "'::text[]" in text and "cstring" not in text, text
    # and the lookups still find what they did
    with app.store.unit_of_work() as uow:
        assert uow.open_items(["CA", "CE"]) == {}
        assert sorted(uow.effects(["e1", "e2", "e9"])) == ["e1", "e2"]


def test_what_the_cases_rules_read_is_one_statement_on_postgresql(app: Any) -> None:
    """The beneficiaries, their partners and everyone at their addresses, at the
    cases' dwellings and where the batch moves people to, besides the persons
    loaded already: on PostgreSQL one statement (on SQLite one per kind)."""
    with app.store.unit_of_work() as uow:
        cases = {c.case_id: c for c in uow.lock_cases(["CA", "CE"])}
        a, b = uow.persons(["A", "B"])

    def read(case_ids: list[str], have: dict[str, Any], moving_to: list[str]) -> Any:
        return lambda uow: sorted(
            p.person_id for p in uow.case_persons([cases[c] for c in case_ids], have, moving_to)
        )

    for asked, expected in [
        ((["CA", "CE"], {}, []), ["A", "B", "E"]),  # A, her partner B at D1; E at D3
        ((["CA"], {"A": a}, []), ["B"]),  # A loaded: her partner and housemate B only
        ((["CA"], {"A": a, "B": b}, []), []),
        ((["CA"], {"A": a, "B": b}, ["D2"]), ["C"]),  # whoever lives where someone moves to
        ((["CE"], {}, ["D1"]), ["A", "B", "E"]),
    ]:
        found, statements = _counted(app, read(*asked))
        assert found == expected, asked
        if _postgres(app):
            assert statements == 1, asked
    found, statements = _counted(app, read([], {}, []))
    assert found == []
    if _postgres(app):
        assert statements == 0
