"""The schema the migrations build, on SQLite and PostgreSQL: what the models
describe, and a downgrade that leaves nothing the older code would misread."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from eventfilter.adapters.sql.models import METADATA
from eventfilter.adapters.sql.schema import _alembic
from eventfilter.bootstrap import bootstrap
from eventfilter.ports import OutMessage
from eventfilter.records import BatchChanges
from eventfilter.service.imports import import_cases, import_persons
from tests.helpers import case, extract, person, sql_store
from tests.integration.conftest import _empty_postgres

AT = datetime(2026, 3, 1, 12, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def sql_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/eventfilter.db"
    url: str = request.getfixturevalue("pg_database")
    _empty_postgres(url)
    return url


def test_the_migrations_build_what_the_models_describe(sql_url: str) -> None:
    store = sql_store(bootstrap(sql_url))
    try:
        with store.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn), METADATA)
        assert differences == []
    finally:
        store.dispose()


def test_a_downgrade_takes_the_dead_letters_out_of_the_outbox(sql_url: str) -> None:
    """Revision 0008's outbox holds only the payment system's messages: its code
    would publish a dead letter left there to the decisions exchange. The dead
    letters stay in the dead-letter store."""
    store = sql_store(bootstrap(sql_url))
    try:
        changes = BatchChanges(at=AT)
        changes.outbox += [
            OutMessage("decision.pass.boligstoette", "d-1", b'{"decision":"pass"}'),
            OutMessage("", "m-1", b"\xff\x00not json", error="The line is not valid JSON.", queue="q.0"),
        ]
        with store.unit_of_work() as uow:
            uow.write(changes)
        with store.unit_of_work() as uow:  # the message as it came, any bytes
            assert [m for _, m in uow.claim_outbox(10) or []] == changes.outbox
        with store.begin() as conn:
            command.downgrade(_alembic(conn), "0008")
        with store.connect() as conn:
            left = conn.execute(text("SELECT routing_key, message_id, body FROM outbox")).all()
        assert [tuple(r) for r in left] == [("decision.pass.boligstoette", "d-1", '{"decision":"pass"}')]
        store.upgrade()
        with store.unit_of_work() as uow:
            assert [m for _, m in uow.claim_outbox(10) or []] == changes.outbox[:1]
    finally:
        store.dispose()


def test_a_persons_facts_and_a_cases_state_are_updated_without_new_index_entries(sql_url: str) -> None:
    """PostgreSQL keeps room in the pages of `persons` and `cases` (fillfactor 80,
    revision 0010), so the rows a batch updates in place (a tenth of them here,
    more than the stream's batches update) get their new versions beside the
    old: heap-only tuples, no entry in the tables' indexes. With full pages
    none of them were."""
    if not sql_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's heap-only tuples")
    app = bootstrap(sql_url)
    store = sql_store(app)
    try:
        ids = [f"P{i:05d}" for i in range(3000)]
        people = [person(p, address_id=f"D{i}") for i, p in enumerate(ids)]
        import_persons(app.store, extract(*people), "persons.jsonl", app.clock)
        cases = [
            case(f"C{i:05d}", "kontanthjaelp", p, dwelling_address_id=f"D{i}") for i, p in enumerate(ids)
        ]
        import_cases(app.store, app.pack, extract(*cases), "cases.jsonl", app.clock)
        changes = BatchChanges(at=AT)
        with store.unit_of_work() as uow:
            changes.person_facts = uow.persons(ids[::10])
            changes.cases = uow.lock_cases([c["case_id"] for c in cases[::10]])
            for p in changes.person_facts:
                p.monthly_income = 4321.0
            for c in changes.cases:
                c.housing_cost = 5000.0
            uow.write(changes)
            counts = "SELECT pg_stat_get_xact_tuples_updated(CAST(:t AS regclass)), " + (
                "pg_stat_get_xact_tuples_hot_updated(CAST(:t AS regclass))"
            )
            persons = uow.conn.execute(text(counts), {"t": "persons"}).one()
            updated_cases = uow.conn.execute(text(counts), {"t": "cases"}).one()
        assert tuple(persons) == (300, 300)
        assert tuple(updated_cases) == (300, 300)
        with store.unit_of_work() as uow:  # and the values are what was written
            assert {p.monthly_income for p in uow.persons(ids[::10])} == {4321.0}
            assert {c.housing_cost for c in uow.lock_cases([c["case_id"] for c in cases[::10]])} == {5000.0}
    finally:
        store.dispose()


def test_the_room_for_updates_is_given_back_by_a_downgrade(sql_url: str) -> None:
    if not sql_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's storage parameters")
    store = sql_store(bootstrap(sql_url))
    options = (
        "SELECT relname, reloptions FROM pg_class WHERE relname IN ('persons', 'cases') ORDER BY relname"
    )
    try:
        with store.connect() as conn:
            assert [tuple(r) for r in conn.execute(text(options))] == [
                ("cases", ["fillfactor=80"]),
                ("persons", ["fillfactor=80"]),
            ]
        with store.begin() as conn:
            command.downgrade(_alembic(conn), "0009")
        with store.connect() as conn:
            assert [tuple(r) for r in conn.execute(text(options))] == [("cases", None), ("persons", None)]
        store.upgrade()
    finally:
        store.dispose()


def test_the_revision_a_database_is_opened_at_without_alembic_is_the_migrations_newest() -> None:
    """`schema.HEAD` lets a command open a database already at this release's
    revision with one plain query; a new migration must move it."""
    from alembic.script import ScriptDirectory

    from eventfilter.adapters.sql.schema import HEAD

    assert ScriptDirectory.from_config(_alembic()).get_current_head() == HEAD


@pytest.mark.postgres
@pytest.mark.parametrize("form", ["postgres://", "postgresql://"])
def test_libpqs_url_forms_open_the_same_postgresql_database(pg_database: str, form: str) -> None:
    """The URL as psql and most platforms write it opens the database through psycopg."""
    _empty_postgres(pg_database)
    written = sql_store(bootstrap(pg_database))
    try:
        written.start_run("replay", "events.jsonl", AT)
    finally:
        written.dispose()
    store = sql_store(bootstrap(form + pg_database.removeprefix("postgresql+psycopg://")))
    try:
        assert store.engine.dialect.driver == "psycopg"
        with store.connect() as conn:
            assert conn.execute(text("SELECT source FROM runs")).scalars().all() == ["events.jsonl"]
    finally:
        store.dispose()
