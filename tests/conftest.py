"""Shared fixtures. Tests that need a server skip with a reason when it is
absent, and fail instead when the environment variable CI is set."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings

from eventfilter.core.pack import RulePack
from eventfilter.logs import configure
from eventfilter.rulepack import load_pack
from eventfilter.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]

configure("warning")  # structlog unconfigured would print debug lines into test output

# Under CI the property tests draw the same examples every run, so a red run is
# reproducible; on a developer's machine they explore (and `python -m tests.fuzz`
# explores for as long as one likes).
hypothesis_settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")


@pytest.fixture(scope="session")
def pack() -> RulePack:
    return load_pack()


@pytest.fixture(scope="session")
def settings() -> Settings:
    return load_settings()


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def need_server(name: str, host: str, port: int) -> None:
    """Skip (locally) or fail (under CI) when a server is not reachable."""
    if reachable(host, port):
        return
    message = f"{name} is not reachable at {host}:{port}"
    if os.environ.get("CI"):
        pytest.fail(f"{message}, and CI is set: server tests must run in CI.")
    pytest.skip(message)


@pytest.fixture(autouse=True)
def _dispose_engines(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Close every database engine a test opened (no leaked connections)."""
    from eventfilter.adapters.sql import store

    made: list[Any] = []
    real = store.make_engine

    def tracked(url: str) -> Any:
        engine = real(url)
        made.append(engine)
        return engine

    monkeypatch.setattr(store, "make_engine", tracked)
    yield
    for engine in made:
        engine.dispose()


# -- servers for the stream tests -------------------------------------------------------------
RABBIT_HOST = os.environ.get("EVENTFILTER_TEST_AMQP_HOST", "127.0.0.1")
RABBIT_URL = os.environ.get("EVENTFILTER_TEST_AMQP", f"amqp://guest:guest@{RABBIT_HOST}:5672/%2F")
PG_HOST = os.environ.get("EVENTFILTER_TEST_PGHOST", "127.0.0.1")
PG_PORT = int(os.environ.get("EVENTFILTER_TEST_PGPORT", "5432"))


def fail_or_skip(message: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{message}, and CI is set: server tests must run in CI.")
    pytest.skip(message)


@pytest.fixture(scope="session")
def rabbitmq() -> str:
    """A reachable RabbitMQ with the consistent-hash exchange. A test never
    reconfigures a server it did not start: without the plugin, the stream
    tests skip (or fail under CI) and say how to enable it."""
    need_server("RabbitMQ", RABBIT_HOST, 5672)
    from eventfilter.adapters.amqp import Topology, declare_topology, delete_topology
    from eventfilter.errors import BrokerError, BrokerSetupError

    name = f"eftest-probe-{uuid.uuid4().hex[:8]}"
    probe = Topology(queue=name, partitions=1, decisions=f"{name}.decisions")
    try:
        declare_topology(RABBIT_URL, probe)
    except (BrokerError, BrokerSetupError) as exc:
        fail_or_skip(f"RabbitMQ cannot carry the stream here ({exc})")
    delete_topology(RABBIT_URL, probe)
    return RABBIT_URL


@pytest.fixture
def pg_databases() -> Iterator[Any]:
    """Make fresh PostgreSQL databases for one test; all are dropped afterwards."""
    need_server("PostgreSQL", PG_HOST, PG_PORT)
    import psycopg

    made: list[str] = []

    def admin(sql: str) -> None:
        dsn = f"host={PG_HOST} port={PG_PORT} user=postgres dbname=postgres"
        with psycopg.connect(dsn, autocommit=True) as c:
            c.execute(sql)

    def make() -> str:
        name = f"eventfilter_test_{uuid.uuid4().hex[:10]}"
        admin(f'CREATE DATABASE "{name}"')
        made.append(name)
        return f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/{name}"

    yield make
    for name in made:
        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
