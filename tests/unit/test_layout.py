"""The layout issue 10 asks for: no module over 400 lines."""

from __future__ import annotations

from pathlib import Path

import eventfilter

PACKAGE = Path(eventfilter.__file__).parent
MOST_LINES = 400


def test_no_module_is_over_400_lines() -> None:
    long = {
        str(path.relative_to(PACKAGE)): n
        for path in PACKAGE.rglob("*.py")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MOST_LINES
    }
    assert long == {}
