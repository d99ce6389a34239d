"""kill -9 in the middle of a replay, several times: the reruns complete the
work, nothing is decided twice, nothing is lost."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from eventfilter.adapters.sql.models import AUDIT, DEAD_LETTERS, DECISIONS, PROCESSED
from eventfilter.adapters.sql.review import SqlReview
from eventfilter.adapters.sql.store import SqlStore
from eventfilter.rulepack import default_config_dir
from tests.e2e.conftest import EXE, Cli

pytestmark = pytest.mark.slow


def snapshot(db: str) -> dict[str, object]:
    store = SqlStore(db)
    with store.connect() as conn:
        decisions = sorted(
            (r.decision_id, r.outcome, r.hold)
            for r in conn.execute(select(DECISIONS.c.decision_id, DECISIONS.c.outcome, DECISIONS.c.hold))
        )
        processed = conn.execute(select(func.count()).select_from(PROCESSED)).scalar_one()
        dead = conn.execute(select(func.count()).select_from(DEAD_LETTERS)).scalar_one()
        audit = sorted(
            (r.action, r.case_id, r.decision_id or "")
            for r in conn.execute(select(AUDIT.c.action, AUDIT.c.case_id, AUDIT.c.decision_id))
        )
    review = SqlReview(store)
    holds = sorted(h.case_id for h in review.holds())
    items = sorted(i.case_id for i in review.items("open"))
    store.dispose()
    return {
        "decisions": decisions,
        "processed": processed,
        "dead": dead,
        "holds": holds,
        "items": items,
        "audit": audit,
    }


def out_ids(*paths: Path) -> list[str]:
    ids = []
    for path in paths:
        if path.exists():
            ids += [json.loads(line)["decision_id"] for line in path.read_text().splitlines() if line.strip()]
    return ids


def test_kill_9_mid_replay_loses_nothing_and_decides_nothing_twice(tmp_path: Path, cli: Cli) -> None:
    assert cli("generate", "--out", "w", "--persons", "6000", "--days", "120", "--seed", "11").returncode == 0
    settings = (
        (default_config_dir() / "settings.toml").read_text().replace("batch_size = 5000", "batch_size = 300")
    )
    (tmp_path / "settings.toml").write_text(settings)
    args = ["--settings", "settings.toml"]
    world = ["--persons", "w/persons.jsonl", "--cases", "w/cases.jsonl"]

    clean_db = f"sqlite:///{tmp_path}/clean.db"
    started = time.monotonic()
    r = cli(*args, "--db", clean_db, "replay", "w/events.jsonl", *world, "--out", "clean.jsonl")
    clean_seconds = time.monotonic() - started
    assert r.returncode == 3, r.stderr

    crash_db = f"sqlite:///{tmp_path}/crash.db"
    assert cli(*args, "--db", crash_db, "import", "persons", "w/persons.jsonl").returncode == 0
    assert cli(*args, "--db", crash_db, "import", "cases", "w/cases.jsonl").returncode == 0
    rng = random.Random(5)
    kills = 0
    outs = []
    for attempt in range(6):
        # kill the first three attempts part-way through (relative to how long
        # a whole run takes here), then let one run to the end
        patience = rng.uniform(0.3, 0.6) * clean_seconds if attempt < 3 else 600.0
        out = tmp_path / f"run{attempt}.jsonl"
        outs.append(out)
        proc = subprocess.Popen(
            [str(EXE), *args, "--db", crash_db, "replay", "w/events.jsonl", "--out", out.name],
            cwd=tmp_path,
            env=cli.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            code = proc.wait(timeout=patience)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
            continue
        assert code == 3, proc.stderr.read() if proc.stderr else ""
        break
    else:
        pytest.fail("the replay never completed")
    assert kills >= 2, f"only {kills} kill(s) landed before the run completed"

    assert snapshot(crash_db) == snapshot(clean_db)
    clean = out_ids(tmp_path / "clean.jsonl")
    crashed = out_ids(*outs)
    assert set(crashed) == set(clean)  # no decision lost from the files
    assert len(crashed) - len(clean) <= kills * 300 * 3  # at most the uncommitted batch again, per kill
