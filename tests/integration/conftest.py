"""Stores for integration tests: a fresh SQLite file, and a fresh PostgreSQL
database for the run (dropped afterwards), emptied before each test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import need_server

PG_HOST = os.environ.get("EVENTFILTER_TEST_PGHOST", "127.0.0.1")
PG_PORT = int(os.environ.get("EVENTFILTER_TEST_PGPORT", "5432"))
PG_ADMIN = f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/postgres"


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(
        f"host={PG_HOST} port={PG_PORT} user=postgres dbname=postgres", autocommit=True
    ) as conn:
        conn.execute(sql)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    need_server("PostgreSQL", PG_HOST, PG_PORT)
    name = f"eventfilter_test_{uuid.uuid4().hex[:10]}"
    _admin(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _empty_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres), "memory"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database of each kind (and the store's in-memory twin)."""
    if request.param == "memory":
        return "memory:"
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/eventfilter.db"
    url: str = request.getfixturevalue("pg_database")
    _empty_postgres(url)
    return url


def real_database_only(db_url: str, why: str) -> None:
    """For tests of what only a database shared between processes has (the lease,
    raw SQL, a second process): the in-memory store is one process's own."""
    if db_url == "memory:":
        pytest.skip(f"the in-memory store is one process's own: {why}")
