"""The core decides from what it is handed: no clock, environment or I/O.

import-linter forbids the modules (pyproject.toml); this test catches what
an import contract cannot: reading the clock through datetime, or the
builtins that do I/O.
"""

from __future__ import annotations

import ast
from pathlib import Path

import eventfilter.core

CORE = Path(eventfilter.core.__file__).parent
FORBIDDEN_CALLS = {"now", "today", "utcnow", "open", "print", "input", "getenv", "time"}


def test_the_core_reads_no_clock_and_does_no_io() -> None:
    found = []
    for path in CORE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                f = node.func
                name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
                if name in FORBIDDEN_CALLS:
                    found.append(f"{path.name}:{node.lineno} {name}()")
    assert found == []
