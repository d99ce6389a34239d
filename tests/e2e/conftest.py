"""Run the real command line, as a separate process, like an operator would."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

EXE = Path(sys.executable).with_name("eventfilter")


class Cli:
    def __init__(self, cwd: Path, db: str) -> None:
        self.cwd = cwd
        self.env = {**os.environ, "EVENTFILTER_DB": db, "NO_COLOR": "1"}
        self.env.pop("EVENTFILTER_DEBUG", None)

    def __call__(
        self, *args: str, stdin: str | None = None, timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(EXE), *args],
            check=False,
            cwd=self.cwd,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
        )


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path, f"sqlite:///{tmp_path}/eventfilter.db")


CliFactory = Callable[[Path], Cli]
