"""Extension modules for a wheel: the decision core compiled with mypyc (see
build_backend/eventfilter_build.py). Everything else is in pyproject.toml.

The compiled modules are the same sources as the pure-Python ones beside
them in the wheel; a machine without a C compiler or the Python headers gets
a pure-Python wheel, and a compile that fails leaves nothing half-built
(tests/e2e/test_wheel.py holds the compiled build to byte-identical decisions).
"""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
from pathlib import Path
from typing import Any

from setuptools import setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
SRC = ROOT / "src"
# The hot path: the pure core (what decides), the fast event parser, and the
# glue a batch runs through on its way to the store (what names the persons
# and cases a batch reads, the checks of what cannot be true, the recording
# of decisions, the SQL writes and their JSON, the line reader). Left out:
# core/snapshots.py (its frozen values are deep-copied, which compiled
# classes refuse; it decides nothing); the pipeline and `accept` (generic
# classes do not compile); service/world.py (its tests count its loads by
# patching its methods, which a compiled class calls directly). The glue
# compiled took a 100,000-line replay 6.51 -> 5.49 s (fastest of five rounds),
# decisions alike.
CORE = [*SRC.glob("eventfilter/core/*.py"), *SRC.glob("eventfilter/core/rules/*.py")]
COMPILED = [
    *sorted(str(p.relative_to(ROOT)) for p in CORE if p.name != "snapshots.py"),
    "src/eventfilter/formats/fastparse.py",
    "src/eventfilter/adapters/sql/writes.py",
    "src/eventfilter/adapters/sql/codec.py",
    "src/eventfilter/adapters/sql/bulk.py",
    "src/eventfilter/service/naming.py",
    "src/eventfilter/service/recording.py",
    "src/eventfilter/plausibility.py",
    "src/eventfilter/records.py",
    "src/eventfilter/adapters/jsonl.py",
]


def _say(text: str) -> None:
    sys.stderr.write(f"eventfilter: {text}\n")


def _can_compile() -> str | None:
    """None when this machine can build C extensions, else why not."""
    compiler = (os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(compiler) is None:
        return f"no C compiler ({compiler})"
    if not (Path(sysconfig.get_paths()["include"]) / "Python.h").exists():
        return "no Python headers (Python.h)"
    return None


class OptionalBuildExt(build_ext):
    """Compile if possible; on any failure, remove what was built and go on pure."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # a compiler error: the pure modules serve
            built: list[Any] = list(self.extensions)
            for ext in built:
                Path(self.get_ext_fullpath(ext.name)).unlink(missing_ok=True)
            self.extensions = []
            _say(f"compiling with mypyc failed ({exc}); building pure Python")


def _extensions() -> list[Any]:
    if "EVENTFILTER_MYPYC" in os.environ:  # a wheel: never from what an earlier build left in build/
        shutil.rmtree(ROOT / "build", ignore_errors=True)
    if os.environ.get("EVENTFILTER_MYPYC") != "1":
        return []
    why_not = _can_compile()
    if why_not is not None:
        _say(f"{why_not}; building pure Python")
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        _say("mypyc is not installed; building pure Python")
        return []
    assert Path.cwd().resolve() == ROOT, "build from the project's folder (pip does)"
    try:
        return list(mypycify(COMPILED, opt_level="3"))
    except (Exception, SystemExit) as exc:  # mypy refused a module: mypyc exits
        _say(f"mypyc cannot compile the core ({exc!r}); building pure Python")
        return []


setup(ext_modules=_extensions(), cmdclass={"build_ext": OptionalBuildExt})
