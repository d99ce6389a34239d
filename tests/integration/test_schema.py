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

from eventfilter.adapters.sql.models import Base
from eventfilter.adapters.sql.schema import _alembic
from eventfilter.bootstrap import bootstrap
from eventfilter.ports import OutMessage
from eventfilter.records import BatchChanges
from tests.helpers import sql_store
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
            differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
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
