"""What a command loads before it does anything: every command of the CLI,
the consumer and the web app start through `eventfilter.entrypoints.cli`, and
a caseworker's `review list` should not pay for what only other commands use
(benchmarks/test_startup.py times it)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SAMPLE_PERSONS = Path(__file__).resolve().parents[2] / "samples" / "persons.jsonl"
# Loaded only where they are used: the ORM (the store is written with Core
# statements), the pydantic models of the contract's lines (`fastparse` reads
# the common event lines; imports and malformed lines take the models), and the
# in-memory store (`--db memory:`).
NOT_AT_START = ("sqlalchemy.orm", "eventfilter.formats.models", "eventfilter.adapters.memory")


def _loaded_after(code: str, among: tuple[str, ...] = NOT_AT_START) -> list[str]:
    """The modules named `among` (by prefix) that running `code` in a fresh interpreter loads."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return [m for m in json.loads(out.stdout.splitlines()[-1]) if m.startswith(among)]


def _bootstrap(tmp_path: Path) -> str:
    """Code that builds the application on a SQLite database in `tmp_path`."""
    db = f"sqlite:///{tmp_path}/e.db"
    return f"from eventfilter.bootstrap import bootstrap\nbootstrap({db!r}).store.dispose()"


def test_the_cli_starts_without_the_orm_the_line_models_or_the_memory_store() -> None:
    assert _loaded_after("import eventfilter.entrypoints.cli") == []


def test_a_sqlite_application_is_built_without_them(tmp_path: Path) -> None:
    assert _loaded_after(_bootstrap(tmp_path)) == []


def test_a_database_at_this_releases_revision_is_opened_without_alembic(tmp_path: Path) -> None:
    """Alembic and its scripts load to create or upgrade a schema, or to say
    what is wrong with one; a database already at the newest revision is
    checked with one query (`schema.HEAD`)."""
    assert _loaded_after(_bootstrap(tmp_path), among=("alembic",)) != []  # the first creates the schema
    assert _loaded_after(_bootstrap(tmp_path), among=("alembic",)) == []


def test_each_is_loaded_when_it_is_used() -> None:
    """The probe sees what it should: the models with a person's line, the
    in-memory store with `memory:`."""
    code = (
        "from eventfilter.formats import parse_person\n"
        "from eventfilter.bootstrap import bootstrap\n"
        f"parse_person(open({str(SAMPLE_PERSONS)!r}, 'rb').readline())\n"
        "bootstrap('memory:')"
    )
    loaded = _loaded_after(code)
    assert "eventfilter.formats.models" in loaded
    assert "eventfilter.adapters.memory" in loaded
