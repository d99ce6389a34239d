"""kill -9 at random points of the documented command (`replay EVENTS
--persons P --cases C --out OUT`), rerun exactly as the user ran it: the end
state equals one uninterrupted run, in the decisions, the holds, the review
items, the register and `--out` (each decision id with one content), and a
last rerun changes nothing (trust issue, findings 1 and the crash promise)."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from eventfilter.adapters.sql.models import AUDIT, DEAD_LETTERS, DECISIONS, PERSONS, PROCESSED
from eventfilter.adapters.sql.review import SqlReview
from eventfilter.adapters.sql.store import SqlStore
from eventfilter.rulepack import default_config_dir
from tests.e2e.conftest import EXE, Cli

pytestmark = pytest.mark.slow

BATCH = 300


def snapshot(db: str) -> dict[str, Any]:
    store = SqlStore(db)
    with store.connect() as conn:
        decisions = sorted(
            (r.decision_id, r.outcome, r.hold, json.dumps(r.reasons), json.dumps(r.event_ids))
            for r in conn.execute(
                select(
                    DECISIONS.c.decision_id,
                    DECISIONS.c.outcome,
                    DECISIONS.c.hold,
                    DECISIONS.c.reasons,
                    DECISIONS.c.event_ids,
                )
            )
        )
        processed = sorted(
            (r.event_id, r.content_hash)
            for r in conn.execute(select(PROCESSED.c.event_id, PROCESSED.c.content_hash))
        )
        dead = sorted((r.source, r.position, r.error) for r in conn.execute(select(DEAD_LETTERS)))
        audit = sorted(
            (r.action, r.case_id or "", r.decision_id or "", r.message)
            for r in conn.execute(
                select(AUDIT.c.action, AUDIT.c.case_id, AUDIT.c.decision_id, AUDIT.c.message)
            )
        )
        register = sorted(tuple(str(v) for v in r) for r in conn.execute(select(PERSONS)))
    review = SqlReview(store)
    holds = sorted((h.case_id, h.decision_id, h.status) for h in review.holds())
    items = sorted((i.case_id, i.due_date, i.urgent_code, i.reasons) for i in review.items("open"))
    store.dispose()
    return {
        "decisions": decisions,
        "processed": processed,
        "dead": dead,
        "holds": holds,
        "items": items,
        "audit": audit,
        "register": register,
    }


def out_lines(path: Path) -> dict[str, set[str]]:
    """decision id -> the distinct contents written for it."""
    found: dict[str, set[str]] = {}
    for line in path.read_text().splitlines():
        if line.strip():
            found.setdefault(json.loads(line)["decision_id"], set()).add(line)
    return found


def wait_for(proc: subprocess.Popen[str], db: Path, mark: int, limit: float = 300) -> bool:
    """Until the run holds the database and has committed `mark` events (True), or ended (False)."""
    deadline = time.monotonic() + limit
    lock = Path(f"{db}.lock")
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        holding = lock.exists() and f"pid {proc.pid}" in lock.read_text()
        if holding and (mark == 0 or committed(db) >= mark):
            return True
        time.sleep(0.01)
    pytest.fail(f"the replay neither reached {mark} events nor ended")


def committed(db: Path) -> int:
    import sqlite3

    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return int(conn.execute("SELECT count(*) FROM processed_events").fetchone()[0])
    except sqlite3.Error:
        return 0  # not created yet


def test_kill_9_at_random_points_of_the_documented_command_changes_no_outcome(
    tmp_path: Path, cli: Cli
) -> None:
    assert cli("generate", "--out", "w", "--persons", "6000", "--days", "120", "--seed", "11").returncode == 0
    settings = (default_config_dir() / "settings.toml").read_text()
    assert "batch_size = 100000" in settings
    batched = settings.replace("batch_size = 100000", f"batch_size = {BATCH}", 1)
    (tmp_path / "settings.toml").write_text(batched)
    # the crashing runs also let go of what they hold after every batch (loading
    # it again as they read it): neither the kills nor that may change an outcome
    assert "persons_in_memory = 1000000" in settings
    forgetful = batched.replace("persons_in_memory = 1000000", "persons_in_memory = 0", 1)
    (tmp_path / "forgetful.toml").write_text(forgetful)
    command = [
        "--settings",
        "settings.toml",
        "replay",
        "w/events.jsonl",
        "--persons",
        "w/persons.jsonl",
        "--cases",
        "w/cases.jsonl",
        "--out",
    ]

    clean = cli("--db", f"sqlite:///{tmp_path}/clean.db", *command, "clean.jsonl")
    assert clean.returncode == 3, clean.stderr

    crash_db = f"sqlite:///{tmp_path}/crash.db"
    command = [("forgetful.toml" if a == "settings.toml" else a) for a in command]
    total = len(snapshot(f"sqlite:///{tmp_path}/clean.db")["processed"])
    rng = random.Random(5)
    # where to kill: once during the imports (as soon as the run holds the database), then when
    # the committed events pass random marks; the last run is left to finish
    marks = [0, *sorted(rng.sample(range(BATCH, total - BATCH), 4)), None]
    kills = 0
    for mark in marks:
        proc = subprocess.Popen(
            [str(EXE), "--db", crash_db, *command, "crash.jsonl"],
            cwd=tmp_path,
            env=cli.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        if mark is not None and wait_for(proc, tmp_path / "crash.db", mark):
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
            continue
        code = proc.wait(timeout=600)
        assert code == 3, proc.stderr.read() if proc.stderr else ""
        break
    assert kills >= 4, f"only {kills} kill(s) landed before the run completed"

    assert snapshot(crash_db) == snapshot(f"sqlite:///{tmp_path}/clean.db")
    crashed, whole = out_lines(tmp_path / "crash.jsonl"), out_lines(tmp_path / "clean.jsonl")
    assert all(len(contents) == 1 for contents in crashed.values())  # one content per decision id
    assert crashed == whole  # nothing lost, nothing different

    # the same command once more: nothing is decided, nothing appended, nothing changes
    before = (tmp_path / "crash.jsonl").read_text(), snapshot(crash_db)
    again = cli("--db", crash_db, *command, "crash.jsonl")
    assert again.returncode == 3  # the same dead letters, reported again
    assert ((tmp_path / "crash.jsonl").read_text(), snapshot(crash_db)) == before
