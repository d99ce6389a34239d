"""The one place that builds a configured application, for the CLI, the
consumer and the tests alike."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from eventfilter.adapters.sql.store import SqlStore
from eventfilter.core.pack import RulePack
from eventfilter.rulepack import load_pack
from eventfilter.settings import Settings, load_settings

Clock = Callable[[], datetime]
DEFAULT_DB = "sqlite:///eventfilter.db"


def utc_now() -> datetime:
    return datetime.now(UTC)


def db_url(value: str | None) -> str:
    """--db / EVENTFILTER_DB, defaulting to eventfilter.db here; a bare path means SQLite."""
    url = value or os.environ.get("EVENTFILTER_DB") or DEFAULT_DB
    return url if "://" in url else f"sqlite:///{url}"


@dataclass
class App:
    store: SqlStore
    pack: RulePack
    settings: Settings
    clock: Clock

    def today(self) -> datetime:
        return self.clock()


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
    store = SqlStore(db_url(db))
    if ensure_schema:
        store.ensure_schema(create=create)
    return App(store=store, pack=pack, settings=conf, clock=clock)
