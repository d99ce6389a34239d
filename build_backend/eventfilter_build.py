"""The build backend: setuptools, with the decision core compiled by mypyc in
wheels (never in editable installs, whose modules must be the sources being
edited).

A wheel build asks for mypy as well (the version constraints.txt pins) and
sets EVENTFILTER_MYPYC=1 for setup.py, which compiles when a C compiler and
the Python headers are there and builds a pure-Python wheel otherwise.
EVENTFILTER_PURE=1 builds a pure-Python wheel on purpose.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from setuptools import build_meta as _setuptools
from setuptools.build_meta import *  # noqa: F403 (every other hook as setuptools has it)

ROOT = Path(__file__).resolve().parents[1]


def _compile() -> bool:
    return os.environ.get("EVENTFILTER_PURE") != "1"


def _mypy() -> str:
    """mypy as constraints.txt pins it (mypyc comes with it)."""
    constraints = ROOT / "constraints.txt"
    if constraints.exists():
        found = re.search(r"^mypy==([0-9][^\s;#]*)", constraints.read_text(), re.M)
        if found:
            return f"mypy=={found.group(1)}"
    return "mypy"


def get_requires_for_build_wheel(config_settings: Any = None) -> list[str]:
    needs = list(_setuptools.get_requires_for_build_wheel(config_settings))
    return [*needs, _mypy()] if _compile() else needs


def build_wheel(wheel_directory: str, config_settings: Any = None, metadata_directory: Any = None) -> str:
    os.environ["EVENTFILTER_MYPYC"] = "1" if _compile() else "0"
    return str(_setuptools.build_wheel(wheel_directory, config_settings, metadata_directory))
