"""Two replays started at once on one SQLite file, as a careless operator
might: the second is refused with one sentence, the first completes, and
nothing is decided twice or lost (trust issue, finding 3)."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from tests.e2e.conftest import EXE, Cli
from tests.e2e.test_cli import one_sentence, world, write
from tests.helpers import event


def test_a_second_replay_on_the_same_sqlite_file_is_refused(tmp_path: Path, cli: Cli) -> None:
    persons, cases = world(tmp_path)
    assert cli("import", "persons", persons).returncode == 0
    assert cli("import", "cases", cases).returncode == 0
    first = subprocess.Popen(
        [str(EXE), "replay", "-", "--json"],
        cwd=tmp_path,
        env=cli.env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert first.stdin is not None
    lock = tmp_path / "eventfilter.db.lock"
    deadline = time.monotonic() + 120
    while f"pid {first.pid}" not in (lock.read_text() if lock.exists() else ""):
        assert time.monotonic() < deadline, "the first replay never took the database"
        assert first.poll() is None, first.communicate()
        time.sleep(0.05)
    events = write(tmp_path / "events.jsonl", event("death", "B", event_id="d1"))
    second = cli("replay", events)
    assert second.returncode == 1
    one_sentence(second.stderr)
    assert "using this database" in second.stderr and f"pid {first.pid}" in second.stderr
    out, err = first.communicate(json.dumps(event("death", "B", event_id="d1")) + "\n", timeout=120)
    assert first.returncode == 0, err
    assert json.loads(out)["events_decided"] == 1
    # the refused command, run again once the first is done, decides nothing twice
    again = cli("replay", events, "--json")
    assert again.returncode == 0 and json.loads(again.stdout)["events_decided"] == 0
