"""The wheel: it carries and finds its own rule pack, settings and migrations
(the default config used to be looked up beside the checkout), its decision
core is compiled with mypyc where the machine can compile, and compiled and
pure-Python runs decide byte for byte alike."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"

pytestmark = pytest.mark.slow


def build(into: Path, **env: str) -> tuple[Path, set[str]]:
    """`pip wheel` of the checkout; the wheel unpacked into `into`/site, and its file names."""
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(into), str(ROOT)],
        check=False,
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, **env},
    )
    assert built.returncode == 0, built.stderr
    [wheel] = into.glob("eventfilter-*.whl")
    site = into / "site"
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        z.extractall(site)
    return site, names


def run(site: Path | None, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """eventfilter from the unpacked wheel only (`site`), or from the checkout (None)."""
    first = f"sys.path.insert(0, {str(site)!r}); " if site is not None else ""
    code = (
        f"import sys; {first}from eventfilter.entrypoints.cli import main; "
        f"sys.argv = ['eventfilter', *{list(args)!r}]; main()"
    )
    return subprocess.run(
        [sys.executable, "-I", "-c", code], check=False, capture_output=True, text=True, cwd=cwd, timeout=600
    )


def compiled(names: set[str]) -> set[str]:
    return {n for n in names if n.startswith("eventfilter/") and n.endswith(".so")}


def can_compile() -> bool:
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    headers = Path(sysconfig.get_paths()["include"]) / "Python.h"
    return shutil.which(compiler) is not None and headers.exists()


def stored(db: Path) -> list[tuple[object, ...]]:
    """What the replay left in the store that compiled code writes: the decision log
    (all but the time it was written), the parameter sets, the holds, the processed
    events with their effects, the persons' facts."""
    with sqlite3.connect(db) as conn:
        return [
            *conn.execute(
                "SELECT decision_id, case_id, benefit, person_id, outcome, effective_date, event_ids,"
                " reasons, before, after, rule_pack, parameter_set, hold, review_item_id"
                " FROM decisions ORDER BY seq"
            ),
            *conn.execute("SELECT * FROM parameter_sets ORDER BY set_key"),
            *conn.execute("SELECT case_id, decision_id, event_ids FROM holds ORDER BY hold_id"),
            *conn.execute("SELECT * FROM processed_events ORDER BY event_id"),
            *conn.execute("SELECT * FROM persons ORDER BY person_id"),
        ]


def replay_samples(site: Path | None, where: Path) -> tuple[bytes, list[tuple[object, ...]]]:
    where.mkdir()
    r = run(
        site,
        "--db",
        f"sqlite:///{where}/e.db",
        "replay",
        str(SAMPLES / "events.jsonl"),
        "--persons",
        str(SAMPLES / "persons.jsonl"),
        "--cases",
        str(SAMPLES / "cases.jsonl"),
        "--out",
        str(where / "decisions.jsonl"),
        cwd=where,
    )
    assert r.returncode in (0, 3), r.stderr  # 3: some lines were dead letters (the samples hold a few)
    return (where / "decisions.jsonl").read_bytes(), stored(where / "e.db")


def test_a_built_wheel_carries_its_defaults_and_decides_as_the_sources_do(tmp_path: Path) -> None:
    site, names = build(tmp_path / "wheel")
    for shipped in (
        "eventfilter/config/rulepacks/default.toml",
        "eventfilter/config/settings.toml",
        "eventfilter/migrations/versions/0001_initial.py",
        "eventfilter/core/engine.py",  # the sources are shipped beside what was compiled from them
    ):
        assert shipped in names
    so = compiled(names)
    if can_compile():  # else the wheel is pure, as on a machine without a compiler (the test below)
        for module in ("core/engine", "adapters/sql/writes", "service/naming"):  # the core and the glue
            assert any(n.startswith(f"eventfilter/{module}.") for n in so), f"this machine compiles {module}"
    # the defaults load from the wheel, not the checkout; a database is made
    probe = run(site, "rules", "show", cwd=tmp_path)
    assert probe.returncode == 0 and "default" in probe.stdout, probe.stderr
    imported = f"import sys; sys.path.insert(0, {str(site)!r}); import eventfilter.core.engine as e; " + (
        "print(e.__file__)"
    )
    which = subprocess.run(
        [sys.executable, "-I", "-c", imported],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    ).stdout
    assert which.startswith(str(site)) and (which.strip().endswith(".so") == bool(so))
    # compiled (or the wheel's pure modules) and the checkout's sources: the same decision
    # lines, byte for byte, and the same rows in the store
    wheel, sources = (
        replay_samples(site, tmp_path / "from-wheel"),
        replay_samples(None, tmp_path / "from-sources"),
    )
    assert wheel[0] == sources[0]
    assert len(wheel[1]) > 1000 and wheel[1] == sources[1]
    if so:  # the core's own tests, against the compiled modules
        tests = subprocess.run(
            [
                sys.executable,
                "-I",
                "-c",
                f"import sys; sys.path.insert(0, {str(site)!r}); import pytest; "
                "sys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', 'tests/unit']))",
            ],
            check=False,
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=900,
        )
        assert tests.returncode == 0, tests.stdout[-3000:]


def test_a_machine_without_a_c_compiler_builds_a_pure_wheel_that_works(tmp_path: Path) -> None:
    site, names = build(tmp_path / "wheel", CC="no-such-compiler")
    assert compiled(names) == set()
    assert replay_samples(site, tmp_path / "pure") == replay_samples(None, tmp_path / "from-sources")
