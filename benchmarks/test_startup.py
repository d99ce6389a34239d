"""How long a command takes to start: the CLI run in a child process, as an
operator or a caseworker runs it (`eventfilter --help`; `review list` on an
empty SQLite database, which opens the store and checks its schema). What it
imports is most of it; tests/e2e/test_startup.py holds what is left out."""

from __future__ import annotations

import subprocess
from pathlib import Path

from benchmarks.national import EXE

ROUNDS = 10


def _run(*args: str) -> str:
    return subprocess.run([EXE, *args], capture_output=True, text=True, check=True).stdout


def test_start_the_cli(benchmark) -> None:  # type: ignore[no-untyped-def]
    out = benchmark.pedantic(_run, args=("--help",), rounds=ROUNDS, iterations=1, warmup_rounds=1)
    assert "replay" in out


def test_list_an_empty_review_queue(benchmark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db = f"sqlite:///{tmp_path}/eventfilter.db"
    _run("--db", db, "db", "upgrade")
    out = benchmark.pedantic(
        _run, args=("--db", db, "review", "list"), rounds=ROUNDS, iterations=1, warmup_rounds=1
    )
    assert "No open review items." in out
