"""The schema: its revision, upgrading it (Alembic, the migrations shipped in
the package), and refusing a database that is missing or older than this release."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, inspect, text
from sqlalchemy.exc import SQLAlchemyError

from eventfilter.adapters.sql.connection import first_line, missing_database
from eventfilter.adapters.urls import redact_url
from eventfilter.errors import SchemaNewer, SchemaOutdated, StoreError

if TYPE_CHECKING:
    from eventfilter.adapters.sql.store import SqlStore

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
# This release's newest revision: a database already at it is opened without
# loading Alembic and its scripts (most of a command's schema check).
# tests/integration/test_schema.py holds it to the migrations' head.
HEAD = "0010"


def _alembic(conn: Connection | None = None) -> Any:
    """Alembic's configuration for the migrations; with `conn`, to run them on it
    (without, it only reads the scripts)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if conn is not None:
        cfg.attributes["connection"] = conn
    return cfg


def revisions(store: SqlStore) -> tuple[str | None, str]:
    """(the database's schema revision or None, this release's). A revision this
    release does not know is refused (`SchemaNewer`)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    with store.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
        script = ScriptDirectory.from_config(_alembic(conn))
    head = script.get_current_head()
    assert head is not None
    if current is not None:
        try:
            script.get_revision(current)
        except CommandError:
            # a later release upgraded it (an operator went back to an older one):
            # Alembic can neither upgrade nor read it, and its tables may hold what
            # this code would misread
            raise SchemaNewer(
                f"The database schema is at revision {current}, which this release does not know"
                f" (its newest is {head}): a newer eventfilter upgraded it; run that release,"
                " or restore the database from before the upgrade."
            ) from None
    return current, head


def upgrade(store: SqlStore, revision: str = "head") -> tuple[str | None, str]:
    from alembic import command

    before, head = revisions(store)
    with store.begin() as conn:
        command.upgrade(_alembic(conn), revision)
    return before, head if revision == "head" else revision


def _stored_revision(conn: Connection) -> str | None:
    """The database's revision by one plain query; None when it cannot be read
    that way (no schema yet, several rows): the full check, through Alembic,
    then says what is wrong."""
    try:
        found = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none()
    except SQLAlchemyError:
        conn.rollback()  # PostgreSQL refuses the rest of a failed transaction
        return None
    return str(found) if found is not None else None


def ensure_schema(store: SqlStore, create: bool = True) -> None:
    """A fresh database gets the schema (when `create`, else it is refused);
    an older one must be upgraded on purpose."""
    database = store.engine.url.database
    sqlite_file = store.engine.dialect.name == "sqlite" and database and database != ":memory:"
    if not create and sqlite_file and not Path(str(database)).exists():
        raise StoreError(missing_database(store.url))  # connecting would create an empty file
    try:
        with store.connect() as conn:
            if _stored_revision(conn) == HEAD:
                return
            tables = set(inspect(conn).get_table_names())
    except SQLAlchemyError as exc:
        raise StoreError(
            f"The database {redact_url(store.url)} cannot be opened: {first_line(exc)}."
        ) from None
    if not tables:
        if not create:
            raise StoreError(missing_database(store.url))
        upgrade(store)
        return
    current, head = revisions(store)
    if current != head:
        raise SchemaOutdated(
            f"The database schema is at revision {current or 'none'} and this release needs {head}; "
            "run `eventfilter db upgrade`."
        )
