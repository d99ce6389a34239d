"""An installed wheel finds its own rule pack, settings and migrations (the
default config used to be looked up beside the checkout)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def test_a_built_wheel_carries_and_finds_its_defaults(tmp_path: Path) -> None:
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stderr
    [wheel] = tmp_path.glob("eventfilter-*.whl")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        z.extractall(site)
    for shipped in (
        "eventfilter/config/rulepacks/default.toml",
        "eventfilter/config/settings.toml",
        "eventfilter/migrations/versions/0001_initial.py",
    ):
        assert shipped in names
    # run from the unpacked wheel only (not the checkout): the defaults load, a database is made
    probe = (
        "from eventfilter.bootstrap import bootstrap; "
        f"app = bootstrap('sqlite:///{tmp_path}/w.db'); print(app.pack.label, app.settings.batch_size)"
    )
    code = f"import sys; sys.path.insert(0, {str(site)!r}); {probe}"
    r = subprocess.run(
        [sys.executable, "-I", "-c", code],
        check=False,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.split()[0] == "default"
