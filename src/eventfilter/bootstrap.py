"""The one place that builds a configured application, for the CLI, the
consumer, the web app and the tests alike: the store behind its ports (the
SQL store, or `memory:` for the in-memory twin), the rule pack, the settings
and the clock."""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from eventfilter.adapters.sql.review import SqlReview
from eventfilter.adapters.sql.store import SqlStore
from eventfilter.adapters.sql.websessions import SqlSessions
from eventfilter.application import App, Clock
from eventfilter.errors import UsageError
from eventfilter.rulepack import load_pack
from eventfilter.settings import load_settings

DEFAULT_DB = "sqlite:///eventfilter.db"


def utc_now() -> datetime:
    return datetime.now(UTC)


def db_url(value: str | None) -> str:
    """--db / EVENTFILTER_DB, defaulting to eventfilter.db here; a bare path means SQLite."""
    url = value or os.environ.get("EVENTFILTER_DB") or DEFAULT_DB
    return url if "://" in url or url == "memory:" else f"sqlite:///{url}"


def bootstrap(
    db: str | None = None,
    *,
    rules: Path | None = None,
    settings: Path | None = None,
    clock: Clock = utc_now,
    ensure_schema: bool = True,
    create: bool = True,
) -> App:
    """`create`: a database that does not exist yet is created (with the
    schema); otherwise it is refused with one sentence."""
    pack = load_pack(rules)
    conf = load_settings(settings)
    url = db_url(db)
    if url.startswith("memory:"):
        # imported here: a run on a database never loads the in-memory twin
        from eventfilter.adapters.memory import MemoryStore

        memory = MemoryStore()
        return App(memory, memory, memory.sessions, pack, conf, clock)
    store = SqlStore(url)
    if ensure_schema:
        store.ensure_schema(create=create)
    return App(store, SqlReview(store), SqlSessions(store), pack, conf, clock)


def upgrade_database(db: str | None) -> tuple[str | None, str]:
    """Create the schema, or upgrade an existing database in place: (from, to) revisions."""
    store = SqlStore(db_url(db))
    try:
        return store.upgrade()
    finally:
        store.dispose()


def scratch_copy(db: str | None, path: Path) -> str:
    """A private copy of a SQLite database at `path` (a what-if never writes to the
    store it reads); its URL. Other databases cannot be copied this way."""
    url = db_url(db)
    if not url.startswith("sqlite:///"):
        raise UsageError(
            "A what-if copies a SQLite database; from PostgreSQL, give the register and case "
            "extracts with --persons and --cases instead."
        )
    source = url.removeprefix("sqlite:///")
    if not Path(source).exists():
        raise UsageError(f"The database {source} does not exist.")
    with sqlite3.connect(source) as src, sqlite3.connect(path) as dst:
        src.backup(dst)  # consistent, even while another process writes (WAL)
    return f"sqlite:///{path}"
