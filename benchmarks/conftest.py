"""Benchmarks (pytest-benchmark). Run: make bench   (see RESULTS.md)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from benchmarks.workloads import World, make_world
from eventfilter.logs import configure

configure("warning")

CACHE = Path(
    os.environ.get("EVENTFILTER_BENCH_CACHE", Path(__file__).resolve().parents[1] / ".benchmarks" / "worlds")
)


@pytest.fixture(scope="session")
def register_world() -> World:
    """~100,000 register events (no income reports): most touch no case."""
    return make_world(CACHE, profile="register", persons=150_000, days=365, seed=1)


@pytest.fixture(scope="session")
def national_1pct_world() -> World:
    """1 % of the national world, a whole year: 59,000 persons, ~7,000 cases, ~237,000 events."""
    return make_world(CACHE, profile="national", persons=59_000, days=365, seed=1)


@pytest.fixture(scope="session")
def national_world() -> World:
    """~100,000 events of the national mix: income reports dominate, most touch a case."""
    return make_world(CACHE, profile="national", persons=100_000, days=120, seed=2)


pytest_plugins = ["tests.conftest"]  # the server fixtures (rabbitmq, pg_databases)
